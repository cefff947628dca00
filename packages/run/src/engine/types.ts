/**
 * The engine's vocabulary: its state, the events it consumes and the directives it emits.
 * The engine is a pure function of these (see `reducer.ts`); everything here is plain data
 * that survives a round trip through the journal.
 */
import type { AccessLevel, ErrorKind, MissionStep, Stage, StageResolution } from '@baton/core';

export const RUN_STATUSES = [
  'running',
  'waiting',
  'succeeded',
  'failed',
  'interrupted',
  'rejected',
] as const;
/**
 * Where a run stands. `succeeded`, `failed` and `rejected` (a human rejected a result and the
 * mission allowed no loop back) are final; the others can continue.
 */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'rejected'];

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

/** How transient stage failures are retried: at most `maxRetries` more attempts, with doubling backoff. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
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

/** The stage the run is waiting on a runtime for. */
export interface InFlightStage {
  readonly step: number;
  readonly stage: Stage;
  readonly runtime: string;
  readonly source: 'stage' | 'default' | 'fallback';
  readonly access: AccessLevel;
  /** 1 for the first dispatch of this step in this loop, +1 for each re-dispatch. */
  readonly attempt: number;
  /** Transient-failure retries used so far (interrupted attempts do not count). */
  readonly retries: number;
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
  readonly runId: string;
  readonly goal: string;
  readonly mission: MissionSnapshot;
  readonly routing: RoutingSnapshot;
  readonly retry: RetryPolicy;
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
  /** Why the run failed or was interrupted. */
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
    }
  | {
      readonly type: 'human.answered';
      readonly step: number;
      /** The input given with an approval, or why the result was rejected (may be empty). */
      readonly answer: string;
      /** Absent in journals written before decisions existed: read as `approve`. */
      readonly decision?: HumanDecision;
    }
  | { readonly type: 'run.interrupted'; readonly cause: string }
  | { readonly type: 'run.resumed' };

export type EngineEventType = EngineEvent['type'];

export const ENGINE_EVENT_TYPES: readonly EngineEventType[] = [
  'run.started',
  'stage.ended',
  'human.answered',
  'run.interrupted',
  'run.resumed',
];

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
