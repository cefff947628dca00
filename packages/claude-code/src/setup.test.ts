import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type NativeConfigChange, type NativeConfigContext } from '@baton/core';
import { applyFileChange } from '@baton/core/native-config';
import { setupRunner } from '@baton/core/testing';
import { isSubsequence, readConfigValue, userJsonFile } from '@baton/core/testing/config-files';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileCheck } from './doctor.js';
import { createClaudeCodeNativeConfig, SETTINGS_SCHEMA_URL, STARTER_SETTINGS } from './setup.js';

let directory: string;
const writer = createClaudeCodeNativeConfig();

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-claude-setup-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function context(overrides: Partial<NativeConfigContext> = {}): NativeConfigContext {
  return {
    profile: 'worker',
    settings: {},
    env: { CLAUDE_CONFIG_DIR: directory },
    cwd: directory,
    runtimeVersion: '2.1.330',
    ...overrides,
  };
}

const settingsPath = () => join(directory, 'baton-worker.settings.json');

async function apply(changes: readonly NativeConfigChange[]): Promise<boolean[]> {
  const results: boolean[] = [];
  for (const change of changes) {
    const result = await applyFileChange({
      path: change.path,
      expectedBefore: change.before,
      after: change.after,
      ...(change.mode === undefined ? {} : { mode: change.mode }),
      ...(change.createDirectories === undefined
        ? {}
        : { createDirectories: change.createDirectories }),
    });
    results.push(result.changed);
  }
  return results;
}

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(BatonError.isInstance(error)).toBe(true);
  expect((error as BatonError).code).toBe('NATIVE_CONFIG');
  return error as BatonError;
}

