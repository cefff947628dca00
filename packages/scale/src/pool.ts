/**
 * The names the pool shares — DBOS's application, the queues, the workflows, the messages —
 * and the worker's side of a running workflow: what a mission or a stage workflow reaches
 * in this process (the journal, the config, the adapters, the workspaces). DBOS keeps one
 * executor per process, so a worker process holds one `PoolRuntime`.
 */
import type { AttemptResources, ProcessIdentity } from '@baton/run';
import type { PgJournal } from './pg-journal.js';
import type { ScaleWorkspaces } from './scale-workspace.js';

/** DBOS's application name: it scopes the pool's workflows in DBOS's tables. */
export const APPLICATION = 'baton';

/** Missions wait here for any worker. */
export const MISSIONS_QUEUE = 'missions';

/** A stage waits on the queue of its runtime for a worker that offers it. */
export function runtimeQueue(runtime: string): string {
  return `rt-${runtime}`;
}

export const MISSION_WORKFLOW = 'mission';
export const STAGE_WORKFLOW = 'stage';

/** The topic a human's answer is sent on, to the run's mission workflow (`workflow-ids.ts`). */
export const ANSWER_TOPIC = 'human-answer';

/** The topic a stage workflow sends its outcome on, to its mission. */
export function stageTopic(stageWorkflowId: string): string {
  return `stage:${stageWorkflowId}`;
}

/** A human's answer, as `baton resume --approve|--reject` sends it (redacted already). */
export interface AnswerMessage {
  /** The human step it answers; an answer to another step is ignored. */
  readonly step: number;
  readonly decision: 'approve' | 'reject';
  readonly text: string;
  /** The machine and process that sent it, for the journal. */
  readonly host: string;
  readonly pid: number;
}

/**
 * A request to stop a running run (`baton stop`), sent to its mission on the topic of the
 * stage it waits for: the mission cancels that stage's workflow and journals the run as
 * interrupted; the worker running the stage stops its agent at its next heartbeat.
 */
export interface StopRequest {
  readonly stop: {
    /** The machine and process that asked, for the journal. */
    readonly host: string;
    readonly pid: number;
  };
}

export function isStopRequest(message: unknown): message is StopRequest {
  return typeof message === 'object' && message !== null && 'stop' in message;
}

/** How long the pool waits at once (each wait is durable; it waits again after each). */
export interface PoolTiming {
  /** A human step's wait, before it waits again (days). */
  readonly humanWaitSeconds: number;
  /** Between looks at a stage workflow that sent nothing (it failed in a way that sends nothing). */
  readonly stageCheckSeconds: number;
}

export const DEFAULT_TIMING: PoolTiming = {
  humanWaitSeconds: 7 * 24 * 3600,
  stageCheckSeconds: 300,
};

/** What the workflows of this process reach. */
export interface PoolRuntime extends AttemptResources {
  readonly workerId: string;
  readonly journal: PgJournal;
  readonly workspaces: ScaleWorkspaces;
  readonly scratchRoot: string;
  /** The worker, as a run's owner while its mission runs here. */
  readonly owner: ProcessIdentity;
  /** Aborted when the worker stops: stages in flight are cut off, and nothing is recorded. */
  readonly signal: AbortSignal;
  /** The stages this worker runs, by workflow id: how to stop each when its run is stopped. */
  readonly stages: Map<string, () => void>;
  readonly timing: PoolTiming;
  /** A line for the worker's log (redacted by the caller). */
  log(line: string): void;
}

let current: PoolRuntime | null = null;

export function setPoolRuntime(runtime: PoolRuntime | null): void {
  current = runtime;
}

export function poolRuntime(): PoolRuntime {
  if (current === null) throw new Error('no Baton worker runs in this process');
  return current;
}
