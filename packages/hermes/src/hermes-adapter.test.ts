import { readFileSync } from 'node:fs';
import { FIRST_PARTY_RUNTIMES, SPECIFICATION_VERSION } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createHermesAdapter, HERMES_IDENTITY } from './hermes-adapter.js';
import hermes, * as entry from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('Hermes adapter', () => {
  it('publishes the identity in package.json exactly', () => {
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...HERMES_IDENTITY,
    });
  });

  it('agrees with the first-party catalogue', () => {
    const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === 'hermes');
    expect(known).toEqual({
      id: 'hermes',
      aliases: ['hermes-cli', 'hermes-agent'],
      packageName: packageJson.name,
    });
    expect(HERMES_IDENTITY.aliases).toEqual(known?.aliases);
  });

  it('exports only the factory, the default instance and VERSION', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createHermesAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(hermes.identity).toBe(HERMES_IDENTITY);
    expect(hermes.specificationVersion).toBe('baton-adapter-v2');
  });

  it('lays factory settings under the request settings', () => {
    const adapter = createHermesAdapter({
      binary: '/opt/hermes/bin/hermes',
      model: 'default-model',
    });
    const base = {
      stage: 'reflect',
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'read-only',
      profile: null,
      scratchDir: '/s',
      env: {},
    } as const;
    const command = adapter.buildCommand({ ...base, settings: { model: 'configured-model' } });
    expect(command.file).toBe('/opt/hermes/bin/hermes');
    expect(command.args.slice(-2)).toEqual(['-m', 'configured-model']);
    expect(adapter.buildCommand({ ...base, settings: {} }).args.slice(-2)).toEqual([
      '-m',
      'default-model',
    ]);
  });

  it('declares what it can do: resume, efforts, a turn cap; no cost cap, no cost of its own', () => {
    expect(hermes.capabilities).toEqual({
      resumeSession: true,
      efforts: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'ultra'],
      costCap: false,
      turnCap: true,
      reportsCost: false,
    });
  });

  it('offers cheap checks and one probe', () => {
    expect(hermes.doctorChecks().map((check) => [check.id, check.probe === true])).toEqual([
      ['binary', false],
      ['version', false],
      ['auth', false],
      ['profile', false],
      ['probe', true],
    ]);
  });
});
