/**
 * Doctor checks for OpenCode: the executable (and not the npm package's placeholder), its
 * version, the adapter settings, credentials for the provider it will use, the backend
 * profile's agent, and (on request) one real `opencode run`. OpenCode silently falls back
 * to its default agent when `--agent` names one it does not know, so the profile check asks
 * OpenCode itself (`opencode debug agent <name>`, exit 1 when missing).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type AdapterIdentity,
  BatonError,
  type CheckResult,
  type DoctorCheck,
  type DoctorContext,
  type ErrorKind,
  type RuntimeSettings,
  STAGES,
} from '@baton/core';
import {
  binaryCheck,
  type ExecutableHead,
  executableFor,
  readExecutableHead,
  runCommand,
  runProbe,
  versionCheck,
} from '@baton/core/doctor';
import { buildOpenCodeCommand, resolveModel } from './command.js';
import { createOpenCodeDecoder } from './decode.js';
import { nativeProfileName } from './profile.js';

export interface OpenCodeDoctorOptions {
  readonly identity: AdapterIdentity;
  /** Factory settings; the context's settings override them per key. */
  readonly defaults: RuntimeSettings;
}

export const INSTALL_HINT =
  'Install OpenCode: npm install -g opencode-ai@1.18.33 (if it is installed but its postinstall ' +
  'did not run: cd <node_modules>/opencode-ai && node postinstall.mjs).';

const PLACEHOLDER_MARKER = 'postinstall script was not run';
/** The npm placeholder is 479 bytes; a package manager's shell shim a few KiB. */
const SCRIPT_LIMIT = 64 * 1024;
/**
 * A probe answers in seconds, but OpenCode retries a failing provider (5xx, 429, network)
 * five times with back-off (2 s doubling to 30 s, about 75 s in all) before it reports the
 * error; the limit lets that report arrive, so the probe can name the failure.
 */
export const PROBE_TIMEOUT_MS = 100_000;
const COMMAND_TIMEOUT_MS = 20_000;

/**
 * The `opencode-ai` npm package ships `bin/opencode.exe` as a 479-byte shell script that
 * prints "Error: opencode-ai's postinstall script was not run." until its postinstall
 * links the native binary over it. A pnpm shell shim in front of it is followed to its
 * target (`# cmd-shim-target=` line); a symlink is already resolved by `readExecutableHead`.
 */
