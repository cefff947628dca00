import type { NativeConfigChange, NativeConfigWriter } from '@baton/core';

/**
 * Native-config writer for `baton setup hermes`. Not implemented yet: `baton setup` will
 * own the profile directory `<HERMES_HOME>/profiles/baton-<profile>/` (its `config.yaml`
 * keys `model.default`, `model.provider`, `model.base_url`, `agent.api_max_retries`, and
 * `SOUL.md`). Until then it plans no change, so a run of `baton setup` touches nothing.
 */
export const hermesNativeConfig: NativeConfigWriter = {
  async plan(): Promise<readonly NativeConfigChange[]> {
    return [];
  },
  async planRevert(): Promise<readonly NativeConfigChange[]> {
    return [];
  },
};
