import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPECIFICATION_VERSION as V1_SPECIFICATION_VERSION } from './adapter/v1/spec.js';
import { SPECIFICATION_VERSION } from './adapter/v2/spec.js';
import { AdapterRegistry, lookupError } from './registry.js';
import { fakeAdapter } from './test-support/fake-adapter.js';
import { tempDirectory, writeTree } from './test-support/temp.js';

function manifest(id: string, overrides: Record<string, unknown> = {}) {
  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    aliases: [`${id}-cli`],
    displayName: `${id} display`,
    binary: id,
    testedVersions: '>=1.0.0 <2.0.0',
    contractChannel: '--system-prompt',
    ...overrides,
  };
}

/** An installable adapter package: package.json with the manifest, and an ESM module. */
function adapterPackage(
  name: string,
  id: string,
  options: { manifest?: Record<string, unknown>; moduleId?: string } = {},
) {
  const identity = manifest(id, options.manifest);
  const moduleIdentity = { ...identity, id: options.moduleId ?? id };
  const { specificationVersion, ...rest } = moduleIdentity;
  return {
    [`node_modules/${name}/package.json`]: JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      exports: { '.': { types: './dist/main.d.ts', default: './dist/main.js' } },
      baton: { adapter: identity },
    }),
    [`node_modules/${name}/dist/main.js`]: `
const identity = ${JSON.stringify(rest)};
export default {
  specificationVersion: ${JSON.stringify(specificationVersion)},
  identity,
  ${(specificationVersion as string) === V1_SPECIFICATION_VERSION ? '' : 'capabilities: { resumeSession: false, efforts: [], costCap: false, turnCap: false, reportsCost: false },'}
  profile: { nativeName: (p) => 'baton-' + p, describe: (p) => 'baton-' + p },
  doctorChecks: () => [],
  buildCommand: (r) => ({ file: identity.binary, args: [r.effort ?? 'no-effort'], env: {}, cwd: r.cwd, stdin: r.prompt }),
  createDecoder: () => ({
    push: () => [],
    finish: (exit) =>
      exit.exitCode === 0
        ? { status: 'succeeded', error: null }
        : { status: 'failed', error: { message: 'limit', kind: 'rate-limit', status: 429, retryable: false } },
  }),
  nativeConfig: { plan: async () => [], planRevert: async () => [] },
};
`,
  };
}

