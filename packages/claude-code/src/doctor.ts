/**
 * Doctor checks for Claude Code: the executable (and not the npm package's placeholder),
 * its version, its credentials, the backend profile's settings file, and (on request) one
 * real `claude -p` against the configured provider. `claude doctor` is never run: it is an
 * interactive screen and hangs without a terminal.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type AdapterIdentity,
  BatonError,
  type CheckResult,
  type DoctorCheck,
  type DoctorContext,
  type Environment,
  type RuntimeSettings,
} from '@baton/core';
import {
  binaryCheck,
  type ExecutableHead,
  executableFor,
  readExecutableHead,
  runCommand,
  versionCheck,
} from '@baton/core/doctor';
import { anthropicRoot, buildClaudeCodeCommand } from './command.js';
import { createClaudeCodeDecoder } from './decode.js';
import { profileSettingsPath } from './profile.js';

export interface ClaudeCodeDoctorOptions {
  readonly identity: AdapterIdentity;
  /** Factory settings; the context's settings override them per key. */
  readonly defaults: RuntimeSettings;
}

export const INSTALL_HINT =
  'Install Claude Code: npm install -g @anthropic-ai/claude-code (if it is installed but its ' +
  'postinstall did not run, run `node <package>/install.cjs`, or reinstall without --ignore-scripts / --omit=optional).';

const PLACEHOLDER_MARKER = 'claude native binary not installed';
/** The npm placeholder is 500 bytes; a package manager's shell shim is a few KiB. */
const SCRIPT_LIMIT = 64 * 1024;

/**
 * The `@anthropic-ai/claude-code` npm package ships `bin/claude.exe` as a 500-byte shell
 * script that only prints "Error: claude native binary not installed."; its postinstall
 * replaces it with the native binary. A pnpm shell shim in front of it is followed to its
 * target (`# cmd-shim-target=` line); a symlink is already resolved by `readExecutableHead`.
 */
export function detectClaudePlaceholder(head: ExecutableHead): string | null {
  return placeholderReason(head, 0);
}

function placeholderReason(head: ExecutableHead, depth: number): string | null {
  if (head.isElf || head.size > SCRIPT_LIMIT) return null;
  let text: string;
  try {
    text =
      head.size <= head.head.length
        ? head.head.toString('utf8')
        : readFileSync(head.realPath, 'utf8');
  } catch {
    return null;
  }
  if (text.includes(PLACEHOLDER_MARKER)) {
    const installer = join(dirname(dirname(head.realPath)), 'install.cjs');
    const run = existsSync(installer) ? `node ${installer}` : 'node <package>/install.cjs';
    return (
      'the @anthropic-ai/claude-code postinstall did not run, so the native binary was never put in place ' +
      `(it only prints "Error: claude native binary not installed."). Run the postinstall: ${run}; or reinstall ` +
      'without --ignore-scripts / --omit=optional.'
    );
  }
  const target = /^# cmd-shim-target=(.+)$/m.exec(text)?.[1]?.trim();
  if (target === undefined || depth > 0) return null;
  const targetPath = resolve(dirname(head.realPath), target);
  try {
    if (!statSync(targetPath).isFile()) return null;
    return placeholderReason(readExecutableHead(targetPath), depth + 1);
  } catch {
    return null;
  }
}

export function createClaudeCodeDoctorChecks(options: ClaudeCodeDoctorOptions): DoctorCheck[] {
  const { identity, defaults } = options;
  const merged = (context: DoctorContext): DoctorContext => ({
    ...context,
    settings: { ...defaults, ...context.settings },
  });
  const binary = binaryCheck({
    identity,
    installHint: INSTALL_HINT,
    detectPlaceholder: detectClaudePlaceholder,
  });
  const version = versionCheck({ identity });
  return [
    { ...binary, run: (context) => binary.run(merged(context)) },
    {
      ...version,
      async run(context) {
        const result = await version.run(merged(context));
        if (result.status === 'fail' && result.summary.includes(PLACEHOLDER_MARKER)) {
          return {
            ...result,
            remediation:
              'The Claude Code npm package was installed without its postinstall: run `node <package>/install.cjs` ' +
              'from the @anthropic-ai/claude-code package directory, or reinstall without --ignore-scripts / --omit=optional.',
          };
        }
        return result;
      },
    },
    { id: 'auth', dependsOn: ['binary'], run: (context) => authCheck(identity, merged(context)) },
    { id: 'profile', run: async (context) => profileCheck(merged(context)) },
    {
      id: 'probe',
      dependsOn: ['version', 'auth'],
      probe: true,
      timeoutMs: PROBE_TIMEOUT_MS + 5_000,
      run: (context) => probeCheck(identity, merged(context)),
    },
  ];
}

