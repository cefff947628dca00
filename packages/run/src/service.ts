/**
 * Starting and resuming runs: everything checked before a run starts (nesting depth, the
 * mission, adapters, the cheap doctor checks, the runtime executables), then the driver.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdapterRegistry,
  type BatonConfig,
  BatonError,
  closestMatch,
  type Environment,
  type Mission,
  type MissionStep,
  type RunBudget,
  type RuntimeAdapter,
  type RuntimeUse,
  type Stage,
} from '@baton/core';
import type { RuntimeReport } from '@baton/core/doctor';
import { approvalSubject } from './approval.js';
import { configHash } from './config-hash.js';
import { runBudgetOf } from './engine/budget.js';
import { applyEvent } from './engine/reducer.js';
import {
  type EngineEvent,
  FINAL_RUN_STATUSES,
  type RetryPolicy,
  type RoutingSnapshot,
  type RunState,
} from './engine/types.js';
import {
  displayStatus,
  type Journal,
  type NewEvent,
  type NewRun,
  type RunRecord,
} from './journal/journal.js';
import { JOURNAL_DIRECTORY } from './journal/location.js';
import { currentProcess, isProcessAlive, type ProcessIdentity } from './journal/owner.js';
import { newRunId } from './journal/run-id.js';
import { createRedactor, type Redactor } from './redact.js';
import { replayRun } from './replay.js';
import { checkWorkspaceUnchanged, planStoppedResume, type ResumeOptions } from './resume-plan.js';
import { dispatchedRuntimes, routingSnapshot } from './routing.js';
import { OWNER_LOST_CAUSE } from './run-header.js';
import { type BinaryRecord, fingerprintBinary } from './runner/binaries.js';
import { RunDriver } from './runner/driver.js';
import { assertDepth } from './runner/environment.js';
import type { AskHuman, HumanAnswer, RunObserver } from './runner/observer.js';
import {
  type ResolvedRunnerOptions,
  type RunnerOptions,
  resolveRunnerOptions,
} from './runner/options.js';
import { preflight } from './runner/preflight.js';
import { stopGroup } from './runner/process-group.js';
import { StageWorkspace } from './runner/stage-workspace.js';
import type { Annotations } from './runner/transition.js';
import { type RunSummary, summarizeRun } from './summary.js';

export interface RunContext {
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  readonly journal: Journal;
  /** Baton's environment; runtimes inherit it (plus Baton's markers). */
  readonly env: Environment;
  readonly observer?: RunObserver;
  /** Aborting stops the running runtime's process group and records the run as interrupted. */
  readonly signal?: AbortSignal;
  /** Answers human steps inline (a terminal); without it a human step pauses the run. */
  readonly ask?: AskHuman;
  readonly options?: RunnerOptions;
  /**
   * Told the run's id once this process owns the run (started it, or claimed it to resume),
   * so that a caller can record on it an error that stops the process.
   */
  readonly onRunOwned?: (runId: string) => void;
}

export interface StartRequest {
  readonly goal: string;
  /** Default: `deliver`. */
  readonly mission?: string;
  /** The run's budget, over the mission's (`max_cost_usd`, `max_tokens`) field by field. */
  readonly budget?: Partial<RunBudget>;
}

export interface ResumeRequest extends ResumeOptions {
  /** A run id, or an unambiguous prefix of one. */
  readonly runId: string;
  /** The answer to the human step a waiting run asks: approve (with input) or reject (why). */
  readonly answer?: HumanAnswer;
}

/** What starting a run needs of its context, whichever executor drives it. */
export type StartContext = Pick<RunContext, 'config' | 'registry' | 'env' | 'observer' | 'options'>;

/**
 * A new run, checked and ready to journal: its id, its `run.started` with the routing, retry
 * and budget snapshots, what is journaled with it, and the runtimes prepared for it. The
 * executor (this process's driver, or the scale pool) journals it and drives it.
 */
