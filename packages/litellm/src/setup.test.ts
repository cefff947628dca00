import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type NativeConfigChange, type NativeConfigContext } from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import { applyFileChange } from '@baton/core/native-config';
import { setupRunner } from '@baton/core/testing';
import { readConfigValue } from '@baton/core/testing/config-files';
import { addedLines, openEmptyValues, userYamlFile } from '@baton/core/testing/yaml-files';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLitellmAdapter } from './litellm-adapter.js';
import { CONFIG_HEADER, litellmNativeConfig, proxyConfigPath } from './setup.js';
import { startLitellmStandIn } from './test-support/litellm-stand-in.js';

const MARKER =
  '# managed by baton: model_list[model_name=baton-worker] — edit outside this block freely';
const writer = litellmNativeConfig;
let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-litellm-setup-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function context(overrides: Partial<NativeConfigContext> = {}): NativeConfigContext {
  return {
    profile: 'worker',
    settings: { model: 'openai/gpt-4o', configPath: 'config.yaml' },
    env: { HOME: directory },
    cwd: directory,
    runtimeVersion: null,
    ...overrides,
  };
}

const configPath = () => join(directory, 'config.yaml');

async function apply(changes: readonly NativeConfigChange[]): Promise<boolean[]> {
  const results: boolean[] = [];
  for (const change of changes) {
    const result = await applyFileChange({
      path: change.path,
      expectedBefore: change.before,
      after: change.after,
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

describe('baton setup litellm', () => {
  it('adds the alias entry, with a marker, to the proxy config', async () => {
    const original =
      '# proxy config\nmodel_list:\n  - model_name: gpt-4o  # main\n    litellm_params:\n      model: openai/gpt-4o\n\ngeneral_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n';
    writeFileSync(configPath(), original);
    expect(await writer.plan(context())).toEqual([
      {
        path: configPath(),
        before: original,
        after: `# proxy config\nmodel_list:\n  - model_name: gpt-4o  # main\n    litellm_params:\n      model: openai/gpt-4o\n  ${MARKER}\n  - model_name: baton-worker\n    litellm_params:\n      model: openai/gpt-4o\n\ngeneral_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n`,
        ownedKeys: [
          'model_list[model_name=baton-worker].model_name',
          'model_list[model_name=baton-worker].litellm_params.model',
        ],
        notes: ['Restart the proxy (or let it reload) so that it serves the alias.'],
      },
    ]);
  });

  it('creates a config file with a managed first line, and revert deletes it', async () => {
    const [change] = await writer.plan(context());
    expect(change!.after).toBe(
      `${CONFIG_HEADER}\nmodel_list:\n  ${MARKER}\n  - model_name: baton-worker\n    litellm_params:\n      model: openai/gpt-4o\n`,
    );
    await apply([change!]);
    const revert = await writer.planRevert(context());
    expect(revert).toMatchObject([{ after: null }]);
    await apply(revert);
    expect(() => statSync(configPath())).toThrow(/ENOENT/);
  });

  it('changes only the upstream model of an entry, keeping what the user added to it', async () => {
    await apply(await writer.plan(context()));
    const edited = readFileSync(configPath(), 'utf8').replace(
      '      model: openai/gpt-4o\n',
      '      model: openai/gpt-4o   # upstream\n      api_key: os.environ/OPENAI_API_KEY\n    model_info:\n      mode: chat\n',
    );
    writeFileSync(configPath(), edited);
    const [change] = await writer.plan(
      context({ settings: { model: 'anthropic/claude-x', configPath: 'config.yaml' } }),
    );
    expect(change!.after).toBe(edited.replace('openai/gpt-4o   #', 'anthropic/claude-x   #'));
  });

  it('reruns as a byte and mtime no-op', async () => {
    await apply(await writer.plan(context()));
    const written = statSync(configPath(), { bigint: true });
    const rerun = await writer.plan(context());
    expect(rerun[0]).toMatchObject({ before: rerun[0]!.after });
    expect(rerun[0]!.notes).toBeUndefined();
    expect(await apply(rerun)).toEqual([false]);
    expect(statSync(configPath(), { bigint: true }).mtimeNs).toBe(written.mtimeNs);
  });

  it('leaves an alias entry the user wrote in place on revert', async () => {
    const original =
      'model_list:\n  - model_name: baton-worker\n    litellm_params:\n      model: x\n';
    writeFileSync(configPath(), original);
    expect(await writer.planRevert(context())).toEqual([
      {
        path: configPath(),
        before: original,
        after: original,
        ownedKeys: expect.any(Array),
        notes: [
          'The baton-worker entry has no Baton marker above it (baton setup did not add it), so revert leaves it in place.',
        ],
      },
    ]);
  });

  it('resolves config_path from the project directory and ~', () => {
    expect(proxyConfigPath({ configPath: 'proxy/c.yaml' }, {}, '/srv/project')).toBe(
      '/srv/project/proxy/c.yaml',
    );
    expect(proxyConfigPath({ configPath: '~/litellm.yaml' }, { HOME: '/home/ada' }, '/x')).toBe(
      '/home/ada/litellm.yaml',
    );
    expect(proxyConfigPath({ configPath: '/etc/litellm.yaml' }, {}, '/x')).toBe(
      '/etc/litellm.yaml',
    );
  });

  it('asks for config_path and model when they are missing (config errors)', async () => {
    const noPath = await rejection(writer.plan(context({ settings: {} })), 'CONFIG_INVALID');
    expect(noPath.message).toMatch(/set config_path under \[runtimes\.litellm\]/);
    const noModel = await rejection(
      writer.plan(context({ settings: { configPath: 'config.yaml' } })),
      'CONFIG_INVALID',
    );
    expect(noModel.message).toMatch(/set model under \[runtimes\.litellm\]/);
  });

  it("turns doctor's profile check from fail to pass once the proxy serves the written config", async () => {
    const models = () =>
      [...readFileSync(configPath(), 'utf8').matchAll(/model_name:\s*(\S+)/g)].map(
        (match) => match[1]!,
      );
    writeFileSync(
      configPath(),
      'model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n',
    );
    const profileStatus = async () => {
      const proxy = await startLitellmStandIn({ models: models() });
      try {
        const report = await runChecks({
          adapter: createLitellmAdapter(),
          probe: false,
          timeoutMs: 5_000,
          context: {
            settings: { baseUrl: proxy.url },
            profile: 'worker',
            env: {},
            cwd: directory,
            stages: ['reflect'],
          },
        });
        return report.checks.find((check) => check.id === 'profile')!.status;
      } finally {
        await proxy.close();
      }
    };
    expect(await profileStatus()).toBe('fail');
    await apply(await writer.plan(context()));
    expect(await profileStatus()).toBe('pass');
  });
});

describe('baton setup litellm: revert gives back the model list the user wrote', () => {
  it('keeps `model_list: []`, a bare `model_list:` and an empty file, across profiles', async () => {
    const run = setupRunner(writer, join(directory, 'state'));
    for (const original of [
      'model_list: []\n',
      'model_list: []   # aliases go here\r\ngeneral_settings: {}\r\n',
      'model_list:\n',
      'model_list:\n  # none yet\nrouter_settings:\n  num_retries: 2\n',
      '\uFEFFmodel_list: []',
      '',
      null,
    ]) {
      if (original === null) rmSync(configPath(), { force: true });
      else writeFileSync(configPath(), original);
      for (const profile of ['worker', 'reviewer']) {
        const ctx = context({ profile });
        await run.setup(ctx);
        const rerun = await run.plan(ctx);
        expect(rerun[0]!.after).toBe(rerun[0]!.before);
      }
      const value = readConfigValue('yaml', readFileSync(configPath(), 'utf8')) as {
        model_list: { model_name: string }[];
      };
      expect(value.model_list.map((entry) => entry.model_name)).toEqual([
        'baton-worker',
        'baton-reviewer',
      ]);
      for (const profile of ['worker', 'reviewer']) await run.revert(context({ profile }));
      if (original === null) {
        expect(() => statSync(configPath())).toThrow(/ENOENT/);
        continue;
      }
      expect(readFileSync(configPath(), 'utf8')).toBe(original);
      expect(readConfigValue('yaml', readFileSync(configPath(), 'utf8'))).toEqual(
        readConfigValue('yaml', original),
      );
    }
  });
});

describe('baton setup litellm: properties over generated user files', () => {
  it('changes no byte Baton does not own, reruns as a no-op, and reverts to the original bytes', async () => {
    const userFile = userYamlFile({
      mappings: { router_settings: ['num_retries', 'timeout'], general_settings: ['master_key'] },
      modelList: true,
    });
    const model = fc.oneof(
      fc.constantFrom('openai/gpt-4o', 'anthropic/claude-x', 'yes', 'x: y', '#not-a-comment'),
      fc.string({ minLength: 1, maxLength: 100 }),
    );
    /** The file's value without Baton's entry (and without a model list that is then empty). */
    const withoutAlias = (text: string) => {
      const value = structuredClone(readConfigValue('yaml', text)) as Record<string, unknown>;
      const list = value.model_list;
      const rest = Array.isArray(list)
        ? list.filter((item) => (item as { model_name?: unknown }).model_name !== 'baton-worker')
        : list;
      if (rest === null || (Array.isArray(rest) && rest.length === 0)) delete value.model_list;
      else if (rest !== undefined) value.model_list = rest;
      return value;
    };
    await fc.assert(
      fc.asyncProperty(userFile, model, async (original, upstream) => {
        rmSync(configPath(), { force: true });
        rmSync(join(directory, 'state'), { recursive: true, force: true });
        writeFileSync(configPath(), original);
        const runner = setupRunner(writer, join(directory, 'state'));
        const ctx = context({ settings: { model: upstream, configPath: 'config.yaml' } });
        const [change] = await runner.plan(ctx);
        const after = change!.after!;
        // An empty `model_list: []` loses its `[]`; every other line is kept, in order.
        const added = addedLines(openEmptyValues(original, ['model_list']), after);
        expect(added, 'every line of the user file is kept, in order').toBeDefined();
        const trimmed = added!.map((line) => line.trim()).filter((line) => line !== '');
        expect(trimmed.filter((line) => line !== 'model_list:')).toEqual([
          MARKER,
          '- model_name: baton-worker',
          'litellm_params:',
          expect.stringMatching(/^model: /),
        ]);
        expect(withoutAlias(after)).toEqual(withoutAlias(original));
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

describe('baton setup litellm: refusals that lose nothing', () => {
  it('refuses malformed YAML, saying where', async () => {
    writeFileSync(configPath(), 'model_list:\n  - model_name: a\n   bad: [\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(/config\.yaml is not valid YAML at line \d+, column \d+: /);
    expect(readFileSync(configPath(), 'utf8')).toBe('model_list:\n  - model_name: a\n   bad: [\n');
  });

  it('detects a mapping where the model list must be, before writing', async () => {
    writeFileSync(configPath(), 'model_list:\n  gpt: openai/gpt-4o\n');
    const error = await rejection(writer.plan(context()));
    expect(error.message).toBe(
      `${configPath()}: \`model_list\` is a mapping at line 2, but Baton needs a sequence there. Change it by hand and rerun. Nothing was changed.`,
    );
  });

  it('refuses two entries with the alias', async () => {
    writeFileSync(
      configPath(),
      'model_list:\n  - model_name: baton-worker\n    litellm_params: {model: a}\n  - model_name: baton-worker\n    litellm_params: {model: b}\n',
    );
    const error = await rejection(writer.plan(context()));
    expect(error.message).toMatch(/has 2 items with model_name: baton-worker/);
  });

  it('refuses a symlinked config file', async () => {
    writeFileSync(join(directory, 'real.yaml'), 'model_list: []\n');
    symlinkSync(join(directory, 'real.yaml'), configPath());
    const error = await rejection(writer.plan(context()));
    expect(error.message).toContain('is a symbolic link');
  });

  it('detects a file changed between plan and write', async () => {
    writeFileSync(configPath(), 'model_list: []\n');
    const changes = await writer.plan(context());
    writeFileSync(configPath(), 'model_list: []\nlitellm_settings: {drop_params: true}\n');
    await rejection(apply(changes));
    expect(readFileSync(configPath(), 'utf8')).toBe(
      'model_list: []\nlitellm_settings: {drop_params: true}\n',
    );
  });

  it('never corrupts the file when two setups race', async () => {
    writeFileSync(configPath(), 'model_list: []\n');
    const [first, second] = await Promise.all([
      writer.plan(context({ settings: { model: 'one', configPath: 'config.yaml' } })),
      writer.plan(context({ settings: { model: 'two', configPath: 'config.yaml' } })),
    ]);
    const outcomes = await Promise.allSettled([apply(first!), apply(second!)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect([first![0]!.after, second![0]!.after]).toContain(readFileSync(configPath(), 'utf8'));
  });

  it('fails clearly where it cannot write', async () => {
    writeFileSync(join(directory, 'blocker'), 'keep');
    const changes = await writer.plan(
      context({ settings: { model: 'm', configPath: 'blocker/config.yaml' } }),
    );
    const error = await rejection(apply(changes));
    expect(error.message).toMatch(/Nothing was changed\.$/);
    expect(readFileSync(join(directory, 'blocker'), 'utf8')).toBe('keep');
  });
});
