/**
 * Failures nobody planned for. Every one ends in `reportError` — whether a command threw it,
 * loading a module did, or it escaped every promise chain (an uncaught exception or an
 * unhandled rejection, from Baton or from an adapter's code) — and, while this process owns a
 * run, it is first recorded on the run, so its journal says why the run stopped.
 */
import { EXIT_FAILED } from './context.js';
import { type ErrorReporter, reportError } from './output.js';

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

let installed = false;

/**
 * Routes uncaught exceptions and unhandled rejections of this process through `reportError`
 * (after recording them on the owned run), then exits: the process is in an unknown state,
 * and a run's stage processes are stopped by the guard their runner left for this case.
 */
export function handleProcessFailures(reporter: ErrorReporter): void {
  if (installed) return;
  installed = true;
  const fail = (error: unknown) => {
    let code = EXIT_FAILED;
    try {
      recordOnOwnedRun(error);
      code = reportError(reporter, error);
    } finally {
      process.exit(code);
    }
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
