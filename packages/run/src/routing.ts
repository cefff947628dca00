/**
 * The routing a run starts with, and the runtimes it will dispatch to. Chains and models are
 * resolved from config once, at run start (core's one rule, `resolveStage`), and journaled in
 * `run.started`, so a later config change never changes a run.
 */
import {
  type BatonConfig,
  type MissionStep,
  type RuntimeUse,
  resolveStage,
  type Stage,
  type StageResolution,
} from '@baton/core';
import type { RoutingSnapshot } from './engine/types.js';

/** Each stage step of the mission with its resolved chain. */
export function routingSnapshot(
  config: BatonConfig,
  steps: readonly MissionStep[],
): RoutingSnapshot {
  const stages: Partial<Record<Stage, StageResolution>> = {};
  for (const step of steps) {
    if (step.kind === 'stage') stages[step.stage] = resolveStage(config, step.stage);
  }
  return { stages, backendProfile: config.backendProfile };
}

/**
 * The runtimes a run may dispatch to, each with where it is used: every runtime of each
 * stage's chain (the first choice and every fallback), in chain order. All of them are
 * checked before the run starts.
 */
export function dispatchedRuntimes(
  routing: RoutingSnapshot,
  steps: readonly MissionStep[],
): Map<string, RuntimeUse[]> {
  const used = new Map<string, RuntimeUse[]>();
  const seen = new Set<Stage>();
  for (const step of steps) {
    if (step.kind !== 'stage' || seen.has(step.stage)) continue;
    seen.add(step.stage);
    const resolution = routing.stages[step.stage];
    if (resolution === undefined) continue;
    resolution.chain.forEach((target, position) => {
      const uses = used.get(target.runtime) ?? [];
      uses.push({ stage: step.stage, source: resolution.source, position, target });
      used.set(target.runtime, uses);
    });
  }
  return used;
}
