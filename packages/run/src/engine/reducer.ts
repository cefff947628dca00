/**
 * The engine: (state, event) → (state, directives). Pure and deterministic — no I/O, no
 * clock, no randomness — so replaying a run's journaled events reproduces its state exactly.
 *
 * What a failed attempt leads to (the retry policy, `policy.ts`) and what a run may spend
 * (`budget.ts`) are decided here too, from the journaled facts alone.
 */
import { BatonError, DEFAULT_RETRY_SETTINGS, NO_BUDGET, type Stage } from '@baton/core';
import { budgetBefore, budgetSpentCause, limitReachedCause, spend } from './budget.js';
import { firstHealthy, freshAttempt, unhealthyChain } from './chain.js';
import { type DispatchPlan, legacyRetry, nextAttemptAfterFailure } from './policy.js';
import {
  type Directive,
  type EngineEvent,
  type FallbackFrom,
  type HistoryEntry,
  type InFlightStage,
  JOURNAL_FORMAT,
  NOTHING_SPENT,
  type RunState,
  type Transition,
  type Verdict,
} from './types.js';

/** Applies one event. `state` is `null` before `run.started`. Throws `RUN_STATE` for an event that cannot happen now. */
export function applyEvent(state: RunState | null, event: EngineEvent): Transition {
  if (state === null) {
    if (event.type !== 'run.started')
      throw invalid(null, event, 'the first event of a run must be run.started');
    return startRun(event);
  }
  const counted: RunState = { ...state, applied: state.applied + 1 };
  switch (event.type) {
    case 'run.started':
      throw invalid(state, event, 'the run has already started');
    case 'stage.ended':
      return stageEnded(counted, event);
    case 'stage.session':
      return sessionAnnounced(counted, event);
    case 'human.answered':
      return humanAnswered(counted, event);
    case 'run.interrupted':
      if (state.status !== 'running')
        throw invalid(state, event, `only a running run can be interrupted`);
      return {
        state: {
          ...counted,
          status: 'interrupted',
          cause: event.cause,
          spent: spend(counted.spent, event.usage ?? null),
        },
        directives: [{ kind: 'cancel', cause: event.cause }],
      };
    case 'run.resumed':
      return resumed(counted, event);
  }
}

/** Folds a whole sequence of events; returns the final state and every directive in order. */
export function replayEvents(events: Iterable<EngineEvent>): {
  state: RunState | null;
  directives: Directive[];
} {
  let state: RunState | null = null;
  const directives: Directive[] = [];
  for (const event of events) {
    const transition = applyEvent(state, event);
    state = transition.state;
    directives.push(...transition.directives);
  }
  return { state, directives };
}

function startRun(event: Extract<EngineEvent, { type: 'run.started' }>): Transition {
  if (event.mission.steps.length === 0) throw invalid(null, event, 'the mission has no steps');
  for (const step of event.mission.steps) {
    if (step.kind === 'stage' && event.routing.stages[step.stage] === undefined)
      throw invalid(null, event, `the routing has no runtime for the ${step.stage} stage`);
  }
  const format = event.format ?? JOURNAL_FORMAT;
  const state: RunState = {
    format,
    runId: event.runId,
    goal: event.goal,
    mission: event.mission,
    // From format 3 on, the journal always holds the list (empty when every runtime passed).
    routing:
      format >= 3 ? { ...event.routing, unhealthy: event.routing.unhealthy ?? {} } : event.routing,
    retry: { ...DEFAULT_RETRY_SETTINGS, ...event.retry },
    budget: event.budget ?? NO_BUDGET,
    maxTurns: event.maxTurns ?? null,
    spent: NOTHING_SPENT,
    status: 'running',
    step: 0,
    loops: 0,
    inFlight: null,
    question: null,
    history: [],
    cause: null,
    applied: 1,
  };
  return enterStep(state, 0, 'first');
}

