/**
 * What a run's summary and its result say first, from the run's record: the run, its status
 * as readers show it, why it stopped, and the question it waits on.
 */
import type { RunStatus } from './engine/types.js';
import { displayStatus, type RunRecord } from './journal/journal.js';

export const OWNER_LOST_CAUSE =
  'the process running it stopped without closing it (killed or crashed)';

export interface RunHeader {
  readonly runId: string;
  readonly status: RunStatus;
  readonly cause: string | null;
  /** The question a waiting run asks. */
  readonly question: string | null;
  readonly goal: string;
  readonly mission: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The header of `run` shown with `status`; `question` is the last one asked and not answered. */
export function runHeader(run: RunRecord, status: RunStatus, question: string | null): RunHeader {
  return {
    runId: run.runId,
    status,
    cause: causeOf(run, status),
    question: status === 'waiting' ? question : null,
    goal: run.goal,
    mission: run.mission,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
}

/** Why a run stopped; a run whose process went away without closing it says so. */
export function causeOf(run: RunRecord, status: RunStatus = displayStatus(run)): string | null {
  if (status === 'interrupted' && run.status === 'running') return OWNER_LOST_CAUSE;
  return run.cause;
}
