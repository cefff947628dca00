import type { RuntimeSettings } from '../adapter/v2/spec.js';
import type { Mission } from '../mission.js';
import type { Stage } from '../stage.js';

/** A role-contract override from `[contracts.<stage>]`, with its text already read. */
export interface ContractOverride {
  readonly mode: 'extend' | 'replace';
  readonly text: string;
  /** The config file (or contract file) it came from. */
  readonly source: string;
}

/** One runtime of a stage's chain, with the model and effort chosen for it there. */
export interface StageTarget {
  /** Canonical runtime id. */
  readonly runtime: string;
  /** The model written beside the runtime; `null`: `[runtimes.<id>] model`, else the harness's own. */
  readonly model: string | null;
  /** The reasoning effort written beside the runtime; `null`: the harness's default. */
  readonly effort: string | null;
}

/** `[orchestrator.retry]`, durations in milliseconds. */
export interface RetrySettings {
  /** Transient failures retried on the same runtime before falling back. */
  readonly maxRetries: number;
  /** Backoff base, doubling per retry. */
  readonly baseDelayMs: number;
  /** Cap on every wait, including a delay the harness or server states. */
  readonly maxDelayMs: number;
  /** Waits-and-retries on a rate limit, per runtime, before falling back. */
  readonly rateLimitRetries: number;
}

/** `[pricing."<model>"]`: USD per million tokens, defaults already applied. */
export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly cachedInputPerMTok: number;
  readonly outputPerMTok: number;
  readonly reasoningPerMTok: number;
}

/**
 * How a stage's workspace reaches the worker that runs it in scale mode: each run on a branch
 * of a git remote every worker can push to, or a folder every worker mounts at the same path.
 */
export type ScaleWorkspace =
  | { readonly strategy: 'git'; readonly remote: string; readonly branchPrefix: string }
  | { readonly strategy: 'shared-path'; readonly root: string };

/** `[scale]`: missions as durable workflows on PostgreSQL, run by a pool of workers. */
export interface ScaleSettings {
  /** The URL as written in the file (never with a password), or `null`. */
  readonly databaseUrl: string | null;
  /** The variable holding the URL; it wins over `databaseUrl` when set. */
  readonly databaseUrlEnv: string;
  /** The pinned version of this pool's Baton. */
  readonly applicationVersion: string;
  readonly workspace: ScaleWorkspace;
  /** The config file it came from. */
  readonly source: string;
}

/** Configuration after layering and validation; every runtime name is a canonical id. */
export interface BatonConfig {
  /** The single-backend fallback. */
  readonly runtimeBackend: string;
  /** The chain for stages not listed in `stages` (length ≥ 1), or `null`. */
  readonly defaultTargets: readonly StageTarget[] | null;
  readonly backendProfile: string | null;
  /** Each listed stage's chain, first choice first; every chain has at least one target. */
  readonly stages: Readonly<Partial<Record<Stage, readonly StageTarget[]>>>;
  readonly retry: RetrySettings;
  /** Prices by model name as written in `[pricing."<model>"]`. */
  readonly pricing: Readonly<Record<string, ModelPrice>>;
  /** `[runtimes.<id>]` settings keyed by canonical id. */
  readonly runtimes: Readonly<Record<string, RuntimeSettings>>;
  /** Built-in and user missions by name. */
  readonly missions: Readonly<Record<string, Mission>>;
  readonly contracts: Readonly<Partial<Record<Stage, ContractOverride>>>;
  /** `[scale]`, or `null` when no file has one (one machine, the SQLite journal). */
  readonly scale: ScaleSettings | null;
  /** Config files that were read, lowest layer first. */
  readonly files: readonly string[];
  /**
   * The workspace (`locateWorkspace`): where stages run and the journal lives — the folder
   * `--workspace` names, else the nearest one above the working directory with a `baton.toml`
   * or a `.git`, else the working directory. `--config` does not move it.
   */
  readonly projectRoot: string;
}
