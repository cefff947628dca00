import { DELIVER_MISSION } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { applyEvent } from './engine/reducer.js';
import type { RunState } from './engine/types.js';
import { composePrompt, MAX_RESULT_CHARS } from './prompt.js';
import { routingFor } from './test-support/routing.js';

function stateAfterInterview(finalText: string): RunState {
  let state = applyEvent(null, {
    type: 'run.started',
    runId: 'r',
    goal: 'Add a --verbose flag',
    mission: { name: 'deliver', steps: DELIVER_MISSION.steps, maxLoops: 0 },
    routing: routingFor({ runtimeBackend: 'codex' }),
    retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 60_000, rateLimitRetries: 3 },
  }).state;
  state = applyEvent(state, {
    type: 'stage.ended',
    step: 0,
    stage: 'interview',
    attempt: 1,
    runtime: 'codex',
    status: 'succeeded',
    finalText,
    sessionId: null,
    error: null,
    verdict: null,
  }).state;
  return state;
}

describe('composePrompt', () => {
  it('gives the goal, the stage and the previous results', () => {
    const state = stateAfterInterview('Spec: 1. --verbose prints debug lines.');
    expect(composePrompt(state, 'execute', 1)).toBe(
      [
        'Goal:\nAdd a --verbose flag',
        'You are running the execute stage (Builder) of the Baton mission "deliver", step 2 of 4. ' +
          "Your role's instructions are given to you separately; follow them.",
        'Results of the earlier steps:',
        '--- interview (step 1, ran on codex) ---\nSpec: 1. --verbose prints debug lines.',
      ].join('\n\n') + '\n',
    );
  });

  it('asks the evaluate stage for a verdict line', () => {
    const prompt = composePrompt(stateAfterInterview('spec'), 'evaluate', 2);
    expect(prompt.trimEnd().endsWith('`VERDICT: PASS` or `VERDICT: FAIL <reason>`.')).toBe(true);
  });

  it('keeps the start and the end of a long result', () => {
    const long = `START${'x'.repeat(100_000)}END`;
    const prompt = composePrompt(stateAfterInterview(long), 'execute', 1);
    expect(prompt).toContain('START');
    expect(prompt).toContain('END');
    expect(prompt).toContain('characters omitted');
    expect(prompt.length).toBeLessThan(MAX_RESULT_CHARS + 1000);
  });
});
