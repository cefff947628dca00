/**
 * A mission as a durable workflow: the scale executor of the one engine. It does what this
 * machine's driver does — feed the engine the journaled events and perform its directives —
 * with DBOS keeping its place: each `dispatch` starts a stage workflow on the queue of its
 * runtime (`rt-<runtime>`, id `<run>:<step>-<stage>-<loop>:<attempt>`) and waits for its
 * outcome; a backoff is a durable sleep; a human step waits for the answer as a durable
 * message, for days; and each engine event is journaled with its transition in one step.
 *
 * DBOS re-runs a workflow from its start after a crash, returning the recorded output of
 * every step already done, so the workflow must decide the same way each time: the engine
 * is pure, and it is fed only what steps returned — the events as they were journaled (a
 * step run again, on another machine with other secrets to redact, gets back the events
 * its first run appended: `appendOnce` with the engine event's number as key).
 */

import {
  type Annotations,
  applyEvent,
  attemptIdentity,
  type Directive,
  type DispatchDirective,
  decodeEvent,
  type EngineEvent,
  isEngineEventType,
  type NewEvent,
  planTransition,
  type RunState,
  type RunStatus,
  type RunUpdate,
  runNotFound,
} from '@baton/run';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { untilDone } from './database.js';
import {
  ANSWER_TOPIC,
  type AnswerMessage,
  isStopRequest,
  type PoolRuntime,
  poolRuntime,
  runtimeQueue,
  type StopRequest,
  stageTopic,
} from './pool.js';
import type { WorkspaceBase } from './scale-workspace.js';
import {
  ownership,
  type StageInput,
  type StageMessage,
  unavailableAttempt,
} from './stage-workflow.js';
import { stageWorkflowId } from './workflow-ids.js';

export interface MissionResult {
  readonly status: RunStatus;
  readonly cause: string | null;
}

/** The stage workflow as registered with DBOS (set once, before launch). */
export type StageStarter = (input: StageInput) => Promise<{ status: string }>;

interface Begun {
  readonly events: readonly { readonly type: string; readonly payload: Record<string, unknown> }[];
  readonly base: WorkspaceBase | null;
  /** Why the run cannot start (its workspace could not be prepared), or `null`. */
  readonly problem: string | null;
}

