import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type {
  AdapterIdentity,
  CheckResult,
  DoctorCheck,
  DoctorContext,
  Environment,
  RuntimeSettings,
  StageRequest,
} from '@baton/core';
import { binaryCheck, executableFor, runCommand, versionCheck } from '@baton/core/doctor';
import { buildGeminiCommand } from './command.js';
import { createGeminiDecoder } from './decode.js';
import {
  extensionManifestPath,
  geminiDirectory,
  nativeProfileName,
  profileNameProblem,
} from './profile.js';

export const INSTALL_HINT = 'Install Gemini CLI: npm install -g @google/gemini-cli@0.56.0';
export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;
export const PROBE_PROMPT = 'Reply with the single word OK. Do not use any tool.';

export interface GeminiDoctorOptions {
  readonly identity: AdapterIdentity;
  /** Settings from the adapter factory; `[runtimes.gemini]` overrides them. */
  readonly defaults?: RuntimeSettings;
  /** Wall-clock limit of the probe's run, in milliseconds. */
  readonly probeTimeoutMs?: number;
}

/**
 * Cheap checks (binary, version, auth, profile) read files and environment variables or
 * ask `gemini --version`; only the probe talks to the model.
 */
export function createGeminiDoctorChecks(options: GeminiDoctorOptions): DoctorCheck[] {
  const { identity } = options;
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const withSettings = (context: DoctorContext): DoctorContext => ({
    ...context,
    settings: { ...options.defaults, ...context.settings },
  });
  const binary = binaryCheck({ identity, installHint: INSTALL_HINT });
  // `gemini --version` prints the bare version (`0.56.0`); the default parser reads it.
  const version = versionCheck({ identity });
  return [
    { ...binary, run: (context) => binary.run(withSettings(context)) },
    { ...version, run: (context) => version.run(withSettings(context)) },
    { id: 'auth', run: async (context) => authCheck(withSettings(context)) },
    { id: 'profile', run: async (context) => profileCheck(withSettings(context)) },
    {
      id: 'probe',
      probe: true,
      dependsOn: ['binary', 'auth'],
      timeoutMs: probeTimeoutMs + 5_000,
      run: (context) => probeCheck(identity, withSettings(context), probeTimeoutMs),
    },
  ];
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/** Hosts Gemini CLI lets `GOOGLE_GEMINI_BASE_URL` use over plain HTTP. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Which credentials headless Gemini CLI will find, in its own order: `base_url` (Baton's
 * gateway variables), `GOOGLE_GENAI_USE_VERTEXAI`, `GEMINI_API_KEY`, a cached Google
 * sign-in, then the `.env` files it loads.
 */
export function authCheck(context: Pick<DoctorContext, 'settings' | 'env' | 'cwd'>): CheckResult {
  const { settings, env } = context;
  if (isSet(settings.baseUrl)) {
    const url = parseUrl(settings.baseUrl!);
    if (url === null) {
      return {
        status: 'fail',
        summary: `base_url ${settings.baseUrl} is not a URL`,
        remediation: 'Fix [runtimes.gemini] base_url in baton.toml.',
      };
    }
    if (url.protocol !== 'https:' && !LOCAL_HOSTS.has(url.hostname)) {
      return {
        status: 'fail',
        summary: `base_url ${settings.baseUrl} is plain HTTP to a remote host, which Gemini CLI refuses`,
        remediation: 'Use an https:// URL, or a gateway on localhost.',
      };
    }
    if (!isSet(settings.apiKeyEnv))
      return { status: 'pass', summary: `base_url ${settings.baseUrl} without api_key_env` };
    const name = settings.apiKeyEnv!;
    if (isSet(env[name])) return { status: 'pass', summary: `key for base_url from $${name}` };
    return {
      status: 'fail',
      summary: `$${name} (api_key_env for base_url) is not set`,
      remediation: `export ${name}=<key for ${settings.baseUrl}>`,
    };
  }
  if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') {
    if (isSet(env.GOOGLE_API_KEY))
      return { status: 'pass', summary: 'Vertex AI with $GOOGLE_API_KEY' };
    if (isSet(env.GOOGLE_CLOUD_PROJECT) && isSet(env.GOOGLE_CLOUD_LOCATION))
      return {
        status: 'pass',
        summary: `Vertex AI in project ${env.GOOGLE_CLOUD_PROJECT} (${env.GOOGLE_CLOUD_LOCATION})`,
      };
    return {
      status: 'fail',
      summary:
        'GOOGLE_GENAI_USE_VERTEXAI=true, but neither $GOOGLE_API_KEY nor $GOOGLE_CLOUD_PROJECT with $GOOGLE_CLOUD_LOCATION is set',
      remediation: 'export GOOGLE_CLOUD_PROJECT=<project> GOOGLE_CLOUD_LOCATION=<region>',
    };
  }
  if (isSet(env.GEMINI_API_KEY))
    return { status: 'pass', summary: 'Gemini API key from $GEMINI_API_KEY' };
  const credentials = join(geminiDirectory(env), 'oauth_creds.json');
  if (isFile(credentials))
    return { status: 'pass', summary: `cached Google sign-in (${credentials})` };
  const dotEnv = envFileWithKey(context.cwd, env);
  if (dotEnv !== null) return { status: 'pass', summary: `GEMINI_API_KEY in ${dotEnv}` };
  return {
    status: 'fail',
    summary: `no credentials: $GEMINI_API_KEY is not set and ${credentials} does not exist`,
    remediation:
      'export GEMINI_API_KEY=<key from Google AI Studio>, or run `gemini` once and sign in with Google.',
  };
}

