import type { NativeConfigChange, NativeConfigWriter } from '@baton/core';

/**
 * Native-config writer for `baton setup litellm`. Not implemented yet: `baton setup` will
 * own one `model_list` entry of the proxy's `config.yaml` (`model_name: baton-<profile>`,
 * whose `litellm_params.model` is `[runtimes.litellm] model`) and nothing else. Until then
 * it plans no change, so a run of `baton setup` touches nothing.
 */
export const litellmNativeConfig: NativeConfigWriter = {
  async plan(): Promise<readonly NativeConfigChange[]> {
    return [];
  },
  async planRevert(): Promise<readonly NativeConfigChange[]> {
    return [];
  },
};
