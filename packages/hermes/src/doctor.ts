import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AdapterIdentity,
  CheckResult,
  DoctorCheck,
  DoctorContext,
  Environment,
  RuntimeSettings,
} from '@baton/core';
import {
  binaryCheck,
  executableFor,
  parseVersion,
  runCommand,
  versionCheck,
} from '@baton/core/doctor';
import { buildHermesCommand, USAGE_FILE, USAGE_FILE_NAME } from './command.js';
import { createHermesDecoder } from './decode.js';
import { hermesHome, nativeProfileName, profileDirectory } from './profile.js';

export const INSTALL_HINT =
  'Install Hermes Agent (`pipx install hermes-agent`, or the installer script in the NousResearch/hermes-agent repository) and make sure `hermes` is on PATH.';

/** `hermes --version` prints `Hermes Agent v0.21.3 (<release date>)` first; the date must not win. */
export function parseHermesVersion(output: string): string | undefined {
  const match = /Hermes Agent v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/i.exec(output);
  return match ? match[1] : parseVersion(output);
}

/**
 * API-key variables Hermes reads for its built-in providers (its environment-variable
 * reference). Presence is all doctor checks; a value is never printed.
 */
export const PROVIDER_KEY_VARIABLES = [
  'OPENROUTER_API_KEY',
  'NOUS_API_KEY',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'GOOGLE_API_KEY',
  'GEMINI_API_KEY',
  'DEEPSEEK_API_KEY',
  'XAI_API_KEY',
  'HF_TOKEN',
  'KIMI_API_KEY',
  'GLM_API_KEY',
  'ZAI_API_KEY',
  'MINIMAX_API_KEY',
  'DASHSCOPE_API_KEY',
  'NVIDIA_API_KEY',
  'AI_GATEWAY_API_KEY',
  'FIREWORKS_API_KEY',
  'DEEPINFRA_API_KEY',
  'NOVITA_API_KEY',
  'OLLAMA_API_KEY',
  'COPILOT_GITHUB_TOKEN',
  'LM_API_KEY',
] as const;

