/**
 * A stage attempt as a durable workflow, run by a worker that offers its runtime: one step
 * that runs the attempt (the same `runAttempt` as this machine's driver) in a workspace of
 * its own, then the attempt's outcome sent to the mission, which journals it once.
 *
 * DBOS runs a step at least once: a worker killed mid-stage has its step run again by a
 * peer, from the start. So every execution journals its own events (`agent.process.started`,
 * `runtime.event`, …) guarded by DBOS's ownership token: once a peer has taken the workflow
 * over, the old execution may write nothing more (a stopped worker that wakes up finds its
 * appends refused, stops its agent, and its late result is refused by DBOS as well). What
 * ends the attempt is not journaled here but sent, redacted, to the mission.
 *
 * Nothing secret goes into DBOS's tables (they hold arguments and results in plain text):
 * the attempt's input is the engine's state and directive, built from the redacted journal,
 * and its outcome is redacted with the attempt's own redactor (the command's secrets too).
 */

import {
  type AttemptEnd,
  type AttemptJournal,
  attemptIdentity,
  type DispatchDirective,
  type EngineEvent,
  type NewEvent,
  type RunState,
  runAttempt,
  unavailableEnd,
} from '@baton/run';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { currentOwnerXid } from '@dbos-inc/dbos-sdk/internal/context';
import { untilDone } from './database.js';
import { isSuperseded, type PgJournal, type WorkflowOwnership } from './pg-journal.js';
import { type PoolRuntime, poolRuntime, stageTopic } from './pool.js';
import type { WorkspaceBase } from './scale-workspace.js';

export interface StageInput {
  readonly runId: string;
  /** The mission workflow to send the outcome to. */
  readonly missionId: string;
  readonly directive: DispatchDirective;
  /** The run's state when the stage was dispatched (for its prompt). */
  readonly state: RunState;
  readonly base: WorkspaceBase;
}

type StageEnded = Extract<EngineEvent, { type: 'stage.ended' }>;
type StageSession = Extract<EngineEvent, { type: 'stage.session' }>;

/** What a stage attempt sends its mission: everything to journal with its outcome, redacted. */
export interface StageMessage {
  readonly event: StageEnded;
  /** Journaled before `stage.ended` (agent.process.exited, workspace.changed, verdict.recorded …). */
  readonly before: readonly NewEvent[];
  readonly extra: Record<string, unknown>;
  /** The harness's session, when it announced one. */
  readonly session: StageSession | null;
  /** What the execution left (its result; the run's own once adopted), or `null`. */
  readonly result: WorkspaceBase | null;
  /** The worker that ran it. */
  readonly worker: string;
}

export async function stageWorkflow(input: StageInput): Promise<{ status: string }> {
  const message = await DBOS.runStep(() => executeStage(poolRuntime(), input), {
    name: 'attempt',
  });
  await DBOS.send(input.missionId, message, stageTopic(DBOS.workflowID!));
  return { status: message.event.status };
}

/** The token DBOS wrote when this execution took its workflow. */
export function ownership(): WorkflowOwnership {
  const workflowId = DBOS.workflowID;
  const token = workflowId === undefined ? undefined : currentOwnerXid(workflowId);
  if (workflowId === undefined || token === undefined) {
    throw new Error('a pool workflow runs without DBOS ownership');
  }
  return { workflowId, token };
}

async function executeStage(runtime: PoolRuntime, input: StageInput): Promise<StageMessage> {
  const { runId, directive } = input;
  const owner = ownership();
  // Cut off when the worker stops, or when this execution is no longer the workflow's.
  const cut = new AbortController();
  const stopping = () => cut.abort(`the worker ${runtime.workerId} is stopping`);
  runtime.signal.addEventListener('abort', stopping, { once: true });
  if (runtime.signal.aborted) stopping();
  // Its run stopped (`baton stop`): the mission cancelled this workflow; the worker says so.
  runtime.stages.set(owner.workflowId, () => cut.abort(RUN_STOPPED));
  const journal = new FencedJournal(runtime.journal, runId, owner, cut);
  const workspace = runtime.workspaces.forExecution(
    runId,
    {
      step: directive.step,
      stage: directive.stage,
      loop: directive.loop,
      attempt: directive.attempt,
    },
    owner.token.slice(0, 8),
    input.base,
  );
  let session: StageSession | null = null;
  try {
    let end: AttemptEnd;
    try {
      end = await runAttempt(
        {
          runId,
          config: runtime.config,
          registry: runtime.registry,
          env: runtime.env,
          depth: runtime.depth,
          redactor: runtime.redactor,
          adapters: runtime.adapters,
          binaries: runtime.binaries,
          options: runtime.options,
          ...(runtime.observer === undefined ? {} : { observer: runtime.observer }),
          signal: cut.signal,
          workspace,
          scratchRoot: runtime.scratchRoot,
          journal,
          identity: { worker: runtime.workerId, workflow_id: owner.workflowId },
        },
        directive,
        input.state,
        {
          sessionAnnounced: (event, redactor) => {
            session = redactor.value(event);
          },
        },
      );
    } catch (error) {
      if (cut.signal.aborted || isSuperseded(error)) return await cutOff(journal, cut.signal);
      // The attempt could not be made on this worker (its workspace could not be prepared,
      // say): like a runtime that cannot start, another runtime of the chain may take it.
      return unavailableAttempt(
        directive,
        runtime.redactor.text(
          `the worker ${runtime.workerId} could not run it: ${messageOf(error)}`,
        ),
        runtime.workerId,
      );
    }
    if (end.kind === 'interrupted' || cut.signal.aborted) return await cutOff(journal, cut.signal);
    await journal.flush();
    const result = await workspace.finish();
    const redactor = end.redactor;
    return {
      event: redactor.value(end.event),
      before: (end.annotations.before ?? []).map((entry) => ({
        ...entry,
        payload: redactor.value(entry.payload),
      })),
      extra: redactor.value({ ...(end.annotations.extra ?? {}), worker: runtime.workerId }),
      session,
      result,
      worker: runtime.workerId,
    };
  } finally {
    runtime.stages.delete(owner.workflowId);
    runtime.signal.removeEventListener('abort', stopping);
    await workspace.dispose().catch(() => {});
  }
}

