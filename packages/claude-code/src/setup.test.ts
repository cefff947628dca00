import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeConfigContext } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClaudeCodeNativeConfig, STARTER_SETTINGS } from './setup.js';

let directory: string;
let context: NativeConfigContext;
const writer = createClaudeCodeNativeConfig();

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-claude-setup-'));
  context = {
    profile: 'worker',
    settings: {},
    env: { CLAUDE_CONFIG_DIR: directory },
    cwd: directory,
    runtimeVersion: '2.1.330',
  };
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('baton setup claude-code', () => {
  it('plans a starter settings file when the profile has none', async () => {
    expect(STARTER_SETTINGS).toBe(
      '{\n  "$schema": "https://json.schemastore.org/claude-code-settings.json"\n}\n',
    );
    expect(await writer.plan(context)).toEqual([
      {
        path: join(directory, 'baton-worker.settings.json'),
        before: null,
        after: STARTER_SETTINGS,
        ownedKeys: ['$schema'],
      },
    ]);
  });

  it('leaves an existing file alone: its content belongs to the user', async () => {
    writeFileSync(join(directory, 'baton-worker.settings.json'), '{"model":"sonnet"}\n');
    expect(await writer.plan(context)).toEqual([]);
    expect(await writer.planRevert(context)).toEqual([]);
  });

  it('reverts by removing the file only while it is still the starter', async () => {
    expect(await writer.planRevert(context)).toEqual([]);
    writeFileSync(join(directory, 'baton-worker.settings.json'), STARTER_SETTINGS);
    expect(await writer.planRevert(context)).toEqual([
      {
        path: join(directory, 'baton-worker.settings.json'),
        before: STARTER_SETTINGS,
        after: null,
        ownedKeys: ['$schema'],
      },
    ]);
  });
});
