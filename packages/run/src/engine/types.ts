/**
 * The engine's vocabulary: its state, the events it consumes and the directives it emits.
 * The engine is a pure function of these (see `reducer.ts`); everything here is plain data
 * that survives a round trip through the journal.
 */
import type {
  AccessLevel,
  ErrorKind,
  FailureClass,
  MissionStep,
  RetrySettings,
  RunBudget,
  Stage,
  StageResolution,
} from '@baton/core';

export const RUN_STATUSES = [
  'running',
  'waiting',
  'succeeded',
  'failed',
  'interrupted',
  'rejected',
  'budget_exhausted',
] as const;
/**
 * Where a run stands. `succeeded` and `rejected` (a human rejected a result and the mission
 * allowed no loop back) are final. `failed` and `budget_exhausted` have ended, but a resume
 * may continue them (from the failed stage, or with a larger budget); `waiting` and
 * `interrupted` wait to be continued.
 */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'rejected'];

/** Statuses of a run that has ended (`run.ended` is journaled); a resume may still continue some. */
export const ENDED_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'rejected',
  'budget_exhausted',
];

/**
 * The shape of the journal this version writes, recorded in `run.started`: 1 before stage
 * chains, 2 before failure classes, usage and budgets, 3 since. A run keeps the format it
 * started with, so that the state hashes its journal recorded still verify (`state-hash.ts`).
 */
export const JOURNAL_FORMAT = 3;

/** A human's decision at a human step. */
export type HumanDecision = 'approve' | 'reject';

/** The mission as it was when the run started; later config changes do not affect the run. */
export interface MissionSnapshot {
  readonly name: string;
  readonly steps: readonly MissionStep[];
  readonly maxLoops: number;
}

/**
 * The routing resolved at run start: each stage of the mission with its chain, models
 * included, so a later config change never changes a run.
 */
export interface RoutingSnapshot {
  readonly stages: Readonly<Partial<Record<Stage, StageResolution>>>;
  readonly backendProfile: string | null;
  /**
   * Runtimes that failed their checks before the run started, with why: a chain starts at
   * its first runtime not listed here, and falling back skips them. Absent in runs journaled
   * before fallback chains ran (journal formats 1 and 2): none.
   */
  readonly unhealthy?: Readonly<Record<string, string>>;
  /**
   * Only in a run started before stage chains (journal format 1): its routing as that
   * version journaled it. Its stages were resolved from these at decoding; they are kept so
   * that the run's recorded state hashes still verify (`state-hash.ts`).
   */
  readonly legacy?: LegacyRouting;
}

/** The routing of journal format 1: one runtime per stage, resolved when the stage started. */
export interface LegacyRouting {
  readonly runtimeBackend: string;
  readonly defaultRuntime: string | null;
  readonly stages: Readonly<Partial<Record<Stage, string>>>;
}

/**
 * How failed attempts are retried (`[orchestrator.retry]`): transient failures at most
 * `maxRetries` times and rate limits at most `rateLimitRetries` times on the same runtime,
 * with doubling backoff from `baseDelayMs`, every wait capped at `maxDelayMs`.
 */
export type RetryPolicy = RetrySettings;

/** What a run has spent so far, over every attempt that reported its usage. */
export interface RunSpend {
  /** Input + output tokens of the attempts that reported them. */
  readonly tokens: number;
  /** USD of the attempts whose cost is known. */
  readonly costUsd: number;
  /** Attempts that used tokens without a known cost (their cost counts as nothing). */
  readonly unpricedAttempts: number;
}

export const NOTHING_SPENT: RunSpend = Object.freeze({
  tokens: 0,
  costUsd: 0,
  unpricedAttempts: 0,
});

/** Where a cost figure came from: the harness's own report, or the `[pricing]` table. */
export type CostSource = 'runtime' | 'pricing';

/** Tokens and cost of one attempt, as the driver journals them in `stage.ended`. */
export interface AttemptUsage {
  readonly inputTokens: number | null;
  readonly cachedInputTokens: number | null;
  readonly outputTokens: number | null;
  readonly reasoningTokens: number | null;
  readonly costUsd: number | null;
  /** `null` when the cost is unknown. */
  readonly costSource: CostSource | null;
}

/** The evaluate stage's verdict, read from the last line of its final message. */
export type Verdict =
  | { readonly outcome: 'pass' }
  | { readonly outcome: 'fail'; readonly reason: string }
  | { readonly outcome: 'missing'; readonly reason: string };

/** A stage failure as the engine sees it. */
export interface StageError {
  readonly message: string;
  readonly kind: ErrorKind | 'interrupted' | 'binary-changed' | 'spawn';
  readonly retryable: boolean;
}

