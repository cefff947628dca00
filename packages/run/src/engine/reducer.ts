/**
 * The engine: (state, event) → (state, directives). Pure and deterministic — no I/O, no
 * clock, no randomness — so replaying a run's journaled events reproduces its state exactly.
 */
import { BatonError, defaultAccessLevel, type Stage } from '@baton/core';
import type {
  Directive,
  EngineEvent,
  HistoryEntry,
  InFlightStage,
  RunState,
  Transition,
  Verdict,
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
    case 'human.answered':
      return humanAnswered(counted, event);
    case 'run.interrupted':
      if (state.status !== 'running')
        throw invalid(state, event, `only a running run can be interrupted`);
      return {
        state: { ...counted, status: 'interrupted', cause: event.cause },
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
  const state: RunState = {
    runId: event.runId,
    goal: event.goal,
    mission: event.mission,
    routing: event.routing,
    retry: event.retry,
    status: 'running',
    step: 0,
    loops: 0,
    inFlight: null,
    question: null,
    history: [],
    cause: null,
    applied: 1,
  };
  return enterStep(state, 0);
}

/** Moves to step `index`: dispatch its stage, ask its question, or converge past the end. */
function enterStep(state: RunState, index: number): Transition {
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
  // Checked at run.started: every stage of the mission has a chain. Today the first runtime
  // of the chain runs it; the rest of the chain is for falling back.
  const resolution = state.routing.stages[step.stage]!;
  const inFlight: InFlightStage = {
    step: index,
    stage: step.stage,
    runtime: resolution.runtime,
    source: resolution.source,
    access: defaultAccessLevel(step.stage),
    attempt: 1,
    retries: 0,
  };
  return {
    state: { ...state, status: 'running', step: index, inFlight, question: null },
    directives: [dispatch(inFlight, state.loops, 0)],
  };
}

function dispatch(inFlight: InFlightStage, loop: number, backoffMs: number): Directive {
  return {
    kind: 'dispatch',
    step: inFlight.step,
    stage: inFlight.stage,
    runtime: inFlight.runtime,
    source: inFlight.source,
    access: inFlight.access,
    attempt: inFlight.attempt,
    loop,
    backoffMs,
  };
}

function stageEnded(
  state: RunState,
  event: Extract<EngineEvent, { type: 'stage.ended' }>,
): Transition {
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
  const recorded: RunState = { ...state, history: [...state.history, entry] };

  if (event.status === 'failed') {
    const error = event.error ?? {
      message: 'failed without a reported cause',
      kind: 'unknown',
      retryable: false,
    };
    if (error.retryable && inFlight.retries < state.retry.maxRetries) {
      const next: InFlightStage = {
        ...inFlight,
        attempt: inFlight.attempt + 1,
        retries: inFlight.retries + 1,
      };
      const backoffMs = state.retry.baseDelayMs * 2 ** inFlight.retries;
      return {
        state: { ...recorded, inFlight: next },
        directives: [dispatch(next, state.loops, backoffMs)],
      };
    }
    const attempts = inFlight.retries > 0 ? ` (after ${inFlight.retries + 1} attempts)` : '';
    return fail(
      recorded,
      event.stage,
      `${event.stage} failed on ${event.runtime}${attempts}: ${error.message}`,
    );
  }

  if (verdict !== null && verdict.outcome !== 'pass') {
    const executeStep = lastExecuteBefore(state, event.step);
    if (executeStep !== -1 && state.loops < state.mission.maxLoops) {
      return enterStep({ ...recorded, loops: state.loops + 1, inFlight: null }, executeStep);
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
  return enterStep({ ...recorded, inFlight: null }, event.step + 1);
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
  if (event.decision !== 'reject') return enterStep(answered, state.step + 1);

  // Rejected: the stage before the question does its work again, with the reason in its
  // prompt, when the mission has a loop left; otherwise the run ends rejected.
  const back = lastStageBefore(state, state.step);
  if (back !== -1 && state.loops < state.mission.maxLoops) {
    return enterStep({ ...answered, loops: state.loops + 1 }, back);
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

function resumed(
  state: RunState,
  event: Extract<EngineEvent, { type: 'run.resumed' }>,
): Transition {
  if (state.status !== 'interrupted')
    throw invalid(state, event, 'only an interrupted run can be resumed this way');
  const resumedState: RunState = { ...state, status: 'running', cause: null };
  if (state.inFlight === null) return enterStep(resumedState, state.step);
  const next: InFlightStage = { ...state.inFlight, attempt: state.inFlight.attempt + 1 };
  return {
    state: { ...resumedState, inFlight: next },
    directives: [dispatch(next, state.loops, 0)],
  };
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

function invalid(state: RunState | null, event: EngineEvent, reason: string): BatonError {
  return new BatonError(
    'RUN_STATE',
    `Event ${event.type} cannot be applied${state ? ` to run ${state.runId} (status ${state.status})` : ''}: ${reason}.`,
    { details: { event: event.type, status: state?.status ?? null } },
  );
}