/** Moves to step `index`: dispatch its stage, ask its question, or converge past the end. */
function enterStep(state: RunState, index: number, reason: 'first' | 'resume'): Transition {
  const step = state.mission.steps[index];
  if (step === undefined) {
    return {
      state: {
        ...state,
        status: 'succeeded',
        step: index,
        inFlight: null,
        question: null,
        cause: null,
      },
      directives: [{ kind: 'converge' }],
    };
  }
  if (step.kind === 'human') {
    return {
      state: { ...state, status: 'waiting', step: index, inFlight: null, question: step.question },
      directives: [{ kind: 'ask_human', step: index, question: step.question }],
    };
  }
  const at: RunState = { ...state, step: index, question: null, inFlight: null };
  const chainIndex = firstHealthy(at, step.stage, 0);
  if (chainIndex === -1) {
    return fail(at, step.stage, `${step.stage} cannot run: ${unhealthyChain(at, step.stage)}`);
  }
  const inFlight = freshAttempt(
    at,
    index,
    step.stage,
    chainIndex,
    nextAttemptNumber(at, index),
    [],
  );
  // A first choice that failed its checks before the run is a fallback too, said so.
  const skipped = state.routing.stages[step.stage]!.chain[0]!.runtime;
  const fallbackFrom: FallbackFrom | null =
    chainIndex === 0
      ? null
      : {
          runtime: skipped,
          failureClass: 'unavailable',
          cause:
            `failed its checks before the run: ${state.routing.unhealthy?.[skipped] ?? ''}`.trim(),
        };
  return dispatchOrStop(at, inFlight, {
    backoffMs: 0,
    reason,
    fallbackFrom,
    resumeSessionId: null,
  });
}

/**
 * The number of the next attempt at `step` in the current loop: 1 on a first visit, one past
 * every attempt the step has had in this loop when a resume comes back to it.
 */
function nextAttemptNumber(state: RunState, step: number): number {
  let last = 0;
  for (const entry of state.history) {
    if (entry.kind === 'stage' && entry.step === step && entry.loop === state.loops)
      last = Math.max(last, entry.attempt);
  }
  return last + 1;
}

/**
 * Dispatches `inFlight`, unless the run's budget is spent: then the run stops
 * `budget_exhausted`, keeping the attempt it would have made for a resume to make.
 */
function dispatchOrStop(state: RunState, inFlight: InFlightStage, plan: DispatchPlan): Transition {
  const spentCause = budgetSpentCause(state, inFlight);
  if (spentCause !== null) {
    return {
      state: { ...state, status: 'budget_exhausted', inFlight, cause: spentCause },
      directives: [
        {
          kind: 'budget_exhausted',
          step: inFlight.step,
          stage: inFlight.stage,
          cause: spentCause,
          spent: state.spent,
          budget: state.budget,
        },
      ],
    };
  }
  return {
    state: { ...state, status: 'running', inFlight, cause: null },
    directives: [
      {
        kind: 'dispatch',
        step: inFlight.step,
        stage: inFlight.stage,
        runtime: inFlight.runtime,
        source: inFlight.source,
        access: inFlight.access,
        attempt: inFlight.attempt,
        loop: state.loops,
        backoffMs: plan.backoffMs,
        chainIndex: inFlight.chainIndex,
        model: inFlight.model,
        effort: inFlight.effort,
        reason: plan.reason,
        fallbackFrom: plan.fallbackFrom,
        resumeSessionId: plan.resumeSessionId,
        budget: budgetBefore(state),
      },
    ],
  };
}

function assertInFlight(
  state: RunState,
  event: Extract<EngineEvent, { type: 'stage.ended' | 'stage.session' }>,
): InFlightStage {
  const inFlight = state.inFlight;
  if (state.status !== 'running' || inFlight === null)
    throw invalid(state, event, 'no stage is in flight');
  if (
    event.step !== inFlight.step ||
    event.stage !== inFlight.stage ||
    event.attempt !== inFlight.attempt ||
    event.runtime !== inFlight.runtime
  ) {
    throw invalid(
      state,
      event,
      `it reports ${event.stage}@${event.runtime} (step ${event.step}, attempt ${event.attempt}) but ` +
        `${inFlight.stage}@${inFlight.runtime} (step ${inFlight.step}, attempt ${inFlight.attempt}) is in flight`,
    );
  }
  return inFlight;
}

function sessionAnnounced(
  state: RunState,
  event: Extract<EngineEvent, { type: 'stage.session' }>,
): Transition {
  const inFlight = assertInFlight(state, event);
  return {
    state: { ...state, inFlight: { ...inFlight, sessionId: event.sessionId } },
    directives: [],
  };
}