export interface PlannedStart {
  readonly runId: string;
  readonly depth: number;
  readonly redactor: Redactor;
  readonly options: ResolvedRunnerOptions;
  readonly prepared: PreparedRuntimes;
  readonly event: Extract<EngineEvent, { type: 'run.started' }>;
  readonly run: Omit<NewRun, 'runId' | 'owner'>;
  readonly annotations: Annotations;
}

/**
 * Checks the goal, the mission, the budget and the runtimes of every stage chain, tells the
 * observer what it should know, and plans the run. `checkRuntimes` decides which runtimes
 * are healthy: this machine's doctor by default; a pool checks what its workers offer.
 */
export async function planStart(
  context: StartContext,
  request: StartRequest,
  checkRuntimes: RuntimeCheck = prepareRuntimes,
): Promise<PlannedStart> {
  const depth = assertDepth(context.env);
  const goal = request.goal.trim();
  if (goal === '')
    throw new BatonError(
      'USAGE',
      'The goal is empty: say what the run should achieve, e.g. baton run "Add a --verbose flag".',
    );
  const mission = findMission(context.config, request.mission ?? 'deliver');
  const budget = runBudgetOf(mission.budget, request.budget);
  const options = resolveRunnerOptions(context.options);
  const resolved = routingSnapshot(context.config, mission.steps);
  const prepared = await checkRuntimes(
    context,
    dispatchedRuntimes(resolved, mission.steps),
    resolved,
    mission.steps,
    options,
  );
  const routing: RoutingSnapshot = { ...resolved, unhealthy: prepared.unhealthy };
  const notices = [
    ...prepared.notices,
    ...(await workspaceNotices(context)),
    ...costNotices(context.config, routing, mission.steps, prepared.adapters, budget),
  ];
  for (const notice of notices) context.observer?.notice?.(notice.text);
  const redactor = createRedactor({ env: context.env, config: context.config });
  const runId = newRunId();
  const hash = configHash(context.config);
  return {
    runId,
    depth,
    redactor,
    options,
    prepared,
    event: {
      type: 'run.started',
      runId,
      goal,
      mission: { name: mission.name, steps: mission.steps, maxLoops: mission.maxLoops },
      routing,
      retry: runRetry(context),
      budget,
      maxTurns: mission.maxTurns,
    },
    run: { goal: redactor.text(goal), mission: mission.name, configHash: hash },
    annotations: {
      extra: {
        config_hash: hash,
        config_files: context.config.files,
        cwd: context.config.projectRoot,
        pid: process.pid,
        baton_depth: depth,
      },
      after: [...resolvedEvents(prepared, null), ...noticeEvents(notices)],
    },
  };
}

export async function startRun(context: RunContext, request: StartRequest): Promise<RunSummary> {
  const plan = await planStart(context, request);
  const { runId } = plan;
  const owner = currentProcess();
  const driver = new RunDriver({
    runId,
    journal: context.journal,
    config: context.config,
    registry: context.registry,
    env: context.env,
    depth: plan.depth,
    owner,
    redactor: plan.redactor,
    adapters: plan.prepared.adapters,
    binaries: plan.prepared.binaries,
    options: plan.options,
    observer: context.observer,
    signal: context.signal,
    ask: context.ask,
    state: null,
  });
  context.onRunOwned?.(runId);
  try {
    await driver.start(plan.event, plan.run, plan.annotations);
  } catch (error) {
    releaseAfterFailure(context.journal, runId, owner);
    throw error;
  }
  return summarizeRun(context.journal, runId);
}

