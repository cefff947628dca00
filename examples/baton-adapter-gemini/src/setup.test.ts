import { join } from 'node:path';
import { BatonError, type NativeConfigContext } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createGeminiNativeConfig, renderManifest } from './setup.js';
import { tempDirectory, writeTree } from './test-support/temp.js';

function context(home: string, profile = 'worker'): NativeConfigContext {
  return { profile, settings: {}, env: { HOME: home }, cwd: home, runtimeVersion: '0.56.0' };
}

const MANIFEST = '.gemini/extensions/baton-worker/gemini-extension.json';

describe('the Gemini native-config writer', () => {
  it('renders a strict-JSON manifest with the owned keys', () => {
    expect(JSON.parse(renderManifest('worker'))).toEqual({
      name: 'baton-worker',
      version: '1.0.0',
      description:
        'Baton backend profile "worker": add a GEMINI.md, excludeTools or mcpServers here.',
    });
    expect(renderManifest('worker').endsWith('}\n')).toBe(true);
  });

  it('plans the extension manifest when it is missing', async () => {
    const home = tempDirectory();
    expect(await createGeminiNativeConfig().plan(context(home))).toEqual([
      {
        path: join(home, MANIFEST),
        before: null,
        after: renderManifest('worker'),
        ownedKeys: ['name', 'version'],
      },
    ]);
  });

  it("plans nothing once the manifest exists, leaving the user's own keys alone", async () => {
    const home = tempDirectory();
    writeTree(home, {
      [MANIFEST]:
        '{\n  "name": "baton-worker",\n  "version": "2.0.0",\n  "excludeTools": ["run_shell_command"]\n}\n',
    });
    expect(await createGeminiNativeConfig().plan(context(home))).toEqual([]);
    writeTree(home, { [MANIFEST]: renderManifest('worker') });
    expect(await createGeminiNativeConfig().plan(context(home))).toEqual([]);
  });

  it('refuses a malformed or misnamed manifest, saying where', async () => {
    const home = tempDirectory();
    writeTree(home, { [MANIFEST]: '{ "name": "baton-worker", // mine\n "version": "1" }' });
    const malformed = createGeminiNativeConfig().plan(context(home));
    await expect(malformed).rejects.toSatisfy(
      (error: unknown) => BatonError.isInstance(error) && error.code === 'NATIVE_CONFIG',
    );
    await expect(createGeminiNativeConfig().plan(context(home))).rejects.toThrow(
      `${join(home, MANIFEST)} is not valid JSON`,
    );
    writeTree(home, { [MANIFEST]: '{"name":"someone-else","version":"1"}' });
    await expect(createGeminiNativeConfig().plan(context(home))).rejects.toThrow(
      'names its extension "someone-else"; the profile needs "baton-worker"',
    );
    writeTree(home, { [MANIFEST]: '{"name":"baton-worker"}' });
    await expect(createGeminiNativeConfig().plan(context(home))).rejects.toThrow(
      'has no "version"',
    );
  });

  it('refuses a profile name Gemini CLI cannot load', async () => {
    await expect(
      createGeminiNativeConfig().plan(context(tempDirectory(), 'my_profile')),
    ).rejects.toThrow('"baton-my_profile" is not a valid Gemini CLI extension name');
  });

  it('reverts only a manifest exactly as Baton wrote it', async () => {
    const home = tempDirectory();
    expect(await createGeminiNativeConfig().planRevert(context(home))).toEqual([]);
    writeTree(home, { [MANIFEST]: renderManifest('worker') });
    expect(await createGeminiNativeConfig().planRevert(context(home))).toEqual([
      {
        path: join(home, MANIFEST),
        before: renderManifest('worker'),
        after: null,
        ownedKeys: ['name', 'version'],
      },
    ]);
    writeTree(home, { [MANIFEST]: renderManifest('worker').replace('1.0.0', '1.0.1') });
    expect(await createGeminiNativeConfig().planRevert(context(home))).toEqual([]);
  });
});
