import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRST_PARTY_RUNTIMES, normaliseRuntimeName, SPECIFICATION_VERSION } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { CLAUDE_CODE_IDENTITY, createClaudeCodeAdapter } from './claude-code-adapter.js';
import defaultAdapter, * as entry from './index.js';

const packageJson = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
);

describe('@baton/claude-code', () => {
  it('exports only the factory, a default instance, VERSION (and the settings type)', () => {
    expect(Object.keys(entry).sort()).toEqual(['VERSION', 'createClaudeCodeAdapter', 'default']);
    expect(entry.VERSION).toBe(packageJson.version);
    expect(defaultAdapter.specificationVersion).toBe(SPECIFICATION_VERSION);
  });

  it('publishes a manifest equal to its identity', () => {
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...CLAUDE_CODE_IDENTITY,
    });
  });

  it('agrees with the first-party catalogue, and accepts claude_code through normalisation', () => {
    const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === 'claude-code')!;
    expect(CLAUDE_CODE_IDENTITY.aliases).toEqual(known.aliases);
    expect(normaliseRuntimeName('claude_code')).toBe(CLAUDE_CODE_IDENTITY.id);
  });

  it('declares what the real claude 2.1.330 was shown to do: resume, effort, cost and turn caps, cost', () => {
    expect(defaultAdapter.capabilities).toEqual({
      resumeSession: true,
      efforts: ['low', 'medium', 'high', 'xhigh', 'max'],
      costCap: true,
      turnCap: true,
      reportsCost: true,
    });
  });

  it('applies factory settings as defaults that the request overrides', () => {
    const adapter = createClaudeCodeAdapter({ binary: '/opt/claude', model: 'sonnet' });
    const request = {
      stage: 'evaluate' as const,
      prompt: 'p',
      contract: '',
      cwd: '/w',
      access: 'read-only' as const,
      profile: null,
      settings: { model: 'opus' },
      scratchDir: '/s',
      env: {},
    };
    const command = adapter.buildCommand(request);
    expect(command.file).toBe('/opt/claude');
    expect(command.args.slice(4, 6)).toEqual(['--model', 'opus']);
    expect(adapter.createDecoder(request)).not.toBe(adapter.createDecoder(request));
  });
});
