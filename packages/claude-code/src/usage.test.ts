import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { normaliseUsage, runUsage, usageOfModels } from './usage.js';

const SONNET = {
  inputTokens: 12,
  outputTokens: 400,
  cacheReadInputTokens: 15000,
  cacheCreationInputTokens: 3000,
  thinkingTokens: 250,
  costUSD: 0.0421,
  costBasis: 'list',
};

describe('usageOfModels', () => {
  it('sums models, adding cache reads and writes to the input Anthropic reports apart', () => {
    expect(
      usageOfModels({
        'claude-sonnet-4-5': SONNET,
        'claude-haiku-4-5': {
          ...SONNET,
          inputTokens: 8,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          thinkingTokens: 0,
          outputTokens: 2,
          costUSD: 0.0001,
        },
      }),
    ).toEqual({
      known: true,
      inputTokens: 18012 + 8,
      cachedInputTokens: 15000,
      outputTokens: 402,
      reasoningTokens: 250,
      totalTokens: 18020 + 402,
      costUsd: 0.0422,
    });
  });

  it('leaves the cost unknown when one model was priced by guess (costBasis "unknown")', () => {
    const usage = usageOfModels({
      'claude-sonnet-4-5': SONNET,
      'my-gateway-model': { ...SONNET, costBasis: 'unknown' },
    });
    expect(usage).toMatchObject({ known: true, inputTokens: 36024, costUsd: null });
  });

  it('reads {} as nothing spent, and a model without a count as unknown', () => {
    expect(usageOfModels({})).toEqual({
      known: true,
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      totalTokens: 0,
      costUsd: 0,
    });
    expect(usageOfModels({ m: { outputTokens: 1 } })).toEqual(UNKNOWN_USAGE);
    expect(usageOfModels({ m: 'nope' })).toEqual(UNKNOWN_USAGE);
    // Thinking tokens counted by no model: not reported, rather than none.
    const { thinkingTokens: _, ...withoutThinking } = SONNET;
    expect(usageOfModels({ m: withoutThinking }).reasoningTokens).toBeNull();
  });
});

describe('runUsage without a per-run breakdown (older versions, --output-format json)', () => {
  const result = {
    usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 2 },
    total_cost_usd: 0.5,
    modelUsage: { 'claude-sonnet-4-5': { costBasis: 'list' } },
  };

  it('takes usage and total_cost_usd of a fresh run', () => {
    expect(runUsage(result, false)).toMatchObject({
      inputTokens: 15,
      cachedInputTokens: 5,
      costUsd: 0.5,
    });
  });

  it('leaves the cost unknown after --resume (total_cost_usd counts the earlier runs) or when guessed', () => {
    expect(runUsage(result, true).costUsd).toBeNull();
    expect(
      runUsage({ ...result, modelUsage: { m: { costBasis: 'unknown' } } }, false).costUsd,
    ).toBeNull();
  });
});

describe('normaliseUsage', () => {
  it('adds cache reads and writes to input, which Anthropic reports apart', () => {
    expect(
      normaliseUsage(
        {
          input_tokens: 12,
          cache_creation_input_tokens: 3000,
          cache_read_input_tokens: 15000,
          output_tokens: 400,
          output_tokens_details: { thinking_tokens: 250 },
        },
        0.0421,
      ),
    ).toEqual({
      known: true,
      inputTokens: 18012,
      cachedInputTokens: 15000,
      outputTokens: 400,
      reasoningTokens: 250,
      totalTokens: 18412,
      costUsd: 0.0421,
    });
  });

  it('says unknown when no counts were reported', () => {
    expect(normaliseUsage(undefined, undefined)).toEqual(UNKNOWN_USAGE);
    expect(normaliseUsage({ service_tier: 'standard' }, 0.5)).toEqual({
      ...UNKNOWN_USAGE,
      costUsd: 0.5,
    });
  });
});
