/**
 * The retry and fallback policy, class by class, through the journal's wire form: rate limits
 * wait and retry the same runtime, quota/auth/unavailable fall back at once, transient
 * failures retry then fall back, timeouts and task failures stop, a spent chain lists every
 * attempt, and preflight's unhealthy runtimes are skipped.
 */
import { describe, expect, it } from 'vitest';
import { EngineRun, STAGE_STEPS } from '../test-support/engine.js';
import { replayEvents } from './reducer.js';
import { stateHash } from './state-hash.js';
import { encodeDirective } from './wire.js';

describe('failure policy', () => {
  it('rate_limited: waits the stated delay and retries the same runtime, capped, then falls back', () => {
    const run = new EngineRun({ retry: { rateLimitRetries: 2, maxDelayMs: 1000 } });
    run.end({ failureClass: 'rate_limited', retryAfterMs: 700 });
    // A delay over max_delay is capped; without one, the doubling backoff (100 · 2^1).
    run.end({ failureClass: 'rate_limited', retryAfterMs: 5000 });
    run.end({ failureClass: 'rate_limited', retryAfterMs: null });
    expect(run.dispatches()).toEqual([
      'execute@codex#1:first',
      'execute@codex#2:retry+700',
      'execute@codex#3:retry+1000',
      'execute@claude-code#4:fallback',
    ]);
    expect(run.last()).toMatchObject({
      kind: 'dispatch',
      chainIndex: 1,
      fallbackFrom: {
        runtime: 'codex',
        failureClass: 'rate_limited',
        cause: 'rate_limited on codex',
      },
    });
    run.end();
    expect(run.state.status).toBe('succeeded');
  });

  it('rate_limited without a stated delay backs off from base_delay, doubling', () => {
    const run = new EngineRun({ retry: { rateLimitRetries: 3, maxDelayMs: 60_000 } });
    for (let index = 0; index < 3; index++) run.end({ failureClass: 'rate_limited' });
    expect(run.dispatches().slice(1, 4)).toEqual([
      'execute@codex#2:retry+100',
      'execute@codex#3:retry+200',
      'execute@codex#4:retry+400',
    ]);
  });

  for (const failureClass of ['quota_exhausted', 'auth', 'unavailable'] as const) {
    it(`${failureClass}: falls back to the next runtime at once`, () => {
      const run = new EngineRun();
      // A quota's stated delay is the time to its reset: never waited for.
      run.end({ failureClass, message: 'stopped', retryAfterMs: 7_200_000 });
      expect(run.dispatches()).toEqual(['execute@codex#1:first', 'execute@claude-code#2:fallback']);
      expect(run.state.inFlight).toMatchObject({
        runtime: 'claude-code',
        chainIndex: 1,
        retries: 0,
        rateLimitWaits: 0,
        attempts: [{ attempt: 1, runtime: 'codex', failureClass, message: 'stopped' }],
      });
    });
  }

  it('transient: retries with capped doubling backoff, then falls back', () => {
    const run = new EngineRun({ retry: { maxRetries: 2, baseDelayMs: 600, maxDelayMs: 1000 } });
    run.end({ failureClass: 'transient' });
    run.end({ failureClass: 'transient' });
    run.end({ failureClass: 'transient' });
    expect(run.dispatches()).toEqual([
      'execute@codex#1:first',
      'execute@codex#2:retry+600',
      'execute@codex#3:retry+1000',
      'execute@claude-code#4:fallback',
    ]);
  });

  for (const failureClass of ['timeout', 'task'] as const) {
    it(`${failureClass}: no retry, no fallback`, () => {
      const run = new EngineRun();
      run.end({ failureClass, message: 'the work failed' });
      expect(run.dispatches()).toEqual(['execute@codex#1:first']);
      expect(run.state.status).toBe('failed');
      expect(run.state.cause).toBe(`execute failed on codex (${failureClass}): the work failed`);
      expect(run.last()).toEqual({ kind: 'fail', stage: 'execute', cause: run.state.cause });
    });
  }

  it('a FAIL verdict is an answer: no fallback, the run fails (or loops) as before', () => {
    const run = new EngineRun({
      routing: { runtimeBackend: 'codex', stages: { evaluate: ['codex', 'claude-code'] } },
      steps: STAGE_STEPS('evaluate'),
    });
    run.end({ verdict: 'fail' });
    expect(run.dispatches()).toEqual(['evaluate@codex#1:first']);
    expect(run.state.cause).toBe('evaluate verdict: FAIL not done');
  });

  it('a spent chain fails with every attempt: runtime, class and cause', () => {
    const run = new EngineRun({
      routing: {
        runtimeBackend: 'codex',
        stages: { execute: ['codex', 'claude-code', 'opencode'] },
      },
      retry: { maxRetries: 1 },
    });
    run.end({ failureClass: 'quota_exhausted', message: "You've hit your usage limit." });
    run.end({ failureClass: 'transient', message: 'API Error: 500' });
    run.end({ failureClass: 'transient', message: 'API Error: 502' });
    run.end({ failureClass: 'auth', message: 'HTTP 401\nUnauthorized' });
    expect(run.dispatches()).toEqual([
      'execute@codex#1:first',
      'execute@claude-code#2:fallback',
      'execute@claude-code#3:retry+100',
      'execute@opencode#4:fallback',
    ]);
    expect(run.state.status).toBe('failed');
    expect(run.state.cause).toBe(
      'execute failed on codex, claude-code, opencode — every runtime of its chain failed: ' +
        "codex (quota_exhausted): You've hit your usage limit.; " +
        'claude-code (transient): API Error: 500; ' +
        'claude-code (transient): API Error: 502; ' +
        'opencode (auth): HTTP 401 Unauthorized',
    );
  });

  it('a task failure after a fallback lists the attempts before it', () => {
    const run = new EngineRun();
    run.end({ failureClass: 'quota_exhausted', message: 'usage limit' });
    run.end({ failureClass: 'task', message: 'exited with code 1' });
    expect(run.state.cause).toBe(
      'execute failed on codex, claude-code: codex (quota_exhausted): usage limit; claude-code (task): exited with code 1',
    );
  });

  it('one runtime retried until spent says how many attempts it took', () => {
    const run = new EngineRun({
      routing: { runtimeBackend: 'claude-code' },
      retry: { maxRetries: 2 },
    });
    for (let index = 0; index < 3; index++)
      run.end({ failureClass: 'transient', message: 'API Error: 500' });
    expect(run.state.cause).toBe(
      'execute failed on claude-code (transient, 3 attempts): API Error: 500',
    );
  });

  it('starts a chain at its first runtime that passed its checks, and says why', () => {
    const run = new EngineRun({ unhealthy: { codex: 'binary: codex not found' } });
    expect(run.dispatches()).toEqual(['execute@claude-code#1:first']);
    expect(run.last()).toMatchObject({
      chainIndex: 1,
      fallbackFrom: {
        runtime: 'codex',
        failureClass: 'unavailable',
        cause: 'failed its checks before the run: binary: codex not found',
      },
    });
    // Falling back skips unhealthy runtimes too; nothing is left after claude-code.
    run.end({ failureClass: 'auth', message: '401' });
    expect(run.state.status).toBe('failed');
    expect(run.state.cause).toBe(
      'execute failed on claude-code (auth) (no other runtime of its chain could run): 401',
    );
  });

  it('a stage whose whole chain is unhealthy fails without a dispatch', () => {
    const run = new EngineRun({ unhealthy: { codex: 'no key', 'claude-code': 'not found' } });
    expect(run.dispatches()).toEqual([]);
    expect(run.state.cause).toBe(
      'execute cannot run: codex failed its checks before the run (no key); claude-code failed its checks before the run (not found)',
    );
  });

  it('does not try again when the workspace cannot be put back', () => {
    const run = new EngineRun();
    run.end({
      failureClass: 'quota_exhausted',
      message: 'usage limit',
      cannotRestore: 'not a git work tree, and the attempt changed files',
    });
    expect(run.dispatches()).toEqual(['execute@codex#1:first']);
    expect(run.state.cause).toBe(
      'execute failed on codex (quota_exhausted): usage limit; not tried again: not a git work tree, and the attempt changed files',
    );
  });

  it('journals dispatches with their reason, chain position and fallback, and replays them', () => {
    const run = new EngineRun();
    run.end({ failureClass: 'quota_exhausted', message: 'usage limit' });
    expect(encodeDirective(run.last()).extra).toMatchObject({
      runtime_id: 'claude-code',
      attempt: 2,
      chain_index: 1,
      reason: 'fallback',
      fallback_from: {
        runtime_id: 'codex',
        failure_class: 'quota_exhausted',
        cause: 'usage limit',
      },
    });
    run.end();
    const replay = replayEvents(run.events);
    expect(replay.directives).toEqual(run.directives);
    expect(stateHash(replay.state!)).toBe(stateHash(run.state));
  });
});
