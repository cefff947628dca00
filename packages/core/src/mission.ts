import type { Stage } from './stage.js';
import { STAGES } from './stage.js';

/** A step of a mission: run a stage, or stop and ask a human. */
export type MissionStep =
  | { readonly kind: 'stage'; readonly stage: Stage }
  | { readonly kind: 'human'; readonly question: string };

/** What a run may spend before no further stage starts; `null`: no limit. */
export interface RunBudget {
  /** USD, counting the stages whose cost is known. */
  readonly maxCostUsd: number | null;
  /** Tokens, input + output. */
  readonly maxTokens: number | null;
}

export const NO_BUDGET: RunBudget = Object.freeze({ maxCostUsd: null, maxTokens: null });

/** A named, bounded sequence of steps that `baton run` executes (PRODUCT.md §7). */
export interface Mission {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly MissionStep[];
  /** How many times a failing evaluate verdict may send the run back to execute (0: never). */
  readonly maxLoops: number;
  /** The run's budget (`max_cost_usd`, `max_tokens`); `baton run --max-cost` overrides it. */
  readonly budget: RunBudget;
  /** Agent turns per stage for harnesses that cap turns natively; `null`: the harness's own limit. */
  readonly maxTurns: number | null;
}

/** The built-in mission: every stage once, in order. */
export const DELIVER_MISSION: Mission = {
  name: 'deliver',
  description: 'Interview, execute, evaluate and reflect, each once.',
  steps: STAGES.map((stage) => ({ kind: 'stage', stage })),
  maxLoops: 0,
  budget: NO_BUDGET,
  maxTurns: null,
};

export const BUILT_IN_MISSIONS: Readonly<Record<string, Mission>> = { deliver: DELIVER_MISSION };