describe('baton setup claude-code', () => {
  it('creates the settings file the adapter selects, private, with $schema and the model', async () => {
    expect(STARTER_SETTINGS).toBe(
      '{\n  "$schema": "https://json.schemastore.org/claude-code-settings.json"\n}\n',
    );
    expect(await writer.plan(context())).toEqual([
      {
        path: settingsPath(),
        before: null,
        after: STARTER_SETTINGS,
        ownedKeys: ['$schema'],
        mode: 0o600,
        createDirectories: true,
      },
    ]);
    const [change] = await writer.plan(context({ settings: { model: 'sonnet' } }));
    expect(change!.after).toBe(
      '{\n  "$schema": "https://json.schemastore.org/claude-code-settings.json",\n  "model": "sonnet"\n}\n',
    );
    expect(change!.ownedKeys).toEqual(['$schema', 'model']);
    await apply([change!]);
    expect(statSync(settingsPath()).mode & 0o777).toBe(0o600);
  });

  it("turns doctor's profile check from fail to pass", async () => {
    const doctorContext = { profile: 'worker', settings: {}, env: context().env };
    expect(profileCheck(doctorContext).status).toBe('fail');
    await apply(await writer.plan(context()));
    expect(profileCheck(doctorContext)).toEqual({
      status: 'pass',
      summary: `${settingsPath()} is a valid settings file (selected with --settings)`,
    });
  });

  it('sets only its keys in a file the user wrote, keeping the rest byte for byte', async () => {
    const original =
      '{\r\n\t"model" : "opus",\r\n\t"env" : { "FOO": "bar" },\r\n\t"permissions" : {"allow": ["Bash(ls)"]}\r\n}';
    writeFileSync(settingsPath(), original);
    const [change] = await writer.plan(context({ settings: { model: 'sonnet' } }));
    expect(change!.after).toBe(
      `{\r\n\t"model" : "sonnet",\r\n\t"env" : { "FOO": "bar" },\r\n\t"permissions" : {"allow": ["Bash(ls)"]},\r\n\t"$schema": "${SETTINGS_SCHEMA_URL}"\r\n}`,
    );
  });

  it('reruns as a byte and mtime no-op', async () => {
    await apply(await writer.plan(context({ settings: { model: 'sonnet' } })));
    const written = statSync(settingsPath(), { bigint: true });
    const rerun = await writer.plan(context({ settings: { model: 'sonnet' } }));
    expect(rerun[0]!.after).toBe(rerun[0]!.before);
    expect(await apply(rerun)).toEqual([false]);
    expect(statSync(settingsPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);
  });

  it('reverts a file it created by deleting it', async () => {
    expect(await writer.planRevert(context())).toEqual([]);
    await apply(await writer.plan(context({ settings: { model: 'sonnet' } })));
    const revert = await writer.planRevert(context({ settings: { model: 'sonnet' } }));
    expect(revert).toMatchObject([{ path: settingsPath(), after: null }]);
    await apply(revert);
    expect(() => statSync(settingsPath())).toThrow(/ENOENT/);
  });

  it('keeps what the user added to a file Baton created when reverting', async () => {
    await apply(await writer.plan(context()));
    writeFileSync(
      settingsPath(),
      readFileSync(settingsPath(), 'utf8').replace('\n}', ',\n  "outputStyle": "Explanatory"\n}'),
    );
    await apply(await writer.planRevert(context()));
    expect(readFileSync(settingsPath(), 'utf8')).toBe('{\n  "outputStyle": "Explanatory"\n}\n');
  });
});

describe('baton setup claude-code: revert gives back a settings file the user had', () => {
  it('keeps a file that was exactly {} or empty (setup, rerun, revert), and deletes one it created', async () => {
    const run = setupRunner(writer, join(directory, 'state'));
    for (const original of ['{}', '{}\n', '{ }\r\n', '\uFEFF{}\n', '', '\n', null]) {
      for (const profile of ['worker', 'reviewer']) {
        const path = join(directory, `baton-${profile}.settings.json`);
        if (original === null) rmSync(path, { force: true });
        else writeFileSync(path, original);
        const ctx = context({ profile, settings: { model: 'sonnet' } });
        await run.setup(ctx);
        expect(readConfigValue('json', readFileSync(path, 'utf8'))).toEqual({
          $schema: SETTINGS_SCHEMA_URL,
          model: 'sonnet',
        });
        const rerun = await run.plan(ctx);
        expect(rerun[0]!.after).toBe(rerun[0]!.before);
      }
      for (const profile of ['reviewer', 'worker']) {
        const path = join(directory, `baton-${profile}.settings.json`);
        await run.revert(context({ profile, settings: { model: 'sonnet' } }));
        if (original === null) expect(() => statSync(path)).toThrow(/ENOENT/);
        else expect(readFileSync(path, 'utf8')).toBe(original);
        expect(await run.originals.read(path)).toBeUndefined();
      }
    }
  });
});

/** Settings files the user wrote: any JSON object (or `{}`, `{ }`, a blank file), none of Baton's keys. */
const USER_FILE = userJsonFile({
  flavor: 'json',
  objects: [{ path: [], userKeys: [] }],
  reservedKeys: ['$schema', 'model'],
});

describe('baton setup claude-code: properties over generated user files', () => {
  it('changes no byte Baton does not own, reruns as a no-op, and reverts to the original bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        USER_FILE,
        fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
        async ({ text: original, value }, model) => {
          rmSync(settingsPath(), { force: true });
          rmSync(join(directory, 'state'), { recursive: true, force: true });
          writeFileSync(settingsPath(), original);
          const runner = setupRunner(writer, join(directory, 'state'));
          const ctx = context({ settings: model === undefined ? {} : { model } });
          const [change] = await runner.plan(ctx);
          const after = change!.after!;
          expect(isSubsequence(original, after), 'every user character kept, in order').toBe(true);
          expect(JSON.parse(after.replace(/^\uFEFF/, ''))).toEqual({
            ...value,
            $schema: SETTINGS_SCHEMA_URL,
            ...(model === undefined ? {} : { model }),
          });
          if (original.includes('\r\n')) expect(/(^|[^\r])\n/.test(after)).toBe(false);

          await runner.apply([change!]);
          const written = statSync(settingsPath(), { bigint: true });
          const rerun = await runner.plan(ctx);
          expect(rerun[0]!.after).toBe(after);
          expect(await runner.apply(rerun)).toEqual([{ changed: false }]);
          expect(statSync(settingsPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);

          const revert = await runner.planRevert(ctx);
          expect(revert[0]!.after).toBe(original);
          await runner.apply(revert, true);
          expect(readFileSync(settingsPath(), 'utf8')).toBe(original);
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('baton setup claude-code: refusals that lose nothing', () => {
  it('refuses malformed JSON, saying where', async () => {
    writeFileSync(settingsPath(), '{\n  "env": {"A": "b",}\n}\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toBe(
      `${settingsPath()} is not valid JSON at line 2, column 20: property name expected. Fix it by hand and rerun; nothing was changed.`,
    );
    expect(readFileSync(settingsPath(), 'utf8')).toBe('{\n  "env": {"A": "b",}\n}\n');
  });

  it('refuses comments, which Claude Code does not read', async () => {
    writeFileSync(settingsPath(), '{\n  // mine\n  "env": {}\n}\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(/is not valid JSON at line 2, column 3: invalid comment token/);
  });

  it('refuses a settings file that is not an object', async () => {
    writeFileSync(settingsPath(), '["a"]\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toBe(
      `${settingsPath()}: the top level is not an object; Baton only edits JSON objects. Nothing was changed.`,
    );
  });

  it('refuses a symlinked settings file', async () => {
    writeFileSync(join(directory, 'real.json'), '{}\n');
    symlinkSync(join(directory, 'real.json'), settingsPath());
    const error = await rejection(writer.plan(context()));
    expect(error.message).toContain('is a symbolic link');
  });

  it('detects a file changed between plan and write', async () => {
    writeFileSync(settingsPath(), '{"env": {}}\n');
    const changes = await writer.plan(context());
    writeFileSync(settingsPath(), '{"env": {"X": "1"}}\n');
    const error = await rejection(apply(changes));
    expect(error.message).toContain('changed since Baton read it');
    expect(readFileSync(settingsPath(), 'utf8')).toBe('{"env": {"X": "1"}}\n');
  });

  it('never corrupts the file when two setups race', async () => {
    writeFileSync(settingsPath(), '{"env": {}}\n');
    const [first, second] = await Promise.all([
      writer.plan(context({ settings: { model: 'one' } })),
      writer.plan(context({ settings: { model: 'two' } })),
    ]);
    const outcomes = await Promise.allSettled([apply(first!), apply(second!)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const value = JSON.parse(readFileSync(settingsPath(), 'utf8'));
    expect(['one', 'two']).toContain(value.model);
    expect(value.env).toEqual({});
  });

  it('fails clearly where it cannot write', async () => {
    const blocker = join(directory, 'file');
    writeFileSync(blocker, 'keep');
    const changes = await writer.plan(context({ env: { CLAUDE_CONFIG_DIR: join(blocker, 'x') } }));
    const error = await rejection(apply(changes));
    expect(error.message).toMatch(/a parent of it is not a directory\. Nothing was changed\.$/);
    expect(readFileSync(blocker, 'utf8')).toBe('keep');
  });
});
