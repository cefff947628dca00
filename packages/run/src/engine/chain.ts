/** A stage's fallback chain as the engine walks it: which runtime an attempt runs on. */
import { defaultAccessLevel, type Stage } from '@baton/core';
import type { InFlightStage, RunState } from './types.js';

/** The stage's first attempt on the runtime at `chainIndex` of its chain. */
export function freshAttempt(
  state: RunState,
  step: number,
  stage: Stage,
  chainIndex: number,
  attempt: number,
  attempts: InFlightStage['attempts'],
): InFlightStage {
  const resolution = state.routing.stages[stage]!;
  const target = resolution.chain[chainIndex]!;
  return {
    step,
    stage,
    runtime: target.runtime,
    source: resolution.source,
    access: defaultAccessLevel(stage),
    attempt,
    retries: 0,
    chainIndex,
    model: target.model,
    effort: target.effort,
    rateLimitWaits: 0,
    sessionId: null,
    attempts,
  };
}

/** Index of the first runtime of the stage's chain from `from` on that passed its checks; -1 when none. */
export function firstHealthy(state: RunState, stage: Stage, from: number): number {
  const chain = state.routing.stages[stage]!.chain;
  const unhealthy = state.routing.unhealthy ?? {};
  for (let index = from; index < chain.length; index++) {
    if (!Object.hasOwn(unhealthy, chain[index]!.runtime)) return index;
  }
  return -1;
}

export function unhealthyChain(state: RunState, stage: Stage): string {
  const unhealthy = state.routing.unhealthy ?? {};
  return state.routing.stages[stage]!.chain.map(
    (target) =>
      `${target.runtime} failed its checks before the run (${unhealthy[target.runtime] ?? 'unknown'})`,
  ).join('; ');
}
