/**
 * Engine events for engine tests: a run's start with a routing of chains, and attempts that
 * succeed or fail with a failure class, fed through the journal's wire form as the driver
 * and replay feed them.
 */
import {
  DEFAULT_RETRY_SETTINGS,
  type FailureClass,
  type MissionStep,
  type RunBudget,
  type Stage,
} from '@baton/core';
import { applyEvent } from '../engine/reducer.js';
import type {
  AttemptUsage,
  Directive,
  EngineEvent,
  RetryPolicy,
  RunState,
} from '../engine/types.js';
import { decodeEvent, encodeEvent } from '../engine/wire.js';
import { routingFor, type TestRouting } from './routing.js';

export const FAST_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY_SETTINGS,
  baseDelayMs: 100,
  maxDelayMs: 1000,
};

export interface StartOptions {
  readonly routing?: TestRouting;
  readonly steps?: readonly MissionStep[];
  readonly maxLoops?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly budget?: RunBudget;
  readonly maxTurns?: number | null;
  readonly unhealthy?: Record<string, string>;
}

export function started(options: StartOptions = {}): Extract<EngineEvent, { type: 'run.started' }> {
  const steps = options.steps ?? [{ kind: 'stage', stage: 'execute' }];
  const routing = routingFor(
    options.routing ?? {
      runtimeBackend: 'claude-code',
      stages: { execute: ['codex', 'claude-code'] },
    },
    steps,
  );
  return {
    type: 'run.started',
    runId: 'run-p',
    goal: 'Make it work',
    mission: { name: 'test', steps, maxLoops: options.maxLoops ?? 0 },
    routing: { ...routing, unhealthy: options.unhealthy ?? {} },
    retry: { ...FAST_RETRY, ...options.retry },
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    ...(options.maxTurns === undefined ? {} : { maxTurns: options.maxTurns }),
  };
}

export interface AttemptEnd {
  readonly failureClass?: FailureClass;
  readonly message?: string;
  readonly retryAfterMs?: number | null;
  readonly usage?: AttemptUsage | null;
  readonly limitReached?: 'cost' | 'turns';
  readonly sessionNotFound?: boolean;
  readonly cannotRestore?: string | null;
  readonly verdict?: 'pass' | 'fail';
  readonly sessionId?: string | null;
}

/** The end of the attempt in flight: a success, or (with `failureClass`) a failure. */
export function ended(
  state: RunState,
  end: AttemptEnd = {},
): Extract<EngineEvent, { type: 'stage.ended' }> {
  const inFlight = state.inFlight!;
  const failed = end.failureClass !== undefined;
  return {
    type: 'stage.ended',
    step: inFlight.step,
    stage: inFlight.stage,
    attempt: inFlight.attempt,
    runtime: inFlight.runtime,
    status: failed ? 'failed' : 'succeeded',
    finalText: failed ? null : `${inFlight.stage} done on ${inFlight.runtime}`,
    sessionId: end.sessionId ?? null,
    error: failed
      ? {
          message: end.message ?? `${end.failureClass} on ${inFlight.runtime}`,
          kind: 'unknown',
          retryable: end.failureClass === 'rate_limited' || end.failureClass === 'transient',
        }
      : null,
    verdict:
      !failed && inFlight.stage === 'evaluate'
        ? end.verdict === 'fail'
          ? { outcome: 'fail', reason: 'not done' }
          : { outcome: 'pass' }
        : null,
    failureClass: failed ? end.failureClass! : null,
    retryAfterMs: end.retryAfterMs ?? null,
    ...(end.limitReached === undefined ? {} : { limitReached: end.limitReached }),
    ...(end.sessionNotFound === undefined ? {} : { sessionNotFound: end.sessionNotFound }),
    ...(end.cannotRestore === undefined ? {} : { cannotRestore: end.cannotRestore }),
    usage: end.usage ?? null,
  };
}

export function usage(
  inputTokens: number,
  outputTokens: number,
  costUsd: number | null,
): AttemptUsage {
  return {
    inputTokens,
    cachedInputTokens: 0,
    outputTokens,
    reasoningTokens: null,
    costUsd,
    costSource: costUsd === null ? null : 'runtime',
  };
}

/** Every event through the journal's wire form and back, as the driver and replay feed the engine. */
export function viaJournal<T extends EngineEvent>(event: T): T {
  return decodeEvent(event.type, JSON.parse(JSON.stringify(encodeEvent(event)))) as T;
}

/** A run driven event by event; `step` applies one event (through the wire) and keeps the directives. */
export class EngineRun {
  state: RunState;
  readonly directives: Directive[] = [];
  readonly events: EngineEvent[] = [];

  constructor(options: StartOptions = {}) {
    const event = viaJournal(started(options));
    const transition = applyEvent(null, event);
    this.state = transition.state;
    this.events.push(event);
    this.directives.push(...transition.directives);
  }

  apply(event: EngineEvent): Directive[] {
    const wired = viaJournal(event);
    const transition = applyEvent(this.state, wired);
    this.state = transition.state;
    this.events.push(wired);
    this.directives.push(...transition.directives);
    return [...transition.directives];
  }

  end(end: AttemptEnd = {}): Directive[] {
    return this.apply(ended(this.state, end));
  }

  /** The dispatches so far as `stage@runtime#attempt:reason+backoff`. */
  dispatches(): string[] {
    return this.directives.flatMap((directive) =>
      directive.kind === 'dispatch'
        ? [
            `${directive.stage}@${directive.runtime}#${directive.attempt}:${directive.reason}` +
              (directive.backoffMs > 0 ? `+${directive.backoffMs}` : ''),
          ]
        : [],
    );
  }

  last(): Directive {
    return this.directives.at(-1)!;
  }
}

export const STAGE_STEPS = (...stages: Stage[]): MissionStep[] =>
  stages.map((stage) => ({ kind: 'stage', stage }));
