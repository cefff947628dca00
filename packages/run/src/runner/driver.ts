/**
 * The driver performs the engine's directives: it dispatches stages to their runtimes,
 * asks humans, and journals everything. Every engine event is journaled together with the
 * directives it produced (and the annotations that explain it) in one transaction, and the
 * engine is fed the journaled (redacted) payload — so the live state and a replay of the
 * journal are the same state, by construction.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AdapterRegistry,
  type BatonConfig,
  type Environment,
  type FailureClass,
  type RuntimeAdapter,
  type RuntimeEvent,
  renderRoleContract,
  type StageBudget,
  type StageRequest,
} from '@baton/core';
import { approvalSubject } from '../approval.js';
import { sha256Text as sha256 } from '../canonical-json.js';
import { applyEvent } from '../engine/reducer.js';
import { stateHash } from '../engine/state-hash.js';
import {
  type AttemptUsage,
  type Directive,
  type DispatchReason,
  ENDED_RUN_STATUSES,
  type EngineEvent,
  type FallbackFrom,
  type RetryPolicy,
  type RunState,
  type RunStatus,
  type Verdict,
} from '../engine/types.js';
import {
  DIRECTIVE_EVENT_TYPE,
  decodeEvent,
  encodeDirective,
  encodeEvent,
  type Payload,
} from '../engine/wire.js';
import type { Journal, NewEvent, NewRun } from '../journal/journal.js';
import { JOURNAL_DIRECTORY } from '../journal/location.js';
import { type ProcessIdentity, processStartToken } from '../journal/owner.js';
import { composePrompt, composeResumePrompt } from '../prompt.js';
import type { Redactor } from '../redact.js';
import { readVerdict } from '../verdict.js';
import { type BinaryRecord, binaryChange } from './binaries.js';
import { attemptUsage } from './cost.js';
import { childEnvironment } from './environment.js';
import { explainFailure } from './failure-detail.js';
import { MessageJoiner } from './messages.js';
import { runStage, type StageRunResult } from './stage.js';
import { type PreparedWorkspace, StageWorkspace } from './stage-workspace.js';
import { ToolCallCounter } from './tool-calls.js';
import { clip, runtimeEventToWire, totalTokens, usageToWire } from './wire-events.js';
import {
  changesBetween,
  changesToWire,
  readWorkspaceState,
  type WorkspaceChanges,
} from './workspace-changes.js';

/** What a terminal (or any caller) is told while a run progresses. */
export interface StageProgress {
  readonly runId: string;
  readonly step: number;
  readonly stage: StageRequest['stage'];
  readonly runtime: string;
  readonly attempt: number;
  readonly loop: number;
}

export interface StageReport {
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly durationMs: number;
  readonly tokens: number | null;
  /** Tokens and cost of the attempt; `null` when the runtime reported no usage. */
  readonly usage: AttemptUsage | null;
  readonly error: string | null;
  /** The failed attempt's class. */
  readonly failureClass: FailureClass | null;
  readonly verdict: Verdict | null;
  /** Tool calls the runtime made (each counted once, however the harness reported it). */
  readonly toolCalls: number;
  /** Runtime events past the per-stage cap: counted, not journaled. */
  readonly eventsDropped: number;
  /** Files the stage changed; `null` when unknown (not a git work tree). */
  readonly changes: WorkspaceChanges | null;
}

/** A stage's result a human step asks about: what the human approves or rejects. */
export interface ApprovalSubject {
  readonly runId: string;
  readonly step: number;
  readonly stage: StageProgress['stage'];
  readonly runtime: string;
  /** The stage's final text as journaled (redacted); `null` when it wrote none. */
  readonly finalText: string | null;
}

/**
 * Told what happens as a run progresses; every text it gets is redacted like the journal.
 * `runtimeEvent` gets messages whole: a message a harness streams in pieces arrives as
 * `partial` text events carrying its beginning so far, then once whole (not partial).
 */