export async function resumeRun(context: RunContext, request: ResumeRequest): Promise<RunSummary> {
  const depth = assertDepth(context.env);
  const options = resolveRunnerOptions(context.options);
  const found = context.journal.findRun(request.runId);
  const runId = found.runId;
  checkResumable(found, currentProcess());

  const replay = replayRun(context.journal, runId);
  if (!replay.matches || replay.state === null) {
    throw new BatonError(
      'RUN_STATE',
      `The journal of run ${runId} does not replay to its recorded state, so it cannot be continued safely. ` +
        `See: baton replay ${runId}\n  ${replay.mismatches.slice(0, 3).join('\n  ')}`,
      { details: { runId, mismatches: replay.mismatches } },
    );
  }
  const state: RunState = replay.state;
  const status = displayStatus(found);
  let answer: HumanAnswer | null = null;
  if (status === 'waiting') {
    answer = request.answer ?? null;
    if (answer === null && context.ask) {
      const subject = approvalSubject(state, state.step);
      const question = state.question ?? '';
      context.observer?.question?.(state.step, question, subject);
      answer = await context.ask(question, state.step, subject);
    }
    if (answer === null) {
      throw new BatonError(
        'USAGE',
        `Run ${runId} is waiting for an answer to: ${state.question}\n` +
          `Approve it with: baton resume ${runId} --approve [--input TEXT]\n` +
          `or reject it with: baton resume ${runId} --reject "<why>"`,
        { details: { runId, question: state.question } },
      );
    }
    if (request.from !== undefined || request.budget !== undefined || request.force === true) {
      throw new BatonError(
        'USAGE',
        `Run ${runId} is waiting for an answer; --from, --force, --max-cost and --max-tokens resume a run that was interrupted, failed or ran out of budget.`,
        { details: { runId, status } },
      );
    }
  } else if (request.answer !== undefined) {
    throw new BatonError(
      'USAGE',
      `Run ${runId} is ${status}, not waiting for an answer; resume it without --approve or --reject.`,
      {
        details: { runId, status },
      },
    );
  }
  if (request.budget !== undefined) runBudgetOf(state.budget, request.budget);

  const prepared = await prepareRuntimes(
    context,
    dispatchedRuntimes(state.routing, state.mission.steps),
    state.routing,
    state.mission.steps,
    options,
  );
  let resumed: Extract<EngineEvent, { type: 'run.resumed' }> | null = null;
  if (answer === null) {
    // A run whose owner died is recorded as interrupted before it resumes.
    const stopped: RunState =
      state.status === 'running'
        ? applyEvent(state, { type: 'run.interrupted', cause: OWNER_LOST_CAUSE }).state
        : state;
    const { event, first } = planStoppedResume(runId, stopped, request, prepared.unhealthy);
    resumed = event;
    if (stopped.status === 'failed' || stopped.status === 'budget_exhausted') {
      await checkWorkspaceUnchanged({
        runId,
        journal: context.journal,
        cwd: context.config.projectRoot,
        env: context.env,
        directive: first,
        force: request.force === true,
      });
    }
  }
  for (const notice of prepared.notices) context.observer?.notice?.(notice.text);
  const owner = currentProcess();
  const claimed = context.journal.claim(runId, owner, (run) => checkResumable(run, owner));
  try {
    context.onRunOwned?.(runId);
    await continueClaimed(context, {
      runId,
      owner,
      claimed,
      previous: found,
      prepared,
      state,
      answer,
      resumed,
      depth,
      options,
      force: request.force === true,
    });
  } catch (error) {
    releaseAfterFailure(context.journal, runId, owner);
    throw error;
  }
  return summarizeRun(context.journal, runId);
}

interface ClaimedRun {
  readonly runId: string;
  readonly owner: ProcessIdentity;
  readonly claimed: RunRecord;
  readonly previous: RunRecord;
  readonly prepared: PreparedRuntimes;
  readonly state: RunState;
  readonly answer: HumanAnswer | null;
  /** The resume to apply when there is no answer to give. */
  readonly resumed: Extract<EngineEvent, { type: 'run.resumed' }> | null;
  readonly depth: number;
  readonly options: ResolvedRunnerOptions;
  readonly force?: boolean;
}

