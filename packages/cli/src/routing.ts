import { type BatonConfig, type ResolvedTarget, resolveStages, STAGES } from '@baton/core';
import type { styles } from './output.js';

/** One runtime of a chain as `--json` shows it. */
function targetJson(target: ResolvedTarget) {
  return {
    runtime: target.runtime,
    model: target.model,
    modelSource: target.modelSource,
    effort: target.effort,
  };
}

/**
 * The routing part of `stages --json` and `doctor --json` (PRODUCT.md §5): per stage its first
 * runtime and the rule that chose it (`runtime`, `source`), that runtime's model and effort,
 * and the whole chain in the order it is tried.
 */
export function routingJson(config: BatonConfig) {
  const resolved = resolveStages(config);
  return {
    stages: Object.fromEntries(
      STAGES.map((stage) => {
        const { runtime, source, chain } = resolved[stage];
        const first = chain[0]!;
        return [
          stage,
          {
            runtime,
            source,
            model: first.model,
            modelSource: first.modelSource,
            effort: first.effort,
            chain: chain.map(targetJson),
          },
        ];
      }),
    ),
    backendProfile: config.backendProfile,
    configFiles: config.files,
  };
}

/** `gpt-5.5 · high (stage)`, `opus (runtime)`, `harness default · low`. */
export function describeModel(target: ResolvedTarget): string {
  const effort = target.effort === null ? '' : ` · ${target.effort}`;
  return target.model === null
    ? `harness default${effort}`
    : `${target.model}${effort} (${target.modelSource})`;
}

/**
 * The STAGE / RUNTIME / MODEL / SOURCE table of `baton stages` and `baton doctor`: a stage's
 * first runtime on its row, each fallback of its chain on a row of its own below it.
 */
export function routingTable(config: BatonConfig, style: ReturnType<typeof styles>): string[][] {
  const resolved = resolveStages(config);
  const rows = [['STAGE', 'RUNTIME', 'MODEL', 'SOURCE'].map(style.bold)];
  for (const stage of STAGES) {
    const { source, chain } = resolved[stage];
    chain.forEach((target, position) => {
      rows.push(
        position === 0
          ? [stage, style.cyan(target.runtime), describeModel(target), style.dim(source)]
          : ['', `${style.dim('↳')} ${style.cyan(target.runtime)}`, describeModel(target), ''],
      );
    });
  }
  return rows;
}
