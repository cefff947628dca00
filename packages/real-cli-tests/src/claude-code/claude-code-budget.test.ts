/**
 * A stage's budget as Claude Code's own caps, run by the real pinned `claude` 2.1.330
 * against the scripted server: `--max-turns` and `--max-budget-usd` stop the run, the
 * decoder names it a `task` failure and reports what the run spent.
 */
import { createClaudeCodeAdapter } from '@baton/claude-code';
import type { StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, runStage, stageRequest } from './support.js';

const adapter = createClaudeCodeAdapter();
// A model Claude Code has a list price for ($3 / $15 per million tokens), so costs are known.
const MODEL = 'claude-sonnet-4-5';
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

/**
 * Runs a stage prompted with `marker`, whose requests get three model turns: two tool calls
 * (100 and 150 input tokens, 10 output each), an answer.
 */
function runThreeTurns(marker: string, budget?: StageRequest['budget']) {
  server().script({ model: MODEL, text: marker }, [
    { toolCall: { command: 'echo one' }, usage: { inputTokens: 100, outputTokens: 10 } },
    { toolCall: { command: 'echo two' }, usage: { inputTokens: 150, outputTokens: 10 } },
    { text: 'All three turns.', usage: { inputTokens: 200, outputTokens: 20 } },
  ]);
  return runStage(
    adapter,
    stageRequest(sandbox(), server().url, {
      model: MODEL,
      prompt: marker,
      access: 'workspace-write',
      ...(budget === undefined ? {} : { budget }),
    }),
  );
}

function requestsWith(marker: string): number {
  return server().requests.filter(
    (request) => request.endpoint === 'messages' && request.text.includes(marker),
  ).length;
}

describe('claude 2.1.330 caps a stage natively', () => {
  it('without a budget the three turns run to the answer', async () => {
    const run = await runThreeTurns('uncapped run');
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'All three turns.' });
    expect(requestsWith('uncapped run')).toBe(3);
  });

  it('--max-turns 1 stops after the first turn: a task failure, with what that turn cost', async () => {
    const run = await runThreeTurns('one turn only', { maxTurns: 1 });
    expect(run.command.args).toContain('--max-turns');
    expect(requestsWith('one turn only')).toBe(1);
    expect(run.json.find((event) => event.type === 'result')).toMatchObject({
      subtype: 'error_max_turns',
    });
    expect(run.outcome).toMatchObject({
      status: 'failed',
      usage: { inputTokens: 100, outputTokens: 10, costUsd: expect.closeTo(0.00045, 10) },
      error: {
        message: 'Reached maximum number of turns (1)',
        failureClass: 'task',
        retryable: false,
      },
    });
  });

  it('--max-budget-usd with the remaining budget stops once it is spent, and the cost counts every request', async () => {
    const run = await runThreeTurns('small budget', { maxCostUsd: 0.0005 });
    expect(run.command.args).toEqual(expect.arrayContaining(['--max-budget-usd', '0.0005']));
    // The first turn ($0.00045) is under the cap, the second ($0.0006 more) goes over it.
    expect(requestsWith('small budget')).toBe(2);
    const result = run.json.find((event) => event.type === 'result')!;
    expect(result).toMatchObject({ subtype: 'error_max_budget_usd' });
    expect(run.outcome).toMatchObject({
      status: 'failed',
      usage: { inputTokens: 250, outputTokens: 20, costUsd: result.total_cost_usd },
      error: { message: 'Reached maximum budget ($0.0005)', failureClass: 'task' },
    });
    expect(run.outcome.usage.costUsd).toBeCloseTo(0.00105, 10);
  });
});
