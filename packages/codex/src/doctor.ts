import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  AdapterIdentity,
  CheckResult,
  DoctorCheck,
  DoctorContext,
  RuntimeSettings,
  StageRequest,
} from '@baton/core';
import {
  binaryCheck,
  type ExecutableHead,
  executableFor,
  runCommand,
  versionCheck,
} from '@baton/core/doctor';
import { buildCodexCommand } from './command.js';
import { createCodexDecoder } from './decode.js';
import {
  codexHome,
  findLegacyProfileEntries,
  nativeProfileName,
  profileFilePath,
  profileNameProblem,
} from './profile.js';

export const INSTALL_HINT = 'Install Codex CLI: npm install -g @openai/codex@0.169.0';

/** The platform package the npm shim needs, as `bin/codex.js` of @openai/codex 0.169 maps it. */
const PLATFORM_PACKAGES: Readonly<Record<string, { triple: string; packageName: string }>> = {
  'linux-x64': { triple: 'x86_64-unknown-linux-musl', packageName: '@openai/codex-linux-x64' },
  'linux-arm64': { triple: 'aarch64-unknown-linux-musl', packageName: '@openai/codex-linux-arm64' },
  'darwin-x64': { triple: 'x86_64-apple-darwin', packageName: '@openai/codex-darwin-x64' },
  'darwin-arm64': { triple: 'aarch64-apple-darwin', packageName: '@openai/codex-darwin-arm64' },
  'win32-x64': { triple: 'x86_64-pc-windows-msvc', packageName: '@openai/codex-win32-x64' },
  'win32-arm64': { triple: 'aarch64-pc-windows-msvc', packageName: '@openai/codex-win32-arm64' },
};

/**
 * The npm package installs a Node shim (`bin/codex.js`) that runs the native binary from an
 * optional platform package. When npm skipped that package the shim only prints `Missing
 * optional dependency …`; this finds that case before anything is launched, by resolving
 * the binary the way the shim does.
 */
export interface PlatformOptions {
  readonly platform?: string;
  readonly arch?: string;
  /** Resolves `<package>/package.json` as seen from a file; default: Node's own resolution. */
  readonly resolvePackageJson?: (specifier: string, from: string) => string;
}

export function detectMissingPlatformPackage(
  executable: ExecutableHead,
  options: PlatformOptions = {},
): string | null {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const resolvePackageJson =
    options.resolvePackageJson ??
    ((specifier: string, from: string) => createRequire(from).resolve(specifier));
  if (executable.isElf) return null;
  const head = executable.head.toString('utf8');
  if (!head.startsWith('#!') || !head.includes('@openai/codex-')) return null;
  const target = PLATFORM_PACKAGES[`${platform === 'android' ? 'linux' : platform}-${arch}`];
  if (target === undefined) return `Codex has no native binary for ${platform}-${arch}`;
  const binaryName = platform === 'win32' ? 'codex.exe' : 'codex';
  const candidates: string[] = [];
  try {
    const packageJson = resolvePackageJson(
      `${target.packageName}/package.json`,
      executable.realPath,
    );
    candidates.push(join(dirname(packageJson), 'vendor', target.triple, 'bin', binaryName));
  } catch {
    // Not resolvable: the shim falls back to its own vendor directory.
  }
  candidates.push(
    join(dirname(executable.realPath), '..', 'vendor', target.triple, 'bin', binaryName),
  );
  if (candidates.some((candidate) => existsSync(candidate))) return null;
  return `the npm shim cannot find its native binary: optional dependency ${target.packageName} is missing (npm skipped it)`;
}

/** `codex-cli 0.169.0` → `0.169.0`; anything else is not Codex CLI. */
export function parseCodexVersion(output: string): string | undefined {
  return /\bcodex-cli\s+v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(output)?.[1];
}

export interface CodexDoctorOptions {
  readonly identity: AdapterIdentity;
  /** Settings from the adapter factory; `[runtimes.codex]` overrides them. */
  readonly defaults?: RuntimeSettings;
  /** Wall-clock limit of the probe's `codex exec`, in milliseconds. */
  readonly probeTimeoutMs?: number;
}

const LOGIN_STATUS_TIMEOUT_MS = 10_000;
const PROFILE_LOAD_TIMEOUT_MS = 10_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 45_000;
export const PROBE_PROMPT = 'Reply with the single word OK. Do not run any command.';