/** Drives a run this process has just claimed: records how it continues, then runs it on. */
async function continueClaimed(context: RunContext, run: ClaimedRun): Promise<void> {
  const { runId, owner, claimed, prepared, state, answer, resumed, depth, options } = run;
  const previousOwner = run.previous.owner;
  const redactor = createRedactor({ env: context.env, config: context.config });
  const driver = new RunDriver({
    runId,
    journal: context.journal,
    config: context.config,
    registry: context.registry,
    env: context.env,
    depth,
    owner,
    redactor,
    adapters: prepared.adapters,
    binaries: prepared.binaries,
    options,
    observer: context.observer,
    signal: context.signal,
    ask: context.ask,
    state,
  });
  const hash = configHash(context.config);
  const extra = { pid: owner.pid, config_hash: hash, config_changed: hash !== claimed.configHash };
  const after = [
    ...resolvedEvents(prepared, previousBinaries(context.journal, runId)),
    ...noticeEvents(prepared.notices),
  ];

  removeLeftoverScratch(context.config.projectRoot, runId);
  if (claimed.status === 'running') {
    // The owner died mid-run: stop what it left running, then record the interruption.
    const orphan = await reapOrphan(context.journal, runId, options.killGraceMs);
    driver.apply(
      {
        type: 'run.interrupted',
        cause: OWNER_LOST_CAUSE + (previousOwner ? ` (pid ${previousOwner.pid})` : ''),
      },
      { before: orphan },
    );
  }
  if (answer !== null) {
    await driver.continueWith(
      { type: 'human.answered', step: state.step, decision: answer.decision, answer: answer.text },
      { extra: { ...extra, via: 'resume' }, after },
    );
  } else {
    await driver.continueWith(resumed ?? { type: 'run.resumed' }, {
      extra: { ...extra, ...(run.force ? { forced: true } : {}) },
      after,
    });
  }
}

function checkResumable(run: RecordLike, self: ProcessIdentity): void {
  if (FINAL_RUN_STATUSES.includes(run.status)) {
    throw new BatonError(
      'RUN_STATE',
      `Run ${run.runId} already ended (${run.status}); there is nothing to resume.`,
      {
        details: { runId: run.runId, status: run.status },
      },
    );
  }
  // A live owner holds the run whatever its status says: a resumer claims the run before it
  // writes anything, and a run asking its question on a terminal keeps its owner.
  if (run.owner !== null && run.owner.pid !== self.pid && isProcessAlive(run.owner)) {
    const pid = run.owner.pid;
    throw new BatonError(
      'RUN_STATE',
      run.status === 'waiting'
        ? `Run ${run.runId} is waiting for an answer on the terminal of pid ${pid}; answer it there, or stop that process, then: baton resume ${run.runId}`
        : `Run ${run.runId} is being ${run.status === 'running' ? 'run or resumed' : 'resumed'} by pid ${pid}; ` +
            `one process drives a run at a time. Wait for it to finish (or stop it), then: baton resume ${run.runId}`,
      { details: { runId: run.runId, status: run.status, pid } },
    );
  }
}

/** Gives up this process's claim after a failure, so the run can be resumed (best effort). */
function releaseAfterFailure(journal: Journal, runId: string, owner: ProcessIdentity): void {
  try {
    journal.release(runId, owner);
  } catch {
    // The journal itself failed (a full disk): the claim ends with this process.
  }
}

type RecordLike = Pick<RunRecord, 'runId' | 'status' | 'owner'>;

export function findMission(config: BatonConfig, name: string): Mission {
  const mission = Object.hasOwn(config.missions, name) ? config.missions[name] : undefined;
  if (mission) return mission;
  const names = Object.keys(config.missions).sort();
  const suggestion = closestMatch(name, names);
  throw new BatonError(
    'USAGE',
    `Unknown mission "${name}".` +
      (suggestion ? ` Did you mean "${suggestion}"?` : '') +
      ` Missions: ${names.join(', ')}.`,
    { details: { mission: name, accepted: names, suggestion } },
  );
}

/** `[orchestrator.retry]`, unless the caller's runner options say otherwise (tests: short waits). */
function runRetry(context: StartContext): RetryPolicy {
  return { ...context.config.retry, ...context.options?.retry };
}

/** Decides which runtimes a new run may use (see `planStart`). */
export type RuntimeCheck = (
  context: StartContext,
  used: Map<string, RuntimeUse[]>,
  routing: RoutingSnapshot,
  steps: readonly MissionStep[],
  options: ResolvedRunnerOptions,
) => Promise<PreparedRuntimes>;

