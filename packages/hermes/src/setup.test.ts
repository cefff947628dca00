import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type NativeConfigChange, type NativeConfigContext } from '@baton/core';
import { applyFileChange } from '@baton/core/native-config';
import { setupRunner } from '@baton/core/testing';
import { readConfigValue, withoutKeys } from '@baton/core/testing/config-files';
import { addedLines, openEmptyValues, userYamlFile } from '@baton/core/testing/yaml-files';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { profileCheck } from './doctor.js';
import { configHeader, hermesNativeConfig, ownedConfigValues } from './setup.js';

const HEADER = configHeader('worker');
const writer = hermesNativeConfig;
let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'baton-hermes-setup-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function context(overrides: Partial<NativeConfigContext> = {}): NativeConfigContext {
  return {
    profile: 'worker',
    settings: {},
    env: { HERMES_HOME: home },
    cwd: home,
    runtimeVersion: '0.21.3',
    ...overrides,
  };
}

const profileDirectory = () => join(home, 'profiles', 'baton-worker');
const configPath = () => join(profileDirectory(), 'config.yaml');

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
    // What `baton setup --revert` does after deleting the file.
    if (change.after === null) {
      for (const directory of change.removeEmptyDirectories ?? [])
        await rmdir(directory).catch(() => undefined);
    }
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

const GATEWAY = {
  model: 'stub-model',
  baseUrl: 'http://127.0.0.1:4000/v1/',
  apiKeyEnv: 'GATEWAY_KEY',
};

function doctorProfile() {
  const check = profileCheck();
  return check.run({
    settings: {},
    profile: 'worker',
    env: { HERMES_HOME: home },
    cwd: home,
    stages: ['reflect'],
    signal: new AbortController().signal,
    results: {},
  });
}

