import { join } from 'node:path';
import {
  BatonError,
  type CommandSpec,
  type RuntimeSettings,
  type StageBudget,
  type StageRequest,
} from '@baton/core';
import { nativeProfileName } from './profile.js';

/** Name under which the usage report reaches the decoder (`ProcessExit.resultFiles`). */
export const USAGE_FILE = 'usage';

/** File name of the usage report inside the stage's scratch directory. */
export const USAGE_FILE_NAME = 'usage.json';

/**
 * The levels `hermes --reasoning LEVEL` takes (`hermes_constants.py`:
 * `VALID_REASONING_EFFORTS` plus `none`, which turns reasoning off). Hermes sends the level to
 * the provider as its reasoning effort for this run only (it overrides
 * `agent.reasoning_effort`); a level it does not know is ignored with a warning, so Baton
 * refuses one before Hermes starts.
 */
export const HERMES_EFFORTS: readonly string[] = Object.freeze([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
  'ultra',
]);

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
 *   hermes [-p baton-<profile>] --usage-file <scratch>/usage.json [--reasoning LEVEL]
 *          chat --query-file - --oneshot -Q --source tool [-m MODEL] [--provider custom]
 *          [--resume ID] [--yolo] [--max-turns N]
 *
 * The prompt travels on stdin (`--query-file -`), the role contract in
 * `HERMES_EPHEMERAL_SYSTEM_PROMPT`. `-p`, `--usage-file` and `--reasoning` are top-level
 * options and must precede the `chat` subcommand. Hermes 0.21's `chat` ignores
 * `--usage-file` (only `-z` writes the report); it is passed for a Hermes whose `chat`
 * writes it. Pure: the same request always gives the same command.
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
  args.push('--usage-file', usagePath);
  // A top-level option in 0.21 (the one `-z` reads too), so it goes before `chat`.
  if (request.effort !== undefined) args.push('--reasoning', reasoningLevel(request.effort));
  args.push('chat', '--query-file', '-', '--oneshot', '-Q', '--source', 'tool');
  if (model !== undefined && model !== '') args.push('-m', model);
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') args.push('--provider', 'custom');
  if (request.resumeSessionId !== undefined && request.resumeSessionId !== '') {
    args.push('--resume', request.resumeSessionId);
  }
  if (request.access === 'full') args.push('--yolo');
  const maxTurns = options.maxTurns ?? turnCap(request.budget);
  if (maxTurns !== undefined) args.push('--max-turns', String(maxTurns));

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

/** `--reasoning <level>` for one of `HERMES_EFFORTS`. */
export function reasoningLevel(effort: string): string {
  if (!HERMES_EFFORTS.includes(effort)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `Hermes has no reasoning effort "${effort}"; use one of ${HERMES_EFFORTS.join(', ')}.`,
      { details: { runtime: 'hermes', effort, efforts: [...HERMES_EFFORTS] } },
    );
  }
  return effort;
}

/**
 * The stage's turn budget as `chat --max-turns N` ("Maximum tool-calling iterations per
 * conversation turn"): a one-shot run is one conversation turn, so N bounds the whole stage's
 * agent loop. Hermes has no spend cap, so `maxCostUsd` has no flag.
 */
function turnCap(budget: StageBudget | undefined): number | undefined {
  if (budget?.maxTurns === undefined) return undefined;
  if (!Number.isInteger(budget.maxTurns) || budget.maxTurns < 1) {
    throw new BatonError(
      'CONFIG_INVALID',
      `A stage's turn budget must be a whole number of turns, 1 or more; got ${budget.maxTurns}.`,
      { details: { key: 'max_turns', value: String(budget.maxTurns) } },
    );
  }
  return budget.maxTurns;
}