export interface PreparedRuntimes {
  readonly adapters: Map<string, RuntimeAdapter>;
  readonly binaries: Map<string, BinaryRecord>;
  readonly reports: readonly RuntimeReport[];
  readonly stages: ReadonlyMap<string, readonly Stage[]>;
  /** Runtimes that failed their checks: a chain skips them. */
  readonly unhealthy: Readonly<Record<string, string>>;
  readonly notices: readonly Notice[];
}

/** Something the person is told before the run, and the journal keeps. */
export interface Notice {
  readonly kind: 'runtime-unhealthy' | 'not-git' | 'cost-unknown';
  readonly text: string;
  readonly runtime?: string;
  readonly stages?: readonly Stage[];
}

async function prepareRuntimes(
  context: StartContext,
  used: Map<string, RuntimeUse[]>,
  routing: RoutingSnapshot,
  steps: readonly MissionStep[],
  options: ResolvedRunnerOptions,
): Promise<PreparedRuntimes> {
  const adapters = new Map<string, RuntimeAdapter>();
  for (const id of used.keys()) adapters.set(id, await context.registry.load(id));
  const stages = new Map(
    [...used].map(([id, uses]) => [id, [...new Set(uses.map((use) => use.stage))]] as const),
  );
  const checked = await preflight({
    runtimes: [...used].map(([id, uses]) => ({
      id,
      adapter: adapters.get(id)!,
      settings: context.config.runtimes[id] ?? {},
      stages: stages.get(id)!,
      uses,
    })),
    profile: routing.backendProfile,
    env: context.env,
    cwd: context.config.projectRoot,
    timeoutMs: options.doctorTimeoutMs,
    routing,
    steps,
  });
  const binaries = new Map<string, BinaryRecord>();
  for (const report of checked.reports) {
    binaries.set(
      report.id,
      fingerprintBinary({
        runtimeId: report.id,
        identity: adapters.get(report.id)!.identity,
        settings: context.config.runtimes[report.id] ?? {},
        env: context.env,
        cwd: context.config.projectRoot,
        version: report.version,
      }),
    );
  }
  const notices: Notice[] = Object.keys(checked.unhealthy).map((runtime, index) => ({
    kind: 'runtime-unhealthy',
    text: checked.notices[index]!,
    runtime,
    stages: stages.get(runtime) ?? [],
  }));
  return {
    adapters,
    binaries,
    reports: checked.reports,
    stages,
    unhealthy: checked.unhealthy,
    notices,
  };
}

/** Outside a git work tree nothing can be put back between attempts: said before the run. */
async function workspaceNotices(context: StartContext): Promise<Notice[]> {
  const workspace = await StageWorkspace.open('', context.config.projectRoot, context.env);
  if (workspace.isGit) return [];
  return [
    {
      kind: 'not-git',
      text:
        'the project is not in a git work tree: Baton cannot checkpoint the workspace, so a stage ' +
        'is retried or falls back only when its failed attempt changed no file',
    },
  ];
}

/**
 * With a cost budget, each runtime whose cost stays unknown — it reports none and
 * `[pricing]` has no price for its model — counts toward the budget's tokens only.
 */
function costNotices(
  config: BatonConfig,
  routing: RoutingSnapshot,
  steps: readonly MissionStep[],
  adapters: ReadonlyMap<string, RuntimeAdapter>,
  budget: RunBudget,
): Notice[] {
  if (budget.maxCostUsd === null) return [];
  const unknown = new Map<string, { runtime: string; model: string | null; stages: Stage[] }>();
  for (const step of steps) {
    if (step.kind !== 'stage') continue;
    for (const target of routing.stages[step.stage]!.chain) {
      if (adapters.get(target.runtime)?.capabilities.reportsCost === true) continue;
      const model = target.model ?? config.runtimes[target.runtime]?.model ?? null;
      if (model !== null && Object.hasOwn(config.pricing, model)) continue;
      const key = `${target.runtime}\0${model ?? ''}`;
      const entry = unknown.get(key) ?? { runtime: target.runtime, model, stages: [] };
      if (!entry.stages.includes(step.stage)) entry.stages.push(step.stage);
      unknown.set(key, entry);
    }
  }
  return [...unknown.values()].map(({ runtime, model, stages }) => ({
    kind: 'cost-unknown',
    runtime,
    stages,
    text:
      model === null
        ? `${runtime} reports no cost and runs the model its own config chooses (${stages.join(', ')}); ` +
          'name a model for it and price it in [pricing."<model>"], or its tokens count toward max_tokens only'
        : `${runtime} reports no cost (${stages.join(', ')}); add [pricing."${model}"] or its tokens ` +
          'count toward max_tokens only',
  }));
}

