/**
 * What a command does with the pool, from any machine, without becoming one of its workers:
 * start a run on it (`baton run --remote`), answer a run's human step (`baton resume
 * --approve|--reject`), resume a run that stopped (`baton resume`), stop a running one
 * (`baton stop`), and follow a run as the pool drives it.
 *
 * A run starts as on one machine (`planStart`: the goal, the mission, the budget and the
 * routing checked and snapshotted in `run.started`), except that its runtimes are judged by
 * what the pool offers: a runtime no worker offers is skipped where its chain has another,
 * and a stage none of whose runtimes a worker offers refuses the run. The run is created in
 * the journal and its mission enqueued in one transaction: both exist, or neither.
 */
import { hostname } from 'node:os';
import { BatonError, type RuntimeAdapter, type RuntimeUse, type Stage } from '@baton/core';
import {
  applyEvent,
  createRedactor,
  currentProcess,
  dispatchedRuntimes,
  type EngineEvent,
  findStoredRun,
  type JournalEvent,
  type Notice,
  type PreparedRuntimes,
  planStart,
  planStoppedResume,
  planTransition,
  type Redactor,
  type ResumeOptions,
  type RunStatus,
  type RunSummary,
  type RuntimeCheck,
  replayStoredRun,
  resolveRunnerOptions,
  runBudgetOf,
  type StartContext,
  type StartRequest,
  summarizeStoredRun,
} from '@baton/run';
import { displayDatabaseUrl } from './database.js';
import { dbosLogger, openDbosClient } from './dbos-app.js';
import { PgJournal } from './pg-journal.js';
import {
  ANSWER_TOPIC,
  type AnswerMessage,
  MISSION_WORKFLOW,
  MISSIONS_QUEUE,
  type StopRequest,
  stageTopic,
} from './pool.js';
import { copyProjectToShared, displayRemote } from './scale-workspace.js';
import { DEFAULT_DBOS_SCHEMA, DEFAULT_SCHEMA } from './schema.js';
import { listWorkers, type WorkerInfo } from './workers.js';
import { missionWorkflowId, stageWorkflowId } from './workflow-ids.js';

export interface PoolAddress {
  readonly url: string;
  readonly schema?: string;
  readonly dbosSchema?: string;
}

export interface RemoteStart {
  readonly runId: string;
  /** The workers that offer each runtime the run uses, when it was enqueued. */
  readonly offeredBy: Readonly<Record<string, readonly string[]>>;
}

function schemasOf(pool: PoolAddress) {
  return {
    schema: pool.schema ?? DEFAULT_SCHEMA,
    dbosSchema: pool.dbosSchema ?? DEFAULT_DBOS_SCHEMA,
  };
}

/** The project's `[scale]`, which `what` needs (its application_version and workspace). */
function scaleOf(context: StartContext, what: string) {
  const scale = context.config.scale;
  if (scale === null) {
    throw new BatonError(
      'USAGE',
      `${what} needs [scale] in baton.toml (its application_version and workspace); see docs/scale.md.`,
    );
  }
  return scale;
}

/** Starts a run on the pool: checked, journaled and enqueued; the pool's workers drive it. */
export async function startRemoteRun(
  pool: PoolAddress,
  context: StartContext,
  request: StartRequest,
): Promise<RemoteStart> {
  const { schema, dbosSchema } = schemasOf(pool);
  const scale = scaleOf(context, 'A run on the pool');
  const workers = await workersOfVersion(pool.url, schema, scale.applicationVersion, 'start');
  const plan = await planStart(context, request, poolCheck(workers));
  const offeredBy: Record<string, string[]> = {};
  for (const runtime of plan.prepared.adapters.keys()) {
    offeredBy[runtime] = workers
      .filter((worker) => worker.runtimes.includes(runtime))
      .map((worker) => worker.workerId);
  }
  const workspace =
    scale.workspace.strategy === 'git'
      ? { strategy: 'git', remote: displayRemote(scale.workspace.remote) }
      : { strategy: 'shared-path', root: scale.workspace.root };
  if (scale.workspace.strategy === 'shared-path') {
    try {
      copyProjectToShared(context.config.projectRoot, scale.workspace.root, plan.runId);
    } catch (error) {
      throw new BatonError(
        'USAGE',
        `Cannot give the run its starting folder: ${error instanceof Error ? error.message : String(error)}.`,
        { cause: error },
      );
    }
  }
  const planned = planTransition(
    null,
    plan.event,
    {
      ...plan.annotations,
      extra: {
        ...plan.annotations.extra,
        executor: 'pool',
        host: hostname(),
        application_version: scale.applicationVersion,
        workspace,
      },
    },
    plan.redactor,
    () => false,
  );
  const journal = await PgJournal.open(pool.url, { schema, dbosSchema });
  const logged: string[] = [];
  const client = await openDbosClient(
    pool.url,
    dbosSchema,
    dbosLogger((line) => logged.push(line), plan.redactor),
  );
  try {
    await journal.createRun(
      { runId: plan.runId, ...plan.run, owner: currentProcess() },
      planned.entries,
      planned.update,
      {
        within: async (transaction) => {
          await client.enqueueInTransaction(
            transaction,
            {
              queueName: MISSIONS_QUEUE,
              workflowName: MISSION_WORKFLOW,
              workflowID: missionWorkflowId(plan.runId),
              appVersion: scale.applicationVersion,
            },
            plan.runId,
          );
        },
      },
    );
  } finally {
    await client.destroy().catch(() => {});
    await journal.close();
  }
  return { runId: plan.runId, offeredBy };
}

