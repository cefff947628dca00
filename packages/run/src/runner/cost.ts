/**
 * What an attempt cost: the harness's own figure when it reported one (`runtime`), else the
 * user's `[pricing]` for the model the attempt asked for (`pricing`), else unknown — never a
 * guess. Computed by the driver before `stage.ended` is journaled, so a replay needs no
 * pricing table and a later price change never rewrites a run's history.
 */
import type { ModelPrice, Usage } from '@baton/core';
import type { AttemptUsage } from '../engine/types.js';

/** An attempt's usage with its cost; `null` when the harness reported no usage at all. */
export function attemptUsage(
  usage: Usage,
  model: string | null,
  pricing: Readonly<Record<string, ModelPrice>>,
): AttemptUsage | null {
  if (!usage.known) return null;
  const counts = {
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
  };
  if (usage.costUsd !== null) return { ...counts, costUsd: usage.costUsd, costSource: 'runtime' };
  const price = model !== null && Object.hasOwn(pricing, model) ? pricing[model] : undefined;
  const cost = price === undefined ? null : priced(usage, price);
  return cost === null
    ? { ...counts, costUsd: null, costSource: null }
    : { ...counts, costUsd: cost, costSource: 'pricing' };
}

/**
 * USD for the tokens at `price` (per million): cached input at its own rate (it is a part of
 * the input), reasoning at its own (a part of the output). `null` when no tokens were counted.
 */
export function priced(usage: Usage, price: ModelPrice): number | null {
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  const input = usage.inputTokens ?? 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, input);
  const output = usage.outputTokens ?? 0;
  const reasoning = Math.min(usage.reasoningTokens ?? 0, output);
  const micro =
    (input - cached) * price.inputPerMTok +
    cached * price.cachedInputPerMTok +
    (output - reasoning) * price.outputPerMTok +
    reasoning * price.reasoningPerMTok;
  return micro / 1_000_000;
}
