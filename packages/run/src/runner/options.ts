/**
 * The runner's options: limits and waits a caller may set for one run (tests shorten them),
 * and their defaults.
 */
import type { RetryPolicy } from '../engine/types.js';

export interface RunnerOptions {
  /** Over `[orchestrator.retry]` for this run (tests: short waits). */
  readonly retry?: Partial<RetryPolicy>;
  /** Between SIGTERM and SIGKILL when stopping a runtime's process group. */
  readonly killGraceMs?: number;
  /** Cap on one line of runtime output held in memory. */
  readonly maxLineBytes?: number;
  /** Wall-clock limit per stage when `[runtimes.<id>] timeout` is not set. */
  readonly defaultTimeoutMs?: number;
  /** Silence limit per stage when `[runtimes.<id>] idle_timeout` is not set. */
  readonly defaultIdleTimeoutMs?: number;
  /** Time limit of each doctor check before the run starts. */
  readonly doctorTimeoutMs?: number;
  /** Runtime events journaled per stage attempt; the rest are counted, not stored. */
  readonly maxJournaledEvents?: number;
}

export const DEFAULT_RUNNER_OPTIONS = {
  killGraceMs: 3000,
  maxLineBytes: 8 * 1024 * 1024,
  defaultTimeoutMs: 30 * 60_000,
  defaultIdleTimeoutMs: 10 * 60_000,
  doctorTimeoutMs: 15_000,
  maxJournaledEvents: 1000,
} as const;

export type ResolvedRunnerOptions = {
  readonly retry: Partial<RetryPolicy>;
  readonly killGraceMs: number;
  readonly maxLineBytes: number;
  readonly defaultTimeoutMs: number;
  readonly defaultIdleTimeoutMs: number;
  readonly doctorTimeoutMs: number;
  readonly maxJournaledEvents: number;
};

export function resolveRunnerOptions(options: RunnerOptions = {}): ResolvedRunnerOptions {
  return {
    ...DEFAULT_RUNNER_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    retry: { ...options.retry },
  } as ResolvedRunnerOptions;
}
