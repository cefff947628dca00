/**
 * An error that stops the process owning a run — a bug, or a failure nobody foresaw — is
 * recorded on the run before the process exits, so the journal says why the run stopped.
 * The run stays as it was (a run whose owner is gone shows as interrupted, and `baton
 * resume` continues it); the event is an annotation, which replay does not feed the engine.
 */
import { BatonError, type Redactor } from '@baton/core';
import type { Journal } from './journal/journal.js';

export const RUN_ERROR_EVENT = 'run.error';

/** Appends a redacted `run.error` event; `false` when the journal cannot take it (it is the journal that failed, say). */
export function recordRunError(
  journal: Journal,
  runId: string,
  error: unknown,
  redactor: Redactor,
): boolean {
  const baton = BatonError.isInstance(error);
  // Another process holds the journal's lock: recording that would wait out the lock again.
  if (baton && error.code === 'JOURNAL_LOCKED') return false;
  const payload = {
    code: baton ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    // A bug's stack is what its report needs; a BatonError's message says it all.
    stack: !baton && error instanceof Error ? (error.stack ?? null) : null,
    pid: process.pid,
  };
  try {
    journal.append(runId, [{ type: RUN_ERROR_EVENT, payload: redactor.value(payload) }]);
    return true;
  } catch {
    return false;
  }
}