function noticeEvents(notices: readonly Notice[]): NewEvent[] {
  return notices.map((notice) =>
    notice.kind === 'runtime-unhealthy'
      ? {
          type: 'runtime.unhealthy',
          payload: { runtime_id: notice.runtime, stages: notice.stages, text: notice.text },
        }
      : {
          type: 'run.notice',
          payload: {
            kind: notice.kind,
            text: notice.text,
            ...(notice.runtime === undefined ? {} : { runtime_id: notice.runtime }),
            ...(notice.stages === undefined ? {} : { stages: notice.stages }),
          },
        },
  );
}

function resolvedEvents(
  prepared: PreparedRuntimes,
  previous: ReadonlyMap<string, Record<string, unknown>> | null,
): NewEvent[] {
  return prepared.reports.map((report) => {
    const binary = prepared.binaries.get(report.id)!;
    const payload: Record<string, unknown> = {
      runtime_id: report.id,
      stages: prepared.stages.get(report.id) ?? [],
      binary: binary.wanted,
      path: binary.path,
      real_path: binary.realPath,
      version: binary.version,
      size: binary.size,
      mtime_ms: binary.mtimeMs,
      inode: binary.inode,
      doctor_status: report.status,
    };
    const before = previous?.get(report.id);
    if (before !== undefined) {
      const changed = ['real_path', 'version', 'size', 'mtime_ms', 'inode'].filter(
        (key) => before[key] !== payload[key],
      );
      payload.changed_since_last_resolved = changed;
    }
    return { type: 'runtime.resolved', payload };
  });
}

function previousBinaries(journal: Journal, runId: string): Map<string, Record<string, unknown>> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const event of journal.events(runId)) {
    if (event.type === 'runtime.resolved')
      latest.set(String(event.payload.runtime_id), event.payload);
  }
  return latest;
}

/**
 * Scratch directories of this run's earlier stages that a killed process could not remove
 * (they may hold generated settings files with credentials in them).
 */
function removeLeftoverScratch(projectRoot: string, runId: string): void {
  const directory = join(projectRoot, JOURNAL_DIRECTORY, 'scratch');
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith(`${runId}-`))
      rmSync(join(directory, entry), { recursive: true, force: true });
  }
}

/**
 * The stage process a dead owner left behind (started, never recorded as exited): stops
 * its process group if it still runs, and returns the `agent.process.exited` that closes it.
 */
async function reapOrphan(journal: Journal, runId: string, graceMs: number): Promise<NewEvent[]> {
  let open: Record<string, unknown> | null = null;
  for (const event of journal.events(runId)) {
    if (event.type === 'agent.process.started') open = event.payload;
    else if (event.type === 'agent.process.exited') open = null;
  }
  if (open === null || typeof open.pid !== 'number') return [];
  const identity = {
    pid: open.pid,
    start: typeof open.pid_start === 'string' ? open.pid_start : null,
  };
  const alive = isProcessAlive(identity);
  if (alive) await stopGroup(identity.pid, graceMs);
  return [
    {
      type: 'agent.process.exited',
      payload: {
        runtime_id: open.runtime_id,
        stage: open.stage,
        step: open.step,
        attempt: open.attempt,
        loop: open.loop,
        pid: open.pid,
        exit_code: null,
        signal: null,
        duration_ms: 0,
        status: 'interrupted',
        stopped_by: 'owner-lost',
        error: OWNER_LOST_CAUSE,
        session_id: null,
        usage: null,
        still_running_when_found: alive,
      },
    },
  ];
}