/** How an attempt after the first comes about: a retry, a fallback, a resume. */
export interface AttemptPlan {
  readonly reason: DispatchReason;
  /** The runtime given up (a fallback), with its class and cause. */
  readonly fallbackFrom: FallbackFrom | null;
  /** The session continued (a session-resume), or `null`. */
  readonly sessionId: string | null;
  /** The stage's checkpoint the attempt starts from (git), or `null`. */
  readonly checkpointRef: string | null;
  /** Where the workspace was kept before it was put back to the checkpoint, or `null`. */
  readonly abandonedRef: string | null;
  /** Something the person should know about this attempt (e.g. a session not continued). */
  readonly note: string | null;
}

export interface RunObserver {
  stageStarted?(stage: StageProgress, pid: number): void;
  runtimeEvent?(stage: StageProgress, event: RuntimeEvent): void;
  stageEnded?(stage: StageProgress, report: StageReport): void;
  retryScheduled?(stage: StageProgress, delayMs: number): void;
  /** An attempt other than a stage's plain first one is about to start (after its wait). */
  attemptPlanned?(stage: StageProgress, plan: AttemptPlan): void;
  /** Something to know before or during the run (a runtime skipped, costs it cannot know). */
  notice?(text: string): void;
  /** A human step asks `question` about `subject` (the result before it), before the answer is sought. */
  question?(step: number, question: string, subject: ApprovalSubject | null): void;
}

/** A human's answer to a human step: go on, or send the work back (or end the run). */
export interface HumanAnswer {
  readonly decision: 'approve' | 'reject';
  /** With `approve`, the input for the next steps; with `reject`, why. May be empty. */
  readonly text: string;
}

/** Answers a human step inline; `null` leaves the run waiting. */
export type AskHuman = (
  question: string,
  step: number,
  subject: ApprovalSubject | null,
) => Promise<HumanAnswer | null>;

export interface RunnerOptions {
  /** Over `[orchestrator.retry]` for this run (tests: short waits). */
  readonly retry?: Partial<RetryPolicy>;
  /** Between SIGTERM and SIGKILL when stopping a runtime's process group. */
  readonly killGraceMs?: number;
  /** Cap on one line of runtime output held in memory. */
  readonly maxLineBytes?: number;
  /** Wall-clock limit per stage when `[runtimes.<id>] timeout` is not set. */
  readonly defaultTimeoutMs?: number;
  /** Silence limit per stage when `[runtimes.<id>] idle_timeout` is not set. */
  readonly defaultIdleTimeoutMs?: number;
  /** Time limit of each doctor check before the run starts. */
  readonly doctorTimeoutMs?: number;
  /** Runtime events journaled per stage attempt; the rest are counted, not stored. */
  readonly maxJournaledEvents?: number;
}

export const DEFAULT_RUNNER_OPTIONS = {
  killGraceMs: 3000,
  maxLineBytes: 8 * 1024 * 1024,
  defaultTimeoutMs: 30 * 60_000,
  defaultIdleTimeoutMs: 10 * 60_000,
  doctorTimeoutMs: 15_000,
  maxJournaledEvents: 1000,
} as const;

export type ResolvedRunnerOptions = {
  readonly retry: Partial<RetryPolicy>;
  readonly killGraceMs: number;
  readonly maxLineBytes: number;
  readonly defaultTimeoutMs: number;
  readonly defaultIdleTimeoutMs: number;
  readonly doctorTimeoutMs: number;
  readonly maxJournaledEvents: number;
};

export function resolveRunnerOptions(options: RunnerOptions = {}): ResolvedRunnerOptions {
  return {
    ...DEFAULT_RUNNER_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    retry: { ...options.retry },
  } as ResolvedRunnerOptions;
}

/** Longest final text kept per stage in the journal (its start and its end are kept). */
export const MAX_FINAL_TEXT = 64_000;

/** How a drive ended for this process. */
export interface DriveResult {
  readonly status: RunStatus;
  readonly cause: string | null;
  readonly question: string | null;
}

export interface DriverInit {
  readonly runId: string;
  readonly journal: Journal;
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  readonly env: Environment;
  readonly depth: number;
  readonly owner: ProcessIdentity;
  readonly redactor: Redactor;
  readonly adapters: ReadonlyMap<string, RuntimeAdapter>;
  readonly binaries: ReadonlyMap<string, BinaryRecord>;
  readonly options: ResolvedRunnerOptions;
  readonly observer?: RunObserver;
  readonly signal?: AbortSignal;
  readonly ask?: AskHuman;
  /** The state rebuilt from the journal (resume), or `null` for a new run. */
  readonly state: RunState | null;
}