/** A failed attempt of the stage in flight, for the cause when the stage gives up. */
export interface FailedAttempt {
  readonly attempt: number;
  readonly runtime: string;
  readonly failureClass: FailureClass;
  readonly message: string;
}

/** Why an attempt is dispatched. */
export type DispatchReason =
  /** The stage's first attempt (in this loop). */
  | 'first'
  /** Again on the same runtime after a rate limit or a transient failure. */
  | 'retry'
  /** On the next runtime of the stage's chain. */
  | 'fallback'
  /** Again after the run was resumed (interrupted, failed, out of budget), from the stage's checkpoint. */
  | 'resume'
  /** In the harness session the interrupted attempt announced, where it stopped. */
  | 'session-resume';

/** The stage the run is waiting on a runtime for (or, out of budget, would dispatch next). */
export interface InFlightStage {
  readonly step: number;
  readonly stage: Stage;
  readonly runtime: string;
  readonly source: 'stage' | 'default' | 'fallback';
  readonly access: AccessLevel;
  /** 1 for the first dispatch of this step in this loop, +1 for each re-dispatch. */
  readonly attempt: number;
  /** Transient-failure retries used so far on this runtime (interrupted attempts do not count). */
  readonly retries: number;
  /** Index of `runtime` in the stage's chain. */
  readonly chainIndex: number;
  /** The model and effort the chain names for `runtime` (resolved at run start). */
  readonly model: string | null;
  readonly effort: string | null;
  /** Waits after a rate limit used so far on this runtime. */
  readonly rateLimitWaits: number;
  /** The harness session the current attempt announced (`stage.session`), or `null`. */
  readonly sessionId: string | null;
  /** Failed attempts of this stage in this loop, oldest first. */
  readonly attempts: readonly FailedAttempt[];
}

/** One finished step, as later stages see it. */
export type HistoryEntry =
  | {
      readonly kind: 'stage';
      readonly step: number;
      readonly stage: Stage;
      readonly runtime: string;
      readonly attempt: number;
      readonly loop: number;
      readonly status: 'succeeded' | 'failed';
      readonly finalText: string | null;
      readonly verdict: Verdict | null;
      readonly error: string | null;
    }
  | {
      readonly kind: 'human';
      readonly step: number;
      readonly question: string;
      /** The input given with an approval, or why the result was rejected. */
      readonly answer: string;
      /** Absent in runs journaled before decisions existed, where every answer approved. */
      readonly decision?: HumanDecision;
    };

export interface RunState {
  /** The journal format the run started with (`JOURNAL_FORMAT` for a new run). */
  readonly format: number;
  readonly runId: string;
  readonly goal: string;
  readonly mission: MissionSnapshot;
  readonly routing: RoutingSnapshot;
  readonly retry: RetryPolicy;
  /** What the run may spend before no further attempt starts. */
  readonly budget: RunBudget;
  /** Agent turns per stage, for harnesses that cap turns natively; `null`: none. */
  readonly maxTurns: number | null;
  readonly spent: RunSpend;
  readonly status: RunStatus;
  /** Index of the current step in `mission.steps`. */
  readonly step: number;
  /**
   * Loops used so far (bounded by `mission.maxLoops`): back to execute after a failing
   * verdict, or back to the stage before a human step that rejected its result.
   */
  readonly loops: number;
  readonly inFlight: InFlightStage | null;
  /** The question of the human step the run is waiting on. */
  readonly question: string | null;
  readonly history: readonly HistoryEntry[];
  /** Why the run failed, ran out of budget or was interrupted. */
  readonly cause: string | null;
  /** Engine events applied so far. */
  readonly applied: number;
}

