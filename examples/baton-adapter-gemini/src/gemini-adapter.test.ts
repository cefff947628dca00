import { readFileSync } from 'node:fs';
import {
  AdapterRegistry,
  checkAdapterShape,
  FIRST_PARTY_RUNTIMES,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createGeminiAdapter, GEMINI_IDENTITY } from './gemini-adapter.js';
import * as entry from './index.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { name: string; version: string; baton: { adapter: Record<string, unknown> } };

describe('baton-adapter-gemini package', () => {
  it('exports only the factory, the default instance and VERSION', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createGeminiAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(entry.default.identity).toBe(GEMINI_IDENTITY);
  });

  it('is named by the third-party rule and publishes a manifest equal to its identity', () => {
    expect(packageJson.name).toBe(`baton-adapter-${GEMINI_IDENTITY.id}`);
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...GEMINI_IDENTITY,
    });
  });

  it('takes no first-party id or alias', () => {
    const taken = FIRST_PARTY_RUNTIMES.flatMap((runtime) => [runtime.id, ...runtime.aliases]);
    for (const name of [GEMINI_IDENTITY.id, ...GEMINI_IDENTITY.aliases]) {
      expect(taken).not.toContain(name);
    }
  });

  it('is an adapter the registry accepts, found by id and aliases', () => {
    const adapter = createGeminiAdapter();
    expect(checkAdapterShape(adapter, 'baton-adapter-gemini')).toBeUndefined();
    const registry = new AdapterRegistry().register(adapter);
    expect(registry.lookup('gemini')).toEqual({ status: 'found', id: 'gemini' });
    expect(registry.lookup('gemini_cli')).toEqual({ status: 'found', id: 'gemini' });
    expect(registry.lookup('Google-Gemini')).toEqual({ status: 'found', id: 'gemini' });
    expect(registry.lookup('gemnii')).toEqual({ status: 'unknown', suggestion: 'gemini' });
  });

  it('returns a plain object whose factory settings are defaults under [runtimes.gemini]', () => {
    const adapter = createGeminiAdapter({ model: 'factory-model', binary: '/opt/gemini' });
    expect(Object.getPrototypeOf(adapter)).toBe(Object.prototype);
    const command = adapter.buildCommand({
      stage: 'interview',
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'read-only',
      profile: null,
      settings: { model: 'configured-model' },
      scratchDir: '/workspace/.baton/scratch',
      env: {},
    });
    expect(command.file).toBe('/opt/gemini');
    expect(command.args).toEqual([
      '--output-format',
      'stream-json',
      '--approval-mode',
      'default',
      '--model',
      'configured-model',
    ]);
  });
});