export function detectOpenCodePlaceholder(head: ExecutableHead): string | null {
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
    return (
      "opencode-ai's postinstall did not run, so the native binary was never put in place " +
      `(it only prints "Error: opencode-ai's postinstall script was not run."). Run it: cd ` +
      `${dirname(dirname(head.realPath))} && node postinstall.mjs; or reinstall without --ignore-scripts.`
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

export function createOpenCodeDoctorChecks(options: OpenCodeDoctorOptions): DoctorCheck[] {
  const { identity, defaults } = options;
  const merged = (context: DoctorContext): DoctorContext => ({
    ...context,
    settings: { ...defaults, ...context.settings },
  });
  const binary = binaryCheck({
    identity,
    installHint: INSTALL_HINT,
    detectPlaceholder: detectOpenCodePlaceholder,
  });
  const version = versionCheck({ identity });
  return [
    { ...binary, run: (context) => binary.run(merged(context)) },
    { ...version, run: (context) => version.run(merged(context)) },
    { id: 'settings', run: async (context) => settingsCheck(merged(context)) },
    {
      id: 'auth',
      dependsOn: ['binary', 'settings'],
      run: (context) => authCheck(identity, merged(context)),
    },
    {
      id: 'profile',
      dependsOn: ['binary'],
      run: (context) => profileCheck(identity, merged(context)),
    },
    {
      id: 'probe',
      dependsOn: ['version', 'settings', 'auth'],
      probe: true,
      timeoutMs: PROBE_TIMEOUT_MS + 10_000,
      run: (context) => probeCheck(identity, merged(context)),
    },
  ];
}

/** The settings the command builder would refuse, found before any run starts. */
export function settingsCheck(
  context: Pick<DoctorContext, 'settings' | 'profile' | 'stages' | 'env'>,
): CheckResult {
  const { settings } = context;
  try {
    buildOpenCodeCommand({
      stage: context.stages[0] ?? STAGES[0],
      prompt: '',
      contract: '',
      cwd: '/',
      access: 'read-only',
      profile: context.profile,
      settings,
      scratchDir: '/',
      env: context.env,
    });
  } catch (error) {
    return {
      status: 'fail',
      summary: BatonError.isInstance(error) ? error.message : String(error),
      remediation: 'Fix [runtimes.opencode] in baton.toml.',
    };
  }
  const model = resolveModel(
    {
      stage: 'execute',
      prompt: '',
      contract: '',
      cwd: '/',
      access: 'read-only',
      profile: null,
      settings,
      scratchDir: '/',
      env: {},
    },
    settings,
  );
  const where = settings.baseUrl ? `, sent to ${settings.baseUrl} (Chat Completions)` : '';
  if (settings.apiKeyEnv && !settings.baseUrl && model === null) {
    return {
      status: 'warn',
      summary:
        'api_key_env is set, but without base_url or a provider/model OpenCode is not told where the key goes',
      remediation:
        'Set model = "<provider>/<model>" or base_url in [runtimes.opencode], or remove api_key_env.',
    };
  }
  return {
    status: 'pass',
    summary:
      model === null
        ? "model: chosen by OpenCode's config (no model in [runtimes.opencode])"
        : `model: ${model}${where}`,
  };
}

interface AuthListing {
  /** Providers with stored credentials (`Anthropic api`), from OpenCode's auth.json. */
  readonly credentials: readonly string[];
  /** Providers with a key in the environment (`Anthropic ANTHROPIC_API_KEY`). */
  readonly environment: readonly string[];
}

/**
 * Reads `opencode auth list` (alias of `providers list`): a "Credentials" section with one
 * `●  <Provider> <type>` line per stored credential, and an "Environment" section with one
 * `●  <Provider> <VARIABLE>` line per provider key found in the environment.
 */
export function parseAuthList(output: string): AuthListing | null {
  const text = output.replace(/\u001b\[[0-9;]*m/g, '');
  if (!/Credentials/.test(text)) return null;
  const credentials: string[] = [];
  const environment: string[] = [];
  let section: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^┌\s*Credentials/.test(line)) section = credentials;
    else if (/^┌\s*Environment/.test(line)) section = environment;
    else if (line.startsWith('●') && section !== null)
      section.push(line.slice(1).trim().replace(/\s+/g, ' '));
    else if (line.startsWith('└')) section = null;
  }
  return { credentials, environment };
}

/** `Amazon Bedrock` and `amazon-bedrock` are the same provider. */
function sameProvider(listed: string, providerId: string): boolean {
  const name = listed.split(' ').slice(0, -1).join(' ') || listed;
  const squash = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
  return squash(name) === squash(providerId) || squash(listed).startsWith(squash(providerId));
}

export async function authCheck(
  identity: AdapterIdentity,
  context: DoctorContext,
): Promise<CheckResult> {
  const { settings, env } = context;
  const keyName = settings.apiKeyEnv?.trim() || undefined;
  const baseUrl = settings.baseUrl?.trim() || undefined;
  if (keyName !== undefined) {
    const target = baseUrl ?? `provider "${providerOf(settings.model) ?? '?'}"`;
    if ((env[keyName] ?? '') === '') {
      return {
        status: 'fail',
        summary: `$${keyName} (api_key_env) is not set`,
        remediation: `export ${keyName}=<key for ${target}>`,
      };
    }
    return {
      status: 'pass',
      summary: `key from $${keyName}, referenced as {env:${keyName}} in the provider options for ${target}`,
    };
  }
  if (baseUrl !== undefined) {
    const local = isLoopback(baseUrl);
    return {
      status: local ? 'pass' : 'warn',
      summary: `no api_key_env: requests to ${baseUrl} carry no key${local ? ' (a local gateway)' : ''}`,
      ...(local
        ? {}
        : {
            remediation:
              'Set [runtimes.opencode] api_key_env to the variable holding the gateway key.',
          }),
    };
  }
  const { path } = executableFor(identity, context);
  const run = await runCommand(path!, ['auth', 'list'], {
    env,
    cwd: context.cwd,
    timeoutMs: COMMAND_TIMEOUT_MS,
    signal: context.signal,
  });
  const listing =
    run.timedOut || run.exitCode !== 0 ? null : parseAuthList(run.stdout + run.stderr);
  if (listing === null) {
    return {
      status: 'warn',
      summary: `\`opencode auth list\` gave no answer Baton can read (${run.timedOut ? 'timed out' : `exit ${run.exitCode}`})`,
      remediation: 'Run `opencode auth list` by hand.',
    };
  }
  const found = [
    ...listing.credentials.map((entry) => `${entry} (auth.json)`),
    ...listing.environment.map((entry) => `${entry} (environment)`),
  ];
  const provider = providerOf(settings.model);
  if (provider !== null) {
    const match = [...listing.credentials, ...listing.environment].find((entry) =>
      sameProvider(entry, provider),
    );
    return match !== undefined
      ? { status: 'pass', summary: `credentials for ${provider}: ${match} (opencode auth list)` }
      : {
          status: 'warn',
          summary: `\`opencode auth list\` shows no credentials for ${provider}${found.length > 0 ? ` (only: ${found.join(', ')})` : ''}; a key in opencode.json would not be listed`,
          remediation: `Run \`opencode auth login\` for ${provider}, export its API key, or set api_key_env.`,
        };
  }
  return found.length > 0
    ? { status: 'pass', summary: `credentials: ${found.join(', ')} (opencode auth list)` }
    : {
        status: 'warn',
        summary: '`opencode auth list` shows no credentials and no provider key in the environment',
        remediation:
          'Run `opencode auth login`, export a provider key (e.g. ANTHROPIC_API_KEY), or set base_url and api_key_env in [runtimes.opencode].',
      };
}

/** With a backend profile, OpenCode itself must know the agent `baton-<profile>`. */
export async function profileCheck(
  identity: AdapterIdentity,
  context: DoctorContext,
): Promise<CheckResult> {
  if (context.profile === null) return { status: 'skip', summary: 'no backend profile configured' };
  const agent = nativeProfileName(context.profile);
  const { path } = executableFor(identity, context);
  const run = await runCommand(path!, ['debug', 'agent', agent], {
    env: context.env,
    cwd: context.cwd,
    timeoutMs: COMMAND_TIMEOUT_MS,
    signal: context.signal,
  });
  if (run.timedOut) {
    return { status: 'fail', summary: `\`opencode debug agent ${agent}\` did not answer in time` };
  }
  if (run.exitCode !== 0) {
    const said = firstLine(`${run.stderr}\n${run.stdout}`);
    return {
      status: 'fail',
      summary:
        `OpenCode has no agent "${agent}"${said !== '' ? ` (${said})` : ''}; \`--agent ${agent}\` ` +
        'would silently fall back to the default agent',
      remediation: `Run \`baton setup opencode\`, or define agent "${agent}" in opencode.json or agents/${agent}.md.`,
    };
  }
  const details = agentDetails(run.stdout);
  const parts = [
    details.model !== null ? `model ${details.model}` : 'no model of its own',
    details.mode !== null
      ? `mode ${details.mode}${details.mode === 'subagent' ? ' (Baton runs it as a primary agent)' : ''}`
      : null,
  ].filter((part) => part !== null);
  return { status: 'pass', summary: `agent "${agent}" found (${parts.join(', ')})` };
}

/** Fields of `opencode debug agent <name>` (JSON) that doctor shows. */
export function agentDetails(output: string): { model: string | null; mode: string | null } {
  try {
    const value = JSON.parse(output) as {
      model?: { providerID?: unknown; modelID?: unknown };
      mode?: unknown;
    };
    const model =
      typeof value.model?.providerID === 'string' && typeof value.model.modelID === 'string'
        ? `${value.model.providerID}/${value.model.modelID}`
        : null;
    return { model, mode: typeof value.mode === 'string' ? value.mode : null };
  } catch {
    return { model: null, mode: null };
  }
}

async function probeCheck(identity: AdapterIdentity, context: DoctorContext): Promise<CheckResult> {
  const baseUrl = context.settings.baseUrl?.trim();
  if (baseUrl) {
    // Fail in a second on a dead gateway instead of after OpenCode's minute of retries.
    const unreachable = await reachability(baseUrl, context.signal);
    if (unreachable !== null) {
      return {
        status: 'fail',
        summary: `network error: ${baseUrl} is unreachable (${unreachable})`,
        remediation: probeRemediation('network', context),
      };
    }
  }
  // The resolved path: the probe runs in a temporary directory, where a relative one breaks.
  const { path } = executableFor(identity, context);
  return runProbe({
    context: { ...context, settings: { ...context.settings, binary: path ?? undefined } },
    buildCommand: (request) => buildOpenCodeCommand(request),
    createDecoder: () => createOpenCodeDecoder(),
    label: 'opencode run',
    timeoutMs: PROBE_TIMEOUT_MS,
    remediation: (kind) => probeRemediation(kind, context),
  });
}

/** `null` when something answers HTTP at the URL, else why not. */
async function reachability(url: string, signal: AbortSignal): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: 'GET',
      signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
    });
    await response.body?.cancel();
    return null;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return (
      cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
    );
  }
}

function probeRemediation(kind: ErrorKind, context: DoctorContext): string {
  const target = context.settings.baseUrl ?? "the provider OpenCode's config selects";
  switch (kind) {
    case 'auth':
      return context.settings.apiKeyEnv
        ? `Check the key in $${context.settings.apiKeyEnv} for ${target}.`
        : 'Run `opencode auth login`, or export the provider key.';
    case 'network':
      return `Check that ${target} is reachable from this machine.`;
    case 'rate-limit':
      return `${target} is rate-limiting requests; wait, or check the account's limits.`;
    case 'server':
      return `${target} answered with a server error; retry later.`;
    case 'model':
      return `${target} refused the request: check the model${context.settings.model ? ` (${context.settings.model})` : ''}.`;
    case 'timeout':
      return `No answer within ${PROBE_TIMEOUT_MS / 1000}s: check that ${target} is up; OpenCode retries a failing provider for about 75 s before it reports.`;
    default:
      return 'Run `echo hi | opencode run --format json` by hand to see the error.';
  }
}

function providerOf(model: string | undefined): string | null {
  const trimmed = model?.trim() ?? '';
  const slash = trimmed.indexOf('/');
  return slash > 0 ? trimmed.slice(0, slash) : null;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}