function stageEnded(
  state: RunState,
  event: Extract<EngineEvent, { type: 'stage.ended' }>,
): Transition {
  const inFlight = assertInFlight(state, event);
  const verdict: Verdict | null =
    event.stage === 'evaluate' && event.status === 'succeeded'
      ? (event.verdict ?? { outcome: 'missing', reason: 'no verdict' })
      : null;
  const entry: HistoryEntry = {
    kind: 'stage',
    step: event.step,
    stage: event.stage,
    runtime: event.runtime,
    attempt: event.attempt,
    loop: state.loops,
    status: event.status,
    finalText: event.finalText,
    verdict,
    error: event.error?.message ?? null,
  };
  const recorded: RunState = {
    ...state,
    history: [...state.history, entry],
    spent: spend(state.spent, event.usage ?? null),
  };

  if (event.status === 'failed') {
    const error = event.error ?? {
      message: 'failed without a reported cause',
      kind: 'unknown',
      retryable: false,
    };
    // Journals written before failure classes: their failures are retried as they were then.
    if (event.failureClass === undefined) return legacyFailure(recorded, inFlight, event, error);
    const decision = nextAttemptAfterFailure(recorded, inFlight, {
      failureClass: event.failureClass ?? 'task',
      message: error.message,
      retryAfterMs: event.retryAfterMs ?? null,
      sessionNotFound: event.sessionNotFound === true,
      sessionId: event.sessionId ?? inFlight.sessionId,
    });
    if (event.limitReached) {
      // A native cap of the budget stopped the stage: the run is out of budget, and a resume
      // with a larger one continues the stage (in its session, when the harness named one).
      const next: InFlightStage = {
        ...inFlight,
        attempt: inFlight.attempt + 1,
        sessionId: event.sessionId ?? inFlight.sessionId,
        attempts: decision.attempts,
      };
      const cause = limitReachedCause(recorded, inFlight, event.limitReached);
      return {
        state: { ...recorded, status: 'budget_exhausted', inFlight: next, cause },
        directives: [
          {
            kind: 'budget_exhausted',
            step: next.step,
            stage: next.stage,
            cause,
            spent: recorded.spent,
            budget: recorded.budget,
          },
        ],
      };
    }
    if (decision.kind === 'stop') return fail(recorded, event.stage, decision.cause);
    if (event.cannotRestore) {
      return fail(
        recorded,
        event.stage,
        `${decision.stopCause}; not tried again: ${event.cannotRestore}`,
      );
    }
    return dispatchOrStop(recorded, decision.next, decision.plan);
  }

  if (verdict !== null && verdict.outcome !== 'pass') {
    const executeStep = lastExecuteBefore(state, event.step);
    if (executeStep !== -1 && state.loops < state.mission.maxLoops) {
      return enterStep(
        { ...recorded, loops: state.loops + 1, inFlight: null },
        executeStep,
        'first',
      );
    }
    const loops =
      state.loops > 0
        ? ` (after ${state.loops} loop${state.loops === 1 ? '' : 's'} back to execute)`
        : '';
    const cause =
      verdict.outcome === 'fail'
        ? `evaluate verdict: FAIL ${verdict.reason}`.trimEnd()
        : `evaluate gave no verdict: ${verdict.reason}`;
    return fail(recorded, event.stage, cause + loops);
  }
  return enterStep({ ...recorded, inFlight: null }, event.step + 1, 'first');
}

/** The policy of journal formats 1 and 2, for their class-less failures: retry while retryable. */
function legacyFailure(
  state: RunState,
  inFlight: InFlightStage,
  event: Extract<EngineEvent, { type: 'stage.ended' }>,
  error: NonNullable<Extract<EngineEvent, { type: 'stage.ended' }>['error']>,
): Transition {
  const retry = legacyRetry(state, inFlight, error.retryable);
  if (retry !== null) return dispatchOrStop(state, retry.next, retry.plan);
  const attempts = inFlight.retries > 0 ? ` (after ${inFlight.retries + 1} attempts)` : '';
  return fail(
    state,
    event.stage,
    `${event.stage} failed on ${event.runtime}${attempts}: ${error.message}`,
  );
}

