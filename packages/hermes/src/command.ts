import { join } from 'node:path';
import type { CommandSpec, RuntimeSettings, StageRequest } from '@baton/core';
import { nativeProfileName } from './profile.js';

/** Name under which the usage report reaches the decoder (`ProcessExit.resultFiles`). */
export const USAGE_FILE = 'usage';

/** File name of the usage report inside the stage's scratch directory. */
export const USAGE_FILE_NAME = 'usage.json';

export interface HermesCommandOptions {
  /** `--max-turns N`: bounds tool-calling iterations (the doctor probe uses 1). */
  readonly maxTurns?: number;
}

/** Trailing slashes removed; the URL is otherwise passed as written (`…/v1` for most gateways). */
export function normaliseBaseUrl(baseUrl: string): string {
  return baseUrl.trim().replace(/\/+$/, '');
}

/** The executable to start: `[runtimes.hermes] binary`, else `hermes` from PATH. */
export function hermesExecutable(settings: RuntimeSettings): string {
  return settings.binary ?? 'hermes';
}

/**
 * Builds one Hermes run:
 *
 *   hermes [-p baton-<profile>] --usage-file <scratch>/usage.json chat --query-file - --oneshot -Q
 *          --source tool [-m MODEL] [--provider custom] [--resume ID] [--yolo] [--max-turns N]
 *
 * The prompt travels on stdin (`--query-file -`), the role contract in
 * `HERMES_EPHEMERAL_SYSTEM_PROMPT`. `-p` and `--usage-file` are top-level options and must
 * precede the `chat` subcommand. Pure: the same request always gives the same command.
 */
export function buildHermesCommand(
  request: StageRequest,
  options: HermesCommandOptions = {},
): CommandSpec {
  const settings = request.settings;
  const model = request.model ?? settings.model;
  const usagePath = join(request.scratchDir, USAGE_FILE_NAME);
  const args: string[] = [];
  if (request.profile !== null) args.push('-p', nativeProfileName(request.profile));
  args.push(
    '--usage-file',
    usagePath,
    'chat',
    '--query-file',
    '-',
    '--oneshot',
    '-Q',
    '--source',
    'tool',
  );
  if (model !== undefined && model !== '') args.push('-m', model);
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') args.push('--provider', 'custom');
  if (request.resumeSessionId !== undefined && request.resumeSessionId !== '') {
    args.push('--resume', request.resumeSessionId);
  }
  if (request.access === 'full') args.push('--yolo');
  if (options.maxTurns !== undefined) args.push('--max-turns', String(options.maxTurns));

  const env: Record<string, string> = {
    // Exactly the contract; an empty one also clears a value inherited from the caller.
    HERMES_EPHEMERAL_SYSTEM_PROMPT: request.contract,
    // A dead provider must fail the stage quickly; Baton retries whole runs with backoff.
    HERMES_STREAM_RETRIES: '0',
  };
  if (request.access === 'read-only') env.HERMES_WRITE_SAFE_ROOT = request.scratchDir;
  if (request.access === 'workspace-write') env.HERMES_WRITE_SAFE_ROOT = request.cwd;
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') {
    env.OPENAI_BASE_URL = normaliseBaseUrl(settings.baseUrl);
    const key = settings.apiKeyEnv === undefined ? undefined : request.env[settings.apiKeyEnv];
    if (key !== undefined && key !== '') env.OPENAI_API_KEY = key;
  }

  return {
    file: hermesExecutable(settings),
    args,
    env,
    cwd: request.cwd,
    stdin: request.prompt,
    resultFiles: { [USAGE_FILE]: usagePath },
  };
}
