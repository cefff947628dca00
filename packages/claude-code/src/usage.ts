/**
 * Usage and cost of one `claude -p` run, from its `result` event.
 *
 * Claude Code 2.1.330 states a run's usage three ways: `usage` (Anthropic's counts, summed
 * over the run's requests), `modelUsage` (per model, for the whole session: after `--resume`
 * it counts the earlier runs too) and `model_usage_since_last_result` (per model, the calls
 * this process counted since its previous result: in `-p` mode, exactly this run). The last
 * is the one to read: it covers every model the run used, stays per run after `--resume`,
 * and stays complete when a run stops at `--max-budget-usd`, where `usage` misses the last
 * request (observed: `usage` 100 in / 10 out, `model_usage_since_last_result` 250 / 20,
 * whose cost `total_cost_usd` matched). Older versions and `--output-format json` do not
 * write it; then `usage` and `total_cost_usd` are read instead.
 *
 * Costs are Claude Code's own, at its built-in list prices or the organisation's managed
 * rates. For a model it has no price for it prices the request at its default model's rate
 * and marks the entry `costBasis: "unknown"`: a guess, so the cost is then `null`.
 */
import { UNKNOWN_USAGE, type Usage } from '@baton/core';

type Json = Record<string, unknown>;

/** The usage and cost of the run a `result` event ends. */
export function runUsage(result: Json, resumed: boolean): Usage {
  const perModel = result.model_usage_since_last_result;
  if (isRecord(perModel)) return usageOfModels(perModel);
  const guessed = isRecord(result.modelUsage) && pricedByGuess(result.modelUsage);
  // Without a per-run breakdown, `total_cost_usd` is this run's only when nothing came before.
  const cost = resumed || guessed ? null : result.total_cost_usd;
  return normaliseUsage(result.usage, cost);
}

/**
 * Per-model counts (`inputTokens` without cache reads and writes, as Anthropic reports it)
 * summed into Baton's usage; `{}` means the run counted nothing.
 */
export function usageOfModels(models: Json): Usage {
  const entries = Object.values(models).filter(isRecord);
  if (entries.length !== Object.keys(models).length) return UNKNOWN_USAGE;
  let input = 0;
  let cached = 0;
  let output = 0;
  let reasoning: number | null = 0;
  let cost: number | null = 0;
  for (const entry of entries) {
    const inputTokens = numberOrNull(entry.inputTokens);
    const outputTokens = numberOrNull(entry.outputTokens);
    if (inputTokens === null || outputTokens === null) return UNKNOWN_USAGE;
    const cacheRead = numberOrNull(entry.cacheReadInputTokens) ?? 0;
    input += inputTokens + cacheRead + (numberOrNull(entry.cacheCreationInputTokens) ?? 0);
    cached += cacheRead;
    output += outputTokens;
    // Thinking tokens are inside `outputTokens`; versions that do not count them leave them out.
    const thinking = numberOrNull(entry.thinkingTokens);
    reasoning = reasoning === null || thinking === null ? null : reasoning + thinking;
    const entryCost = numberOrNull(entry.costUSD);
    cost =
      cost === null || entryCost === null || entry.costBasis === 'unknown'
        ? null
        : cost + entryCost;
  }
  return {
    known: true,
    inputTokens: input,
    cachedInputTokens: cached,
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: input + output,
    costUsd: cost,
  };
}

/** Anthropic usage → Baton usage; `inputTokens` adds the cache reads and writes Anthropic reports apart. */
export function normaliseUsage(usage: unknown, cost: unknown): Usage {
  const costUsd = numberOrNull(cost);
  if (!isRecord(usage)) return { ...UNKNOWN_USAGE, costUsd };
  const input = numberOrNull(usage.input_tokens);
  const cacheRead = numberOrNull(usage.cache_read_input_tokens);
  const cacheCreation = numberOrNull(usage.cache_creation_input_tokens);
  const output = numberOrNull(usage.output_tokens);
  const details = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : null;
  const reasoning = numberOrNull(details?.thinking_tokens);
  if (input === null && output === null) return { ...UNKNOWN_USAGE, costUsd };
  const inputTokens = input === null ? null : input + (cacheRead ?? 0) + (cacheCreation ?? 0);
  return {
    known: true,
    inputTokens,
    cachedInputTokens: input === null ? null : (cacheRead ?? 0),
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: inputTokens !== null && output !== null ? inputTokens + output : null,
    costUsd,
  };
}

/** Some model of the session was priced at a guessed rate. */
function pricedByGuess(models: Json): boolean {
  return Object.values(models).some((entry) => isRecord(entry) && entry.costBasis === 'unknown');
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
