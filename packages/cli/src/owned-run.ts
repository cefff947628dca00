/**
 * The run this process owns (while `run` or `resume` drives it): an error that ends the
 * process is recorded on it once, so its journal says why the run stopped, and the error's
 * report names the run it was recorded on.
 */

/** The run this process owns, and how to record an error on it (given by `run` and `resume`). */
export interface OwnedRun {
  readonly runId: string;
  /** Records the error on the run; `false` when the journal cannot take it. */
  record(error: unknown): boolean;
}

let owned: OwnedRun | null = null;
const recorded = new WeakMap<object, string>();

/** Makes `run` the one errors are recorded on, until the returned function is called. */
export function ownRun(run: OwnedRun): () => void {
  owned = run;
  return () => {
    if (owned === run) owned = null;
  };
}

/** Records the error on the run this process owns, once; nothing when it owns none. */
export function recordOnOwnedRun(error: unknown): void {
  if (owned === null || typeof error !== 'object' || error === null || recorded.has(error)) return;
  if (owned.record(error)) recorded.set(error, owned.runId);
}

/** The run an error was recorded on, if any. */
export function recordedRunOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? recorded.get(error) : undefined;
}