/**
 * The workers that would take a run's work: those of the project's application_version (DBOS
 * queues are scoped by version). Refuses when the pool has workers and none of that version.
 */
async function workersOfVersion(
  url: string,
  schema: string,
  version: string,
  verb: 'start' | 'resume',
): Promise<WorkerInfo[]> {
  const all = await listWorkers(url, { schema });
  const workers = all.filter((worker) => worker.applicationVersion === version);
  if (all.length > 0 && workers.length === 0) {
    const versions = [...new Set(all.map((worker) => worker.applicationVersion))];
    throw new BatonError(
      'RUNTIME_FAILED',
      `Refusing to ${verb}: the pool's workers run application_version ${versions.join(', ')}, and this project's ` +
        `[scale] says ${version}; no worker would take the run. Use the pool's version, ` +
        'or start workers of this one.',
      { details: { versions } },
    );
  }
  return workers;
}

/** Statuses of a pool's run that `resumeRemoteRun` continues. */
const RESUMABLE: readonly RunStatus[] = ['interrupted', 'failed', 'budget_exhausted'];

export interface RemoteResume {
  readonly runId: string;
  /** The run's last event before the resume: follow the run from there. */
  readonly afterSeq: number;
  /** The stage the run continues with, if it continues with one. */
  readonly stage: string | null;
}

/**
 * Resumes a run of the pool that stopped — failed, out of budget, or interrupted because its
 * workspace could not be prepared — from any machine: the same resume as on one machine
 * (`--from`, a raised budget; routing and mission as the run started), judged by what the
 * pool's workers offer now. The `run.resumed` event and a new mission workflow for the run
 * (`<run>:resume-<seq>`, `seq` the run's last event then) are written in one transaction, and
 * only if nothing was written to the run since it was read: two resumes at once make one. The
 * stage starts from the last result the run adopted before it, as the pool recorded it.
 */
