import type { BatonConfig } from '@baton/core';
import { hashValue } from './canonical-json.js';

/**
 * The hash of a config snapshot: everything that decides what a run does (routing, runtime
 * settings, missions, contract texts), not where the files were found. Settings name their
 * secrets by variable, so no secret value enters the hash input.
 */
export function configHash(config: BatonConfig): string {
  return hashValue({
    runtimeBackend: config.runtimeBackend,
    defaultTargets: config.defaultTargets,
    backendProfile: config.backendProfile,
    stages: config.stages,
    retry: config.retry,
    pricing: config.pricing,
    runtimes: config.runtimes,
    missions: config.missions,
    contracts: Object.fromEntries(
      Object.entries(config.contracts).map(([stage, contract]) => [
        stage,
        { mode: contract?.mode, text: contract?.text },
      ]),
    ),
  });
}