/** Why a stage is cut off when its run is stopped. */
const RUN_STOPPED = 'its run was stopped';

/**
 * An execution that is no longer the workflow's (a peer took it over), whose worker stops, or
 * whose run was stopped: its agent was stopped with it, and it records nothing. A superseded execution fails, and
 * DBOS refuses to record that too; a stopping worker's execution never ends, so the workflow
 * stays this worker's until it is recovered (by this worker's next start, or by a peer).
 */
async function cutOff(journal: FencedJournal, cut: AbortSignal): Promise<never> {
  await journal.settle();
  if (journal.superseded !== null) throw journal.superseded;
  // A stopped run's stage ends here: its workflow is cancelled, nothing is recorded, and the
  // worker's slot is free again.
  if (cut.reason === RUN_STOPPED) throw new Error(`the stage was cut off: ${RUN_STOPPED}`);
  return new Promise<never>(() => {});
}

/**
 * The outcome of an attempt that never ran (its worker could not run it, or its workflow ended
 * without a word): a failed attempt whose runtime was unavailable, so the chain may move on.
 * `why` is redacted already; `worker` is the worker that tried it, or `null` when none did.
 */
export function unavailableAttempt(
  directive: DispatchDirective,
  why: string,
  worker: string | null,
): StageMessage {
  const on = worker === null ? {} : { worker };
  const end = unavailableEnd(directive, why, 'unknown', { ...attemptIdentity(directive), ...on });
  return {
    event: end.event,
    before: [end.exited],
    extra: { loop: directive.loop, ...on },
    session: null,
    result: null,
    worker: worker ?? '',
  };
}

/**
 * The attempt's journal: its events appended in order, a batch at a time, each batch once
 * (keyed by this execution and its number, so a retry after a lost answer does not repeat
 * it) and only while this execution owns its workflow. A database that cannot be reached is
 * waited out; an execution taken over is cut off at once.
 */
class FencedJournal implements AttemptJournal {
  superseded: unknown = null;
  private readonly journal: PgJournal;
  private readonly runId: string;
  private readonly owner: WorkflowOwnership;
  private readonly cut: AbortController;
  private readonly pending: NewEvent[] = [];
  private batches = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(journal: PgJournal, runId: string, owner: WorkflowOwnership, cut: AbortController) {
    this.journal = journal;
    this.runId = runId;
    this.owner = owner;
    this.cut = cut;
  }

  append(events: readonly NewEvent[]): void {
    this.pending.push(...events);
    this.kick();
  }

  /** Starts writing what is pending unless a write is under way (which kicks again when done). */
  private kick(): void {
    if (this.writing !== null || this.pending.length === 0 || this.failure !== null) return;
    this.writing = this.write().finally(() => {
      this.writing = null;
      this.kick();
    });
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0 && this.failure === null) {
      const batch = this.pending.splice(0, 200);
      this.batches += 1;
      const key = `${this.owner.workflowId}/${this.owner.token}/${this.batches}`;
      try {
        await untilDone(
          () => this.journal.appendOnce(this.runId, batch, {}, { key, owner: this.owner }),
          { signal: this.cut.signal },
        );
      } catch (error) {
        this.failure = error;
        if (isSuperseded(error)) {
          this.superseded = error;
          this.cut.abort('a peer took this stage over');
        }
      }
    }
  }

  /** Waits until everything appended so far is written (or writing stopped). */
  async settle(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  /** Waits for every append; throws what stopped them. */
  async flush(): Promise<void> {
    await this.settle();
    if (this.failure !== null) throw this.failure;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
