import { BatonError, DELIVER_MISSION, type MissionStep } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { routingFor } from '../test-support/routing.js';
import { applyEvent, replayEvents } from './reducer.js';
import { stateHash } from './state-hash.js';
import type { Directive, EngineEvent, RunState } from './types.js';
import { decodeEvent, encodeDirective, encodeEvent } from './wire.js';

const routing = routingFor({
  runtimeBackend: 'claude-code',
  stages: { interview: 'codex', execute: 'opencode', reflect: 'hermes' },
  backendProfile: 'worker',
});

function started(
  steps: readonly MissionStep[] = DELIVER_MISSION.steps,
  maxLoops = 0,
): Extract<EngineEvent, { type: 'run.started' }> {
  return {
    type: 'run.started',
    runId: 'run-1',
    goal: 'Add a flag',
    mission: { name: 'test', steps, maxLoops },
    routing,
    retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 60_000, rateLimitRetries: 3 },
  };
}

function ended(
  state: RunState,
  overrides: Partial<Extract<EngineEvent, { type: 'stage.ended' }>> = {},
): Extract<EngineEvent, { type: 'stage.ended' }> {
  const inFlight = state.inFlight!;
  return {
    type: 'stage.ended',
    step: inFlight.step,
    stage: inFlight.stage,
    attempt: inFlight.attempt,
    runtime: inFlight.runtime,
    status: 'succeeded',
    finalText: `${inFlight.stage} done`,
    sessionId: null,
    error: null,
    verdict: inFlight.stage === 'evaluate' ? { outcome: 'pass' } : null,
    ...overrides,
  };
}

const NO_BUDGET_LEFT = { maxCostUsd: null, maxTokens: null, maxTurns: null };

/** A dispatch directive as the engine emits it: a first attempt unless `overrides` say otherwise. */
function dispatchOf(
  fields: Pick<
    Extract<Directive, { kind: 'dispatch' }>,
    'step' | 'stage' | 'runtime' | 'source' | 'access'
  > &
    Partial<Extract<Directive, { kind: 'dispatch' }>>,
): Directive {
  return {
    kind: 'dispatch',
    attempt: 1,
    loop: 0,
    backoffMs: 0,
    chainIndex: 0,
    model: null,
    effort: null,
    reason: 'first',
    fallbackFrom: null,
    resumeSessionId: null,
    budget: NO_BUDGET_LEFT,
    ...fields,
  };
}

/** Applies events one by one, returning every state and directive. */
function run(events: (state: RunState | null) => EngineEvent | null) {
  let state: RunState | null = null;
  const all: Directive[] = [];
  const history: EngineEvent[] = [];
  for (let guard = 0; guard < 50; guard++) {
    const event = events(state);
    if (event === null) break;
    history.push(event);
    const transition = applyEvent(state, event);
    state = transition.state;
    all.push(...transition.directives);
  }
  return { state: state!, directives: all, events: history };
}