interface Annotations {
  /** Journaled before the engine event (what led to it). */
  readonly before?: readonly NewEvent[];
  /** Journaled right after the engine event, before its directives. */
  readonly after?: readonly NewEvent[];
  /** Informational fields added to the engine event's payload (the engine ignores them). */
  readonly extra?: Payload;
}

export class RunDriver {
  private state: RunState | null;
  private readonly init: DriverInit;
  private workspace: StageWorkspace | null = null;

  constructor(init: DriverInit) {
    this.init = init;
    this.state = init.state;
  }

  get current(): RunState | null {
    return this.state;
  }

  /** Journals `run.started` (creating the run) and drives it. */
  async start(
    event: Extract<EngineEvent, { type: 'run.started' }>,
    run: Omit<NewRun, 'runId' | 'owner'>,
    annotations: Annotations,
  ): Promise<DriveResult> {
    const directives = this.apply(event, annotations, {
      ...run,
      runId: this.init.runId,
      owner: this.init.owner,
    });
    return this.drive(directives);
  }

  /** Applies an event to a run rebuilt from the journal (an answer, a resume) and drives on. */
  async continueWith(event: EngineEvent, annotations: Annotations = {}): Promise<DriveResult> {
    return this.drive(this.apply(event, annotations));
  }

  /**
   * Redacts and journals an engine event with its annotations and directives in one
   * transaction, then moves to the state the engine computed from the journaled payload.
   */
  apply(
    event: EngineEvent,
    annotations: Annotations = {},
    newRun?: NewRun,
    redactor = this.init.redactor,
  ): Directive[] {
    const payload = redactor.value({ ...(annotations.extra ?? {}), ...encodeEvent(event) });
    const transition = applyEvent(this.state, decodeEvent(event.type, payload));
    const hash = stateHash(transition.state);
    const next = transition.state;
    const entries: NewEvent[] = [
      ...(annotations.before ?? []).map((entry) => ({
        ...entry,
        payload: redactor.value(entry.payload),
      })),
      { type: event.type, payload },
      ...(annotations.after ?? []).map((entry) => ({
        ...entry,
        payload: redactor.value(entry.payload),
      })),
      ...transition.directives.map((directive) => ({
        type: DIRECTIVE_EVENT_TYPE,
        payload: { ...encodeDirective(directive, next.format), state_hash: hash },
      })),
    ];
    for (const directive of transition.directives) {
      if (directive.kind === 'ask_human') {
        entries.push({
          type: 'human.asked',
          payload: redactor.value({ step: directive.step, question: directive.question }),
        });
      }
    }
    if (ENDED_RUN_STATUSES.includes(next.status)) {
      entries.push({
        type: 'run.ended',
        payload: redactor.value({
          status: next.status,
          cause: next.cause,
          state_hash: hash,
          events_applied: next.applied,
        }),
      });
    }
    // The run stays this process's while it runs, and while it asks its question here:
    // no other process may answer or resume it meanwhile.
    const keepsOwner =
      next.status === 'running' || (next.status === 'waiting' && this.init.ask !== undefined);
    const update = {
      status: next.status,
      cause: next.cause,
      stateHash: hash,
      ...(keepsOwner ? {} : { owner: null }),
    };
    if (newRun) this.init.journal.createRun(newRun, entries, update);
    else this.init.journal.append(this.init.runId, entries, update);
    this.state = next;
    return [...transition.directives];
  }

  private async drive(initial: readonly Directive[]): Promise<DriveResult> {
    const queue = [...initial];
    while (queue.length > 0) {
      const directive = queue.shift()!;
      switch (directive.kind) {
        case 'dispatch':
          queue.push(...(await this.dispatch(directive)));
          break;
        case 'ask_human': {
          const subject = approvalSubject(this.state!, directive.step);
          this.init.observer?.question?.(
            directive.step,
            this.init.redactor.text(directive.question),
            subject,
          );
          const answer = this.init.ask
            ? await this.init.ask(directive.question, directive.step, subject)
            : null;
          if (answer === null) {
            // Paused: the question waits for `baton resume --approve/--reject`, from any process.
            if (this.init.ask) this.init.journal.release(this.init.runId, this.init.owner);
            return this.result();
          }
          queue.push(
            ...this.apply(
              {
                type: 'human.answered',
                step: directive.step,
                decision: answer.decision,
                answer: answer.text,
              },
              { extra: { via: 'inline', pid: this.init.owner.pid } },
            ),
          );
          break;
        }
        case 'converge':
        case 'fail':
        case 'cancel':
        case 'reject':
        case 'budget_exhausted':
          return this.result();
      }
    }
    return this.result();
  }

