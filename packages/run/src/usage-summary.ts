/**
 * Tokens and cost of an attempt, a stage or a whole run: an attempt's usage read from its
 * journaled (snake_case) form, and usages summed, each count over the parts that know it.
 */
import { type Journal, parsePayload, type RawJournalEvent } from './journal/journal.js';

/** Where a cost figure came from: the runtime's own report, the `[pricing]` table, or both. */
export type CostSource = 'runtime' | 'pricing' | 'mixed';

/** Tokens and cost of one attempt, a stage or a whole run. */
export interface UsageSummary {
  /** Input tokens, cached ones included; `null` when no attempt counted reported them. */
  readonly inputTokens: number | null;
  readonly cachedInputTokens: number | null;
  readonly outputTokens: number | null;
  /** Reasoning tokens (a part of the output tokens), when reported. */
  readonly reasoningTokens: number | null;
  readonly totalTokens: number | null;
  /** USD; for a total, the sum of the costs that are known (see `costComplete`). */
  readonly costUsd: number | null;
  /** `null` when some part's cost is unknown. */
  readonly costSource: CostSource | null;
  /** Every attempt counted has a known cost. */
  readonly costComplete: boolean;
}

/**
 * Tokens and cost of a run's attempts, from its `agent.process.exited` events alone (the
 * other events are not parsed): what `baton runs` lists for each run.
 */
export function readRunUsage(journal: Journal, runId: string): UsageSummary {
  return usageOfEvents(journal.rawEvents(runId));
}

/** Tokens and cost of the attempts among a run's events as stored. */
export function usageOfEvents(events: Iterable<RawJournalEvent>): UsageSummary {
  const parts: UsageSummary[] = [];
  for (const event of events) {
    if (event.type !== 'agent.process.exited') continue;
    const payload = parsePayload(event.payload);
    if (typeof payload !== 'string') parts.push(usageOf(payload.usage));
  }
  return totalUsage(parts);
}

const NO_USAGE: UsageSummary = {
  inputTokens: null,
  cachedInputTokens: null,
  outputTokens: null,
  reasoningTokens: null,
  totalTokens: null,
  costUsd: null,
  costSource: null,
  costComplete: false,
};

/** An attempt's usage from its journaled (snake_case) form. */
export function usageOf(value: unknown): UsageSummary {
  if (value === null || typeof value !== 'object') return NO_USAGE;
  const wire = value as Record<string, unknown>;
  if (wire.known === false) return NO_USAGE;
  const count = (key: string) => (typeof wire[key] === 'number' ? (wire[key] as number) : null);
  const input = count('input_tokens');
  const output = count('output_tokens');
  const costUsd = count('cost_usd');
  const recordedSource = wire.cost_source;
  const costSource: CostSource | null =
    costUsd === null
      ? null
      : recordedSource === 'pricing' || recordedSource === 'runtime'
        ? recordedSource
        : 'runtime';
  return {
    inputTokens: input,
    cachedInputTokens: count('cached_input_tokens'),
    outputTokens: output,
    reasoningTokens: count('reasoning_tokens'),
    totalTokens:
      count('total_tokens') ??
      (input === null && output === null ? null : (input ?? 0) + (output ?? 0)),
    costUsd,
    costSource,
    costComplete: costUsd !== null,
  };
}

/** The sum of several usages: each count over the parts that know it. */
export function totalUsage(parts: readonly UsageSummary[]): UsageSummary {
  const sum = (
    key:
      | 'inputTokens'
      | 'cachedInputTokens'
      | 'outputTokens'
      | 'reasoningTokens'
      | 'totalTokens'
      | 'costUsd',
  ) => {
    const known = parts.map((part) => part[key]).filter((value): value is number => value !== null);
    return known.length === 0 ? null : known.reduce((total, value) => total + value, 0);
  };
  const costComplete = parts.length > 0 && parts.every((part) => part.costComplete);
  const sources = new Set(parts.map((part) => part.costSource).filter((source) => source !== null));
  return {
    inputTokens: sum('inputTokens'),
    cachedInputTokens: sum('cachedInputTokens'),
    outputTokens: sum('outputTokens'),
    reasoningTokens: sum('reasoningTokens'),
    totalTokens: sum('totalTokens'),
    costUsd: sum('costUsd'),
    costSource: !costComplete
      ? null
      : sources.size === 1
        ? [...sources][0]!
        : sources.size > 1
          ? 'mixed'
          : null,
    costComplete,
  };
}