export async function resumeRemoteRun(
  pool: PoolAddress,
  context: StartContext,
  idOrPrefix: string,
  options: ResumeOptions,
): Promise<RemoteResume> {
  const { schema, dbosSchema } = schemasOf(pool);
  const scale = scaleOf(context, 'Resuming a run of the pool');
  const journal = await PgJournal.open(pool.url, { schema, dbosSchema });
  try {
    const { run, status } = await findStoredRun(journal, idOrPrefix);
    const runId = run.runId;
    if (!RESUMABLE.includes(status)) throw notResumable(runId, status);
    const replay = await replayStoredRun(journal, runId);
    if (!replay.matches || replay.state === null) {
      throw new BatonError(
        'RUN_STATE',
        `The journal of run ${runId} does not replay to its recorded state, so it cannot be continued safely. ` +
          `See: baton replay ${runId}`,
        { details: { runId, mismatches: replay.mismatches } },
      );
    }
    const recorded = replay.state;
    if (recorded.status !== 'running' && !RESUMABLE.includes(recorded.status)) {
      throw notResumable(runId, recorded.status);
    }
    // Recorded as running, and no workflow of the pool drives it (it was cancelled, or gave up
    // after its recoveries): recorded as interrupted before it resumes, as on one machine.
    const interrupted: EngineEvent | null =
      recorded.status === 'running'
        ? { type: 'run.interrupted', cause: 'its mission workflow ended without finishing the run' }
        : null;
    const state = interrupted === null ? recorded : applyEvent(recorded, interrupted).state;
    if (options.budget !== undefined) runBudgetOf(state.budget, options.budget);
    const workers = await workersOfVersion(pool.url, schema, scale.applicationVersion, 'resume');
    const prepared = await poolCheck(workers)(
      context,
      dispatchedRuntimes(state.routing, state.mission.steps),
      state.routing,
      state.mission.steps,
      resolveRunnerOptions(context.options),
    );
    for (const notice of prepared.notices) context.observer?.notice?.(notice.text);
    const { event, first } = planStoppedResume(runId, state, options, prepared.unhealthy);
    const workflowId = missionWorkflowId(runId, run.lastSeq);
    const redactor = createRedactor({ env: context.env, config: context.config });
    const before =
      interrupted === null
        ? []
        : planTransition(recorded, interrupted, {}, redactor, () => false).entries;
    const planned = planTransition(
      state,
      event,
      {
        extra: {
          executor: 'pool',
          host: hostname(),
          pid: process.pid,
          application_version: scale.applicationVersion,
          mission_workflow: workflowId,
        },
      },
      redactor,
      () => false,
    );
    const client = await openDbosClient(
      pool.url,
      dbosSchema,
      dbosLogger(() => {}, redactor),
    );
    try {
      await journal.append(runId, [...before, ...planned.entries], planned.update, {
        ifLastSeq: run.lastSeq,
        within: async (transaction) => {
          await client.enqueueInTransaction(
            transaction,
            {
              queueName: MISSIONS_QUEUE,
              workflowName: MISSION_WORKFLOW,
              workflowID: workflowId,
              appVersion: scale.applicationVersion,
            },
            runId,
          );
        },
      });
    } finally {
      await client.destroy().catch(() => {});
    }
    return { runId, afterSeq: run.lastSeq, stage: first?.kind === 'dispatch' ? first.stage : null };
  } finally {
    await journal.close();
  }
}

function notResumable(runId: string, status: RunStatus): BatonError {
  const why =
    status === 'waiting'
      ? `waits for an answer: baton resume ${runId} --approve [--input TEXT], or --reject "<why>"`
      : status === 'running'
        ? 'is still running on the pool: follow it with baton show'
        : `already ended (${status}); there is nothing to resume`;
  return new BatonError('RUN_STATE', `Run ${runId} of the worker pool ${why}.`, {
    details: { runId, status },
  });
}

/**
 * The pool's runtimes as a run's check sees them: a runtime is healthy when a worker of the
 * pool offers it (whatever its state: a worker gone for now comes back, or its work waits
 * on its queue); one no worker offers is skipped where a chain has another, and a stage
 * none of whose runtimes is offered refuses the run.
 */
export function poolCheck(workers: readonly WorkerInfo[]): RuntimeCheck {
  return async (context, used, routing, steps) => {
    const offered = new Set(workers.flatMap((worker) => worker.runtimes));
    const adapters = new Map<string, RuntimeAdapter>();
    const stages = new Map<string, Stage[]>();
    for (const [id, uses] of used as Map<string, RuntimeUse[]>) {
      adapters.set(id, await context.registry.load(id));
      stages.set(id, [...new Set(uses.map((use) => use.stage))]);
    }
    const unhealthy: Record<string, string> = {};
    for (const id of used.keys()) {
      if (!offered.has(id)) unhealthy[id] = 'no worker of the pool offers it';
    }
    const stranded = [
      ...new Set(steps.flatMap((step) => (step.kind === 'stage' ? [step.stage] : []))),
    ].filter((stage) =>
      routing.stages[stage]!.chain.every((target) => Object.hasOwn(unhealthy, target.runtime)),
    );
    if (stranded.length > 0) {
      const wanted = stranded.map(
        (stage) =>
          `${stage} (${routing.stages[stage]!.chain.map((target) => target.runtime).join(' or ')})`,
      );
      throw new BatonError(
        'RUNTIME_FAILED',
        `Refusing to start: no worker of the pool offers a runtime for ${wanted.join(', ')}. ` +
          `Start one where it is installed, e.g. baton worker --runtimes ${routing.stages[stranded[0]!]!.chain[0]!.runtime}` +
          (workers.length === 0 ? ' (the pool has no worker yet).' : '.'),
        { details: { stages: stranded, offered: [...offered] } },
      );
    }
    const notices: Notice[] = Object.keys(unhealthy).map((runtime) => ({
      kind: 'runtime-unhealthy',
      runtime,
      stages: stages.get(runtime) ?? [],
      text: `${runtime}: no worker of the pool offers it; its stages start on the next runtime of their chain`,
    }));
    const prepared: PreparedRuntimes = {
      adapters,
      binaries: new Map(),
      reports: [],
      stages,
      unhealthy,
      notices,
    };
    return prepared;
  };
}

