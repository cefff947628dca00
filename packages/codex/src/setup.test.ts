import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type NativeConfigContext } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCodexNativeConfig, renderProfileFile } from './setup.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'baton-codex-setup-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function context(overrides: Partial<NativeConfigContext> = {}): NativeConfigContext {
  return {
    profile: 'worker',
    settings: { model: 'gpt-5.5' },
    env: { CODEX_HOME: home },
    cwd: home,
    runtimeVersion: '0.169.0',
    ...overrides,
  };
}

describe('codex native config', () => {
  it('plans the profile file when it is missing', async () => {
    const changes = await createCodexNativeConfig().plan(context());
    expect(changes).toEqual([
      {
        path: join(home, 'baton-worker.config.toml'),
        before: null,
        after:
          '# Codex profile for the Baton backend profile "worker": codex exec --profile baton-worker.\n' +
          '# Written by `baton setup codex`. Top-level keys only (Codex >= 0.134 layers this file over config.toml).\n' +
          'model = "gpt-5.5"\n',
        ownedKeys: ['model'],
      },
    ]);
  });

  it('plans nothing when the file exists', async () => {
    writeFileSync(join(home, 'baton-worker.config.toml'), 'model = "mine"\n');
    expect(await createCodexNativeConfig().plan(context())).toEqual([]);
  });

  it('refuses Codex versions that read [profiles.*] tables', async () => {
    await expect(
      createCodexNativeConfig().plan(context({ runtimeVersion: '0.120.0' })),
    ).rejects.toThrowError(/Codex 0\.120\.0 reads profiles from \[profiles\.baton-worker\]/);
  });

  it('refuses while config.toml has the legacy table, naming the line', async () => {
    writeFileSync(
      join(home, 'config.toml'),
      'model = "a"\n\n[profiles.baton-worker]\nmodel = "b"\n',
    );
    const error = await createCodexNativeConfig()
      .plan(context())
      .catch((caught: unknown) => caught);
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).code).toBe('NATIVE_CONFIG');
    expect((error as BatonError).message).toContain(
      `${join(home, 'config.toml')}:3 has legacy \`[profiles.baton-worker]\``,
    );
  });

  it('reverts only a file exactly as Baton wrote it', async () => {
    const writer = createCodexNativeConfig();
    const path = join(home, 'baton-worker.config.toml');
    expect(await writer.planRevert(context())).toEqual([]);
    writeFileSync(path, renderProfileFile('worker', { model: 'gpt-5.5' }));
    expect(await writer.planRevert(context())).toEqual([
      {
        path,
        before: renderProfileFile('worker', { model: 'gpt-5.5' }),
        after: null,
        ownedKeys: ['model'],
      },
    ]);
    writeFileSync(
      path,
      `${renderProfileFile('worker', { model: 'gpt-5.5' })}approval_policy = "never"\n`,
    );
    expect(await writer.planRevert(context())).toEqual([]);
  });

  it('writes no model key without a model', () => {
    expect(renderProfileFile('worker', {})).not.toContain('model =');
  });
});