interface AuthStatus {
  readonly loggedIn: boolean;
  readonly authMethod: string | null;
  readonly apiProvider: string | null;
  readonly apiKeySource: string | null;
}

/** `claude auth status --json` (rc 1 when logged out, still JSON), or `null` when unreadable. */
export function parseAuthStatus(output: string): AuthStatus | null {
  const start = output.indexOf('{');
  const end = output.lastIndexOf('}');
  if (start === -1 || end < start) return null;
  try {
    const value = JSON.parse(output.slice(start, end + 1)) as Record<string, unknown>;
    if (typeof value.loggedIn !== 'boolean') return null;
    const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : null);
    return {
      loggedIn: value.loggedIn,
      authMethod: text('authMethod'),
      apiProvider: text('apiProvider'),
      apiKeySource: text('apiKeySource'),
    };
  } catch {
    return null;
  }
}

async function authCheck(identity: AdapterIdentity, context: DoctorContext): Promise<CheckResult> {
  const { settings, env } = context;
  const baseUrl = settings.baseUrl ? anthropicRoot(settings.baseUrl) : null;
  if (settings.apiKeyEnv) {
    const name = settings.apiKeyEnv;
    if (!env[name]) {
      return {
        status: 'fail',
        summary: `$${name} (api_key_env) is not set`,
        remediation: `export ${name}=<key for ${baseUrl ?? 'the Anthropic API'}>`,
      };
    }
    return {
      status: 'pass',
      summary: baseUrl
        ? `key from $${name}, sent to ${baseUrl} as ANTHROPIC_AUTH_TOKEN (Authorization: Bearer)`
        : `key from $${name}, sent to the Anthropic API as ANTHROPIC_API_KEY`,
    };
  }
  const { path } = executableFor(identity, context);
  const statusEnv: Environment = baseUrl ? { ...env, ANTHROPIC_BASE_URL: baseUrl } : env;
  const run = await runCommand(path!, ['auth', 'status', '--json'], {
    env: statusEnv,
    cwd: context.cwd,
    timeoutMs: 10_000,
    signal: context.signal,
  });
  const status = run.timedOut ? null : parseAuthStatus(run.stdout);
  const source = 'claude auth status';
  if (status === null) {
    const variable = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'].find((name) => env[name]);
    return variable
      ? {
          status: 'warn',
          summary: `\`${source}\` gave no answer Baton can read; $${variable} is set`,
          remediation: 'Run `claude auth status` by hand.',
        }
      : {
          status: 'fail',
          summary: `\`${source}\` gave no answer Baton can read, and neither $ANTHROPIC_API_KEY nor $ANTHROPIC_AUTH_TOKEN is set`,
          remediation:
            'Run `claude auth status` by hand; log in with `claude auth login` or export ANTHROPIC_API_KEY.',
        };
  }
  const method = [status.authMethod, status.apiKeySource && `from $${status.apiKeySource}`]
    .filter(Boolean)
    .join(' ');
  if (baseUrl) {
    return status.loggedIn
      ? {
          status: 'warn',
          summary: `base_url is set without api_key_env: Claude Code sends its own credential (${method}) to ${baseUrl}`,
          remediation:
            'Set api_key_env in [runtimes.claude-code] to the variable holding the gateway key.',
        }
      : {
          status: 'fail',
          summary: `Claude Code has no credential to send to ${baseUrl} (${source}: not logged in)`,
          remediation:
            'Set api_key_env in [runtimes.claude-code] to the variable holding the gateway key.',
        };
  }
  if (status.apiProvider !== null && status.apiProvider !== 'firstParty') {
    return {
      status: status.loggedIn ? 'pass' : 'warn',
      summary: `uses ${status.apiProvider} credentials (${source}), which Baton does not check`,
      ...(status.loggedIn
        ? {}
        : { remediation: `Check the ${status.apiProvider} credentials Claude Code reads.` }),
    };
  }
  if (!status.loggedIn) {
    return {
      status: 'fail',
      summary: `not logged in (${source}) and neither $ANTHROPIC_API_KEY nor $ANTHROPIC_AUTH_TOKEN is set`,
      remediation: 'Run `claude auth login`, or export ANTHROPIC_API_KEY=<Anthropic API key>.',
    };
  }
  return { status: 'pass', summary: `logged in: ${method || 'yes'} (${source})` };
}

