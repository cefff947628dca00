import { readFileSync } from 'node:fs';
import {
  AdapterRegistry,
  checkAdapterShape,
  FIRST_PARTY_RUNTIMES,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { describe, expect, it } from 'vitest';
import { CODEX_IDENTITY, createCodexAdapter } from './codex-adapter.js';
import * as entry from './index.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  name: string;
  version: string;
  baton: { adapter: Record<string, unknown> };
};

describe('@baton/codex package', () => {
  it('exports only the factory, the default instance and VERSION', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createCodexAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(entry.default.identity).toBe(CODEX_IDENTITY);
  });

  it('publishes a manifest identical to the identity', () => {
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...CODEX_IDENTITY,
    });
  });

  it('agrees with the first-party runtime catalogue', () => {
    const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === CODEX_IDENTITY.id);
    expect(known).toEqual({
      id: 'codex',
      aliases: [...CODEX_IDENTITY.aliases],
      packageName: packageJson.name,
    });
  });

  it('is an adapter the registry accepts, found by id and aliases', () => {
    const adapter = createCodexAdapter();
    expect(checkAdapterShape(adapter, '@baton/codex')).toBeUndefined();
    const registry = new AdapterRegistry().register(adapter);
    expect(registry.lookup('codex_cli')).toEqual({ status: 'found', id: 'codex' });
    expect(registry.lookup('OpenAI-Codex')).toEqual({ status: 'found', id: 'codex' });
  });

  it('returns a plain object whose factory settings are defaults under [runtimes.codex]', () => {
    const adapter = createCodexAdapter({ model: 'factory-model', binary: '/opt/codex' });
    expect(Object.getPrototypeOf(adapter)).toBe(Object.prototype);
    const command = adapter.buildCommand({
      stage: 'interview',
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'read-only',
      profile: null,
      settings: { model: 'configured-model' },
      scratchDir: '/tmp/s',
      env: {},
    });
    expect(command.file).toBe('/opt/codex');
    expect(command.args).toContain('configured-model');
    expect(command.args).not.toContain('factory-model');
  });
});
