/**
 * What a human step asks about: the result of the stage step before it, which the human
 * approves (the run goes on) or rejects (the stage does it again, or the run ends). Pure:
 * read from the run's state, whose final texts come from the journal (redacted).
 */
import type { RunState } from './engine/types.js';
import type { ApprovalSubject } from './runner/observer.js';

/** The latest successful result of a stage step before `step`, or `null` when there is none. */
export function approvalSubject(state: RunState, step: number): ApprovalSubject | null {
  for (let index = state.history.length - 1; index >= 0; index--) {
    const entry = state.history[index]!;
    if (entry.kind === 'stage' && entry.step < step && entry.status === 'succeeded') {
      return {
        runId: state.runId,
        step: entry.step,
        stage: entry.stage,
        runtime: entry.runtime,
        finalText: entry.finalText,
      };
    }
  }
  return null;
}