/** Inputs to the engine. Each is journaled (snake_case payload) before it is applied. */
export type EngineEvent =
  | {
      readonly type: 'run.started';
      readonly runId: string;
      readonly goal: string;
      readonly mission: MissionSnapshot;
      readonly routing: RoutingSnapshot;
      readonly retry: RetryPolicy;
      /** Absent: no budget. */
      readonly budget?: RunBudget;
      /** Absent: no turn cap. */
      readonly maxTurns?: number | null;
      /** The journal format (absent: `JOURNAL_FORMAT`); older formats come from old journals only. */
      readonly format?: number;
    }
  | {
      readonly type: 'stage.ended';
      readonly step: number;
      readonly stage: Stage;
      readonly attempt: number;
      readonly runtime: string;
      readonly status: 'succeeded' | 'failed';
      readonly finalText: string | null;
      readonly sessionId: string | null;
      readonly error: StageError | null;
      /** Set for the evaluate stage only. */
      readonly verdict: Verdict | null;
      /**
       * The failed attempt's class (`null` on success). Absent only in journals written
       * before failure classes, whose failures are retried by their `retryable` flag as then.
       */
      readonly failureClass?: FailureClass | null;
      /** How long the harness or server asked to wait (a rate limit), in ms; `null`: not said. */
      readonly retryAfterMs?: number | null;
      /** A native cap of the stage's budget stopped it: the run is out of budget. */
      readonly limitReached?: 'cost' | 'turns' | null;
      /** The harness did not know the session the attempt was to continue. */
      readonly sessionNotFound?: boolean;
      /**
       * Why another attempt cannot start from the stage's starting workspace (outside a git
       * work tree, the failed attempt changed files); `null` or absent: it can.
       */
      readonly cannotRestore?: string | null;
      /** What the attempt spent; absent or `null`: not reported. */
      readonly usage?: AttemptUsage | null;
    }
  | {
      /** A harness announced its session for the attempt in flight (journaled at once). */
      readonly type: 'stage.session';
      readonly step: number;
      readonly stage: Stage;
      readonly attempt: number;
      readonly runtime: string;
      readonly sessionId: string;
    }
  | {
      readonly type: 'human.answered';
      readonly step: number;
      /** The input given with an approval, or why the result was rejected (may be empty). */
      readonly answer: string;
      /** Absent in journals written before decisions existed: read as `approve`. */
      readonly decision?: HumanDecision;
    }
  | {
      readonly type: 'run.interrupted';
      readonly cause: string;
      /** What the interrupted attempt had spent, when it said. */
      readonly usage?: AttemptUsage | null;
    }
  | {
      readonly type: 'run.resumed';
      /** Continue from this step (a stage step at or before the run's current one); absent: where it stopped. */
      readonly fromStep?: number;
      /** A new budget for the rest of the run; absent: the budget it had. */
      readonly budget?: RunBudget;
      /** The runtimes that failed their checks before this resume (replaces the run's list); absent: unchanged. */
      readonly unhealthy?: Readonly<Record<string, string>>;
    };

export type EngineEventType = EngineEvent['type'];

export const ENGINE_EVENT_TYPES: readonly EngineEventType[] = [
  'run.started',
  'stage.ended',
  'stage.session',
  'human.answered',
  'run.interrupted',
  'run.resumed',
];

/** The budget left for one attempt, given to harnesses that cap their spend natively. */
export interface DispatchBudget {
  /** USD left of the run's budget; `null`: no cost budget. */
  readonly maxCostUsd: number | null;
  /** Tokens left of the run's budget; `null`: no token budget. */
  readonly maxTokens: number | null;
  /** Turns for this stage; `null`: no turn cap. */
  readonly maxTurns: number | null;
}

/** The attempt a fallback moves away from. */
export interface FallbackFrom {
  readonly runtime: string;
  readonly failureClass: FailureClass;
  readonly cause: string;
}

/** Control decisions. Each is journaled as `control.directive.emitted`. */
export type Directive =
  | {
      readonly kind: 'dispatch';
      readonly step: number;
      readonly stage: Stage;
      readonly runtime: string;
      readonly source: 'stage' | 'default' | 'fallback';
      readonly access: AccessLevel;
      readonly attempt: number;
      readonly loop: number;
      /** Wait this long before starting (retry backoff); 0 for a first attempt. */
      readonly backoffMs: number;
      readonly chainIndex: number;
      readonly model: string | null;
      readonly effort: string | null;
      readonly reason: DispatchReason;
      /** On a fallback: the runtime given up, with its class and cause. */
      readonly fallbackFrom: FallbackFrom | null;
      /** On a session-resume: the session to continue. */
      readonly resumeSessionId: string | null;
      readonly budget: DispatchBudget;
    }
  /** The run's budget is spent: no further attempt starts until a resume raises it. */
  | {
      readonly kind: 'budget_exhausted';
      readonly step: number;
      readonly stage: Stage;
      readonly cause: string;
      readonly spent: RunSpend;
      readonly budget: RunBudget;
    }
  | { readonly kind: 'ask_human'; readonly step: number; readonly question: string }
  | { readonly kind: 'converge' }
  | { readonly kind: 'fail'; readonly stage: Stage | null; readonly cause: string }
  /** A human rejected the result asked about at `step`, and no loop was left: the run ends. */
  | { readonly kind: 'reject'; readonly step: number; readonly cause: string }
  | { readonly kind: 'cancel'; readonly cause: string };

export interface Transition {
  readonly state: RunState;
  readonly directives: readonly Directive[];
}
