/**
 * Failures nobody planned for. Every one ends in `reportError` — whether a command threw it,
 * loading a module did, or it escaped every promise chain (an uncaught exception or an
 * unhandled rejection, from Baton or from an adapter's code) — and, while this process owns a
 * run, it is first recorded on the run, so its journal says why the run stopped.
 */
import { EXIT_FAILED } from './context.js';
import { type ErrorReporter, reportError } from './output.js';
import { recordOnOwnedRun } from './owned-run.js';

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