export function createCodexDoctorChecks(options: CodexDoctorOptions): DoctorCheck[] {
  const { identity } = options;
  const settingsOf = (context: DoctorContext): RuntimeSettings => ({
    ...options.defaults,
    ...context.settings,
  });
  const withSettings = (context: DoctorContext): DoctorContext => ({
    ...context,
    settings: settingsOf(context),
  });

  const binary = binaryCheck({
    identity,
    installHint: INSTALL_HINT,
    detectPlaceholder: (head) => detectMissingPlatformPackage(head),
  });
  const version = versionCheck({ identity, args: ['--version'], parse: parseCodexVersion });

  return [
    { ...binary, run: (context) => binary.run(withSettings(context)) },
    { ...version, run: (context) => version.run(withSettings(context)) },
    {
      id: 'auth',
      dependsOn: ['binary'],
      run: (context) => authCheck(identity, withSettings(context)),
    },
    {
      id: 'profile',
      dependsOn: ['binary'],
      run: (context) => profileCheck(identity, withSettings(context)),
    },
    {
      id: 'probe',
      probe: true,
      dependsOn: ['binary', 'auth'],
      timeoutMs: (options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) + 5_000,
      run: (context) =>
        probeCheck(
          identity,
          withSettings(context),
          options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
        ),
    },
  ];
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/**
 * With `base_url`, requests go to Baton's own provider, which reads only the variable
 * `api_key_env` names. Without it Codex uses its login (`codex login status`) or, in exec,
 * the `CODEX_API_KEY` variable; `OPENAI_API_KEY` is not sent by `codex exec` 0.169.
 */
async function authCheck(identity: AdapterIdentity, context: DoctorContext): Promise<CheckResult> {
  const { settings, env } = context;
  if (isSet(settings.baseUrl)) {
    if (!isSet(settings.apiKeyEnv)) {
      return {
        status: 'pass',
        summary: `base_url ${settings.baseUrl} without api_key_env: requests carry no key`,
      };
    }
    const name = settings.apiKeyEnv!;
    if (isSet(env[name])) return { status: 'pass', summary: `key for base_url from $${name}` };
    return {
      status: 'fail',
      summary: `$${name} (api_key_env for base_url) is not set`,
      remediation: `export ${name}=<key for ${settings.baseUrl}>`,
    };
  }
  const { path } = executableFor(identity, context);
  const result = await runCommand(path!, ['login', 'status'], {
    env,
    cwd: context.cwd,
    timeoutMs: LOGIN_STATUS_TIMEOUT_MS,
    signal: context.signal,
  });
  if (result.exitCode === 0) {
    // The output shows part of a stored key; it is never repeated here.
    const output = `${result.stdout}\n${result.stderr}`;
    const how = /chatgpt/i.test(output)
      ? 'with ChatGPT'
      : /api key/i.test(output)
        ? 'with a stored API key'
        : '';
    return {
      status: 'pass',
      summary: `logged in${how === '' ? '' : ` ${how}`} (codex login status, in ${codexHome(env)})`,
    };
  }
  if (isSet(env.CODEX_API_KEY))
    return { status: 'pass', summary: 'not logged in; key from $CODEX_API_KEY' };
  return {
    status: 'fail',
    summary: result.timedOut
      ? '`codex login status` did not answer in time, and $CODEX_API_KEY is not set'
      : `not logged in (codex login status, in ${codexHome(env)}) and $CODEX_API_KEY is not set`,
    remediation:
      'Run `codex login`, or export CODEX_API_KEY=<OpenAI API key> (codex exec does not read OPENAI_API_KEY).',
  };
}

/**
 * With a backend profile: its file exists (a missing one is silently ignored by Codex),
 * `config.toml` has no legacy profile selector or table for it, and Codex itself loads the
 * layered config (`codex --profile NAME mcp list --json`, offline). Without one: only the
 * top-level `profile = …` selector, which breaks every Codex ≥ 0.134 run.
 */
async function profileCheck(
  identity: AdapterIdentity,
  context: DoctorContext,
): Promise<CheckResult> {
  const { env } = context;
  const home = codexHome(env);
  const configPath = join(home, 'config.toml');
  const configText = readIfFile(configPath);
  if (context.profile === null) {
    const selector = configText === null ? [] : findLegacyProfileEntries(configText, null);
    if (selector.length > 0) {
      return {
        status: 'fail',
        summary: `${configPath}:${selector[0]!.line} has \`${selector[0]!.text}\`, which Codex ≥ 0.134 refuses on every run`,
        remediation: `Delete that line; to use a profile, set backend_profile in baton.toml and run \`baton setup codex\`.`,
      };
    }
    return { status: 'skip', summary: 'no backend profile configured' };
  }
  const name = nativeProfileName(context.profile);
  const nameProblem = profileNameProblem(name);
  if (nameProblem !== null) {
    return {
      status: 'fail',
      summary: nameProblem,
      remediation: 'Choose a backend_profile of letters, digits, "-" and "_" in baton.toml.',
    };
  }
  const file = profileFilePath(context.profile, env);
  if (!isFile(file)) {
    return {
      status: 'fail',
      summary: `profile ${name} has no ${file}; Codex would silently run with the base config`,
      remediation: `Run \`baton setup codex\`, or create ${file} (top-level keys, e.g. model = "…").`,
    };
  }
  const legacy = configText === null ? [] : findLegacyProfileEntries(configText, name);
  if (legacy.length > 0) {
    const first = legacy[0]!;
    return {
      status: 'fail',
      summary: `${configPath}:${first.line} has legacy \`${first.text}\`; Codex ≥ 0.134 refuses --profile ${name} while it is there`,
      remediation: `Move the settings under [profiles.${name}] into ${file} as top-level keys and delete the legacy ${first.reason === 'selector' ? 'profile selector' : 'table'} from ${configPath}.`,
    };
  }
  const { path } = executableFor(identity, context);
  const result = await runCommand(path!, ['--profile', name, 'mcp', 'list', '--json'], {
    env,
    cwd: context.cwd,
    timeoutMs: PROFILE_LOAD_TIMEOUT_MS,
    signal: context.signal,
  });
  if (result.exitCode !== 0) {
    return {
      status: 'fail',
      summary: `Codex cannot load its config with --profile ${name}: ${configError(result.stderr || result.stdout) || `exit ${result.exitCode ?? 'by signal'}`}`,
      remediation: `Fix ${file} or ${configPath}; check with \`codex --profile ${name} mcp list\`.`,
    };
  }
  return { status: 'pass', summary: `${file} loads (codex --profile ${name})` };
}

/** One tiny `codex exec`, decoded like a stage: healthy only when the model really answered. */
async function probeCheck(
  identity: AdapterIdentity,
  context: DoctorContext,
  timeoutMs: number,
): Promise<CheckResult> {
  const { path } = executableFor(identity, context);
  const request: StageRequest = {
    stage: context.stages[0] ?? 'interview',
    prompt: PROBE_PROMPT,
    contract: '',
    cwd: context.cwd,
    access: 'read-only',
    profile: context.profile,
    settings: { ...context.settings, binary: path! },
    scratchDir: tmpdir(),
    env: context.env,
  };
  const command = buildCodexCommand(request, {}, { ephemeral: true });
  const started = performance.now();
  const result = await runCommand(command.file, command.args, {
    env: { ...context.env, ...command.env },
    cwd: command.cwd,
    timeoutMs,
    signal: context.signal,
    input: command.stdin ?? '',
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (result.timedOut) {
    return {
      status: 'fail',
      summary: `codex exec gave no answer within ${Math.round(timeoutMs / 1000)}s`,
      remediation: 'Check that the model provider is reachable (base_url, network, proxy).',
    };
  }
  const decoder = createCodexDecoder(request);
  for (const line of result.stdout.split('\n')) decoder.push(line);
  const outcome = decoder.finish({
    exitCode: result.exitCode,
    signal: null,
    stderrTail: result.stderr.slice(-4000),
    resultFiles: {},
  });
  if (
    outcome.status === 'succeeded' &&
    outcome.finalText !== null &&
    outcome.finalText.trim() !== ''
  ) {
    return { status: 'pass', summary: `codex exec answered in ${seconds}s` };
  }
  if (outcome.status === 'succeeded') {
    return {
      status: 'fail',
      summary: 'codex exec finished without an answer',
      remediation: 'Run `codex exec "say OK"` by hand to see what happens.',
    };
  }
  const error = outcome.error!;
  const remediation: Record<string, string> = {
    auth: isSet(context.settings.baseUrl)
      ? `Check the key in $${context.settings.apiKeyEnv ?? '<api_key_env>'} for ${context.settings.baseUrl}.`
      : 'Run `codex login`, or export CODEX_API_KEY.',
    network: 'Check that the model provider is reachable (base_url, network, proxy).',
    'rate-limit': 'Wait, or check the plan and quota of the account.',
    server: 'The provider failed; try again later.',
    model: 'Check the model name ([runtimes.codex] model) and that the provider serves it.',
  };
  return {
    status: 'fail',
    summary: `${error.kind === 'unknown' ? 'codex exec failed' : `${error.kind} error`}: ${error.message}`,
    remediation:
      remediation[error.kind] ?? 'Run the same request by hand: codex exec --json "say OK".',
  };
}

function readIfFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Codex's config error without banners and backtraces (`Error: failed to load configuration Caused by: …`). */
function configError(output: string): string {
  return output
    .split(/\r?\n/)
    .filter(
      (line) =>
        line.trim() !== '' &&
        !line.startsWith('WARNING: proceeding') &&
        !/^\s*\d+: <unknown>$/.test(line) &&
        line.trim() !== 'Stack backtrace:',
    )
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}
