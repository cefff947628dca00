import { readFileSync } from 'node:fs';
import { FIRST_PARTY_RUNTIMES, SPECIFICATION_VERSION } from '@baton/core';
import { describe, expect, it } from 'vitest';
import litellm, * as entry from './index.js';
import { createLitellmAdapter, LITELLM_IDENTITY } from './litellm-adapter.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('LiteLLM adapter', () => {
  it('publishes the identity in package.json exactly', () => {
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...LITELLM_IDENTITY,
    });
    expect(LITELLM_IDENTITY.binary).toBeNull();
  });

  it('agrees with the first-party catalogue', () => {
    const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === 'litellm');
    expect(known).toEqual({
      id: 'litellm',
      aliases: ['litellm-proxy', 'lite-llm'],
      packageName: packageJson.name,
    });
  });

  it('exports only the factory, the default instance and VERSION', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createLitellmAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(litellm.identity).toBe(LITELLM_IDENTITY);
  });

  it('lays factory settings under the request settings', () => {
    const adapter = createLitellmAdapter({
      baseUrl: 'http://default:4000',
      model: 'default-model',
    });
    const base = {
      stage: 'interview',
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'read-only',
      profile: null,
      scratchDir: '/s',
      env: {},
    } as const;
    const command = adapter.buildCommand({ ...base, settings: { model: 'configured' } });
    expect(command.args.slice(1)).toEqual(['--url', 'http://default:4000/v1/chat/completions']);
    expect(JSON.parse(command.stdin!).model).toBe('configured');
  });

  it('declares what it can do: efforts only; no session, no caps, no cost promised', () => {
    expect(litellm.capabilities).toEqual({
      resumeSession: false,
      efforts: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
      costCap: false,
      turnCap: false,
      reportsCost: false,
    });
  });

  it('offers cheap checks and one probe, with known dependencies', () => {
    expect(
      litellm
        .doctorChecks()
        .map((check) => [check.id, check.probe === true, check.dependsOn ?? []]),
    ).toEqual([
      ['base-url', false, []],
      ['liveliness', false, ['base-url']],
      ['version', false, ['liveliness']],
      ['auth', false, ['liveliness']],
      ['profile', false, ['auth']],
      ['model', false, ['auth']],
      ['probe', true, ['auth']],
    ]);
  });
});