  private result(): DriveResult {
    const state = this.state!;
    return {
      status: state.status,
      cause: state.cause,
      question: state.status === 'waiting' ? state.question : null,
    };
  }

  private interrupt(before: readonly NewEvent[] = [], redactor?: Redactor): Directive[] {
    return this.apply(
      { type: 'run.interrupted', cause: interruptCause(this.init.signal) },
      { before },
      undefined,
      redactor,
    );
  }

  private async dispatch(
    directive: Extract<Directive, { kind: 'dispatch' }>,
  ): Promise<Directive[]> {
    const { init } = this;
    const progress: StageProgress = {
      runId: init.runId,
      step: directive.step,
      stage: directive.stage,
      runtime: directive.runtime,
      attempt: directive.attempt,
      loop: directive.loop,
    };
    const identity = {
      runtime_id: directive.runtime,
      stage: directive.stage,
      step: directive.step,
      attempt: directive.attempt,
      loop: directive.loop,
    };
    if (directive.backoffMs > 0) {
      init.observer?.retryScheduled?.(progress, directive.backoffMs);
      try {
        await sleep(directive.backoffMs, undefined, { signal: init.signal });
      } catch {
        // Aborted during the backoff: handled below.
      }
    }
    if (init.signal?.aborted) return this.interrupt();

    const notStarted = (
      message: string,
      kind: 'binary-changed' | 'spawn' | 'unknown',
      before: NewEvent[] = [],
    ) =>
      this.apply(
        {
          type: 'stage.ended',
          step: directive.step,
          stage: directive.stage,
          attempt: directive.attempt,
          runtime: directive.runtime,
          status: 'failed',
          finalText: null,
          sessionId: null,
          error: { message, kind, retryable: false },
          verdict: null,
          // It never ran here: another runtime of the chain may.
          failureClass: 'unavailable',
          retryAfterMs: null,
          usage: null,
        },
        {
          before: [
            ...before,
            {
              type: 'agent.process.exited',
              payload: {
                ...identity,
                pid: null,
                exit_code: null,
                signal: null,
                duration_ms: 0,
                status: 'failed',
                error: message,
                error_kind: kind,
                failure_class: 'unavailable',
                session_id: null,
                usage: null,
              },
            },
          ],
          extra: { loop: directive.loop },
        },
      );

    const adapter =
      init.adapters.get(directive.runtime) ?? (await loadAdapter(init.registry, directive.runtime));
    if (typeof adapter === 'string') return notStarted(adapter, 'spawn');
    const binary = init.binaries.get(directive.runtime);
    const changed = binary ? binaryChange(binary) : null;
    if (changed !== null) {
      return notStarted(
        `refusing to use a runtime that changed under the running mission: ${changed}`,
        'binary-changed',
        [
          {
            type: 'runtime.binary.changed',
            payload: { runtime_id: directive.runtime, change: changed },
          },
        ],
      );
    }

    // Continue the harness's session only where the adapter can; otherwise the attempt
    // starts over from the stage's checkpoint, and the journal says why.
    const sessionResume =
      directive.reason === 'session-resume' &&
      directive.resumeSessionId !== null &&
      adapter.capabilities.resumeSession;
    const note =
      directive.reason === 'session-resume' && !sessionResume
        ? `${adapter.identity.displayName} cannot continue a session: ${directive.stage} starts over from its checkpoint`
        : null;
    const workspace = await this.stageWorkspace();
    const prepared = await workspace.prepare(
      {
        step: directive.step,
        stage: directive.stage,
        loop: directive.loop,
        attempt: directive.attempt,
      },
      directive.reason !== 'first' && !sessionResume,
    );
    const planned: AttemptPlan = {
      reason: directive.reason,
      fallbackFrom: directive.fallbackFrom,
      sessionId: sessionResume ? directive.resumeSessionId : null,
      checkpointRef: prepared.checkpointRef,
      abandonedRef: prepared.abandonedRef,
      note: note ?? (directive.reason === 'first' ? null : prepared.problem),
    };
    if (prepared.problem !== null && this.workspace?.isGit === true)
      init.observer?.notice?.(prepared.problem);
    const attemptEvents: NewEvent[] = [...prepared.events];
    if (directive.reason !== 'first' || directive.fallbackFrom !== null) {
      attemptEvents.push(attemptEvent(identity, directive, planned, prepared));
      init.observer?.attemptPlanned?.(progress, planned);
    }
    if (attemptEvents.length > 0) init.journal.append(init.runId, attemptEvents);

    const state = this.state!;
    const contract = renderRoleContract(directive.stage, init.config);
    const prompt = sessionResume
      ? composeResumePrompt(state, directive.stage, directive.step)
      : composePrompt(state, directive.stage, directive.step);
    const settings = init.config.runtimes[directive.runtime] ?? {};
    // The model and effort the routing chose for this runtime at run start; a target without
    // a model (and every target of a run journaled before chains) takes the runtime's own.
    const model = directive.model ?? settings.model;
    const budget = stageBudget(adapter, directive);
    const scratchDir = join(
      init.config.projectRoot,
      JOURNAL_DIRECTORY,
      'scratch',
      `${init.runId}-${directive.step}-${directive.stage}-${directive.loop}-${directive.attempt}`,
    );
    rmSync(scratchDir, { recursive: true, force: true });
    mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
    const request: StageRequest = {
      stage: directive.stage,
      prompt,
      contract: contract.text,
      cwd: init.config.projectRoot,
      access: directive.access,
      profile: state.routing.backendProfile,
      ...(model !== undefined ? { model } : {}),
      ...(directive.effort !== null ? { effort: directive.effort } : {}),
      ...(budget !== null ? { budget } : {}),
      ...(sessionResume ? { resumeSessionId: directive.resumeSessionId! } : {}),
      settings,
      scratchDir,
      env: childEnvironment(init.env, init.depth, { runId: init.runId, stage: directive.stage }),
    };
    const timeoutMs = settings.timeoutMs ?? init.options.defaultTimeoutMs;
    const limits = {
      timeoutMs,
      idleTimeoutMs: Math.min(
        settings.idleTimeoutMs ?? init.options.defaultIdleTimeoutMs,
        timeoutMs,
      ),
      killGraceMs: init.options.killGraceMs,
      maxLineBytes: init.options.maxLineBytes,
    };

    let journaled = 0;
    let dropped = 0;
    let stageRedactor = init.redactor;
    let announcedSession: string | null = null;
    const messages = new MessageJoiner();
    const toolCalls = new ToolCallCounter();
    const show = (events: readonly RuntimeEvent[]) => {
      for (const event of events)
        init.observer?.runtimeEvent?.(progress, stageRedactor.value(event));
    };
    const record = (events: readonly RuntimeEvent[]) => {
      for (const event of events) {
        if (journaled >= init.options.maxJournaledEvents) {
          dropped += 1;
          continue;
        }
        journaled += 1;
        this.init.journal.append(init.runId, [
          {
            type: 'runtime.event',
            payload: stageRedactor.value({ ...identity, event: runtimeEventToWire(event) }),
          },
        ]);
      }
    };
    // The harness's session, journaled the moment it is announced: a resume after a crash
    // (even `kill -9` of Baton) can continue it.
    const announce = (event: RuntimeEvent) => {
      if (event.type !== 'session' || event.sessionId === announcedSession) return;
      announcedSession = event.sessionId;
      this.apply(
        {
          type: 'stage.session',
          step: directive.step,
          stage: directive.stage,
          attempt: directive.attempt,
          runtime: directive.runtime,
          sessionId: event.sessionId,
        },
        {},
        undefined,
        stageRedactor,
      );
    };
    const model_ = request.model ?? null;
    const workspaceBefore = await readWorkspaceState(request.cwd, init.env);
    let result: StageRunResult;
    try {
      result = await runStage({
        adapter,
        request,
        redactor: init.redactor,
        limits,
        signal: init.signal,
        onStart: (start) => {
          stageRedactor = start.redactor;
          this.init.journal.append(init.runId, [
            {
              type: 'agent.process.started',
              payload: stageRedactor.value({
                ...identity,
                pid: start.pid,
                pid_start: processStartToken(start.pid),
                argv: start.argv,
                cwd: request.cwd,
                env_names: start.envNames,
                access: request.access,
                profile: request.profile,
                model: model_,
                effort: request.effort ?? null,
                reason: directive.reason,
                resume_session_id: request.resumeSessionId ?? null,
                budget:
                  request.budget === undefined
                    ? null
                    : {
                        max_cost_usd: request.budget.maxCostUsd ?? null,
                        max_turns: request.budget.maxTurns ?? null,
                      },
                contract_sha256: contract.sha256,
                contract_version: contract.version,
                prompt_sha256: sha256(prompt),
                prompt_chars: prompt.length,
                binary: binary ? { path: binary.path, version: binary.version } : null,
                timeout_ms: limits.timeoutMs,
                idle_timeout_ms: limits.idleTimeoutMs,
              }),
            },
          ]);
          init.observer?.stageStarted?.(progress, start.pid);
        },
        onEvent: (event) => {
          toolCalls.see(event);
          announce(event);
          // Pieces of a streamed message are joined: one message, one journaled event.
          const joined = messages.push(event);
          show(joined.show);
          record(joined.record);
        },
      });
    } finally {
      rmSync(scratchDir, { recursive: true, force: true });
    }
    stageRedactor = result.redactor;
    const lastMessage = messages.flush();
    show(lastMessage.show);
    record(lastMessage.record);
    const changes = result.interrupted
      ? null
      : changesBetween(workspaceBefore, await readWorkspaceState(request.cwd, init.env));

    const { process } = result;
    const outcome =
      result.outcome.error === null
        ? result.outcome
        : {
            ...result.outcome,
            error: {
              ...result.outcome.error,
              message: explainFailure(
                result.outcome.error.message,
                result.outcome.error.kind,
                directive.runtime,
                settings,
              ),
            },
          };
    const usage = attemptUsage(outcome.usage, model_, init.config.pricing);
    const verdict =
      directive.stage === 'evaluate' && outcome.status === 'succeeded'
        ? readVerdict(outcome.finalText)
        : null;
    const status = result.interrupted ? 'interrupted' : outcome.status;
    const error = outcome.error;
    const exited: NewEvent = {
      type: 'agent.process.exited',
      payload: {
        ...identity,
        pid: process?.pid ?? null,
        exit_code: process?.exitCode ?? null,
        signal: process?.signal ?? null,
        duration_ms: process?.durationMs ?? 0,
        status,
        stopped_by: process?.stoppedBy ?? null,
        error: error?.message ?? null,
        error_kind: error?.kind ?? null,
        retryable: error?.retryable ?? null,
        failure_class: result.interrupted ? null : (error?.failureClass ?? null),
        retry_after_ms: error?.retryAfterMs ?? null,
        ...(error?.limitReached === undefined ? {} : { limit_reached: error.limitReached }),
        ...(error?.sessionNotFound === true ? { session_not_found: true } : {}),
        session_id: outcome.sessionId,
        usage: usageToWire(outcome.usage, usage),
        stdout_bytes: process?.stdoutBytes ?? 0,
        stdout_lines: process?.stdoutLines ?? 0,
        stderr_tail: process ? clip(process.stderrTail, 2048) : '',
        events_journaled: journaled,
        events_dropped: dropped,
        tool_calls: toolCalls.count,
      },
    };
    init.observer?.stageEnded?.(progress, {
      status,
      durationMs: process?.durationMs ?? 0,
      tokens: totalTokens(outcome.usage),
      usage,
      error: error ? stageRedactor.text(error.message) : null,
      failureClass: result.interrupted ? null : (error?.failureClass ?? null),
      verdict,
      toolCalls: toolCalls.count,
      eventsDropped: dropped,
      changes,
    });
    if (result.interrupted) {
      return this.apply(
        { type: 'run.interrupted', cause: interruptCause(init.signal), usage },
        { before: [exited] },
        undefined,
        stageRedactor,
      );
    }

    const before: NewEvent[] = [exited];
    if (workspaceBefore !== null) {
      before.push({
        type: 'workspace.changed',
        payload: { ...identity, changes: changesToWire(changes) },
      });
    }
    let cannotRestore: string | null = null;
    if (outcome.status === 'failed') {
      const left = await workspace.afterFailure({
        step: directive.step,
        stage: directive.stage,
        loop: directive.loop,
        attempt: directive.attempt,
      });
      before.push(...left.events);
      cannotRestore = left.cannotRestore;
    }
    if (verdict !== null) {
      before.push({
        type: 'verdict.recorded',
        payload: {
          stage: directive.stage,
          step: directive.step,
          attempt: directive.attempt,
          loop: directive.loop,
          outcome: verdict.outcome,
          reason: verdict.outcome === 'pass' ? null : verdict.reason,
        },
      });
    }
    return this.apply(
      {
        type: 'stage.ended',
        step: directive.step,
        stage: directive.stage,
        attempt: directive.attempt,
        runtime: directive.runtime,
        status: outcome.status,
        finalText:
          outcome.finalText === null ? null : clipMiddle(outcome.finalText, MAX_FINAL_TEXT),
        sessionId: outcome.sessionId,
        error:
          error === null
            ? null
            : { message: error.message, kind: error.kind, retryable: error.retryable },
        verdict,
        failureClass: error?.failureClass ?? null,
        retryAfterMs: error?.retryAfterMs ?? null,
        ...(error?.limitReached === undefined ? {} : { limitReached: error.limitReached }),
        ...(error?.sessionNotFound === true ? { sessionNotFound: true } : {}),
        ...(cannotRestore === null ? {} : { cannotRestore }),
        usage,
      },
      {
        before,
        extra: { loop: directive.loop, duration_ms: process?.durationMs ?? 0 },
      },
      undefined,
      stageRedactor,
    );
  }

