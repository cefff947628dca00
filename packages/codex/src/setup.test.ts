import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type NativeConfigChange, type NativeConfigContext } from '@baton/core';
import { applyFileChange, formatTomlValue } from '@baton/core/native-config';
import { setupRunner } from '@baton/core/testing';
import {
  addedLines,
  isSubsequence,
  onlyCrlf,
  readConfigValue,
  userTomlFile,
  withoutKeys,
} from '@baton/core/testing/config-files';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createCodexNativeConfig,
  ownedKeyNames,
  ownedProfileValues,
  profileHeader,
  profileSkeleton,
} from './setup.js';

const RUNS = { numRuns: 120 };
const HEADER = profileHeader('worker');
const writer = createCodexNativeConfig();
let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'baton-codex-setup-'));
});

afterEach(() => {
  chmodSync(home, 0o755);
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

const profilePath = () => join(home, 'baton-worker.config.toml');
const configPath = () => join(home, 'config.toml');

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

const GATEWAY = {
  model: 'profiled-model',
  baseUrl: 'http://127.0.0.1:4000/v1',
  apiKeyEnv: 'GATEWAY_KEY',
};

describe('baton setup codex: the profile file', () => {
  it('creates $CODEX_HOME/baton-worker.config.toml with the managed line and the owned keys', async () => {
    const changes = await writer.plan(context({ settings: GATEWAY }));
    expect(changes).toEqual([
      {
        path: profilePath(),
        before: null,
        after:
          '# managed by baton: codex profile baton-worker — baton setup codex owns only the keys it writes here; edit anything else freely\n' +
          'model = "profiled-model"\n' +
          'model_provider = "baton"\n' +
          '\n' +
          '# managed by baton: [model_providers.baton] — edit outside this block freely\n' +
          '[model_providers.baton]\n' +
          'name = "Baton gateway"\n' +
          'base_url = "http://127.0.0.1:4000/v1"\n' +
          'env_key = "GATEWAY_KEY"\n' +
          'wire_api = "responses"\n',
        ownedKeys: [
          'model',
          'model_provider',
          'model_providers.baton.name',
          'model_providers.baton.base_url',
          'model_providers.baton.env_key',
          'model_providers.baton.wire_api',
        ],
        createDirectories: true,
      },
    ]);
  });

  it('creates a file holding only the managed line when nothing is configured', async () => {
    const [change] = await writer.plan(context({ settings: {} }));
    expect(change).toMatchObject({ before: null, after: `${HEADER}\n`, ownedKeys: [] });
  });

  it('sets the owned keys in a file the user wrote, changing nothing else', async () => {
    const original =
      '# my profile\r\nmodel = "old"  # keep this comment\r\napproval_policy = "never"\r\n\r\n[mcp_servers.docs]\r\ncommand = "docs"\r\n';
    writeFileSync(profilePath(), original);
    const [change] = await writer.plan(context());
    expect(change!.after).toBe(
      '# my profile\r\nmodel = "gpt-5.5"  # keep this comment\r\napproval_policy = "never"\r\n\r\n[mcp_servers.docs]\r\ncommand = "docs"\r\n',
    );
    chmodSync(profilePath(), 0o640);
    await apply([change!]);
    expect(statSync(profilePath()).mode & 0o777).toBe(0o640);
    const [again] = await writer.plan(context());
    expect(again!.after).toBe(again!.before);
  });

  it('plans an unchanged file on a rerun and applying it leaves bytes and mtime alone', async () => {
    await apply(await writer.plan(context({ settings: GATEWAY })));
    const before = statSync(profilePath(), { bigint: true });
    const rerun = await writer.plan(context({ settings: GATEWAY }));
    expect(rerun).toHaveLength(1);
    expect(rerun[0]!.after).toBe(rerun[0]!.before);
    expect(await apply(rerun)).toEqual([false]);
    const after = statSync(profilePath(), { bigint: true });
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ino).toBe(before.ino);
  });

  it('reverts a file it created by deleting it, and only its own keys from a user file', async () => {
    await apply(await writer.plan(context({ settings: GATEWAY })));
    const revert = await writer.planRevert(context({ settings: GATEWAY }));
    expect(revert).toMatchObject([{ path: profilePath(), after: null }]);
    await apply(revert);
    expect(() => statSync(profilePath())).toThrow(/ENOENT/);
    expect(await writer.planRevert(context({ settings: GATEWAY }))).toEqual([]);

    writeFileSync(profilePath(), `${HEADER}\nsandbox_mode = "read-only"\n`);
    await apply(await writer.plan(context({ settings: GATEWAY })));
    await apply(await writer.planRevert(context({ settings: GATEWAY })));
    expect(readFileSync(profilePath(), 'utf8')).toBe(`${HEADER}\nsandbox_mode = "read-only"\n`);
  });

  it('keeps keys the user added inside Baton’s provider table on setup and revert', async () => {
    await apply(await writer.plan(context({ settings: GATEWAY })));
    const withExtra = readFileSync(profilePath(), 'utf8').replace(
      'wire_api = "responses"\n',
      'wire_api = "responses"\nrequest_max_retries = 7\n',
    );
    writeFileSync(profilePath(), withExtra);
    const changed = await writer.plan(context({ settings: { ...GATEWAY, model: 'other' } }));
    expect(changed[0]!.after).toBe(withExtra.replace('"profiled-model"', '"other"'));
    await apply(changed);
    await apply(await writer.planRevert(context({ settings: { ...GATEWAY, model: 'other' } })));
    expect(readFileSync(profilePath(), 'utf8')).toBe(
      `${HEADER}\n\n# managed by baton: [model_providers.baton] — edit outside this block freely\n[model_providers.baton]\nrequest_max_retries = 7\n`,
    );
  });
});

describe('baton setup codex: revert gives back the tables the user wrote', () => {
  const SHAPES = [
    // `[agents]` with nothing under it, for Baton's table and for its parent.
    '[model_providers.baton]\n',
    '# mine\r\n[model_providers.baton]\r\n# to fill in\r\n',
    '[model_providers]\n',
    '\uFEFF[model_providers.baton]',
    // `x = {}` inline tables, the dotted-key spelling of one, and one in a table.
    'model_providers = {}\n',
    'model_providers = { }  # later\n',
    'model_providers.baton = {}\n',
    '[model_providers]\nbaton = {}\nother = { name = "o" }\n',
    'model_providers = { other = { name = "o" } }\n',
    // A file that was empty.
    '',
  ];

  it('setup, rerun and revert give back the original bytes for every shape', async () => {
    const run = setupRunner(writer, join(home, 'state'));
    for (const original of SHAPES) {
      writeFileSync(profilePath(), original);
      const ctx = context({ settings: GATEWAY });
      await run.setup(ctx);
      const value = readConfigValue('toml', readFileSync(profilePath(), 'utf8')) as {
        model_providers: Record<string, unknown>;
      };
      expect(value.model_providers.baton).toMatchObject({ base_url: GATEWAY.baseUrl });
      const rerun = await run.plan(ctx);
      expect(rerun[0]!.after).toBe(rerun[0]!.before);
      await run.revert(ctx);
      expect(readFileSync(profilePath(), 'utf8')).toBe(original);
      expect(readConfigValue('toml', readFileSync(profilePath(), 'utf8'))).toEqual(
        readConfigValue('toml', original),
      );
    }
  });

  it('deletes a file it created and keeps the record of a file across reruns and model changes', async () => {
    const run = setupRunner(writer, join(home, 'state'));
    rmSync(profilePath(), { force: true });
    await run.setup(context({ settings: GATEWAY }));
    await run.setup(context({ settings: { ...GATEWAY, model: 'other-model' } }));
    expect(await run.originals.read(profilePath())).toBeNull();
    await run.revert(context({ settings: { ...GATEWAY, model: 'other-model' } }));
    expect(() => statSync(profilePath())).toThrow(/ENOENT/);

    writeFileSync(profilePath(), 'model_providers = {}\n');
    await run.setup(context({ settings: GATEWAY }));
    await run.setup(context({ settings: { ...GATEWAY, model: 'other-model' } }));
    expect(await run.originals.read(profilePath())).toBe('model_providers = {}\n');
    await run.revert(context({ settings: { ...GATEWAY, model: 'other-model' } }));
    expect(readFileSync(profilePath(), 'utf8')).toBe('model_providers = {}\n');
  });
});

const settingsArbitrary = fc.record(
  {
    model: fc.oneof(
      fc.constantFrom('gpt-5.5', 'profiled-model', 'o3 "quoted" \\ ü', 'modèle-ß'),
      fc.string({ minLength: 1, maxLength: 300 }).filter((value) => !/[\r\n]/.test(value)),
    ),
    baseUrl: fc.constantFrom('http://127.0.0.1:4000/v1', 'https://gateway.example/v1?x="y"'),
    apiKeyEnv: fc.constantFrom('GATEWAY_KEY', 'OPENAI_API_KEY'),
  },
  { requiredKeys: [] },
);

/** The lines setup adds to a file whose Baton table (if any) is written with a header. */
function expectedAddedLines(
  settings: Record<string, string>,
  crlf: boolean,
  tableExists: boolean,
): string[] {
  const values = ownedProfileValues(settings);
  const format = (value: string) => formatTomlValue(value, !crlf);
  const lines = Object.entries(values.topLevel).map(
    ([key, value]) => `${key} = ${format(value as string)}`,
  );
  if (values.provider !== undefined) {
    if (!tableExists) {
      lines.push(
        '# managed by baton: [model_providers.baton] — edit outside this block freely',
        '[model_providers.baton]',
      );
    }
    lines.push(
      ...Object.entries(values.provider).map(
        ([key, value]) => `${key} = ${format(value as string)}`,
      ),
    );
  }
  return lines;
}

/** Codex profile files, with Baton's provider table (or its parent) in every shape. */
const USER_FILE = userTomlFile({
  table: {
    path: ['model_providers', 'baton'],
    userKeys: ['request_max_retries', 'stream_idle_timeout_ms', 'http_headers'],
  },
});

const OWNED_PATHS = [
  ['model'],
  ['model_provider'],
  ...['name', 'base_url', 'env_key', 'wire_api'].map((key) => ['model_providers', 'baton', key]),
];

describe('baton setup codex: properties over generated user files', () => {
  it('changes no byte Baton does not own, reruns as a byte and mtime no-op, and reverts to the original bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        USER_FILE,
        settingsArbitrary,
        async ({ text: original, inline }, settings) => {
          rmSync(profilePath(), { force: true });
          rmSync(join(home, 'state'), { recursive: true, force: true });
          writeFileSync(profilePath(), original);
          const runner = setupRunner(writer, join(home, 'state'));
          const ctx = context({ settings });
          const [change] = await runner.plan(ctx);
          expect(change!.before).toBe(original);
          const after = change!.after!;
          expect(after.startsWith('\uFEFF')).toBe(original.startsWith('\uFEFF'));
          const crlf = original.includes('\r\n');
          if (crlf) expect(onlyCrlf(after)).toBe(onlyCrlf(original));
          // Nothing but Baton's keys changed, whatever shape its table had.
          const value = readConfigValue('toml', after) as Record<string, unknown>;
          expect(withoutKeys(value, OWNED_PATHS)).toEqual(
            withoutKeys(readConfigValue('toml', original), OWNED_PATHS),
          );
          const owned = ownedProfileValues(settings);
          expect(value).toMatchObject(owned.topLevel);
          if (owned.provider !== undefined) {
            expect((value.model_providers as Record<string, unknown>).baton).toMatchObject(
              owned.provider,
            );
          }
          if (inline) {
            // An inline table is edited on its line: every character of the file stays, in order.
            expect(isSubsequence(original, after)).toBe(true);
          } else {
            const added = addedLines(original, after);
            expect(added, 'every line of the user file is kept, in order').toBeDefined();
            const before = readConfigValue('toml', original) as {
              model_providers?: Record<string, unknown>;
            };
            // Inserted keys take the indentation of the keys around them.
            expect(added!.filter((line) => line !== '').map((line) => line.trimStart())).toEqual(
              expectedAddedLines(settings, crlf, before.model_providers?.baton !== undefined),
            );
            expect(added!.filter((line) => line === '').length).toBeLessThanOrEqual(2);
          }
          expect(change!.ownedKeys).toEqual(ownedKeyNames(owned));

          await runner.apply([change!]);
          const written = statSync(profilePath(), { bigint: true });
          const rerun = await runner.plan(ctx);
          expect(rerun[0]!.after).toBe(after);
          expect(rerun[0]!.before).toBe(after);
          expect(await runner.apply(rerun)).toEqual([{ changed: false }]);
          expect(statSync(profilePath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);

          const revert = await runner.planRevert(ctx);
          expect(revert[0]!.after).toBe(original);
          await runner.apply(revert, true);
          expect(readFileSync(profilePath(), 'utf8')).toBe(original);
          expect(await runner.originals.read(profilePath())).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it('creates, reruns and reverts to nothing for every setting', async () => {
    await fc.assert(
      fc.asyncProperty(settingsArbitrary, async (settings) => {
        rmSync(profilePath(), { force: true });
        const runner = setupRunner(writer, join(home, 'state'));
        const ctx = context({ settings });
        const changes = await runner.setup(ctx);
        expect(changes[0]!.after!.startsWith(profileSkeleton('worker'))).toBe(true);
        expect((await runner.plan(ctx))[0]!.after).toBe(changes[0]!.after);
        await runner.revert(ctx);
        expect(() => statSync(profilePath())).toThrow(/ENOENT/);
      }),
      { numRuns: 40 },
    );
  });
});

describe('baton setup codex: refusals that lose nothing', () => {
  it('refuses a malformed profile file, saying where it is broken', async () => {
    writeFileSync(profilePath(), 'approval_policy = "never"\n[broken\nmodel = 1\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(
      new RegExp(
        `^${profilePath().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid TOML at line 2, column \\d+: .*Fix it by hand and rerun; nothing was changed\\.$`,
      ),
    );
    expect(readFileSync(profilePath(), 'utf8')).toBe(
      'approval_policy = "never"\n[broken\nmodel = 1\n',
    );
  });

  it('detects a scalar where Baton needs a table before writing anything', async () => {
    writeFileSync(profilePath(), 'model_providers = "mine"\n');
    const error = await rejection(writer.plan(context({ settings: GATEWAY })));
    expect(error.message).toBe(
      `${profilePath()}: \`model_providers\` is a string (line 1), but Baton needs a table there to write [model_providers.baton]. Rename or remove it by hand and rerun. Nothing was changed.`,
    );
  });

  it('refuses a symlinked profile file', async () => {
    writeFileSync(join(home, 'real.toml'), 'model = "x"\n');
    symlinkSync(join(home, 'real.toml'), profilePath());
    const error = await rejection(writer.plan(context()));
    expect(error.message).toContain('is a symbolic link; Baton does not write through symlinks');
    expect(readFileSync(join(home, 'real.toml'), 'utf8')).toBe('model = "x"\n');
  });

  it('detects a file another program changed between plan and write', async () => {
    writeFileSync(profilePath(), 'model = "old"\n');
    const changes = await writer.plan(context());
    writeFileSync(profilePath(), 'model = "theirs"\nsandbox_mode = "read-only"\n');
    const error = await rejection(apply(changes));
    expect(error.message).toContain('changed since Baton read it');
    expect(readFileSync(profilePath(), 'utf8')).toBe(
      'model = "theirs"\nsandbox_mode = "read-only"\n',
    );
  });

  it('never corrupts the file when two setups race', async () => {
    writeFileSync(profilePath(), '# mine\nsandbox_mode = "read-only"\n');
    const [first, second] = await Promise.all([
      writer.plan(context({ settings: { model: 'one' } })),
      writer.plan(context({ settings: { model: 'two' } })),
    ]);
    const outcomes = await Promise.allSettled([apply(first!), apply(second!)]);
    const written = readFileSync(profilePath(), 'utf8');
    expect([
      '# mine\nsandbox_mode = "read-only"\nmodel = "one"\n',
      '# mine\nsandbox_mode = "read-only"\nmodel = "two"\n',
    ]).toContain(written);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });

  it('fails clearly where it cannot write, leaving nothing behind', async () => {
    const blocker = join(home, 'not-a-directory');
    writeFileSync(blocker, 'keep');
    const changes = await writer.plan(context({ env: { CODEX_HOME: join(blocker, 'codex') } }));
    const error = await rejection(apply(changes));
    expect(error.message).toMatch(/a parent of it is not a directory\. Nothing was changed\.$/);
    expect(readFileSync(blocker, 'utf8')).toBe('keep');
  });

  it('refuses Codex versions that read [profiles.*] tables', async () => {
    const error = await rejection(writer.plan(context({ runtimeVersion: '0.120.0' })));
    expect(error.message).toMatch(
      /^Codex 0\.120\.0 reads profiles from \[profiles\.baton-worker\]/,
    );
  });

  it('notes an unknown version and writes the current layout', async () => {
    const [change] = await writer.plan(context({ runtimeVersion: null }));
    expect(change!.notes).toEqual([
      'The installed Codex version is unknown (is codex on PATH?); Baton wrote the profile layout of Codex >= 0.134.0.',
    ]);
  });
});

describe('baton setup codex: the legacy [profiles.baton-worker] layout', () => {
  const LEGACY =
    '# my codex config\nmodel = "gpt-5"\nprofile = "baton-worker"\n\n[profiles.baton-worker]\nmodel = "legacy-model"  # chosen by hand\napproval_policy = "never"\n\n[profiles.baton-worker.sandbox_workspace_write]\nnetwork_access = true\n\n[mcp_servers.docs]\ncommand = "docs"\n';

  it('explains the legacy layout and offers --migrate, writing nothing', async () => {
    writeFileSync(configPath(), LEGACY);
    const error = await rejection(writer.plan(context()));
    expect(error.message).toBe(
      `${configPath()} still defines the profile baton-worker the old way: \`[profiles.baton-worker]\` (lines 5–7), \`[profiles.baton-worker.sandbox_workspace_write]\` (lines 9–10), \`profile = "baton-worker"\` (line 3). Codex >= 0.134.0 refuses \`--profile baton-worker\` while it is there. Rerun with --migrate to move those settings into ${profilePath()} (every other byte of config.toml stays as it is), or move them by hand. Nothing was changed.`,
    );
    expect(error.details).toMatchObject({ reason: 'legacy-profile', path: configPath() });
  });

  it('--migrate moves the table into the profile file and removes exactly its lines', async () => {
    writeFileSync(configPath(), LEGACY);
    const changes = await writer.plan(context({ migrate: true }));
    expect(changes.map((change) => [change.path, change.before, change.after])).toEqual([
      [
        profilePath(),
        null,
        `${HEADER}\nmodel = "gpt-5.5"  # chosen by hand\napproval_policy = "never"\n\n[sandbox_workspace_write]\nnetwork_access = true\n`,
      ],
      [
        configPath(),
        LEGACY,
        // The blank lines that separated the removed tables stay: they are not the table's.
        '# my codex config\nmodel = "gpt-5"\n\n\n\n[mcp_servers.docs]\ncommand = "docs"\n',
      ],
    ]);
    await apply(changes);
    const rerun = await writer.plan(context());
    expect(rerun.map((change) => change.after === change.before)).toEqual([true]);
  });

  it('--migrate keeps every other byte of generated config.toml files', async () => {
    const legacyLines = fc.uniqueArray(
      fc.constantFrom(
        'model = "legacy"',
        'approval_policy = "never" # by hand',
        '  sandbox_mode = "read-only"',
        '# a comment about the profile',
        'developer_instructions = """\n[not.a.table]\nmodel = "no"\n"""',
      ),
      {
        maxLength: 4,
        selector: (line) =>
          line
            .replace(/ *#.*$/, '')
            .split('=')[0]!
            .trim(),
      },
    );
    await fc.assert(
      fc.asyncProperty(USER_FILE, legacyLines, async ({ text: source }, lines) => {
        rmSync(profilePath(), { force: true });
        const eol = source.includes('\r\n') ? '\r\n' : '\n';
        const body = source === '' || source.endsWith('\n') ? source : source + eol;
        const original = `${body}[profiles.baton-worker]${eol}${lines.map((line) => line.replace(/\n/g, eol) + eol).join('')}`;
        writeFileSync(configPath(), original);
        const changes = await writer.plan(context({ migrate: true }));
        expect(changes.map((change) => change.path)).toEqual([profilePath(), configPath()]);
        expect(changes[1]!.after).toBe(body);
        await apply(changes);
        expect(readFileSync(configPath(), 'utf8')).toBe(body);
        const rerun = await writer.plan(context());
        expect(rerun[0]!.after).toBe(rerun[0]!.before);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses to merge a legacy table into a profile file that has settings of its own', async () => {
    writeFileSync(configPath(), LEGACY);
    writeFileSync(profilePath(), 'approval_policy = "on-request"\n');
    const error = await rejection(writer.plan(context({ migrate: true })));
    expect(error.message).toMatch(/^Both .* hold settings; Baton will not merge them\./);
    expect(readFileSync(configPath(), 'utf8')).toBe(LEGACY);
  });

  it('refuses a selector for a profile that is not Baton’s, naming its line', async () => {
    writeFileSync(configPath(), 'model = "a"\nprofile = "fast"\n[profiles.fast]\nmodel = "b"\n');
    const error = await rejection(writer.plan(context({ migrate: true })));
    expect(error.message).toMatch(
      new RegExp(
        `^${configPath().replace(/[.]/g, '\\.')}:2 has \`profile = "fast"\`, a profile selector`,
      ),
    );
  });

  it('tolerates [profiles.*] tables of other names', async () => {
    writeFileSync(configPath(), '[profiles.fast]\nmodel = "b"\n');
    const [change] = await writer.plan(context());
    expect(change!.path).toBe(profilePath());
  });

  it('refuses a malformed config.toml, saying where', async () => {
    writeFileSync(configPath(), 'model = \n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(/config\.toml is not valid TOML at line 1/);
  });
});

describe('baton setup codex: profile names', () => {
  it('refuses a profile name Codex would refuse', async () => {
    mkdirSync(join(home, 'x'));
    const error = await rejection(writer.plan(context({ profile: 'a/b' })));
    expect(error.message).toBe(
      '"baton-a/b" is not a valid Codex profile name (letters, digits, "-" and "_" only); choose another backend profile.',
    );
  });
});
