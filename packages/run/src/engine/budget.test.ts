/**
 * Run budgets in the engine: spend summed over every attempt, checked before every dispatch
 * (first attempt, retry, fallback), `budget_exhausted` with the figures, a resume that raises
 * the budget, the budget left passed to each dispatch, and a native cap that stopped a stage.
 */
import { describe, expect, it } from 'vitest';
import { EngineRun, STAGE_STEPS, usage } from '../test-support/engine.js';
import { replayEvents } from './reducer.js';
import { stateHash } from './state-hash.js';
import { encodeDirective } from './wire.js';

const TWO_STAGES = {
  routing: { runtimeBackend: 'claude-code', stages: { interview: 'codex' } },
  steps: STAGE_STEPS('interview', 'execute'),
} as const;

describe('run budgets', () => {
  it('sums every attempt, failed ones included, known costs only', () => {
    const run = new EngineRun({ ...TWO_STAGES });
    run.end({ failureClass: 'transient', usage: usage(100, 10, 0.01) });
    run.end({ usage: usage(200, 20, null) });
    run.end({ usage: usage(1000, 50, 0.5) });
    expect(run.state.spent).toEqual({ tokens: 1380, costUsd: 0.51, unpricedAttempts: 1 });
    expect(run.state.status).toBe('succeeded');
  });

  it('stops before the second stage once the cost budget is spent, and resumes with a raised one', () => {
    const run = new EngineRun({ ...TWO_STAGES, budget: { maxCostUsd: 0.25, maxTokens: null } });
    expect(run.last()).toMatchObject({
      kind: 'dispatch',
      stage: 'interview',
      budget: { maxCostUsd: 0.25, maxTokens: null, maxTurns: null },
    });
    run.end({ usage: usage(1000, 100, 0.3) });
    expect(run.state.status).toBe('budget_exhausted');
    expect(run.state.cause).toBe(
      "the run's budget is spent before execute (step 2): $0.3000 spent of $0.2500",
    );
    expect(run.last()).toEqual({
      kind: 'budget_exhausted',
      step: 1,
      stage: 'execute',
      cause: run.state.cause,
      spent: { tokens: 1100, costUsd: 0.3, unpricedAttempts: 0 },
      budget: { maxCostUsd: 0.25, maxTokens: null },
    });
    expect(encodeDirective(run.last())).toEqual({
      directive: 'budget_exhausted',
      stage: 'execute',
      step: 1,
      extra: {
        cause: run.state.cause,
        spent: { tokens: 1100, cost_usd: 0.3, unpriced_attempts: 0 },
        budget: { max_cost_usd: 0.25, max_tokens: null },
      },
    });
    expect(run.dispatches()).toEqual(['interview@codex#1:first']);

    // Resumed with the same budget: still spent.
    run.apply({ type: 'run.resumed' });
    expect(run.state.status).toBe('budget_exhausted');
    // Raised: execute runs with what is left.
    run.apply({ type: 'run.resumed', budget: { maxCostUsd: 1, maxTokens: null } });
    expect(run.last()).toMatchObject({
      kind: 'dispatch',
      stage: 'execute',
      attempt: 1,
      reason: 'resume',
      budget: { maxCostUsd: 0.7, maxTokens: null, maxTurns: null },
    });
    run.end({ usage: usage(10, 1, 0.1) });
    expect(run.state.status).toBe('succeeded');
    const replay = replayEvents(run.events);
    expect(stateHash(replay.state!)).toBe(stateHash(run.state));
  });

  it('checks the token budget before a retry or a fallback too', () => {
    const run = new EngineRun({ budget: { maxCostUsd: null, maxTokens: 1000 } });
    run.end({ failureClass: 'quota_exhausted', usage: usage(900, 150, null) });
    expect(run.state.status).toBe('budget_exhausted');
    expect(run.state.cause).toBe(
      "the run's budget is spent before execute (step 1): 1,050 tokens used of 1,000",
    );
    // The fallback it would have made is kept for the resume.
    expect(run.state.inFlight).toMatchObject({ runtime: 'claude-code', attempt: 2, chainIndex: 1 });
    run.apply({ type: 'run.resumed', budget: { maxCostUsd: null, maxTokens: 5000 } });
    expect(run.dispatches()).toEqual(['execute@codex#1:first', 'execute@claude-code#2:resume']);
    expect(run.last()).toMatchObject({ budget: { maxTokens: 3950 } });
  });

  it('never passes a cap of nothing while some budget is left', () => {
    const run = new EngineRun({ budget: { maxCostUsd: 1, maxTokens: null } });
    run.end({ failureClass: 'quota_exhausted', usage: usage(1, 1, 0.9999999) });
    expect(run.last()).toMatchObject({ kind: 'dispatch', budget: { maxCostUsd: 0.000001 } });
  });

  it('passes the turn cap with every dispatch', () => {
    const run = new EngineRun({ maxTurns: 12 });
    expect(run.last()).toMatchObject({ budget: { maxTurns: 12 } });
  });

  it('a stage stopped at its native cost cap ends the run out of budget; a resume continues it in its session', () => {
    const run = new EngineRun({ budget: { maxCostUsd: 1, maxTokens: null } });
    run.apply({
      type: 'stage.session',
      step: 0,
      stage: 'execute',
      attempt: 1,
      runtime: 'codex',
      sessionId: 'thread-1',
    });
    run.end({
      failureClass: 'task',
      limitReached: 'cost',
      usage: usage(100, 10, 0.98),
      sessionId: 'thread-1',
    });
    expect(run.state.status).toBe('budget_exhausted');
    expect(run.state.cause).toBe(
      "codex stopped execute (step 1) at the cost left of the run's budget ($0.9800 spent of $1.00)",
    );
    run.apply({ type: 'run.resumed', budget: { maxCostUsd: 2, maxTokens: null } });
    expect(run.last()).toMatchObject({
      kind: 'dispatch',
      runtime: 'codex',
      attempt: 2,
      reason: 'session-resume',
      resumeSessionId: 'thread-1',
      budget: { maxCostUsd: 1.02 },
    });
  });

  it('counts what an interrupted attempt spent', () => {
    const run = new EngineRun({ budget: { maxCostUsd: 0.5, maxTokens: null } });
    run.apply({ type: 'run.interrupted', cause: 'SIGINT', usage: usage(10, 10, 0.6) });
    expect(run.state.spent.costUsd).toBe(0.6);
    run.apply({ type: 'run.resumed' });
    expect(run.state.status).toBe('budget_exhausted');
  });
});
