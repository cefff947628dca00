/**
 * A run's budget (`max_cost_usd`, `max_tokens`): what it has spent, what is left for the next
 * attempt, and whether it may start at all. Checked before every dispatch — a first attempt,
 * a retry or a fallback — so no attempt starts once the budget is spent. Costs that are not
 * known count as nothing spent (the preflight says so); their tokens still count.
 */
import { BatonError, type RunBudget } from '@baton/core';
import type { AttemptUsage, DispatchBudget, InFlightStage, RunSpend, RunState } from './types.js';

/** `spent` plus one attempt's usage. */
export function spend(spent: RunSpend, usage: AttemptUsage | null): RunSpend {
  if (usage === null) return spent;
  const tokens = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  const unpriced = usage.costUsd === null && tokens > 0;
  return {
    tokens: spent.tokens + tokens,
    costUsd: spent.costUsd + (usage.costUsd ?? 0),
    unpricedAttempts: spent.unpricedAttempts + (unpriced ? 1 : 0),
  };
}

/** What is left for the next attempt, for harnesses that cap their spend natively. */
export function budgetBefore(state: RunState): DispatchBudget {
  const { budget, spent } = state;
  return {
    maxCostUsd:
      budget.maxCostUsd === null ? null : roundUsd(Math.max(budget.maxCostUsd - spent.costUsd, 0)),
    maxTokens: budget.maxTokens === null ? null : Math.max(budget.maxTokens - spent.tokens, 0),
    maxTurns: state.maxTurns,
  };
}

/** Why `inFlight` may not start — the budget is spent — or `null` when it may. */
export function budgetSpentCause(state: RunState, inFlight: InFlightStage): string | null {
  const { budget, spent } = state;
  const over: string[] = [];
  if (budget.maxCostUsd !== null && spent.costUsd >= budget.maxCostUsd)
    over.push(`${formatUsd(spent.costUsd)} spent of ${formatUsd(budget.maxCostUsd)}`);
  if (budget.maxTokens !== null && spent.tokens >= budget.maxTokens)
    over.push(`${formatCount(spent.tokens)} tokens used of ${formatCount(budget.maxTokens)}`);
  if (over.length === 0) return null;
  return `the run's budget is spent before ${inFlight.stage} (step ${inFlight.step + 1}): ${over.join(', ')}`;
}

/** Why a stage stopped at its native cap. */
export function limitReachedCause(
  state: RunState,
  inFlight: InFlightStage,
  limit: 'cost' | 'turns',
): string {
  const what =
    limit === 'cost'
      ? `the cost left of the run's budget (${formatUsd(state.spent.costUsd)} spent of ${formatUsd(state.budget.maxCostUsd ?? 0)})`
      : `its turn cap (${state.maxTurns ?? '?'} turns)`;
  return `${inFlight.runtime} stopped ${inFlight.stage} (step ${inFlight.step + 1}) at ${what}`;
}

/** Cents to four places below a dollar (`$0.0123`), two above (`$2.53`). */
export function formatUsd(usd: number): string {
  return `$${usd >= 1 ? usd.toFixed(2) : usd.toFixed(4)}`;
}

/** `1,234,567`, the same on every machine. */
function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Remaining budgets are rounded to a millionth of a dollar (sums of prices are not exact),
 * and a budget not yet spent is never rounded down to nothing: a harness would refuse a cap
 * of 0.
 */
function roundUsd(usd: number): number {
  return usd > 0 ? Math.max(Math.round(usd * 1e6) / 1e6, 1e-6) : 0;
}

/** The run's budget: the mission's, with the caller's values over it; each a positive number. */
export function runBudgetOf(base: RunBudget, over: Partial<RunBudget> | undefined): RunBudget {
  const budget = {
    ...base,
    ...Object.fromEntries(Object.entries(over ?? {}).filter(([, value]) => value !== undefined)),
  } as RunBudget;
  if (budget.maxCostUsd !== null && !(Number.isFinite(budget.maxCostUsd) && budget.maxCostUsd > 0))
    throw new BatonError(
      'USAGE',
      `A cost budget must be a positive number of USD (got ${budget.maxCostUsd}).`,
    );
  if (
    budget.maxTokens !== null &&
    !(Number.isSafeInteger(budget.maxTokens) && budget.maxTokens > 0)
  )
    throw new BatonError(
      'USAGE',
      `A token budget must be a whole number of tokens, 1 or more (got ${budget.maxTokens}).`,
    );
  return budget;
}