function humanAnswered(
  state: RunState,
  event: Extract<EngineEvent, { type: 'human.answered' }>,
): Transition {
  if (state.status !== 'waiting' || state.question === null)
    throw invalid(state, event, 'the run is not waiting for an answer');
  if (event.step !== state.step)
    throw invalid(state, event, `it answers step ${event.step}, but step ${state.step} asked`);
  const entry: HistoryEntry = {
    kind: 'human',
    step: state.step,
    question: state.question,
    answer: event.answer,
    ...(event.decision === undefined ? {} : { decision: event.decision }),
  };
  const answered: RunState = {
    ...state,
    status: 'running',
    question: null,
    history: [...state.history, entry],
  };
  if (event.decision !== 'reject') return enterStep(answered, state.step + 1, 'first');

  // Rejected: the stage before the question does its work again, with the reason in its
  // prompt, when the mission has a loop left; otherwise the run ends rejected.
  const back = lastStageBefore(state, state.step);
  if (back !== -1 && state.loops < state.mission.maxLoops) {
    return enterStep({ ...answered, loops: state.loops + 1 }, back, 'first');
  }
  const reason = event.answer.trim() === '' ? '' : `: ${event.answer.trim()}`;
  const noLoop =
    back !== -1 && state.mission.maxLoops > 0
      ? ` (no loop left: ${state.loops} of ${state.mission.maxLoops} used)`
      : '';
  const cause = `rejected at step ${state.step + 1} (${state.question})${reason}${noLoop}`;
  return {
    state: { ...answered, status: 'rejected', inFlight: null, cause },
    directives: [{ kind: 'reject', step: state.step, cause }],
  };
}

/** Statuses `run.resumed` continues. */
const RESUMABLE = ['interrupted', 'failed', 'budget_exhausted'] as const;

function resumed(
  state: RunState,
  event: Extract<EngineEvent, { type: 'run.resumed' }>,
): Transition {
  if (!(RESUMABLE as readonly string[]).includes(state.status))
    throw invalid(state, event, `only an ${RESUMABLE.join(', ')} run can be resumed this way`);
  const resumedState: RunState = {
    ...state,
    status: 'running',
    cause: null,
    budget: event.budget ?? state.budget,
    routing:
      event.unhealthy === undefined
        ? state.routing
        : { ...state.routing, unhealthy: event.unhealthy },
  };
  if (event.fromStep !== undefined) {
    const step = state.mission.steps[event.fromStep];
    if (step === undefined || step.kind !== 'stage')
      throw invalid(state, event, `step ${event.fromStep} is not a stage step of the mission`);
    if (event.fromStep > state.step)
      throw invalid(
        state,
        event,
        `step ${event.fromStep + 1} (${step.stage}) comes after step ${state.step + 1}, where the run stopped`,
      );
    return enterStep({ ...resumedState, inFlight: null }, event.fromStep, 'resume');
  }
  const inFlight = state.inFlight;
  if (state.status === 'failed' || inFlight === null)
    return enterStep({ ...resumedState, inFlight: null }, state.step, 'resume');
  // Interrupted, or out of budget with the attempt it would have made: that attempt now,
  // in the harness's session when the stopped attempt announced one.
  const next: InFlightStage = {
    ...inFlight,
    attempt: state.status === 'interrupted' ? inFlight.attempt + 1 : inFlight.attempt,
  };
  return dispatchOrStop(resumedState, next, {
    backoffMs: 0,
    reason: next.sessionId === null ? 'resume' : 'session-resume',
    fallbackFrom: null,
    resumeSessionId: next.sessionId,
  });
}

function fail(state: RunState, stage: Stage | null, cause: string): Transition {
  return {
    state: { ...state, status: 'failed', inFlight: null, cause },
    directives: [{ kind: 'fail', stage, cause }],
  };
}

function lastStageBefore(state: RunState, index: number): number {
  for (let candidate = index - 1; candidate >= 0; candidate--) {
    if (state.mission.steps[candidate]?.kind === 'stage') return candidate;
  }
  return -1;
}

function lastExecuteBefore(state: RunState, index: number): number {
  for (let candidate = index - 1; candidate >= 0; candidate--) {
    const step = state.mission.steps[candidate];
    if (step?.kind === 'stage' && step.stage === 'execute') return candidate;
  }
  return -1;
}

export function invalid(state: RunState | null, event: EngineEvent, reason: string): BatonError {
  return new BatonError(
    'RUN_STATE',
    `Event ${event.type} cannot be applied${state ? ` to run ${state.runId} (status ${state.status})` : ''}: ${reason}.`,
    { details: { event: event.type, status: state?.status ?? null } },
  );
}