describe('engine', () => {
  it('dispatches each deliver stage to the runtime the routing resolves, then converges', () => {
    const { state, directives } = run((state) =>
      state === null ? started() : state.status === 'running' ? ended(state) : null,
    );
    expect(directives).toEqual([
      dispatchOf({
        step: 0,
        stage: 'interview',
        runtime: 'codex',
        source: 'stage',
        access: 'read-only',
        attempt: 1,
        loop: 0,
        backoffMs: 0,
      }),
      dispatchOf({
        step: 1,
        stage: 'execute',
        runtime: 'opencode',
        source: 'stage',
        access: 'workspace-write',
        attempt: 1,
        loop: 0,
        backoffMs: 0,
      }),
      dispatchOf({
        step: 2,
        stage: 'evaluate',
        runtime: 'claude-code',
        source: 'fallback',
        access: 'read-only',
        attempt: 1,
        loop: 0,
        backoffMs: 0,
      }),
      dispatchOf({
        step: 3,
        stage: 'reflect',
        runtime: 'hermes',
        source: 'stage',
        access: 'read-only',
        attempt: 1,
        loop: 0,
        backoffMs: 0,
      }),
      { kind: 'converge' },
    ]);
    expect(state.status).toBe('succeeded');
    expect(state.history.map((entry) => entry.kind === 'stage' && entry.finalText)).toEqual([
      'interview done',
      'execute done',
      'evaluate done',
      'reflect done',
    ]);
    expect(state.applied).toBe(5);
  });

  it('pauses at a human step and continues with the answer', () => {
    const steps: MissionStep[] = [
      { kind: 'stage', stage: 'interview' },
      { kind: 'human', question: 'Approve the spec?' },
      { kind: 'stage', stage: 'execute' },
    ];
    let state = applyEvent(null, started(steps)).state;
    const paused = applyEvent(state, ended(state));
    expect(paused.directives).toEqual([
      { kind: 'ask_human', step: 1, question: 'Approve the spec?' },
    ]);
    expect(paused.state.status).toBe('waiting');
    expect(() =>
      applyEvent(paused.state, { type: 'human.answered', step: 2, answer: 'yes' }),
    ).toThrow(/step 1 asked/);
    const answered = applyEvent(paused.state, {
      type: 'human.answered',
      step: 1,
      answer: 'yes, ship it',
    });
    expect(answered.directives).toEqual([
      dispatchOf({
        step: 2,
        stage: 'execute',
        runtime: 'opencode',
        source: 'stage',
        access: 'workspace-write',
        attempt: 1,
        loop: 0,
        backoffMs: 0,
      }),
    ]);
    state = answered.state;
    expect(state.history[1]).toEqual({
      kind: 'human',
      step: 1,
      question: 'Approve the spec?',
      answer: 'yes, ship it',
    });
  });

  it('fails the run on a failing verdict when the mission allows no loop', () => {
    const { state, directives } = run((state) => {
      if (state === null) return started();
      if (state.status !== 'running') return null;
      return state.inFlight!.stage === 'evaluate'
        ? ended(state, { verdict: { outcome: 'fail', reason: 'tests missing' } })
        : ended(state);
    });
    expect(state.status).toBe('failed');
    expect(state.cause).toBe('evaluate verdict: FAIL tests missing');
    expect(directives.at(-1)).toEqual({
      kind: 'fail',
      stage: 'evaluate',
      cause: 'evaluate verdict: FAIL tests missing',
    });
    expect(directives.filter((directive) => directive.kind === 'dispatch')).toHaveLength(3);
  });

  it('treats a missing verdict as a failure', () => {
    const steps: MissionStep[] = [{ kind: 'stage', stage: 'evaluate' }];
    const state = applyEvent(null, started(steps)).state;
    const transition = applyEvent(state, ended(state, { verdict: null }));
    expect(transition.state.status).toBe('failed');
    expect(transition.state.cause).toBe('evaluate gave no verdict: no verdict');
  });

  it('loops back to execute at most max_loops times, then fails', () => {
    const steps: MissionStep[] = [
      { kind: 'stage', stage: 'execute' },
      { kind: 'stage', stage: 'evaluate' },
    ];
    const { state, directives } = run((state) => {
      if (state === null) return started(steps, 2);
      if (state.status !== 'running') return null;
      return state.inFlight!.stage === 'evaluate'
        ? ended(state, { verdict: { outcome: 'fail', reason: 'still broken' } })
        : ended(state);
    });
    const dispatches = directives.filter((directive) => directive.kind === 'dispatch');
    expect(dispatches.map((directive) => `${directive.stage}@${directive.loop}`)).toEqual([
      'execute@0',
      'evaluate@0',
      'execute@1',
      'evaluate@1',
      'execute@2',
      'evaluate@2',
    ]);
    expect(state.status).toBe('failed');
    expect(state.cause).toBe('evaluate verdict: FAIL still broken (after 2 loops back to execute)');
  });

  it('converges when a loop fixes the work', () => {
    const steps: MissionStep[] = [
      { kind: 'stage', stage: 'execute' },
      { kind: 'stage', stage: 'evaluate' },
    ];
    let verdicts = 0;
    const { state } = run((state) => {
      if (state === null) return started(steps, 1);
      if (state.status !== 'running') return null;
      if (state.inFlight!.stage !== 'evaluate') return ended(state);
      verdicts += 1;
      return ended(state, {
        verdict: verdicts === 1 ? { outcome: 'fail', reason: 'x' } : { outcome: 'pass' },
      });
    });
    expect(state.status).toBe('succeeded');
    expect(state.loops).toBe(1);
  });

  it('retries a class-less failure (journals before failure classes) while retryable, a bounded number of times', () => {
    const transient = { message: 'rate limited', kind: 'rate-limit', retryable: true } as const;
    const { state, directives } = run((state) => {
      if (state === null) return started([{ kind: 'stage', stage: 'execute' }]);
      if (state.status !== 'running') return null;
      return ended(state, { status: 'failed', finalText: null, error: transient });
    });
    expect(
      directives.map((directive) =>
        directive.kind === 'dispatch' ? [directive.attempt, directive.backoffMs] : directive.kind,
      ),
    ).toEqual([[1, 0], [2, 100], [3, 200], 'fail']);
    expect(state.cause).toBe('execute failed on opencode (after 3 attempts): rate limited');
  });

  it('does not retry a class-less permanent failure', () => {
    const state = applyEvent(null, started()).state;
    const transition = applyEvent(
      state,
      ended(state, { status: 'failed', error: { message: '401', kind: 'auth', retryable: false } }),
    );
    expect(transition.directives).toEqual([
      { kind: 'fail', stage: 'interview', cause: 'interview failed on codex: 401' },
    ]);
  });

  it('re-dispatches the stage in flight when an interrupted run is resumed', () => {
    const state = applyEvent(null, started()).state;
    const interrupted = applyEvent(state, { type: 'run.interrupted', cause: 'SIGINT' });
    expect(interrupted.state.status).toBe('interrupted');
    expect(interrupted.directives).toEqual([{ kind: 'cancel', cause: 'SIGINT' }]);
    expect(() => applyEvent(interrupted.state, ended(state))).toThrow(BatonError);
    const resumed = applyEvent(interrupted.state, { type: 'run.resumed' });
    expect(resumed.directives).toEqual([
      dispatchOf({
        step: 0,
        stage: 'interview',
        runtime: 'codex',
        source: 'stage',
        access: 'read-only',
        attempt: 2,
        loop: 0,
        backoffMs: 0,
        reason: 'resume',
      }),
    ]);
    expect(resumed.state.inFlight?.retries).toBe(0);
    expect(resumed.state.inFlight?.chainIndex).toBe(0);
  });

  it('rejects events that cannot happen now', () => {
    expect(() => applyEvent(null, { type: 'run.resumed' })).toThrow(
      /first event of a run must be run.started/,
    );
    const state = applyEvent(null, started()).state;
    expect(() => applyEvent(state, started())).toThrow(/already started/);
    expect(() => applyEvent(state, ended(state, { runtime: 'claude-code' }))).toThrow(
      /is in flight/,
    );
    expect(() => applyEvent(state, { type: 'human.answered', step: 0, answer: 'x' })).toThrow(
      /not waiting/,
    );
    expect(() => applyEvent(state, { type: 'run.resumed' })).toThrow(
      /only an interrupted, failed, budget_exhausted run can be resumed/,
    );
  });

  it('is deterministic: replaying the same events gives the same state and hash', () => {
    const first = run((state) =>
      state === null ? started() : state.status === 'running' ? ended(state) : null,
    );
    const replayed = replayEvents(first.events);
    expect(replayed.directives).toEqual(first.directives);
    expect(stateHash(replayed.state!)).toBe(stateHash(first.state));
    // Through the journal's wire form too.
    const throughWire = replayEvents(
      first.events.map((event) =>
        decodeEvent(event.type, JSON.parse(JSON.stringify(encodeEvent(event)))),
      ),
    );
    expect(stateHash(throughWire.state!)).toBe(stateHash(first.state));
    expect(stateHash(first.state)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes states by content, not by key order', () => {
    const state = applyEvent(null, started()).state;
    const reordered = Object.fromEntries(Object.entries(state).reverse()) as unknown as RunState;
    expect(stateHash(reordered)).toBe(stateHash(state));
    expect(stateHash({ ...state, goal: 'Another goal' })).not.toBe(stateHash(state));
  });

  it('encodes directives with the stage and runtime id the journal contract asks for', () => {
    const state = applyEvent(null, started()).state;
    const [dispatch] = applyEvent(null, started()).directives;
    expect(encodeDirective(dispatch!)).toEqual({
      directive: 'dispatch',
      stage: 'interview',
      step: 0,
      extra: {
        runtime_id: 'codex',
        source: 'stage',
        access: 'read-only',
        attempt: 1,
        loop: 0,
        backoff_ms: 0,
        chain_index: 0,
        model: null,
        effort: null,
        reason: 'first',
        fallback_from: null,
        resume_session_id: null,
        budget: { max_cost_usd: null, max_tokens: null, max_turns: null },
      },
    });
    // A run journaled before format 3 keeps its directives' shape.
    expect(encodeDirective(dispatch!, 2)).toEqual({
      directive: 'dispatch',
      stage: 'interview',
      step: 0,
      extra: {
        runtime_id: 'codex',
        source: 'stage',
        access: 'read-only',
        attempt: 1,
        loop: 0,
        backoff_ms: 0,
      },
    });
    expect(state.inFlight?.runtime).toBe('codex');
  });

  it('refuses malformed journal payloads with the field at fault', () => {
    expect(() => decodeEvent('stage.ended', { step: 0, stage: 'interveiw' })).toThrow(
      /stage is not a stage/,
    );
    const payload = encodeEvent(started()) as Record<string, Record<string, unknown>>;
    expect(() => decodeEvent('run.started', { ...payload, routing: 'codex' })).toThrow(
      /: routing is not an object/,
    );
    expect(() =>
      decodeEvent('run.started', { ...payload, mission: { ...payload.mission, max_loops: -1 } }),
    ).toThrow(/: mission.max_loops is not a non-negative integer/);
  });
});
