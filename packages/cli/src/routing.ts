import { type BatonConfig, resolveStages } from '@baton/core';

/** The routing part of `stages --json` and `doctor --json` (PRODUCT.md §5). */
export function routingJson(config: BatonConfig) {
  return {
    stages: resolveStages(config),
    backendProfile: config.backendProfile,
    configFiles: config.files,
  };
}
