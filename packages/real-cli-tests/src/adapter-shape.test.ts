/**
 * Every first-party adapter package keeps the same shape, so any one of them is a template
 * for the next (and for third parties): the same files, the same exports, a manifest equal
 * to the identity, and the conformance suite passing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRST_PARTY_RUNTIMES, SPECIFICATION_VERSION } from '@baton/core';
import { describe, expect, it } from 'vitest';

const packagesDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONCERNS = ['command', 'decode', 'doctor', 'profile', 'setup'] as const;

describe.each(FIRST_PARTY_RUNTIMES.map((runtime) => runtime.id))('the %s adapter package', (id) => {
  const directory = join(packagesDirectory, id);
  const source = join(directory, 'src');
  const packageJson = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));

  it('has one file per concern, each with its test beside it, and a README', () => {
    for (const concern of CONCERNS) {
      expect(existsSync(join(source, `${concern}.ts`)), `${id}/src/${concern}.ts`).toBe(true);
      expect(existsSync(join(source, `${concern}.test.ts`)), `${id}/src/${concern}.test.ts`).toBe(
        true,
      );
    }
    expect(existsSync(join(source, `${id}-adapter.ts`)), `${id}/src/${id}-adapter.ts`).toBe(true);
    expect(existsSync(join(directory, 'README.md'))).toBe(true);
  });

  it('index.ts only re-exports', () => {
    const index = readFileSync(join(source, 'index.ts'), 'utf8');
    const statements = index
      .split('\n')
      .map((line) => line.trim())
      .filter(
        (line) =>
          line !== '' && !line.startsWith('//') && !line.startsWith('*') && !line.startsWith('/*'),
      );
    for (const line of statements
      .join('\n')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)) {
      expect(line, `${id}/src/index.ts: ${line}`).toMatch(/^export\b/);
    }
  });

  it('exports a factory, a default instance, VERSION and its settings type', async () => {
    const module = await import(`@baton/${id}`);
    const factoryName = `create${id
      .split('-')
      .map((part: string) => part[0]!.toUpperCase() + part.slice(1))
      .join('')}Adapter`;
    expect(Object.keys(module)).toEqual(
      expect.arrayContaining(['default', 'VERSION', factoryName]),
    );
    expect(typeof module[factoryName]).toBe('function');
    expect(module.VERSION).toBe(packageJson.version);
    expect(module.default.specificationVersion).toBe(SPECIFICATION_VERSION);
    expect(module[factoryName]().identity).toEqual(module.default.identity);
    const index = readFileSync(join(source, 'index.ts'), 'utf8');
    expect(index).toMatch(/export (type )?\{[^}]*\b(type )?[A-Z]\w*Settings\b/);
  });

  it('publishes a manifest equal to its identity, and core as a peer dependency', async () => {
    const module = await import(`@baton/${id}`);
    expect(packageJson.baton.adapter).toEqual({
      specificationVersion: module.default.specificationVersion,
      ...module.default.identity,
    });
    expect(packageJson.peerDependencies).toHaveProperty('@baton/core');
    expect(packageJson.dependencies?.['@baton/core']).toBeUndefined();
  });

  it('depends on no other adapter', () => {
    const others = FIRST_PARTY_RUNTIMES.map((runtime) => `@baton/${runtime.id}`).filter(
      (name) => name !== `@baton/${id}`,
    );
    const declared = Object.keys({ ...packageJson.dependencies, ...packageJson.peerDependencies });
    expect(declared.filter((name) => others.includes(name))).toEqual([]);
    for (const file of readdirSync(source, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(source, file), 'utf8');
      for (const other of others)
        expect(text.includes(`'${other}`), `${id}/src/${file} imports ${other}`).toBe(false);
    }
  });

  it('has a conformance test running the suite from @baton/core/testing', () => {
    const test = join(source, 'conformance.test.ts');
    expect(existsSync(test)).toBe(true);
    expect(readFileSync(test, 'utf8')).toContain('adapterConformanceCases');
  });
});