export interface HumanAnswer {
  readonly decision: 'approve' | 'reject';
  readonly text: string;
}

export interface SentAnswer {
  readonly runId: string;
  readonly step: number;
  readonly question: string;
}

/**
 * Sends the answer to the question a run of the pool waits on, from any machine. Sending the
 * same question's answer again is harmless: DBOS keeps one message per question (keyed by
 * the question's place in the journal), and the mission takes the first.
 */
export async function answerRemoteRun(
  pool: PoolAddress,
  idOrPrefix: string,
  answer: HumanAnswer,
  redactor: Redactor,
): Promise<SentAnswer> {
  const schema = pool.schema ?? DEFAULT_SCHEMA;
  const dbosSchema = pool.dbosSchema ?? DEFAULT_DBOS_SCHEMA;
  const journal = await PgJournal.open(pool.url, { schema, dbosSchema, readOnly: true });
  let asked: { seq: number; step: number; question: string } | null = null;
  let runId: string;
  let mission: string;
  try {
    const { run, status } = await findStoredRun(journal, idOrPrefix);
    runId = run.runId;
    mission = missionWorkflowId(runId);
    for await (const event of journal.events(runId)) {
      // A resumed run's questions are asked by the mission workflow of its last resume.
      mission = resumedMission(event) ?? mission;
      if (event.type === 'human.asked') {
        asked = {
          seq: event.seq,
          step: Number(event.payload.step),
          question: String(event.payload.question ?? ''),
        };
      } else if (event.type === 'human.answered') asked = null;
    }
    if (status !== 'waiting' || asked === null) {
      throw new BatonError(
        'USAGE',
        `Run ${runId} is ${status}, not waiting for an answer; resume it without --approve or --reject.`,
        { details: { runId, status } },
      );
    }
  } finally {
    await journal.close();
  }
  const message: AnswerMessage = {
    step: asked.step,
    decision: answer.decision,
    text: redactor.text(answer.text),
    host: hostname(),
    pid: process.pid,
  };
  const logged: string[] = [];
  const client = await openDbosClient(
    pool.url,
    dbosSchema,
    dbosLogger((line) => logged.push(line), redactor),
  );
  try {
    await client.send(mission, message, ANSWER_TOPIC, `${runId}:answer:${asked.seq}`);
  } finally {
    await client.destroy().catch(() => {});
  }
  return { runId, step: asked.step, question: asked.question };
}

export interface StoppedRun {
  readonly runId: string;
  /** The run's status once the stop took: `interrupted`, or how it ended first. */
  readonly status: RunStatus;
  readonly cause: string | null;
}

/**
 * Stops a running run of the pool, from any machine: a stop request is sent to its mission on
 * the topic of the stage it waits for (the last one dispatched), and the mission cancels that
 * stage and journals the run as interrupted — `baton resume` continues it. A run that moved on
 * to another stage before its mission read the request gets it again for that stage. Resolves
 * once the journal says the run stopped, or ended otherwise first; `timeoutMs` bounds the wait.
 */