const GATEWAY_VARIABLES = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY'];

/** Checks the backend profile's settings file: present, JSON, and the keys Baton relies on well-formed. */
export function profileCheck(
  context: Pick<DoctorContext, 'profile' | 'settings' | 'env'>,
): CheckResult {
  if (context.profile === null) return { status: 'skip', summary: 'no backend profile configured' };
  let path: string;
  try {
    path = profileSettingsPath(context.profile, context.env);
  } catch (error) {
    return {
      status: 'fail',
      summary: BatonError.isInstance(error) ? error.message : String(error),
      remediation: 'Use a backend profile name without slashes.',
    };
  }
  const setup = `Run \`baton setup claude-code\` to create it, or write it yourself (a Claude Code settings file).`;
  if (!existsSync(path)) {
    return {
      status: 'fail',
      summary: `${path} does not exist (claude -p stops with "Settings file not found")`,
      remediation: setup,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return {
      status: 'fail',
      summary: `${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}); claude -p would ignore it silently`,
      remediation: `Fix the JSON in ${path}.`,
    };
  }
  const problems = settingsProblems(value);
  if (problems.length > 0) {
    return {
      status: 'fail',
      summary: `${path}: ${problems.join('; ')}; claude -p ignores a settings file that fails validation`,
      remediation: `Fix ${path} (see the Claude Code settings documentation).`,
    };
  }
  const environment = (value as { env?: Record<string, string> }).env ?? {};
  const overridden = GATEWAY_VARIABLES.filter((name) => name in environment);
  if (context.settings.baseUrl && overridden.length > 0) {
    return {
      status: 'warn',
      summary: `${path} sets ${overridden.join(', ')} in "env", which overrides base_url from baton.toml`,
      remediation: `Remove ${overridden.join(', ')} from ${path}, or remove base_url.`,
    };
  }
  return { status: 'pass', summary: `${path} is a valid settings file (selected with --settings)` };
}

function settingsProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the file is not a JSON object'];
  const settings = value as Record<string, unknown>;
  const problems: string[] = [];
  if ('model' in settings && (typeof settings.model !== 'string' || settings.model === '')) {
    problems.push('"model" must be a non-empty string');
  }
  if ('env' in settings) {
    const env = settings.env;
    if (typeof env !== 'object' || env === null || Array.isArray(env))
      problems.push('"env" must be an object');
    else {
      for (const [name, entry] of Object.entries(env)) {
        if (typeof entry !== 'string') problems.push(`"env.${name}" must be a string`);
      }
    }
  }
  if ('permissions' in settings) {
    const permissions = settings.permissions;
    if (typeof permissions !== 'object' || permissions === null || Array.isArray(permissions)) {
      problems.push('"permissions" must be an object');
    }
  }
  return problems;
}

export const PROBE_PROMPT = 'Reply with the single word OK.';
const PROBE_TIMEOUT_MS = 45_000;

