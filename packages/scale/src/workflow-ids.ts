/**
 * The ids of the pool's workflows. DBOS makes a second start with an id it has seen a no-op,
 * so each id names exactly one piece of work: a run's mission (once per start or resume), a
 * stage's attempt.
 */

/** Between a run's id and where it was resumed in the journal, in a resumed mission's id. */
export const RESUMED_MISSION_INFIX = ':resume-';

/**
 * A run's mission workflow: the run's id when it starts; `<run>:resume-<seq>` when a stopped
 * run is resumed (`seq`: the run's last event when the resume was made — a resume is written
 * only if that is still the last, so each resume is a workflow of its own).
 */
export function missionWorkflowId(runId: string, resumedAfterSeq?: number): string {
  return resumedAfterSeq === undefined
    ? runId
    : `${runId}${RESUMED_MISSION_INFIX}${resumedAfterSeq}`;
}

/**
 * A stage attempt's workflow id: `<run>:<step>-<stage>-<loop>:<attempt>`. The step and loop
 * are part of it because a mission may run a stage twice (two steps, or a loop back to
 * execute), and DBOS makes a second start with the same id a no-op.
 */
export function stageWorkflowId(
  runId: string,
  directive: {
    readonly step: number;
    readonly stage: string;
    readonly loop: number;
    readonly attempt: number;
  },
): string {
  return `${runId}:${directive.step}-${directive.stage}-${directive.loop}:${directive.attempt}`;
}