  /** The run's workspace for checkpoints, opened at the first attempt that needs it. */
  private async stageWorkspace(): Promise<StageWorkspace> {
    this.workspace ??= await StageWorkspace.open(
      this.init.runId,
      this.init.config.projectRoot,
      this.init.env,
    );
    return this.workspace;
  }
}

/** The spend an adapter may cap natively for this attempt, or `null`. */
function stageBudget(
  adapter: RuntimeAdapter,
  directive: Extract<Directive, { kind: 'dispatch' }>,
): StageBudget | null {
  const { costCap, turnCap } = adapter.capabilities;
  const maxCostUsd = costCap ? directive.budget.maxCostUsd : null;
  const maxTurns = turnCap ? directive.budget.maxTurns : null;
  if (maxCostUsd === null && maxTurns === null) return null;
  return {
    ...(maxCostUsd === null ? {} : { maxCostUsd }),
    ...(maxTurns === null ? {} : { maxTurns }),
  };
}

/** `stage.fallback` (another runtime) or `stage.attempt` (a retry, a resume), before it starts. */
function attemptEvent(
  identity: Record<string, unknown>,
  directive: Extract<Directive, { kind: 'dispatch' }>,
  plan: AttemptPlan,
  prepared: PreparedWorkspace,
): NewEvent {
  const from = directive.fallbackFrom;
  return {
    type: from !== null ? 'stage.fallback' : 'stage.attempt',
    payload: {
      ...identity,
      reason: directive.reason,
      from: from?.runtime ?? null,
      to: directive.runtime,
      class: from?.failureClass ?? null,
      cause: from?.cause ?? null,
      delay_ms: directive.backoffMs,
      checkpoint_ref: plan.checkpointRef,
      abandoned_ref: plan.abandonedRef,
      restored: prepared.restored,
      session_id: plan.sessionId,
      ...(plan.note === null ? {} : { note: plan.note }),
    },
  };
}

function interruptCause(signal: AbortSignal | undefined): string {
  const reason = signal?.reason;
  return typeof reason === 'string' ? reason : 'interrupted';
}

async function loadAdapter(
  registry: AdapterRegistry,
  runtime: string,
): Promise<RuntimeAdapter | string> {
  try {
    return await registry.load(runtime);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const tail = max - head;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters omitted ...]\n${text.slice(text.length - tail)}`;
}
