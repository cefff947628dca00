import type { BatonConfig } from './config/types.js';
import { STAGES, type Stage } from './stage.js';

/** Which rule chose a stage's runtime. */
export type ResolutionSource = 'stage' | 'default' | 'fallback';

export interface StageResolution {
  /** Canonical runtime id. */
  readonly runtime: string;
  readonly source: ResolutionSource;
}

/** `stages[stage]`, else `default`, else `runtime_backend` (PRODUCT.md §3). */
export function resolveStage(config: BatonConfig, stage: Stage): StageResolution {
  const explicit = config.stages[stage];
  if (explicit !== undefined) return { runtime: explicit, source: 'stage' };
  if (config.defaultRuntime !== null) return { runtime: config.defaultRuntime, source: 'default' };
  return { runtime: config.runtimeBackend, source: 'fallback' };
}

export function resolveStages(config: BatonConfig): Record<Stage, StageResolution> {
  return Object.fromEntries(STAGES.map((stage) => [stage, resolveStage(config, stage)])) as Record<
    Stage,
    StageResolution
  >;
}

/** Each runtime the routing uses, with the stages routed to it, in stage order. */
export function runtimesInUse(config: BatonConfig): Map<string, Stage[]> {
  const used = new Map<string, Stage[]>();
  for (const stage of STAGES) {
    const { runtime } = resolveStage(config, stage);
    const stages = used.get(runtime) ?? [];
    stages.push(stage);
    used.set(runtime, stages);
  }
  return used;
}
