/**
 * Usage and cost, model, effort and turn budget of the OpenCode adapter, with the real pinned
 * `opencode` 1.18.33 against the scripted model server: what Baton asks for must reach the
 * wire (the server's request log shows each request's model and body), and what OpenCode
 * reports over several steps must be summed.
 */
import { createOpencodeAdapter } from '@baton/opencode';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import {
  chatBody,
  chatRequests,
  createSandbox,
  KEY,
  runStage,
  stageRequestFor,
} from './support.js';

const adapter = createOpencodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

/** Two steps: a tool call OpenCode runs, then the answer, each with its own usage. */
const TWO_STEPS = [
  {
    toolCall: { command: 'echo hi' },
    usage: {
      inputTokens: 100_000,
      cachedInputTokens: 40_000,
      outputTokens: 3000,
      reasoningTokens: 1000,
    },
  },
  {
    text: 'Done.',
    usage: {
      inputTokens: 150_000,
      cachedInputTokens: 90_000,
      outputTokens: 2000,
      reasoningTokens: 500,
    },
  },
];

describe('opencode 1.18.33: usage and cost over several steps', () => {
  it('sums the steps’ tokens, cached input and reasoning included; a model without a price has no cost', async () => {
    server().script({ model: 'usage-model' }, TWO_STEPS);
    const run = await runStage(adapter, stageRequestFor(sandbox(), server().url, 'usage-model'));
    expect(run.outcome.status).toBe('succeeded');
    expect(chatRequests(server(), 'usage-model')).toHaveLength(2);
    expect(run.outcome.usage).toEqual({
      known: true,
      inputTokens: 250_000,
      cachedInputTokens: 130_000,
      outputTokens: 5000,
      reasoningTokens: 1500,
      totalTokens: 255_000,
      costUsd: null,
    });
  });

  it('sums the cost OpenCode prices each step at, from the model’s price in the user’s config', async () => {
    // USD per million tokens; OpenCode prices reasoning as output.
    sandbox().writeUserConfig({
      provider: {
        baton: { models: { 'priced-model': { cost: { input: 2, output: 8, cache_read: 0.5 } } } },
      },
    });
    server().script({ model: 'priced-model' }, TWO_STEPS);
    const run = await runStage(adapter, stageRequestFor(sandbox(), server().url, 'priced-model'));
    expect(run.outcome.status).toBe('succeeded');
    // Step 1: 60k input × 2 + 2k output × 8 + 40k cached × 0.5 + 1k reasoning × 8 = 0.164;
    // step 2: 60k × 2 + 1.5k × 8 + 90k × 0.5 + 500 × 8 = 0.181.
    expect(run.outcome.usage.costUsd).toBeCloseTo(0.345, 10);
    expect(run.outcome.usage.inputTokens).toBe(250_000);
  });
});

describe('opencode 1.18.33: the stage’s model and effort reach the wire', () => {
  it('request.model overrides settings.model', async () => {
    server().script({ model: 'stage-model' }, [{ text: 'From the stage model.' }]);
    const run = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'runtime-model', { model: 'stage-model' }),
    );
    expect(run.args).toContain('baton/stage-model');
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'From the stage model.' });
    expect(chatRequests(server(), 'stage-model')).toHaveLength(1);
    expect(chatRequests(server(), 'runtime-model')).toHaveLength(0);
  });

  it('an effort becomes --variant and arrives as the request’s reasoning_effort', async () => {
    expect(adapter.capabilities.efforts).toContain('high');
    server().script({ model: 'effort-model' }, [{ text: 'Thought hard.' }]);
    const run = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'effort-model', { effort: 'high' }),
    );
    expect(run.args.slice(-2)).toEqual(['--variant', 'high']);
    expect(run.outcome.status).toBe('succeeded');
    const [sent] = chatRequests(server(), 'effort-model');
    expect(chatBody(sent!).reasoning_effort).toBe('high');
  });

  it('without an effort no reasoning_effort is sent', async () => {
    server().script({ model: 'plain-effort-model' }, [{ text: 'ok' }]);
    await runStage(adapter, stageRequestFor(sandbox(), server().url, 'plain-effort-model'));
    const [sent] = chatRequests(server(), 'plain-effort-model');
    expect(chatBody(sent!)).not.toHaveProperty('reasoning_effort');
  });
});

describe('opencode 1.18.33: a turn budget is the agent’s steps', () => {
  it('at the last allowed step OpenCode tells the model to stop and sum up; the stage fails on the cap', async () => {
    expect(adapter.capabilities.turnCap).toBe(true);
    server().script({ model: 'capped-model' }, [
      { toolCall: { command: 'echo one' } },
      { toolCall: { command: 'echo two' } },
      { text: 'Stopped at the step limit; echoed one.' },
    ]);
    const run = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'capped-model', { budget: { maxTurns: 2 } }),
    );
    const requests = chatRequests(server(), 'capped-model');
    expect(requests).toHaveLength(2);
    // The first step could use tools; the second got OpenCode's "maximum steps" message.
    expect(JSON.stringify(chatBody(requests[0]!).messages)).not.toContain('MAXIMUM STEPS REACHED');
    expect(chatBody(requests[1]!).messages.at(-1)).toMatchObject({
      role: 'assistant',
      content: expect.stringContaining('CRITICAL - MAXIMUM STEPS REACHED'),
    });
    // Only the first tool call ran: the model answered in text at the cap.
    expect(run.events.filter((event) => event.type === 'tool-use')).toHaveLength(1);
    expect(run.outcome).toMatchObject({
      status: 'failed',
      finalText: 'Stopped at the step limit; echoed one.',
      error: {
        message:
          "OpenCode reached the stage's turn limit (2 steps) and was told to stop and sum up",
        failureClass: 'task',
        retryable: false,
      },
    });
  });

  it('a budget above what the work needs changes nothing', async () => {
    server().script({ model: 'roomy-model' }, [
      { toolCall: { command: 'echo one' } },
      { text: 'Done.' },
    ]);
    const run = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'roomy-model', { budget: { maxTurns: 5 } }),
    );
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Done.', error: null });
    for (const sent of chatRequests(server(), 'roomy-model')) {
      expect(JSON.stringify(chatBody(sent).messages)).not.toContain('MAXIMUM STEPS REACHED');
    }
  });
});
