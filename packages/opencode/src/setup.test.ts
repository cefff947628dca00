import {
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
import { applyFileChange, readFrontMatter } from '@baton/core/native-config';
import { setupRunner } from '@baton/core/testing';
import {
  isSubsequence,
  readConfigValue,
  userJsonFile,
  withoutKeys,
} from '@baton/core/testing/config-files';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_PROMPT, createOpenCodeNativeConfig, ownedAgentValues } from './setup.js';

const MARKER =
  '# managed by baton: baton-worker — baton setup rewrites this file; delete this line to keep your own edits';
const DESCRIPTION = 'Baton backend profile "worker": the agent Baton runs stages with.';
let directory: string;
const writer = createOpenCodeNativeConfig();

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-opencode-setup-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function context(overrides: Partial<NativeConfigContext> = {}): NativeConfigContext {
  return {
    profile: 'worker',
    settings: {},
    env: { XDG_CONFIG_HOME: directory, HOME: directory },
    cwd: directory,
    runtimeVersion: '1.18.33',
    ...overrides,
  };
}

const agentPath = () => join(directory, 'opencode', 'agents', 'baton-worker.md');
const customPath = () => join(directory, 'custom.jsonc');
const withCustomConfig = (overrides: Partial<NativeConfigContext> = {}) =>
  context({ env: { ...context().env, OPENCODE_CONFIG: 'custom.jsonc' }, ...overrides });

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

async function rejection(promise: Promise<unknown>, code = 'NATIVE_CONFIG'): Promise<BatonError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(BatonError.isInstance(error)).toBe(true);
  expect((error as BatonError).code).toBe(code);
  return error as BatonError;
}