/**
 * One real `claude -p`, built by the adapter's own command builder (model, base_url, key,
 * profile as configured), in a throwaway directory, with no tools (fewer input tokens), no
 * saved session and no retries. Healthy only when the model really answered.
 */
async function probeCheck(identity: AdapterIdentity, context: DoctorContext): Promise<CheckResult> {
  const { path } = executableFor(identity, context);
  const directory = mkdtempSync(join(tmpdir(), 'baton-claude-probe-'));
  try {
    let command: ReturnType<typeof buildClaudeCodeCommand>;
    try {
      command = buildClaudeCodeCommand({
        stage: context.stages[0] ?? 'evaluate',
        prompt: PROBE_PROMPT,
        contract: '',
        cwd: directory,
        access: 'read-only',
        profile: context.profile,
        settings: { ...context.settings, binary: path! },
        scratchDir: directory,
        env: context.env,
      });
    } catch (error) {
      return { status: 'fail', summary: error instanceof Error ? error.message : String(error) };
    }
    const started = performance.now();
    const run = await runCommand(
      command.file,
      [...command.args, '--no-session-persistence', '--tools', ''],
      {
        // One attempt: the probe reports what the provider says, it does not ride it out.
        env: { ...context.env, ...command.env, CLAUDE_CODE_MAX_RETRIES: '0' },
        cwd: command.cwd,
        timeoutMs: PROBE_TIMEOUT_MS,
        signal: context.signal,
        input: command.stdin ?? '',
      },
    );
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (run.timedOut) {
      return {
        status: 'fail',
        summary: `\`claude -p\` did not finish within ${PROBE_TIMEOUT_MS / 1000}s`,
        remediation: 'Run `claude -p "hi"` by hand to see where it hangs.',
      };
    }
    if (run.spawnError !== null) {
      return {
        status: 'fail',
        summary: `cannot start ${command.file}: ${run.spawnError}`,
        remediation: INSTALL_HINT,
      };
    }
    const decoder = createClaudeCodeDecoder();
    for (const line of run.stdout.split('\n')) decoder.push(line);
    const outcome = decoder.finish({
      exitCode: run.exitCode,
      signal: null,
      stderrTail: run.stderr.slice(-4000),
      resultFiles: {},
    });
    if (outcome.status === 'succeeded') {
      const reply = (outcome.finalText ?? '').trim().slice(0, 80);
      return {
        status: 'pass',
        summary: `a real \`claude -p\` answered ${JSON.stringify(reply)} in ${seconds}s`,
      };
    }
    const error = outcome.error!;
    return {
      status: 'fail',
      summary: `${error.kind} error: ${error.message}`,
      remediation:
        error.failureClass === 'quota_exhausted'
          ? quotaRemediation(error.retryAfterMs)
          : probeRemediation(error.kind, context.settings),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** A plan limit, a spend cap or exhausted credit: waiting minutes does not help. */
function quotaRemediation(resetInMs: number | null): string {
  const reset =
    resetInMs === null ? '' : ` The limit resets in about ${Math.ceil(resetInMs / 60_000)} min.`;
  return `The account has reached its usage limit or is out of credit: check its plan, spend cap or credit balance.${reset}`;
}

function probeRemediation(kind: string, settings: RuntimeSettings): string {
  const target = settings.baseUrl ? anthropicRoot(settings.baseUrl) : 'the Anthropic API';
  switch (kind) {
    case 'auth':
      return settings.apiKeyEnv
        ? `Check the key in $${settings.apiKeyEnv} for ${target}.`
        : 'Run `claude auth login`, or check ANTHROPIC_API_KEY.';
    case 'network':
      return `Check that ${target} is reachable from this machine.`;
    case 'rate-limit':
      return `${target} is rate-limiting requests; wait, or check the account's limits.`;
    case 'server':
      return `${target} answered with a server error; retry later, or check the gateway's logs.`;
    case 'model':
      return `${target} refused the request; check the model name${settings.model ? ` (${settings.model})` : ''}.`;
    default:
      return 'Run `claude -p "hi" --output-format stream-json --verbose` by hand to see the error.';
  }
}