export async function stopRemoteRun(
  pool: PoolAddress,
  idOrPrefix: string,
  redactor: Redactor,
  options: { readonly timeoutMs?: number; readonly pollMs?: number } = {},
): Promise<StoppedRun> {
  const { schema, dbosSchema } = schemasOf(pool);
  const journal = await PgJournal.open(pool.url, { schema, dbosSchema, readOnly: true });
  const client = await openDbosClient(
    pool.url,
    dbosSchema,
    dbosLogger(() => {}, redactor),
  );
  try {
    const { run, status } = await findStoredRun(journal, idOrPrefix);
    const runId = run.runId;
    if (status === 'waiting') {
      throw new BatonError(
        'RUN_STATE',
        `Run ${runId} of the worker pool waits for an answer, so nothing of it runs; to end it, reject it: baton resume ${runId} --reject "<why>"`,
        { details: { runId, status } },
      );
    }
    if (status !== 'running') {
      throw new BatonError(
        'RUN_STATE',
        `Run ${runId} of the worker pool is ${status}: it does not run.`,
        {
          details: { runId, status },
        },
      );
    }
    const request: StopRequest = { stop: { host: hostname(), pid: process.pid } };
    const sent = new Set<string>();
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const position: MissionPosition = { mission: missionWorkflowId(runId), stage: null, seen: 0 };
    while (true) {
      await readMissionPosition(journal, runId, position);
      const { mission, stage } = position;
      const topic = stage === null ? null : stageTopic(stage);
      if (topic !== null && !sent.has(topic)) {
        sent.add(topic);
        await client.send(mission, request, topic, `${runId}:stop:${stage}`);
      }
      const now = await findStoredRun(journal, runId);
      if (now.status !== 'running') {
        return { runId, status: now.status, cause: now.run.cause ?? null };
      }
      if (Date.now() > deadline) {
        throw new BatonError(
          'RUN_STATE',
          `Run ${runId} did not stop within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s: its mission has not read the request yet (no worker runs it?). The request stays; see: baton show ${runId}`,
          { details: { runId } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    }
  } finally {
    await client.destroy().catch(() => {});
    await journal.close();
  }
}

/** Where a run's mission stands, read from the run's journal as it grows. */
interface MissionPosition {
  /** The run's mission workflow now (its last resume's, or the run's own). */
  mission: string;
  /** The stage workflow it waits for: the last one dispatched. */
  stage: string | null;
  /** The last event read. */
  seen: number;
}

/** Reads the events after `position.seen` into it. */
async function readMissionPosition(
  journal: PgJournal,
  runId: string,
  position: MissionPosition,
): Promise<void> {
  for await (const event of journal.events(runId, position.seen)) {
    position.seen = event.seq;
    const payload = event.payload;
    position.mission = resumedMission(event) ?? position.mission;
    if (event.type === 'control.directive.emitted' && payload.directive === 'dispatch') {
      const extra = (payload.extra ?? {}) as Record<string, unknown>;
      position.stage = stageWorkflowId(runId, {
        step: Number(payload.step),
        stage: String(payload.stage),
        loop: Number(extra.loop ?? 0),
        attempt: Number(extra.attempt),
      });
    }
  }
}

/** The mission workflow a `run.resumed` event started, or `null` for any other event. */
function resumedMission(event: JournalEvent): string | null {
  return event.type === 'run.resumed' && typeof event.payload.mission_workflow === 'string'
    ? event.payload.mission_workflow
    : null;
}

export interface FollowOptions {
  /** Told each event as the pool journals it. */
  readonly onEvent?: (event: JournalEvent) => void;
  readonly signal?: AbortSignal;
  /** Between looks at the journal (default 200 ms). */
  readonly pollMs?: number;
  /** Also stop once the run waits for an answer (default: yes). */
  readonly untilWaiting?: boolean;
  /**
   * The run was just answered: it still reads as waiting until its mission takes the answer,
   * so waiting counts only once the answer is journaled (a later question stops it again).
   */
  readonly pastAnswer?: boolean;
  /** Events already seen. */
  readonly afterSeq?: number;
}

/**
 * Follows a run of the pool until it ends (or waits for an answer, or `signal` aborts):
 * its events as they are journaled, then its summary as readers show it.
 */
export async function followRemoteRun(
  pool: PoolAddress,
  runId: string,
  options: FollowOptions = {},
): Promise<RunSummary> {
  const journal = await PgJournal.open(pool.url, {
    schema: pool.schema ?? DEFAULT_SCHEMA,
    dbosSchema: pool.dbosSchema ?? DEFAULT_DBOS_SCHEMA,
    readOnly: true,
  });
  try {
    let seen = options.afterSeq ?? 0;
    let answered = options.pastAnswer !== true;
    while (true) {
      for await (const event of journal.events(runId, seen)) {
        seen = event.seq;
        if (event.type === 'human.answered') answered = true;
        options.onEvent?.(event);
      }
      const { status } = await findStoredRun(journal, runId);
      const untilWaiting = options.untilWaiting !== false && answered;
      if (isSettled(status, untilWaiting) || options.signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    }
    for await (const event of journal.events(runId, seen)) options.onEvent?.(event);
    return await summarizeStoredRun(journal, runId);
  } finally {
    await journal.close();
  }
}

function isSettled(status: RunStatus, untilWaiting: boolean): boolean {
  if (status === 'running') return false;
  return status !== 'waiting' || untilWaiting;
}

/** The pool's database as it may be shown. */
export function displayPool(pool: PoolAddress): string {
  return displayDatabaseUrl(pool.url);
}