describe('baton setup opencode: the Markdown agent Baton owns whole', () => {
  it('plans agents/baton-worker.md in the global config directory, marked as Baton’s', async () => {
    const changes = await writer.plan(
      context({ settings: { model: 'anthropic/claude-sonnet-4-5' } }),
    );
    expect(changes).toEqual([
      {
        path: agentPath(),
        before: null,
        after: `---\n${MARKER}\ndescription: ${JSON.stringify(DESCRIPTION)}\nmode: primary\nmodel: anthropic/claude-sonnet-4-5\n---\n${AGENT_PROMPT}`,
        ownedKeys: ['(whole file)'],
        createDirectories: true,
      },
    ]);
  });

  it('writes no model OpenCode could not resolve outside Baton', async () => {
    for (const settings of [
      { model: 'gpt-4o' },
      { model: 'gpt-4o', baseUrl: 'http://127.0.0.1:4000/v1' },
      { model: 'openai/gpt-4o', baseUrl: 'http://127.0.0.1:4000/v1' },
    ]) {
      const [change] = await writer.plan(context({ settings }));
      expect(change!.after).not.toContain('model:');
    }
  });

  it('puts the agent in $OPENCODE_CONFIG_DIR/agents when that is set', async () => {
    const configDirectory = join(directory, 'elsewhere');
    const [change] = await writer.plan(
      context({ env: { ...context().env, OPENCODE_CONFIG_DIR: configDirectory } }),
    );
    expect(change!.path).toBe(join(configDirectory, 'agents', 'baton-worker.md'));
  });

  it('reruns as a byte and mtime no-op, and revert deletes exactly its own file', async () => {
    await apply(await writer.plan(context()));
    const written = readFileSync(agentPath(), 'utf8');
    const stat = statSync(agentPath(), { bigint: true });
    const rerun = await writer.plan(context());
    expect(rerun[0]!.after).toBe(rerun[0]!.before);
    expect(await apply(rerun)).toEqual([false]);
    expect(statSync(agentPath(), { bigint: true }).mtimeNs).toBe(stat.mtimeNs);
    expect(await writer.planRevert(context())).toEqual([
      { path: agentPath(), before: written, after: null, ownedKeys: ['(whole file)'] },
    ]);
  });

  it('keeps CRLF and a byte-order mark when it rewrites its own file', async () => {
    await apply(await writer.plan(context()));
    const crlf = `\uFEFF${readFileSync(agentPath(), 'utf8').replace(/\n/g, '\r\n')}`;
    writeFileSync(agentPath(), crlf);
    const [change] = await writer.plan(context({ settings: { model: 'anthropic/x' } }));
    expect(change!.after).toBe(
      `\uFEFF---\r\n${MARKER}\r\ndescription: ${JSON.stringify(DESCRIPTION)}\r\nmode: primary\r\nmodel: anthropic/x\r\n---\r\n${AGENT_PROMPT.replace('\n', '\r\n')}`,
    );
  });

  it('refuses to take over an agent file the user wrote, and revert leaves it alone', async () => {
    mkdirSync(join(directory, 'opencode', 'agents'), { recursive: true });
    writeFileSync(agentPath(), '---\nmode: primary\n---\nMy own agent.\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(/exists and is not managed by Baton/);
    expect(await writer.planRevert(context())).toEqual([
      {
        path: agentPath(),
        before: '---\nmode: primary\n---\nMy own agent.\n',
        after: '---\nmode: primary\n---\nMy own agent.\n',
        ownedKeys: [],
        notes: [expect.stringContaining('revert leaves it in place')],
      },
    ]);
    expect(readFileSync(agentPath(), 'utf8')).toBe('---\nmode: primary\n---\nMy own agent.\n');
  });

  it('renders any model and profile as front matter that reads back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }).filter((text) => !/[/\\\0]/.test(text)),
        fc.oneof(
          fc.constantFrom('anthropic/claude-x', 'openai/gpt-4o: "x"', 'a/#b', 'y/es'),
          fc.string({ maxLength: 60 }),
        ),
        async (profile, model) => {
          fc.pre(profile !== '.' && profile !== '..');
          rmSync(join(directory, 'opencode'), { recursive: true, force: true });
          const ctx = context({ profile, settings: { model } });
          const [change] = await writer.plan(ctx);
          const parsed = readFrontMatter(change!.after!);
          expect(parsed?.frontMatter).toEqual(ownedAgentValues(profile, { model }));
          expect(parsed?.body).toBe(AGENT_PROMPT);
          await apply([change!]);
          expect((await writer.plan(ctx))[0]!.after).toBe(change!.after);
          await apply(await writer.planRevert(ctx));
          expect(() => statSync(change!.path)).toThrow(/ENOENT/);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * opencode.json(c) files the user wrote: the file itself, `agent` and `agent.baton-worker`
 * missing, empty in any spelling, or holding the user's agents and settings.
 */
const USER_FILE = userJsonFile({
  flavor: 'jsonc',
  objects: [
    { path: [], userKeys: [] },
    { path: ['agent'], userKeys: ['build', 'plan', 'reviewer', 'docs'] },
    { path: ['agent', 'baton-worker'], userKeys: ['temperature', 'steps', 'color'] },
  ],
});

describe('baton setup opencode: the agent block of an opencode.json', () => {
  it('writes agent.baton-worker into the OPENCODE_CONFIG file, keeping comments and commas', async () => {
    const original =
      '{\n  // my providers\n  "provider": {"local": {"npm": "@ai-sdk/openai-compatible"}},\n  "agent": {\n    "docs": {"mode": "subagent"}, // docs helper\n  },\n}\n';
    writeFileSync(customPath(), original);
    const [change] = await writer.plan(
      withCustomConfig({ settings: { model: 'anthropic/claude-x' } }),
    );
    expect(change).toMatchObject({
      path: customPath(),
      before: original,
      ownedKeys: [
        'agent.baton-worker.description',
        'agent.baton-worker.mode',
        'agent.baton-worker.model',
      ],
    });
    expect(change!.after).toBe(
      `{\n  // my providers\n  "provider": {"local": {"npm": "@ai-sdk/openai-compatible"}},\n  "agent": {\n    "docs": {"mode": "subagent"}, // docs helper\n    "baton-worker": {\n      "description": ${JSON.stringify(DESCRIPTION)},\n      "mode": "primary",\n      "model": "anthropic/claude-x"\n    },\n  },\n}\n`,
    );
    await apply([change!]);
    await apply(
      await writer.planRevert(withCustomConfig({ settings: { model: 'anthropic/claude-x' } })),
    );
    expect(readFileSync(customPath(), 'utf8')).toBe(original);
  });

  it('creates a missing OPENCODE_CONFIG file privately, and revert deletes it', async () => {
    const [change] = await writer.plan(withCustomConfig());
    expect(change).toMatchObject({ before: null, mode: 0o600 });
    await apply([change!]);
    expect(statSync(customPath()).mode & 0o777).toBe(0o600);
    const revert = await writer.planRevert(withCustomConfig());
    expect(revert).toMatchObject([{ path: customPath(), after: null }]);
  });

  it('edits the block where the user already defined it in the global opencode.json', async () => {
    const global = join(directory, 'opencode', 'opencode.json');
    mkdirSync(join(directory, 'opencode'), { recursive: true });
    const original =
      '{\n  "agent": {\n    "baton-worker": {\n      "temperature": 0.2\n    }\n  }\n}\n';
    writeFileSync(global, original);
    const [change] = await writer.plan(context());
    expect(change!.path).toBe(global);
    expect(change!.after).toBe(
      `{\n  "agent": {\n    "baton-worker": {\n      "temperature": 0.2,\n      "description": ${JSON.stringify(DESCRIPTION)},\n      "mode": "primary"\n    }\n  }\n}\n`,
    );
    await apply([change!]);
    await apply(await writer.planRevert(context()));
    expect(readFileSync(global, 'utf8')).toBe(original);
  });

  it('changes no byte Baton does not own in generated files, reruns as a no-op, and reverts exactly', async () => {
    const owned = ['description', 'mode', 'model'].map((key) => ['agent', 'baton-worker', key]);
    await fc.assert(
      fc.asyncProperty(
        USER_FILE,
        fc.option(fc.constantFrom('anthropic/claude-x', 'openai/gpt-4o', 'local/ü model'), {
          nil: undefined,
        }),
        async ({ text: original, value }, model) => {
          rmSync(customPath(), { force: true });
          rmSync(join(directory, 'state'), { recursive: true, force: true });
          writeFileSync(customPath(), original);
          const runner = setupRunner(writer, join(directory, 'state'));
          const ctx = withCustomConfig({ settings: model === undefined ? {} : { model } });
          const [change] = await runner.plan(ctx);
          const after = change!.after!;
          expect(isSubsequence(original, after), 'every user character kept, in order').toBe(true);
          if (original.includes('\r\n')) expect(/(^|[^\r])\n/.test(after)).toBe(false);
          const written = readConfigValue('jsonc', after) as { agent: Record<string, unknown> };
          expect(written.agent['baton-worker']).toMatchObject(
            ownedAgentValues('worker', ctx.settings),
          );
          expect(withoutKeys(written, owned)).toEqual(withoutKeys(value, owned));

          await runner.apply([change!]);
          const stat = statSync(customPath(), { bigint: true });
          const rerun = await runner.plan(ctx);
          expect(rerun[0]!.after).toBe(after);
          expect(await runner.apply(rerun)).toEqual([{ changed: false }]);
          expect(statSync(customPath(), { bigint: true }).mtimeNs).toBe(stat.mtimeNs);

          const revert = await runner.planRevert(ctx);
          expect(revert[0]!.after).toBe(original);
          await runner.apply(revert, true);
          expect(readFileSync(customPath(), 'utf8')).toBe(original);
        },
      ),
      { numRuns: 120 },
    );
  });
});

/** The shape the issue reported, from a real opencode.jsonc: an empty `agent` Baton fills. */
const ISSUE_FILE = `{
  "$schema": "https://opencode.ai/config.json",
  "agent": {},
  "mcp": { "sse-read-prod": { "type": "remote", "url": "https://mcp.example.invalid/sse", "enabled": true } }
}
`;

describe('baton setup opencode: revert gives back the containers the user wrote', () => {
  const runner = () => setupRunner(writer, join(directory, 'state'));

  /** setup, rerun (a byte and mtime no-op), revert: the original bytes and value again. */
  async function roundTrip(original: string | null, profiles: readonly string[] = ['worker']) {
    if (original === null) rmSync(customPath(), { force: true });
    else writeFileSync(customPath(), original);
    const run = runner();
    for (const profile of profiles) {
      const ctx = withCustomConfig({ profile });
      await run.setup(ctx);
      const written = statSync(customPath(), { bigint: true });
      const rerun = await run.plan(ctx);
      expect(rerun[0]!.after).toBe(rerun[0]!.before);
      await run.apply(rerun);
      expect(statSync(customPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);
      const agent = (
        readConfigValue('jsonc', readFileSync(customPath(), 'utf8')) as {
          agent: Record<string, unknown>;
        }
      ).agent[`baton-${profile}`];
      expect(agent).toMatchObject({ mode: 'primary' });
    }
    return run;
  }

  it('keeps an `"agent": {}` the user wrote (the reported file), byte for byte', async () => {
    const run = await roundTrip(ISSUE_FILE);
    expect(readFileSync(customPath(), 'utf8')).toContain('"agent": {\n    "baton-worker": {');
    await run.revert(withCustomConfig());
    expect(readFileSync(customPath(), 'utf8')).toBe(ISSUE_FILE);
    expect(readConfigValue('jsonc', readFileSync(customPath(), 'utf8'))).toEqual(
      readConfigValue('jsonc', ISSUE_FILE),
    );
  });

  it('keeps an empty agent object as the last key, in any spelling, with trailing commas and comments', async () => {
    for (const original of [
      '{\n  "share": "disabled",\n  "agent": {}\n}\n',
      '{\r\n  // team config\r\n  "share": "disabled",\r\n  "agent": { },\r\n}',
      '\uFEFF{\n  "agent": {\n    // none yet\n  },\n}\n',
      '{\n\t"agent": {\n\t}\n}\n',
    ]) {
      const run = await roundTrip(original);
      await run.revert(withCustomConfig());
      expect(readFileSync(customPath(), 'utf8')).toBe(original);
    }
  });

  it('gives back a file that was exactly {} or empty, and deletes only the file it created', async () => {
    for (const original of ['{}', '{}\n', '{ }\r\n', '', '\n']) {
      const run = await roundTrip(original);
      await run.revert(withCustomConfig());
      expect(readFileSync(customPath(), 'utf8')).toBe(original);
      expect(await run.originals.read(customPath())).toBeUndefined();
    }
    const run = await roundTrip(null);
    await run.revert(withCustomConfig());
    expect(() => statSync(customPath())).toThrow(/ENOENT/);
  });

  it('keeps what existed before the first setup across another profile’s setup, in either revert order', async () => {
    for (const order of [
      ['worker', 'reviewer'],
      ['reviewer', 'worker'],
    ]) {
      for (const original of [ISSUE_FILE, '{\n  "share": "disabled"\n}\n', null]) {
        const run = await roundTrip(original, ['worker', 'reviewer']);
        for (const profile of order) await run.revert(withCustomConfig({ profile }));
        if (original === null) expect(() => statSync(customPath())).toThrow(/ENOENT/);
        else expect(readFileSync(customPath(), 'utf8')).toBe(original);
      }
    }
  });

  it('without a record (a setup by an older Baton) removes what its keys leave empty, as before', async () => {
    writeFileSync(customPath(), ISSUE_FILE);
    await apply(await writer.plan(withCustomConfig()));
    await apply(await writer.planRevert(withCustomConfig()));
    expect(readConfigValue('jsonc', readFileSync(customPath(), 'utf8'))).toEqual({
      $schema: 'https://opencode.ai/config.json',
      mcp: (readConfigValue('jsonc', ISSUE_FILE) as { mcp: unknown }).mcp,
    });
  });
});

describe('baton setup opencode: the Markdown agent file is never a user’s', () => {
  it('refuses user agent files, even empty ones or with empty front matter, and revert leaves them', async () => {
    mkdirSync(join(directory, 'opencode', 'agents'), { recursive: true });
    for (const original of ['', '---\n---\n', '---\n{}\n---\n', '\uFEFF---\r\n---\r\nMine.\r\n']) {
      writeFileSync(agentPath(), original);
      await rejection(writer.plan(context()));
      const [revert] = await writer.planRevert(context());
      expect(revert?.after ?? original).toBe(original);
      expect(readFileSync(agentPath(), 'utf8')).toBe(original);
    }
  });
});

describe('baton setup opencode: refusals that lose nothing', () => {
  it('refuses malformed JSONC, saying where', async () => {
    writeFileSync(customPath(), '{\n  "agent": {\n    "x": [1, 2\n  }\n}\n');
    const error = await rejection(writer.plan(withCustomConfig()));
    expect(error.message).toMatch(/custom\.jsonc is not valid JSON at line \d+, column \d+: /);
    expect(readFileSync(customPath(), 'utf8')).toBe('{\n  "agent": {\n    "x": [1, 2\n  }\n}\n');
  });

  it('detects a scalar where the agent table is needed, before writing', async () => {
    writeFileSync(customPath(), '{"agent": "build"}\n');
    const error = await rejection(writer.plan(withCustomConfig()));
    expect(error.message).toBe(
      `${customPath()}: \`agent\` is a string at line 1, but Baton needs an object there. Change it by hand and rerun. Nothing was changed.`,
    );
  });

  it('refuses a symlinked agent file', async () => {
    mkdirSync(join(directory, 'opencode', 'agents'), { recursive: true });
    writeFileSync(join(directory, 'mine.md'), '---\nmode: primary\n---\n');
    symlinkSync(join(directory, 'mine.md'), agentPath());
    const error = await rejection(writer.plan(context()));
    expect(error.message).toContain('is a symbolic link');
  });

  it('detects a file changed between plan and write', async () => {
    writeFileSync(customPath(), '{}\n');
    const changes = await writer.plan(withCustomConfig());
    writeFileSync(customPath(), '{"theme": "dark"}\n');
    await rejection(apply(changes));
    expect(readFileSync(customPath(), 'utf8')).toBe('{"theme": "dark"}\n');
  });

  it('never corrupts the file when two setups race', async () => {
    writeFileSync(customPath(), '{"theme": "dark"}\n');
    const [first, second] = await Promise.all([
      writer.plan(withCustomConfig({ settings: { model: 'a/one' } })),
      writer.plan(withCustomConfig({ settings: { model: 'b/two' } })),
    ]);
    const outcomes = await Promise.allSettled([apply(first!), apply(second!)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect([first![0]!.after, second![0]!.after]).toContain(readFileSync(customPath(), 'utf8'));
  });

  it('fails clearly where it cannot write', async () => {
    writeFileSync(join(directory, 'blocker'), 'keep');
    const changes = await writer.plan(
      context({ env: { XDG_CONFIG_HOME: join(directory, 'blocker'), HOME: directory } }),
    );
    const error = await rejection(apply(changes));
    expect(error.message).toMatch(/Nothing was changed\.$/);
    expect(readFileSync(join(directory, 'blocker'), 'utf8')).toBe('keep');
  });

  it('refuses a profile name that would leave the agents directory', async () => {
    await rejection(writer.plan(context({ profile: '../x' })), 'CONFIG_INVALID');
  });
});