describe('baton setup hermes', () => {
  it('creates the profile directory and its config.yaml with the owned keys', async () => {
    const changes = await writer.plan(context({ settings: GATEWAY }));
    expect(changes).toEqual([
      {
        path: configPath(),
        before: null,
        after: `${HEADER}\nagent:\n  api_max_retries: 0\nmodel:\n  default: stub-model\n  provider: custom:baton\nproviders:\n  baton:\n    api: http://127.0.0.1:4000/v1\n    transport: chat_completions\n    key_env: GATEWAY_KEY\n`,
        ownedKeys: [
          'agent.api_max_retries',
          'model.default',
          'model.provider',
          'providers.baton.api',
          'providers.baton.transport',
          'providers.baton.key_env',
        ],
        mode: 0o600,
        createDirectories: true,
      },
    ]);
  });

  it("turns doctor's profile check from fail to pass", async () => {
    expect((await doctorProfile()).status).toBe('fail');
    await apply(await writer.plan(context()));
    expect(await doctorProfile()).toEqual({
      status: 'pass',
      summary: `Hermes profile baton-worker at ${profileDirectory()}`,
    });
    expect(statSync(configPath()).mode & 0o777).toBe(0o600);
  });

  it('edits a profile the user made, keeping every other byte', async () => {
    mkdirSync(profileDirectory(), { recursive: true });
    const original =
      '# made with hermes profile create\r\nmodel:\r\n    default: anthropic/claude  # mine\r\n    context_length: 200000\r\nmcp_servers:\r\n    docs: {command: docs}\r\n';
    writeFileSync(configPath(), original);
    const [change] = await writer.plan(context({ settings: { model: 'stub-model' } }));
    expect(change!.after).toBe(
      '# made with hermes profile create\r\nmodel:\r\n    default: stub-model  # mine\r\n    context_length: 200000\r\nmcp_servers:\r\n    docs: {command: docs}\r\nagent:\r\n    api_max_retries: 0\r\n',
    );
  });

  it('reruns as a byte and mtime no-op', async () => {
    await apply(await writer.plan(context({ settings: GATEWAY })));
    const written = statSync(configPath(), { bigint: true });
    const rerun = await writer.plan(context({ settings: GATEWAY }));
    expect(rerun[0]!.after).toBe(rerun[0]!.before);
    expect(await apply(rerun)).toEqual([false]);
    expect(statSync(configPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);
  });

  it('reverts a profile it created: the file, then the empty directory', async () => {
    await apply(await writer.plan(context({ settings: GATEWAY })));
    const revert = await writer.planRevert(context({ settings: GATEWAY }));
    expect(revert).toEqual([
      {
        path: configPath(),
        before: expect.any(String),
        after: null,
        ownedKeys: expect.any(Array),
        removeEmptyDirectories: [profileDirectory()],
      },
    ]);
    await apply(revert);
    expect(existsSync(profileDirectory())).toBe(false);
    expect(existsSync(join(home, 'profiles'))).toBe(true);
    expect(await writer.planRevert(context())).toEqual([]);
  });

  it('keeps the directory and the user’s keys when they added to a profile Baton created', async () => {
    await apply(await writer.plan(context()));
    writeFileSync(join(profileDirectory(), 'SOUL.md'), 'You are helpful.\n');
    writeFileSync(configPath(), `${readFileSync(configPath(), 'utf8')}terminal:\n  cwd: /srv\n`);
    await apply(await writer.planRevert(context()));
    expect(readFileSync(configPath(), 'utf8')).toBe(`${HEADER}\nterminal:\n  cwd: /srv\n`);
    expect(readFileSync(join(profileDirectory(), 'SOUL.md'), 'utf8')).toBe('You are helpful.\n');
  });
});

describe('baton setup hermes: revert gives back the mappings the user wrote', () => {
  const SHAPES = [
    'agent: {}\n',
    'agent:\n',
    'agent: {}  # defaults for now\nagents: {}\n',
    'agent: ~\r\nmodel: {}\r\nproviders:\r\n',
    'providers:\n  baton: {}\n  openrouter:\n    api: https://openrouter.ai/api/v1\n',
    'model:\n  # chosen per task\nagent:\n  max_turns: 30\n',
    '\uFEFF---\nagent: {}',
    '',
  ];

  it('setup, rerun and revert give back the original bytes for every shape', async () => {
    const run = setupRunner(writer, join(home, 'state'));
    mkdirSync(profileDirectory(), { recursive: true });
    for (const original of SHAPES) {
      writeFileSync(configPath(), original);
      const ctx = context({ settings: GATEWAY });
      await run.setup(ctx);
      const value = readConfigValue('yaml', readFileSync(configPath(), 'utf8')) as {
        agent: Record<string, unknown>;
        providers: Record<string, unknown>;
      };
      expect(value.agent.api_max_retries).toBe(0);
      expect(value.providers.baton).toMatchObject({ transport: 'chat_completions' });
      const rerun = await run.plan(ctx);
      expect(rerun[0]!.after).toBe(rerun[0]!.before);
      await run.revert(ctx);
      expect(readFileSync(configPath(), 'utf8')).toBe(original);
      expect(readConfigValue('yaml', readFileSync(configPath(), 'utf8'))).toEqual(
        readConfigValue('yaml', original),
      );
    }
    expect(existsSync(profileDirectory())).toBe(true);
  });

  it('deletes a profile it created, across reruns with other settings', async () => {
    const run = setupRunner(writer, join(home, 'state'));
    await run.setup(context());
    await run.setup(context({ settings: GATEWAY }));
    await run.revert(context({ settings: GATEWAY }));
    expect(existsSync(profileDirectory())).toBe(false);
    expect(await run.originals.read(configPath())).toBeUndefined();
  });
});

const settingsArbitrary = fc.record(
  {
    model: fc.oneof(
      fc.constantFrom('stub-model', 'anthropic/claude-sonnet', 'yes', 'a: b', '#hash', '日本'),
      fc.string({ minLength: 1, maxLength: 200 }),
    ),
    baseUrl: fc.constantFrom('http://127.0.0.1:4000/v1', 'https://gateway.example/v1/'),
    apiKeyEnv: fc.constantFrom('GATEWAY_KEY', 'OPENAI_API_KEY'),
  },
  { requiredKeys: [] },
);

/** Profile config files, with `agent`, `model`, `providers` and `providers.baton` in every shape. */
const USER_FILE = userYamlFile({
  mappings: {
    agent: ['max_turns', 'reasoning_effort'],
    model: ['context_length', 'max_tokens'],
    providers: ['openrouter', 'local'],
  },
  nested: { path: ['providers', 'baton'], userKeys: ['name', 'discover_models'] },
});

const PARENTS = new Set(['agent:', 'model:', 'providers:', 'baton:']);

describe('baton setup hermes: properties over generated user files', () => {
  it('changes no byte Baton does not own, reruns as a no-op, and reverts to the original bytes', async () => {
    await fc.assert(
      fc.asyncProperty(USER_FILE, settingsArbitrary, async (original, settings) => {
        rmSync(profileDirectory(), { recursive: true, force: true });
        rmSync(join(home, 'state'), { recursive: true, force: true });
        mkdirSync(profileDirectory(), { recursive: true });
        writeFileSync(configPath(), original);
        const runner = setupRunner(writer, join(home, 'state'));
        const ctx = context({ settings });
        const [change] = await runner.plan(ctx);
        const after = change!.after!;
        const owned = ownedConfigValues(settings);
        // The mappings Baton fills lose their empty `{}` / `~`; every other line is kept.
        const filled = [...new Set(owned.flatMap((entry) => entry.path.slice(0, -1)))];
        const added = addedLines(openEmptyValues(original, filled), after);
        expect(added, 'every line of the user file is kept, in order').toBeDefined();
        const leaves = added!
          .map((line) => line.trim())
          .filter((line) => line !== '' && !PARENTS.has(line));
        // Keys land inside their existing parents, so their order follows the file's.
        expect(leaves.map((line) => line.slice(0, line.indexOf(':'))).sort()).toEqual(
          owned.map((entry) => entry.path.at(-1)).sort(),
        );
        const paths = owned.map((entry) => entry.path);
        expect(withoutKeys(readConfigValue('yaml', after), paths)).toEqual(
          withoutKeys(readConfigValue('yaml', original), paths),
        );
        if (original.includes('\r\n')) expect(/(^|[^\r])\n/.test(after)).toBe(false);

        await runner.apply([change!]);
        const written = statSync(configPath(), { bigint: true });
        const rerun = await runner.plan(ctx);
        expect(rerun[0]!.after).toBe(after);
        expect(await runner.apply(rerun)).toEqual([{ changed: false }]);
        expect(statSync(configPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);

        const revert = await runner.planRevert(ctx);
        expect(revert[0]!.after).toBe(original);
        await runner.apply(revert, true);
        expect(readFileSync(configPath(), 'utf8')).toBe(original);
      }),
      { numRuns: 120 },
    );
  });
});

describe('baton setup hermes: refusals that lose nothing', () => {
  it('refuses malformed YAML, saying where', async () => {
    mkdirSync(profileDirectory(), { recursive: true });
    writeFileSync(configPath(), 'model:\n  default: [unclosed\nagent: 1\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(
      /config\.yaml is not valid YAML at line \d+, column \d+: .*Fix it by hand and rerun; nothing was changed\.$/,
    );
    expect(readFileSync(configPath(), 'utf8')).toBe('model:\n  default: [unclosed\nagent: 1\n');
  });

  it('detects a scalar where a mapping is needed, before writing', async () => {
    mkdirSync(profileDirectory(), { recursive: true });
    writeFileSync(configPath(), 'model: anthropic/claude\n');
    const error = await rejection(writer.plan(context({ settings: { model: 'x' } })));
    expect(error.message).toBe(
      `${configPath()}: \`model\` is a scalar at line 1, but Baton needs a mapping there. Change it by hand and rerun. Nothing was changed.`,
    );
  });

  it('refuses a symlinked config.yaml', async () => {
    mkdirSync(profileDirectory(), { recursive: true });
    writeFileSync(join(home, 'elsewhere.yaml'), 'a: 1\n');
    symlinkSync(join(home, 'elsewhere.yaml'), configPath());
    const error = await rejection(writer.plan(context()));
    expect(error.message).toContain('is a symbolic link');
    expect(readFileSync(join(home, 'elsewhere.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it('detects a file changed between plan and write', async () => {
    mkdirSync(profileDirectory(), { recursive: true });
    writeFileSync(configPath(), 'a: 1\n');
    const changes = await writer.plan(context());
    writeFileSync(configPath(), 'a: 2\n');
    await rejection(apply(changes));
    expect(readFileSync(configPath(), 'utf8')).toBe('a: 2\n');
  });

  it('never corrupts the file when two setups race', async () => {
    const [first, second] = await Promise.all([
      writer.plan(context({ settings: { model: 'one' } })),
      writer.plan(context({ settings: { model: 'two' } })),
    ]);
    const outcomes = await Promise.allSettled([apply(first!), apply(second!)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect([first![0]!.after, second![0]!.after]).toContain(readFileSync(configPath(), 'utf8'));
  });

  it('fails clearly where it cannot write', async () => {
    writeFileSync(join(home, 'blocker'), 'keep');
    const changes = await writer.plan(
      context({ env: { HERMES_HOME: join(home, 'blocker', 'hermes') } }),
    );
    const error = await rejection(apply(changes));
    expect(error.message).toMatch(/a parent of it is not a directory\. Nothing was changed\.$/);
  });
});
