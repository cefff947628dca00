import type { BatonConfig, StageTarget } from './config/types.js';
import { STAGES, type Stage } from './stage.js';

/** Which rule chose a stage's runtime (or chain). */
export type ResolutionSource = 'stage' | 'default' | 'fallback';

/**
 * Which rule chose a target's model: written beside the runtime in the stage's value
 * (`stage`) or in `default`'s (`default`), `[runtimes.<id>] model` (`runtime`), or none —
 * the harness's own configuration decides (`harness`, model `null`).
 */
export type ModelSource = 'stage' | 'default' | 'runtime' | 'harness';

/** One runtime of a stage's chain, with the model it will run and where that came from. */
export interface ResolvedTarget {
  /** Canonical runtime id. */
  readonly runtime: string;
  readonly model: string | null;
  readonly modelSource: ModelSource;
  /** Reasoning effort; `null`: the harness's default. */
  readonly effort: string | null;
}

export interface StageResolution {
  /** The first choice: `chain[0].runtime`. */
  readonly runtime: string;
  readonly source: ResolutionSource;
  /** Every runtime the stage may run on, in the order they are tried; never empty. */
  readonly chain: readonly ResolvedTarget[];
}

/** `stages[stage]`, else `default`, else `runtime_backend` (PRODUCT.md §3). */
export function resolveStage(config: BatonConfig, stage: Stage): StageResolution {
  const explicit = config.stages[stage];
  if (explicit !== undefined && explicit.length > 0) return resolution(config, explicit, 'stage');
  if (config.defaultTargets !== null && config.defaultTargets.length > 0)
    return resolution(config, config.defaultTargets, 'default');
  return resolution(
    config,
    [{ runtime: config.runtimeBackend, model: null, effort: null }],
    'fallback',
  );
}

function resolution(
  config: BatonConfig,
  targets: readonly StageTarget[],
  source: ResolutionSource,
): StageResolution {
  const chain = targets.map((target) => resolveTarget(config, target, source));
  return { runtime: chain[0]!.runtime, source, chain };
}

function resolveTarget(
  config: BatonConfig,
  target: StageTarget,
  source: ResolutionSource,
): ResolvedTarget {
  const { runtime, effort } = target;
  if (target.model !== null) {
    // `runtime_backend` is a plain name, so only a stage's or default's value names a model.
    return {
      runtime,
      model: target.model,
      modelSource: source === 'stage' ? 'stage' : 'default',
      effort,
    };
  }
  const settingsModel = config.runtimes[runtime]?.model;
  return settingsModel === undefined
    ? { runtime, model: null, modelSource: 'harness', effort }
    : { runtime, model: settingsModel, modelSource: 'runtime', effort };
}

export function resolveStages(config: BatonConfig): Record<Stage, StageResolution> {
  return Object.fromEntries(STAGES.map((stage) => [stage, resolveStage(config, stage)])) as Record<
    Stage,
    StageResolution
  >;
}

/** Where a runtime appears in the routing: a stage, and its place in that stage's chain. */
export interface RuntimeUse {
  readonly stage: Stage;
  /** The rule that chose the stage's chain. */
  readonly source: ResolutionSource;
  /** Index in the stage's chain: 0 is the first choice, 1 the first fallback, … */
  readonly position: number;
  readonly target: ResolvedTarget;
}

/**
 * Every runtime of every stage's chain, with each place it appears, in stage order and,
 * within a stage, chain order.
 */
export function runtimeUses(config: BatonConfig): Map<string, RuntimeUse[]> {
  const used = new Map<string, RuntimeUse[]>();
  for (const stage of STAGES) {
    const { source, chain } = resolveStage(config, stage);
    chain.forEach((target, position) => {
      const uses = used.get(target.runtime) ?? [];
      uses.push({ stage, source, position, target });
      used.set(target.runtime, uses);
    });
  }
  return used;
}

/** Each runtime any stage's chain names, with the stages that name it, in stage order. */
export function runtimesInUse(config: BatonConfig): Map<string, Stage[]> {
  const used = new Map<string, Stage[]>();
  for (const [runtime, uses] of runtimeUses(config)) {
    used.set(runtime, [...new Set(uses.map((use) => use.stage))]);
  }
  return used;
}
