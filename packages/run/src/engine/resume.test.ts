/**
 * Resuming in the engine: a failed run from its failed step (or an earlier one), earlier
 * results kept, attempt numbers never reused; an interrupted stage in the harness session it
 * announced; a session the harness no longer knows restarted from the checkpoint once.
 */
import { describe, expect, it } from 'vitest';
import { composePrompt } from '../prompt.js';
import { EngineRun, STAGE_STEPS } from '../test-support/engine.js';
import { replayEvents } from './reducer.js';
import { stateHash } from './state-hash.js';

const DELIVER = {
  routing: {
    runtimeBackend: 'claude-code',
    stages: { interview: 'codex', execute: 'opencode' },
  },
  steps: STAGE_STEPS('interview', 'execute', 'evaluate', 'reflect'),
} as const;

function failedAtEvaluate(): EngineRun {
  const run = new EngineRun(DELIVER);
  run.end();
  run.end();
  run.end({ failureClass: 'auth', message: 'API Error: 401' });
  expect(run.state.status).toBe('failed');
  expect(run.state.step).toBe(2);
  return run;
}

describe('resuming a failed run', () => {
  it('restarts at the failed stage, its chain from the start, earlier results reused', () => {
    const run = failedAtEvaluate();
    run.apply({ type: 'run.resumed' });
    expect(run.dispatches()).toEqual([
      'interview@codex#1:first',
      'execute@opencode#1:first',
      'evaluate@claude-code#1:first',
      'evaluate@claude-code#2:resume',
    ]);
    // The prompt of the resumed stage has the earlier results.
    const prompt = composePrompt(run.state, 'evaluate', 2);
    expect(prompt).toContain('--- interview (step 1, ran on codex) ---\ninterview done on codex');
    expect(prompt).toContain('--- execute (step 2, ran on opencode) ---\nexecute done on opencode');
    run.end();
    run.end();
    expect(run.state.status).toBe('succeeded');
    expect(stateHash(replayEvents(run.events).state!)).toBe(stateHash(run.state));
  });

  it('restarts at an earlier stage with --from, numbering its attempts after the earlier ones', () => {
    const run = failedAtEvaluate();
    run.apply({ type: 'run.resumed', fromStep: 1 });
    expect(run.dispatches().at(-1)).toBe('execute@opencode#2:resume');
    run.end({ sessionId: null });
    expect(run.dispatches().at(-1)).toBe('evaluate@claude-code#2:first');
    // Each step's latest result is what later steps read.
    const prompt = composePrompt(run.state, 'evaluate', 2);
    expect(prompt.match(/--- execute \(step 2/g)).toHaveLength(1);
  });

  it('refuses a step after the one where the run stopped, or one that is not a stage', () => {
    const run = failedAtEvaluate();
    expect(() => run.apply({ type: 'run.resumed', fromStep: 3 })).toThrow(
      /step 4 \(reflect\) comes after step 3, where the run stopped/,
    );
    expect(() => run.apply({ type: 'run.resumed', fromStep: 9 })).toThrow(
      /step 9 is not a stage step/,
    );
  });

  it('does not resume a run that succeeded or was rejected', () => {
    const run = new EngineRun();
    run.end();
    expect(() => run.apply({ type: 'run.resumed' })).toThrow(/status succeeded/);
  });
});

describe('resuming an interrupted stage', () => {
  it('continues in the session the harness announced', () => {
    const run = new EngineRun(DELIVER);
    run.end();
    run.apply({
      type: 'stage.session',
      step: 1,
      stage: 'execute',
      attempt: 1,
      runtime: 'opencode',
      sessionId: 'ses_42',
    });
    expect(run.state.inFlight?.sessionId).toBe('ses_42');
    // A session announced for another attempt is refused.
    expect(() =>
      run.apply({
        type: 'stage.session',
        step: 1,
        stage: 'execute',
        attempt: 2,
        runtime: 'opencode',
        sessionId: 'x',
      }),
    ).toThrow(/is in flight/);
    run.apply({ type: 'run.interrupted', cause: 'the process running it stopped' });
    run.apply({ type: 'run.resumed' });
    expect(run.last()).toMatchObject({
      kind: 'dispatch',
      stage: 'execute',
      runtime: 'opencode',
      attempt: 2,
      reason: 'session-resume',
      resumeSessionId: 'ses_42',
    });
    run.end({ sessionId: 'ses_42' });
    expect(run.dispatches().at(-1)).toBe('evaluate@claude-code#1:first');
  });

  it('restarts from the checkpoint, once, when the harness no longer knows the session', () => {
    const run = new EngineRun();
    run.apply({
      type: 'stage.session',
      step: 0,
      stage: 'execute',
      attempt: 1,
      runtime: 'codex',
      sessionId: 'gone',
    });
    run.apply({ type: 'run.interrupted', cause: 'SIGINT' });
    run.apply({ type: 'run.resumed' });
    run.end({ failureClass: 'task', sessionNotFound: true, message: 'no such session' });
    expect(run.dispatches()).toEqual([
      'execute@codex#1:first',
      'execute@codex#2:session-resume',
      'execute@codex#3:resume',
    ]);
    expect(run.state.inFlight).toMatchObject({ sessionId: null, retries: 0 });
    // Without a session to continue, the same answer is a task failure like any other.
    run.end({ failureClass: 'task', sessionNotFound: true, message: 'no such session' });
    expect(run.state.status).toBe('failed');
  });

  it('restarts from the checkpoint when no session was announced', () => {
    const run = new EngineRun();
    run.apply({ type: 'run.interrupted', cause: 'SIGINT' });
    run.apply({ type: 'run.resumed' });
    expect(run.last()).toMatchObject({ reason: 'resume', resumeSessionId: null, attempt: 2 });
  });
});
