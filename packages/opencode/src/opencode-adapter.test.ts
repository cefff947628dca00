import { readFileSync } from 'node:fs';
import {
  AdapterRegistry,
  checkAdapterShape,
  FIRST_PARTY_RUNTIMES,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { describe, expect, it } from 'vitest';
import * as entry from './index.js';
import { createOpencodeAdapter, OPENCODE_IDENTITY } from './opencode-adapter.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  name: string;
  version: string;
  baton: { adapter: Record<string, unknown> };
};

describe('@baton/opencode package', () => {
  it('exports only the factory, the default instance and VERSION', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createOpencodeAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(entry.default.identity).toBe(OPENCODE_IDENTITY);
  });

  it('publishes a manifest identical to the identity', () => {
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...OPENCODE_IDENTITY,
    });
    expect(OPENCODE_IDENTITY).toEqual({
      id: 'opencode',
      aliases: ['opencode-cli', 'open-code'],
      displayName: 'OpenCode',
      binary: 'opencode',
      testedVersions: '>=1.18.33 <1.19.0',
      contractChannel:
        "OpenCode agent prompt (the selected agent's `prompt`, via OPENCODE_CONFIG_CONTENT)",
    });
  });

  it('agrees with the first-party runtime catalogue', () => {
    const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === OPENCODE_IDENTITY.id);
    expect(known).toEqual({
      id: 'opencode',
      aliases: [...OPENCODE_IDENTITY.aliases],
      packageName: packageJson.name,
    });
  });

  it('is an adapter the registry accepts, found by id and aliases', () => {
    const adapter = createOpencodeAdapter();
    expect(checkAdapterShape(adapter, '@baton/opencode')).toBeUndefined();
    const registry = new AdapterRegistry().register(adapter);
    expect(registry.lookup('opencode_cli')).toEqual({ status: 'found', id: 'opencode' });
    expect(registry.lookup('Open-Code')).toEqual({ status: 'found', id: 'opencode' });
  });

  it('returns a plain object whose factory settings are defaults under [runtimes.opencode]', () => {
    const adapter = createOpencodeAdapter({ model: 'factory/model', binary: '/opt/opencode' });
    expect(Object.getPrototypeOf(adapter)).toBe(Object.prototype);
    const command = adapter.buildCommand({
      stage: 'execute',
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'workspace-write',
      profile: null,
      settings: { model: 'configured/model' },
      scratchDir: '/tmp/s',
      env: {},
    });
    expect(command.file).toBe('/opt/opencode');
    expect(command.args).toContain('configured/model');
    expect(command.args).not.toContain('factory/model');
  });
});
