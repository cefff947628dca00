import { UNKNOWN_USAGE, type Usage } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { attemptUsage } from './cost.js';

const PRICING = {
  'gpt-5.5': {
    inputPerMTok: 1.25,
    cachedInputPerMTok: 0.125,
    outputPerMTok: 10,
    reasoningPerMTok: 20,
  },
};

function usage(fields: Partial<Usage>): Usage {
  return {
    known: true,
    inputTokens: null,
    cachedInputTokens: null,
    outputTokens: null,
    reasoningTokens: null,
    totalTokens: null,
    costUsd: null,
    ...fields,
  };
}

describe('attemptUsage', () => {
  it("takes the harness's own cost first", () => {
    expect(
      attemptUsage(usage({ inputTokens: 10, outputTokens: 5, costUsd: 0.42 }), 'gpt-5.5', PRICING),
    ).toEqual({
      inputTokens: 10,
      cachedInputTokens: null,
      outputTokens: 5,
      reasoningTokens: null,
      costUsd: 0.42,
      costSource: 'runtime',
    });
  });

  it('prices the tokens from [pricing]: cached input and reasoning at their own rates', () => {
    const priced = attemptUsage(
      usage({
        inputTokens: 1_000_000,
        cachedInputTokens: 400_000,
        outputTokens: 100_000,
        reasoningTokens: 40_000,
      }),
      'gpt-5.5',
      PRICING,
    );
    // 600k × 1.25 + 400k × 0.125 + 60k × 10 + 40k × 20, per million.
    expect(priced?.costUsd).toBeCloseTo(0.75 + 0.05 + 0.6 + 0.8, 10);
    expect(priced?.costSource).toBe('pricing');
  });

  it('knows no cost without a price, a model or any counted token, and no usage when none was reported', () => {
    const tokens = usage({ inputTokens: 10, outputTokens: 5 });
    expect(attemptUsage(tokens, 'other-model', PRICING)).toMatchObject({
      costUsd: null,
      costSource: null,
    });
    expect(attemptUsage(tokens, null, PRICING)).toMatchObject({ costUsd: null, costSource: null });
    expect(attemptUsage(usage({}), 'gpt-5.5', PRICING)).toMatchObject({ costUsd: null });
    expect(attemptUsage(tokens, 'toString', PRICING)).toMatchObject({ costUsd: null });
    expect(attemptUsage(UNKNOWN_USAGE, 'gpt-5.5', PRICING)).toBeNull();
  });
});