describe('AdapterRegistry', () => {
  it('discovers first-party and third-party adapter packages without importing them', () => {
    const project = writeTree(tempDirectory(), {
      ...adapterPackage('@baton/codex', 'codex', { manifest: { aliases: ['codex-cli'] } }),
      ...adapterPackage('baton-adapter-gemini', 'gemini'),
      ...adapterPackage('@acme/baton-adapter-aider', 'aider'),
      'node_modules/@baton/core/package.json': JSON.stringify({ name: '@baton/core' }),
      'node_modules/left-pad/package.json': JSON.stringify({
        name: 'left-pad',
        baton: { adapter: manifest('pad') },
      }),
      'src/deep/.keep': '',
    });
    const registry = new AdapterRegistry().discover([join(project, 'src/deep')]);
    expect(registry.ids().sort()).toEqual(['aider', 'codex', 'gemini']);
    expect(registry.get('gemini')?.packageName).toBe('baton-adapter-gemini');
    expect(registry.lookup('Gemini_CLI')).toEqual({ status: 'found', id: 'gemini' });
  });

  it('loads a discovered adapter module on demand, scoped or not, through its exports map', async () => {
    const project = writeTree(tempDirectory(), {
      ...adapterPackage('baton-adapter-gemini', 'gemini'),
      ...adapterPackage('@acme/baton-adapter-aider', 'aider'),
    });
    const registry = new AdapterRegistry().discover([project]);
    expect((await registry.load('aider')).identity.id).toBe('aider');
    const adapter = await registry.load('gemini');
    expect(adapter.identity.displayName).toBe('gemini display');
    expect(adapter.buildCommand({ cwd: '/w', prompt: 'p' } as never)).toEqual({
      file: 'gemini',
      args: ['no-effort'],
      env: {},
      cwd: '/w',
      stdin: 'p',
    });
  });

  it('rejects a package with another specification version, with a clear error when used', () => {
    const project = writeTree(
      tempDirectory(),
      adapterPackage('baton-adapter-old', 'old', {
        manifest: { specificationVersion: 'baton-adapter-v0' },
      }),
    );
    const registry = new AdapterRegistry().discover([project]);
    expect(registry.ids()).toEqual([]);
    const lookup = registry.lookup('old');
    expect(lookup.status).toBe('rejected');
    if (lookup.status !== 'rejected') throw new Error('unreachable');
    expect(lookup.error.code).toBe('ADAPTER_VERSION_UNSUPPORTED');
    expect(lookup.error.message).toBe(
      'baton-adapter-old (package.json "baton.adapter") implements adapter specification "baton-adapter-v0", ' +
        'but this Baton accepts "baton-adapter-v2", "baton-adapter-v1". Install a version of the adapter built for this Baton, or upgrade Baton.',
    );
  });

  it('loads a version-1 adapter behind the current interface: no capabilities, classes from kinds', async () => {
    const project = writeTree(
      tempDirectory(),
      adapterPackage('baton-adapter-legacy', 'legacy', {
        manifest: { specificationVersion: V1_SPECIFICATION_VERSION },
      }),
    );
    const registry = new AdapterRegistry().discover([project]);
    expect(registry.ids()).toEqual(['legacy']);
    const adapter = await registry.load('legacy');
    expect(adapter.specificationVersion).toBe(SPECIFICATION_VERSION);
    expect(adapter.capabilities).toEqual({
      resumeSession: false,
      efforts: [],
      costCap: false,
      turnCap: false,
      reportsCost: false,
    });
    // A v1 builder never sees the v2 fields it was not written for.
    expect(adapter.buildCommand({ cwd: '/w', prompt: 'p', effort: 'high' } as never).args).toEqual([
      'no-effort',
    ]);
    const failed = adapter
      .createDecoder({} as never)
      .finish({ exitCode: 1, signal: null, stderrTail: '', resultFiles: {} });
    expect(failed.error).toEqual({
      message: 'limit',
      kind: 'rate-limit',
      status: 429,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
  });

  it('refuses a version-2 adapter that declares no capabilities', () => {
    const { capabilities: _omitted, ...bare } = fakeAdapter({ id: 'bare' });
    expect(() => new AdapterRegistry().register(bare as never)).toThrow(
      /declares no capabilities \(baton-adapter-v2 adapters must\)/,
    );
  });

  it('refuses a module whose id disagrees with its manifest', async () => {
    const project = writeTree(
      tempDirectory(),
      adapterPackage('baton-adapter-liar', 'liar', { moduleId: 'other' }),
    );
    const registry = new AdapterRegistry().discover([project]);
    await expect(registry.load('liar')).rejects.toThrow(
      /package\.json says runtime "liar" but the module exports "other"/,
    );
  });

  it('prefers the nearest package when two provide the same id', () => {
    const root = tempDirectory();
    writeTree(root, adapterPackage('baton-adapter-x', 'x', { manifest: { displayName: 'outer' } }));
    writeTree(
      join(root, 'inner'),
      adapterPackage('baton-adapter-x', 'x', { manifest: { displayName: 'inner' } }),
    );
    const registry = new AdapterRegistry().discover([join(root, 'inner')]);
    expect(registry.get('x')?.identity.displayName).toBe('inner');
  });

  it('takes explicit registrations, checking their shape and specification version', () => {
    const registry = new AdapterRegistry().register(
      fakeAdapter({ id: 'demo', aliases: ['demo-alias'] }),
    );
    expect(registry.lookup('demo_alias')).toEqual({ status: 'found', id: 'demo' });
    const wrong = { ...fakeAdapter({ id: 'bad' }), specificationVersion: 'baton-adapter-v9' };
    expect(() => new AdapterRegistry().register(wrong as never)).toThrow(
      /accepts "baton-adapter-v2", "baton-adapter-v1"/,
    );
    const broken = { ...fakeAdapter({ id: 'bad' }), buildCommand: undefined };
    expect(() => new AdapterRegistry().register(broken as never)).toThrow(
      /has no buildCommand\(\) function/,
    );
  });

  it('knows first-party runtimes that are not installed, and suggests for typos', () => {
    const registry = new AdapterRegistry();
    expect(registry.lookup('hermes_cli')).toEqual({
      status: 'not-installed',
      id: 'hermes',
      packageName: '@baton/hermes',
    });
    // A typo of an alias suggests the canonical id it stands for.
    expect(registry.lookup('cluade')).toEqual({ status: 'unknown', suggestion: 'claude-code' });
    expect(registry.lookup('claud')).toEqual({ status: 'unknown', suggestion: 'claude-code' });
    expect(registry.canonicalIds()).toEqual([
      'codex',
      'claude-code',
      'opencode',
      'hermes',
      'litellm',
    ]);
  });

  it('names the package a third-party adapter would be for a name that looks like a runtime', () => {
    const registry = new AdapterRegistry();
    const lookup = registry.lookup('gemini');
    expect(lookup).toEqual({
      status: 'unknown',
      suggestion: undefined,
      adapterPackage: 'baton-adapter-gemini',
    });
    expect(lookupError('gemini', lookup).message).toBe(
      'Unknown runtime "gemini". No adapter for "gemini" is installed; a third-party one would be the package baton-adapter-gemini (npm install baton-adapter-gemini).',
    );
    // Not for something that is no runtime's name.
    expect(registry.lookup('not a runtime!')).toEqual({ status: 'unknown', suggestion: undefined });
  });
});
