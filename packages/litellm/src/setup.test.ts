import { describe, expect, it } from 'vitest';
import { litellmNativeConfig } from './setup.js';

const context = {
  profile: 'worker',
  settings: {},
  env: {},
  cwd: '/work/project',
  runtimeVersion: '1.79.3',
};

describe('LiteLLM native-config writer', () => {
  it('plans no change yet, so baton setup touches nothing', async () => {
    expect(await litellmNativeConfig.plan(context)).toEqual([]);
    expect(await litellmNativeConfig.planRevert(context)).toEqual([]);
  });
});
