/**
 * The driver performs the engine's directives: it dispatches stages to their runtimes,
 * asks humans, and journals everything. Every engine event is journaled together with the
 * directives it produced (and the annotations that explain it) in one transaction, and the
 * engine is fed the journaled (redacted) payload — so the live state and a replay of the
 * journal are the same state, by construction.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AdapterRegistry,
  BatonConfig,
  Environment,
  FailureClass,
  RuntimeAdapter,
  RuntimeEvent,
  StageRequest,
} from '@baton/core';
import { approvalSubject } from '../approval.js';
import type {
  AttemptUsage,
  Directive,
  DispatchReason,
  EngineEvent,
  FallbackFrom,
  RetryPolicy,
  RunState,
  RunStatus,
  Verdict,
} from '../engine/types.js';
import type { Journal, NewEvent, NewRun } from '../journal/journal.js';
import { JOURNAL_DIRECTORY } from '../journal/location.js';
import type { ProcessIdentity } from '../journal/owner.js';
import type { Redactor } from '../redact.js';
import { type DispatchDirective, interruptCause, runAttempt, stageProgress } from './attempt.js';
import type { BinaryRecord } from './binaries.js';
import { StageWorkspace } from './stage-workspace.js';
import { type Annotations, planTransition } from './transition.js';
import type { WorkspaceChanges } from './workspace-changes.js';

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
    // The run stays this process's while it runs, and while it asks its question here:
    // no other process may answer or resume it meanwhile.
    const planned = planTransition(
      this.state,
      event,
      annotations,
      redactor,
      (next) =>
        next.status === 'running' || (next.status === 'waiting' && this.init.ask !== undefined),
    );
    if (newRun) this.init.journal.createRun(newRun, planned.entries, planned.update);
    else this.init.journal.append(this.init.runId, planned.entries, planned.update);
    this.state = planned.state;
    return [...planned.directives];
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

  private async dispatch(directive: DispatchDirective): Promise<Directive[]> {
    const { init } = this;
    if (directive.backoffMs > 0) {
      init.observer?.retryScheduled?.(stageProgress(init.runId, directive), directive.backoffMs);
      try {
        await sleep(directive.backoffMs, undefined, { signal: init.signal });
      } catch {
        // Aborted during the backoff: handled below.
      }
    }
    if (init.signal?.aborted) return this.interrupt();
    const end = await runAttempt(
      {
        runId: init.runId,
        config: init.config,
        registry: init.registry,
        env: init.env,
        depth: init.depth,
        redactor: init.redactor,
        adapters: init.adapters,
        binaries: init.binaries,
        options: init.options,
        ...(init.observer === undefined ? {} : { observer: init.observer }),
        ...(init.signal === undefined ? {} : { signal: init.signal }),
        workspace: await this.stageWorkspace(),
        scratchRoot: join(init.config.projectRoot, JOURNAL_DIRECTORY, 'scratch'),
        journal: { append: (events) => init.journal.append(init.runId, events) },
      },
      directive,
      this.state!,
      { sessionAnnounced: (event, redactor) => this.apply(event, {}, undefined, redactor) },
    );
    return this.apply(end.event, end.annotations, undefined, end.redactor);
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
