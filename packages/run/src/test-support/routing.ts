/**
 * Routing snapshots for engine tests, resolved by the same rule a run uses (core's
 * `resolveStage`, through `routingSnapshot`) from the few routing keys a test cares about.
 */
import {
  type BatonConfig,
  DEFAULT_RETRY_SETTINGS,
  DELIVER_MISSION,
  type MissionStep,
  type Stage,
  type StageTarget,
} from '@baton/core';
import type { RoutingSnapshot } from '../engine/types.js';
import { routingSnapshot } from '../routing.js';

export interface TestRouting {
  readonly runtimeBackend: string;
  readonly defaultRuntime?: string | null;
  /** A runtime, or a chain of runtimes, per stage. */
  readonly stages?: Partial<Record<Stage, string | readonly string[]>>;
  readonly backendProfile?: string | null;
}

/** The snapshot a run of `steps` (default: every stage) starts with under this routing. */
export function routingFor(
  routing: TestRouting,
  steps: readonly MissionStep[] = DELIVER_MISSION.steps,
): RoutingSnapshot {
  const chain = (value: string | readonly string[]): StageTarget[] =>
    (typeof value === 'string' ? [value] : value).map((runtime) => ({
      runtime,
      model: null,
      effort: null,
    }));
  const config: BatonConfig = {
    runtimeBackend: routing.runtimeBackend,
    defaultTargets:
      routing.defaultRuntime === undefined || routing.defaultRuntime === null
        ? null
        : chain(routing.defaultRuntime),
    backendProfile: routing.backendProfile ?? null,
    stages: Object.fromEntries(
      Object.entries(routing.stages ?? {}).map(([stage, value]) => [stage, chain(value)]),
    ),
    retry: DEFAULT_RETRY_SETTINGS,
    pricing: {},
    runtimes: {},
    missions: {},
    contracts: {},
    scale: null,
    files: [],
    projectRoot: '.',
  };
  return routingSnapshot(config, steps);
}