/** Names of non-empty secret-looking entries in a Hermes `.env` file (never their values). */
export function credentialNamesInDotEnv(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2]!.replace(/^(['"])(.*)\1$/, '$2').trim();
    if (value !== '' && /(?:_API_KEY|_TOKEN|_KEY)$/.test(match[1]!)) names.push(match[1]!);
  }
  return names;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Where Hermes would find credentials for this run: env, the home's `.env`, `auth.json`. */
export function findCredentials(context: Pick<DoctorContext, 'env' | 'profile'>): string[] {
  const sources: string[] = [];
  const present = PROVIDER_KEY_VARIABLES.filter((name) => (context.env[name] ?? '') !== '');
  if (present.length > 0) sources.push(`environment (${present.join(', ')})`);
  const homes = [
    ...(context.profile !== null ? [profileDirectory(context.profile, context.env)] : []),
    hermesHome(context.env),
  ];
  for (const home of homes) {
    const dotEnv = readText(join(home, '.env'));
    const names = dotEnv === null ? [] : credentialNamesInDotEnv(dotEnv);
    if (names.length > 0) sources.push(`${join(home, '.env')} (${names.join(', ')})`);
    if (existsSync(join(home, 'auth.json'))) sources.push(`${join(home, 'auth.json')} (OAuth)`);
  }
  return sources;
}

export function authCheck(): DoctorCheck {
  return {
    id: 'auth',
    async run(context): Promise<CheckResult> {
      const { baseUrl, apiKeyEnv } = context.settings;
      if (baseUrl !== undefined && baseUrl !== '') {
        if (apiKeyEnv !== undefined && apiKeyEnv !== '') {
          return (context.env[apiKeyEnv] ?? '') !== ''
            ? {
                status: 'pass',
                summary: `key for ${baseUrl} found in $${apiKeyEnv} (passed to Hermes as OPENAI_API_KEY)`,
              }
            : {
                status: 'fail',
                summary: `$${apiKeyEnv} (api_key_env for ${baseUrl}) is not set`,
                remediation: `export ${apiKeyEnv}=<key for ${baseUrl}>, or remove api_key_env from [runtimes.hermes] if the gateway needs no key.`,
              };
        }
        return {
          status: 'pass',
          summary: `base_url ${baseUrl} without api_key_env: Hermes sends OPENAI_API_KEY from its own environment or .env, if any`,
        };
      }
      const sources = findCredentials(context);
      if (sources.length > 0)
        return { status: 'pass', summary: `provider credentials in ${sources.join('; ')}` };
      return {
        status: 'warn',
        summary:
          'no provider credentials found in the environment, the Hermes .env or auth.json (Hermes may still use other stores, e.g. Claude Code or AWS credentials)',
        remediation: 'Run `hermes model` (or `hermes auth add <provider>`) to set up a provider.',
      };
    },
  };
}

export function profileCheck(): DoctorCheck {
  return {
    id: 'profile',
    async run(context): Promise<CheckResult> {
      if (context.profile === null) {
        return {
          status: 'skip',
          summary: 'no backend profile configured; Hermes runs with its default profile',
        };
      }
      const name = nativeProfileName(context.profile);
      const directory = profileDirectory(context.profile, context.env);
      let isDirectory = false;
      try {
        isDirectory = statSync(directory).isDirectory();
      } catch {
        isDirectory = false;
      }
      if (!isDirectory) {
        return {
          status: 'fail',
          summary: `Hermes profile ${name} does not exist (${directory})`,
          remediation: `hermes profile create ${name}`,
        };
      }
      if (!existsSync(join(directory, 'config.yaml'))) {
        return {
          status: 'warn',
          summary: `Hermes profile ${name} has no config.yaml (${directory}); Hermes falls back to built-in defaults`,
          remediation: `hermes -p ${name} model`,
        };
      }
      return { status: 'pass', summary: `Hermes profile ${name} at ${directory}` };
    },
  };
}

/** The prompt of the doctor probe: tiny, and bounded to one turn with `--max-turns 1`. */
export const PROBE_PROMPT = 'Reply with the single word: pong';
const PROBE_RUN_TIMEOUT_MS = 75_000;

export function probeCheck(identity: AdapterIdentity): DoctorCheck {
  return {
    id: 'probe',
    probe: true,
    dependsOn: ['binary', 'auth'],
    async run(context): Promise<CheckResult> {
      const { path } = executableFor(identity, context);
      if (path === null)
        return { status: 'fail', summary: 'hermes not found', remediation: INSTALL_HINT };
      const scratchDir = mkdtempSync(join(tmpdir(), 'baton-hermes-probe-'));
      try {
        return await runProbe(context, path, scratchDir);
      } finally {
        rmSync(scratchDir, { recursive: true, force: true });
      }
    },
  };
}

async function runProbe(
  context: DoctorContext,
  executable: string,
  scratchDir: string,
): Promise<CheckResult> {
  const settings: RuntimeSettings = { ...context.settings, binary: executable };
  const request = {
    stage: context.stages[0] ?? 'reflect',
    prompt: PROBE_PROMPT,
    contract: '',
    cwd: context.cwd,
    access: 'read-only',
    profile: context.profile,
    settings,
    scratchDir,
    env: context.env,
  } as const;
  const command = buildHermesCommand(request, { maxTurns: 1 });
  const started = Date.now();
  const result = await runCommand(command.file, command.args, {
    env: { ...context.env, ...command.env } as Environment,
    cwd: command.cwd,
    timeoutMs: PROBE_RUN_TIMEOUT_MS,
    signal: context.signal,
    input: command.stdin ?? '',
  });
  if (result.spawnError !== null) {
    return {
      status: 'fail',
      summary: `cannot start hermes: ${result.spawnError}`,
      remediation: INSTALL_HINT,
    };
  }
  if (result.timedOut) {
    return {
      status: 'fail',
      summary: `the probe run did not finish within ${PROBE_RUN_TIMEOUT_MS / 1000}s`,
      remediation:
        'Run `hermes chat -q "Reply with the single word: pong"` by hand to see where it hangs.',
    };
  }
  const decoder = createHermesDecoder();
  for (const line of result.stdout.split('\n')) decoder.push(line);
  const usage = readText(join(scratchDir, USAGE_FILE_NAME));
  const outcome = decoder.finish({
    exitCode: result.exitCode,
    signal: null,
    stderrTail: result.stderr.slice(-4000),
    resultFiles: { [USAGE_FILE]: usage },
  });
  const elapsed = Date.now() - started;
  if (outcome.status === 'succeeded') {
    const reply = (outcome.finalText ?? '').replace(/\s+/g, ' ').slice(0, 60);
    return { status: 'pass', summary: `one-shot run answered in ${elapsed} ms: "${reply}"` };
  }
  const error = outcome.error!;
  return {
    status: 'fail',
    summary: `probe failed (${error.kind}): ${error.message}`,
    remediation: PROBE_REMEDIATION[error.kind],
  };
}

const PROBE_REMEDIATION: Record<string, string> = {
  auth: 'The provider rejected the credentials: check the key (`hermes auth list`, or api_key_env for base_url).',
  network: 'Hermes could not reach its provider: check base_url / network access.',
  'rate-limit': 'The provider is rate-limiting this key; try again later.',
  server: 'The provider answered with a server error; try again later.',
  model: 'The provider rejected the model or request: check [runtimes.hermes] model.',
  permission: 'Hermes refused an action: check the profile’s approvals settings.',
  timeout: 'The provider did not answer in time.',
  unknown: 'Run the same one-shot by hand (`hermes chat -q "…"`) and read its error output.',
};

export function hermesDoctorChecks(identity: AdapterIdentity): DoctorCheck[] {
  return [
    binaryCheck({ identity, installHint: INSTALL_HINT }),
    versionCheck({ identity, parse: parseHermesVersion }),
    authCheck(),
    profileCheck(),
    probeCheck(identity),
  ];
}
