import { describe, expect, it } from 'vitest';
import { hermesNativeConfig } from './setup.js';

const context = {
  profile: 'worker',
  settings: {},
  env: { HOME: '/home/u' },
  cwd: '/work/project',
  runtimeVersion: '0.21.3',
};

describe('Hermes native-config writer', () => {
  it('plans no change yet, so baton setup touches nothing', async () => {
    expect(await hermesNativeConfig.plan(context)).toEqual([]);
    expect(await hermesNativeConfig.planRevert(context)).toEqual([]);
  });
});
