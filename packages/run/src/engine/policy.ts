/**
 * What a failed attempt leads to, by its failure class (`[orchestrator.retry]` bounds every
 * path):
 * - `rate_limited`: wait the delay the harness or server stated (else the backoff), capped
 *   at `maxDelayMs`, and run again on the same runtime, at most `rateLimitRetries` times;
 * - `transient`: the backoff, at most `maxRetries` times on the same runtime;
 * - `quota_exhausted`, `auth`, `unavailable` (and the two above once spent): the next runtime
 *   of the stage's chain that passed its checks, at once;
 * - `timeout`, `task`: no other attempt — a FAIL is an answer, not an outage, and a timed-out
 *   attempt may have changed the workspace arbitrarily.
 * A chain spent ends the stage with every attempt's runtime, class and cause.
 */
import type { FailureClass } from '@baton/core';
import { firstHealthy, freshAttempt } from './chain.js';
import type {
  DispatchReason,
  FailedAttempt,
  FallbackFrom,
  InFlightStage,
  RunState,
} from './types.js';

/** How the next attempt is dispatched. */
export interface DispatchPlan {
  readonly backoffMs: number;
  readonly reason: DispatchReason;
  readonly fallbackFrom: FallbackFrom | null;
  readonly resumeSessionId: string | null;
}

/** What the engine knows of a failed attempt. */
export interface FailureFacts {
  readonly failureClass: FailureClass;
  readonly message: string;
  readonly retryAfterMs: number | null;
  /** The harness did not know the session the attempt was to continue. */
  readonly sessionNotFound: boolean;
  /** The session the attempt ran in, when known. */
  readonly sessionId: string | null;
}

export type AfterFailure =
  | {
      readonly kind: 'again';
      readonly next: InFlightStage;
      readonly plan: DispatchPlan;
      /** Every failed attempt of the stage so far, this one included. */
      readonly attempts: readonly FailedAttempt[];
      /** The cause, should the next attempt turn out impossible. */
      readonly stopCause: string;
    }
  | {
      readonly kind: 'stop';
      readonly cause: string;
      readonly attempts: readonly FailedAttempt[];
    };

/** Longest part of one attempt's message in a cause listing several. */
const MAX_LISTED_MESSAGE = 300;

export function nextAttemptAfterFailure(
  state: RunState,
  inFlight: InFlightStage,
  facts: FailureFacts,
): AfterFailure {
  const attempts: FailedAttempt[] = [
    ...inFlight.attempts,
    {
      attempt: inFlight.attempt,
      runtime: inFlight.runtime,
      failureClass: facts.failureClass,
      message: facts.message,
    },
  ];
  const { retry } = state;
  const again = (next: InFlightStage, plan: DispatchPlan): AfterFailure => ({
    kind: 'again',
    next,
    plan,
    attempts,
    stopCause: stageCause(state, inFlight, attempts, false),
  });
  const sameRuntime = (changes: Partial<InFlightStage>): InFlightStage => ({
    ...inFlight,
    attempt: inFlight.attempt + 1,
    sessionId: null,
    attempts,
    ...changes,
  });

  // Asked to continue a session the harness no longer has: the stage starts over from its
  // checkpoint on the same runtime. It runs without a session, so this happens once.
  if (facts.sessionNotFound && inFlight.sessionId !== null) {
    return again(sameRuntime({}), {
      backoffMs: 0,
      reason: 'resume',
      fallbackFrom: null,
      resumeSessionId: null,
    });
  }
  switch (facts.failureClass) {
    case 'rate_limited':
      if (inFlight.rateLimitWaits < retry.rateLimitRetries) {
        const backoffMs = Math.min(
          facts.retryAfterMs ?? retry.baseDelayMs * 2 ** inFlight.rateLimitWaits,
          retry.maxDelayMs,
        );
        return again(sameRuntime({ rateLimitWaits: inFlight.rateLimitWaits + 1 }), {
          backoffMs,
          reason: 'retry',
          fallbackFrom: null,
          resumeSessionId: null,
        });
      }
      break;
    case 'transient':
      if (inFlight.retries < retry.maxRetries) {
        const backoffMs = Math.min(retry.baseDelayMs * 2 ** inFlight.retries, retry.maxDelayMs);
        return again(sameRuntime({ retries: inFlight.retries + 1 }), {
          backoffMs,
          reason: 'retry',
          fallbackFrom: null,
          resumeSessionId: null,
        });
      }
      break;
    case 'quota_exhausted':
    case 'auth':
    case 'unavailable':
      break;
    case 'timeout':
    case 'task':
      return { kind: 'stop', cause: stageCause(state, inFlight, attempts, false), attempts };
  }
  const chainIndex = firstHealthy(state, inFlight.stage, inFlight.chainIndex + 1);
  if (chainIndex === -1) {
    return { kind: 'stop', cause: stageCause(state, inFlight, attempts, true), attempts };
  }
  const next = freshAttempt(
    state,
    inFlight.step,
    inFlight.stage,
    chainIndex,
    inFlight.attempt + 1,
    attempts,
  );
  return again(next, {
    backoffMs: 0,
    reason: 'fallback',
    fallbackFrom: {
      runtime: inFlight.runtime,
      failureClass: facts.failureClass,
      cause: facts.message,
    },
    resumeSessionId: null,
  });
}

/**
 * Journal formats 1 and 2 retried a failure while it was `retryable` and retries were left,
 * with uncapped doubling backoff, and never fell back. Their class-less failures replay so.
 */
export function legacyRetry(
  state: RunState,
  inFlight: InFlightStage,
  retryable: boolean,
): { next: InFlightStage; plan: DispatchPlan } | null {
  if (!retryable || inFlight.retries >= state.retry.maxRetries) return null;
  return {
    next: {
      ...inFlight,
      attempt: inFlight.attempt + 1,
      retries: inFlight.retries + 1,
      sessionId: null,
    },
    plan: {
      backoffMs: state.retry.baseDelayMs * 2 ** inFlight.retries,
      reason: 'retry',
      fallbackFrom: null,
      resumeSessionId: null,
    },
  };
}

/**
 * Why the stage gave up: its runtime, class and cause — every attempt's, when it ran on more
 * than one runtime. `spent`: every runtime of the chain was tried.
 */
function stageCause(
  state: RunState,
  inFlight: InFlightStage,
  attempts: readonly FailedAttempt[],
  spent: boolean,
): string {
  const last = attempts.at(-1)!;
  const runtimes = [...new Set(attempts.map((attempt) => attempt.runtime))];
  const chainLength = state.routing.stages[inFlight.stage]?.chain.length ?? 1;
  if (runtimes.length === 1) {
    const count = attempts.length > 1 ? `, ${attempts.length} attempts` : '';
    const everyRuntime =
      spent && chainLength > 1 ? ' (no other runtime of its chain could run)' : '';
    return `${inFlight.stage} failed on ${last.runtime} (${last.failureClass}${count})${everyRuntime}: ${last.message}`;
  }
  const listed = attempts
    .map((attempt) => `${attempt.runtime} (${attempt.failureClass}): ${clip(attempt.message)}`)
    .join('; ');
  const scope = spent ? ' — every runtime of its chain failed' : '';
  return `${inFlight.stage} failed on ${runtimes.join(', ')}${scope}: ${listed}`;
}

function clip(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LISTED_MESSAGE ? `${flat.slice(0, MAX_LISTED_MESSAGE - 1)}…` : flat;
}