/**
 * The one `.env` file Gemini CLI loads: walking up from the working directory, the first
 * `.gemini/.env` or `.env`; past the root, `.gemini/.env` then `.env` in its home
 * directory. Returns that file when it sets `GEMINI_API_KEY`. (In an untrusted folder
 * Gemini CLI skips the `.gemini/.env` files; that case is not modelled here.)
 */
export function envFileWithKey(cwd: string, env: Environment): string | null {
  const home = dirname(geminiDirectory(env));
  let directory = resolve(cwd);
  let found: string | null = null;
  while (found === null) {
    found = firstFile([join(directory, '.gemini', '.env'), join(directory, '.env')]);
    const parent = dirname(directory);
    if (found !== null || parent === directory) break;
    directory = parent;
  }
  found ??= firstFile([join(home, '.gemini', '.env'), join(home, '.env')]);
  if (found === null) return null;
  const text = readIfFile(found) ?? '';
  return /^\s*(?:export\s+)?GEMINI_API_KEY\s*=\s*\S/m.test(text) ? found : null;
}

function firstFile(paths: readonly string[]): string | null {
  return paths.find((path) => isFile(path)) ?? null;
}

/**
 * With a backend profile, its extension must exist and name itself `baton-<profile>`:
 * `gemini --extensions <name>` with no such extension only prints an error on stderr and
 * runs without it.
 */
export function profileCheck(context: Pick<DoctorContext, 'profile' | 'env'>): CheckResult {
  if (context.profile === null) return { status: 'skip', summary: 'no backend profile configured' };
  const name = nativeProfileName(context.profile);
  const problem = profileNameProblem(name);
  if (problem !== null) {
    return {
      status: 'fail',
      summary: problem,
      remediation: 'Choose a backend_profile of letters, digits and "-" in baton.toml.',
    };
  }
  const path = extensionManifestPath(context.profile, context.env);
  const text = readIfFile(path);
  if (text === null) {
    return {
      status: 'fail',
      summary: `profile ${name} has no ${path}; Gemini CLI would run without it`,
      remediation: 'Run `baton setup gemini`.',
    };
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    return {
      status: 'fail',
      summary: `${path} is not valid JSON: ${(error as Error).message}`,
      remediation: `Fix ${path}; Gemini CLI reads it with a strict JSON parser.`,
    };
  }
  const fields = (manifest ?? {}) as { name?: unknown; version?: unknown };
  if (typeof fields.name !== 'string' || fields.name.toLowerCase() !== name.toLowerCase()) {
    return {
      status: 'fail',
      summary: `${path} names the extension ${JSON.stringify(fields.name ?? null)}, not "${name}"`,
      remediation: `Set "name": "${name}" in ${path}.`,
    };
  }
  if (typeof fields.version !== 'string' || fields.version === '') {
    return {
      status: 'fail',
      summary: `${path} has no "version", without which Gemini CLI does not load the extension`,
      remediation: `Add "version": "1.0.0" to ${path}.`,
    };
  }
  return { status: 'pass', summary: `extension ${name} (${path})` };
}

/** One tiny headless run, decoded like a stage: healthy only when the model really answered. */
async function probeCheck(
  identity: AdapterIdentity,
  context: DoctorContext,
  timeoutMs: number,
): Promise<CheckResult> {
  const { path } = executableFor(identity, context);
  const request: StageRequest = {
    stage: context.stages[0] ?? 'interview',
    prompt: PROBE_PROMPT,
    // No contract, so no system prompt file: the probe writes nothing.
    contract: '',
    cwd: context.cwd,
    access: 'read-only',
    profile: context.profile,
    settings: { ...context.settings, binary: path! },
    scratchDir: tmpdir(),
    env: context.env,
  };
  const command = buildGeminiCommand(request);
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
      summary: `gemini gave no answer within ${Math.round(timeoutMs / 1000)}s`,
      remediation: 'Check that the model API is reachable (network, proxy, base_url).',
    };
  }
  const decoder = createGeminiDecoder();
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
  )
    return { status: 'pass', summary: `gemini answered in ${seconds}s` };
  if (outcome.status === 'succeeded') {
    return {
      status: 'fail',
      summary: 'gemini finished without an answer',
      remediation: 'Run `gemini -p "say OK"` by hand to see what happens.',
    };
  }
  const error = outcome.error!;
  const remediation: Partial<Record<string, string>> = {
    auth: 'export GEMINI_API_KEY, or run `gemini` once and sign in with Google.',
    network: 'Check that the model API is reachable (network, proxy, base_url).',
    'rate-limit': 'Wait, or check the quota of the account or key.',
    server: 'The API failed; try again later.',
    model: 'Check the model name ([runtimes.gemini] model).',
  };
  return {
    status: 'fail',
    summary: `${error.kind === 'unknown' ? 'gemini failed' : `${error.kind} error`}: ${error.message}`,
    remediation:
      remediation[error.kind] ??
      'Run the same request by hand: gemini --output-format stream-json -p "say OK".',
  };
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
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