const ENDED_STAGE_STATUSES = ['ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];

export function missionWorkflow(stage: StageStarter) {
  return async (runId: string): Promise<MissionResult> => {
    const missionId = DBOS.workflowID!;
    const begun = await DBOS.runStep(() => begin(poolRuntime(), runId), { name: 'begin' });
    let state: RunState | null = null;
    let pending: Directive[] = [];
    for (const event of begun.events) {
      const transition = applyEvent(
        state,
        decodeEvent(event.type as EngineEvent['type'], event.payload),
      );
      state = transition.state;
      pending = [...transition.directives];
    }
    if (state === null) throw new Error(`run ${runId} has no run.started in the journal`);
    let current: RunState = state;

    /** Journals engine events with their transitions, in one step and one append. */
    const apply = async (...events: Transition[]) => {
      const before = current;
      const payloads = await DBOS.runStep(
        () => journalTransitions(poolRuntime(), runId, before, events),
        { name: 'journal' },
      );
      const directives: Directive[] = [];
      events.forEach(({ event }, index) => {
        const transition = applyEvent(current, decodeEvent(event.type, payloads[index]!));
        current = transition.state;
        directives.push(...transition.directives);
      });
      return directives;
    };

    if (current.status !== 'running') return outcome(current);
    if (begun.base === null) {
      await apply({
        event: {
          type: 'run.interrupted',
          cause: `the run's workspace could not be prepared: ${begun.problem}`,
        },
      });
      return outcome(current);
    }
    let base = begun.base;
    const queue = [...pending];
    while (queue.length > 0) {
      const directive = queue.shift()!;
      switch (directive.kind) {
        case 'dispatch': {
          if (directive.backoffMs > 0) await DBOS.sleep(directive.backoffMs);
          const message = await runStage(stage, runId, missionId, directive, current, base);
          if (isStopRequest(message)) {
            await apply({
              event: {
                type: 'run.interrupted',
                cause: `stopped with baton stop on ${message.stop.host} (pid ${message.stop.pid})`,
              },
            });
            return outcome(current);
          }
          const after: NewEvent[] =
            message.result === null
              ? []
              : [
                  {
                    type: 'workspace.result',
                    payload: {
                      ...attemptIdentity(directive),
                      worker: message.worker,
                      ...resultPayload(message.result),
                      adopted: message.event.status === 'succeeded',
                    },
                  },
                ];
          // The harness's session (a stage of the pool is never continued elsewhere, but the
          // engine keeps it) and the outcome: one step.
          queue.push(
            ...(await apply(...(message.session === null ? [] : [{ event: message.session }]), {
              event: message.event,
              annotations: { before: message.before, after, extra: message.extra },
            })),
          );
          if (message.event.status === 'succeeded' && message.result !== null) {
            const result = message.result;
            // A result in git becomes the run's branch; one in the shared folder is just used.
            if (result.strategy === 'git') {
              await DBOS.runStep(() => poolRuntime().workspaces.adopt(runId, result), {
                name: 'adopt',
              });
            }
            base = result;
          }
          break;
        }
        case 'ask_human': {
          const answer = await awaitAnswer(directive.step);
          queue.push(
            ...(await apply({
              event: {
                type: 'human.answered',
                step: directive.step,
                decision: answer.decision,
                answer: answer.text,
              },
              annotations: { extra: { via: 'resume', host: answer.host, pid: answer.pid } },
            })),
          );
          break;
        }
        default:
          return outcome(current);
      }
    }
    return outcome(current);
  };
}

function outcome(state: RunState): MissionResult {
  return { status: state.status, cause: state.cause };
}

function resultPayload(result: WorkspaceBase): Record<string, unknown> {
  return result.strategy === 'git'
    ? { strategy: 'git', ref: result.ref, commit: result.commit }
    : { strategy: 'shared-path', path: result.path };
}

/** Starts the stage's workflow on its runtime's queue and waits for what it sends back. */
async function runStage(
  stage: StageStarter,
  runId: string,
  missionId: string,
  directive: DispatchDirective,
  state: RunState,
  base: WorkspaceBase,
): Promise<StageMessage | StopRequest> {
  const workflowId = stageWorkflowId(runId, directive);
  await DBOS.startWorkflow(stage, {
    workflowID: workflowId,
    queueName: runtimeQueue(directive.runtime),
  })({
    runId,
    missionId,
    directive,
    state,
    base,
  });
  const timing = poolRuntime().timing;
  while (true) {
    const message = await DBOS.recv<StageMessage | StopRequest>(stageTopic(workflowId), {
      timeoutSeconds: timing.stageCheckSeconds,
    });
    // Stopped: the stage's worker sees its workflow cancelled and stops the agent.
    if (isStopRequest(message)) await DBOS.cancelWorkflow(workflowId);
    if (message !== null) return message;
    // Nothing yet: still queued or running, unless its workflow ended without a word.
    const status = await DBOS.getWorkflowStatus(workflowId);
    if (status !== null && ENDED_STAGE_STATUSES.includes(status.status)) {
      return unavailableAttempt(
        directive,
        `its workflow ${workflowId} ended ${status.status} in the pool`,
        null,
      );
    }
  }
}

/** Waits, durably and for as long as it takes, for the answer to the human step `step`. */
async function awaitAnswer(step: number): Promise<AnswerMessage> {
  const timing = poolRuntime().timing;
  while (true) {
    const answer = await DBOS.recv<AnswerMessage>(ANSWER_TOPIC, {
      timeoutSeconds: timing.humanWaitSeconds,
    });
    // An answer meant for an earlier question (sent twice, or late) is not this one's.
    if (answer !== null && answer.step === step) return answer;
  }
}

/**
 * The run's engine events so far, and where its workspace starts: the run's start, or for a
 * resumed run the last result it adopted before the step it resumes at.
 */
async function begin(runtime: PoolRuntime, runId: string): Promise<Begun> {
  const { events, results } = await untilDone(
    async () => {
      if ((await runtime.journal.getRun(runId)) === undefined) throw runNotFound(runId);
      const found: Begun['events'][number][] = [];
      const adopted: AdoptedResult[] = [];
      for await (const event of runtime.journal.events(runId)) {
        if (isEngineEventType(event.type)) found.push({ type: event.type, payload: event.payload });
        else if (event.type === 'workspace.result' && event.payload.adopted === true) {
          adopted.push(adoptedResult(event.payload));
        }
      }
      return { events: found, results: adopted };
    },
    { signal: runtime.signal },
  );
  try {
    const resumedAt = stateAtResume(events);
    const base =
      resumedAt === null
        ? await runtime.workspaces.start(runId)
        : await runtime.workspaces.resumeFrom(
            runId,
            results.findLast(
              (result) =>
                result.loop < resumedAt.loops ||
                (result.loop === resumedAt.loops && result.step < resumedAt.step),
            )?.base ?? null,
          );
    return { events, base, problem: null };
  } catch (error) {
    const problem = runtime.redactor.text(error instanceof Error ? error.message : String(error));
    return { events, base: null, problem };
  }
}

interface AdoptedResult {
  readonly step: number;
  readonly loop: number;
  readonly base: WorkspaceBase;
}

function adoptedResult(payload: Record<string, unknown>): AdoptedResult {
  const base: WorkspaceBase =
    payload.strategy === 'git'
      ? { strategy: 'git', ref: String(payload.ref), commit: String(payload.commit) }
      : { strategy: 'shared-path', path: String(payload.path) };
  return { step: Number(payload.step), loop: Number(payload.loop), base };
}

/** Where the run stands just after its last `run.resumed`, or `null` if it was never resumed. */
function stateAtResume(events: Begun['events']): RunState | null {
  let state: RunState | null = null;
  let resumed: RunState | null = null;
  for (const event of events) {
    state = applyEvent(state, decodeEvent(event.type as EngineEvent['type'], event.payload)).state;
    if (event.type === 'run.resumed') resumed = state;
  }
  return resumed;
}

/** An engine event to journal, with what goes with it. */
interface Transition {
  readonly event: EngineEvent;
  readonly annotations?: Annotations;
}

/**
 * Journals transitions in one append, once: keyed by the first engine event's number, and
 * only while this execution owns the mission. Gives back each engine event's payload as
 * journaled — by this step, or by an earlier run of it.
 */
async function journalTransitions(
  runtime: PoolRuntime,
  runId: string,
  state: RunState,
  transitions: readonly Transition[],
): Promise<Record<string, unknown>[]> {
  const owner = ownership();
  const entries: NewEvent[] = [];
  const at: number[] = [];
  let next = state;
  let update: RunUpdate = {};
  for (const { event, annotations = {} } of transitions) {
    const planned = planTransition(
      next,
      event,
      annotations,
      runtime.redactor,
      (after) => after.status === 'running',
    );
    at.push(entries.length + (annotations.before?.length ?? 0));
    entries.push(...planned.entries);
    next = planned.state;
    // While it runs, the run is this worker's (readers show which machine drives it).
    update =
      planned.update.owner === undefined
        ? { ...planned.update, owner: runtime.owner }
        : planned.update;
  }
  const landed = await untilDone(
    () =>
      runtime.journal.appendOnce(runId, entries, update, {
        key: `engine:${state.applied + 1}`,
        owner,
      }),
    { signal: runtime.signal },
  );
  return transitions.map(({ event }, index) => {
    const stored = landed.events[at[index]!];
    if (stored === undefined || stored.type !== event.type) {
      throw new Error(
        `the journal of run ${runId} holds something else than ${event.type} as engine event ${state.applied + index + 1}`,
      );
    }
    return stored.payload;
  });
}
