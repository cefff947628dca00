import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveStages } from '../resolve.js';
import { fifo } from '../test-support/fifo.js';
import { config, fullRegistry, issues, load } from '../test-support/load-config.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { formatIssue, formatIssues } from './issues.js';
import { type LoadConfigOptions, loadConfig } from './load.js';
import type { BatonConfig, StageTarget } from './types.js';
import { reservedKeyIssue } from './zod-issues.js';

/** Each stage's first runtime and the rule that chose it (the `baton stages` columns of old). */
function routes(loaded: BatonConfig) {
  return Object.fromEntries(
    Object.entries(resolveStages(loaded)).map(([stage, { runtime, source }]) => [
      stage,
      { runtime, source },
    ]),
  );
}

/** A chain entry that names only its runtime. */
function plain(runtime: string): StageTarget {
  return { runtime, model: null, effort: null };
}

const PRODUCT_EXAMPLE = `
[orchestrator]
runtime_backend = "claude-code"      # the single-backend fallback; default "claude-code"

[orchestrator.runtime_profile]
default = "claude-code"              # optional; used by any stage not listed below
backend_profile = "worker"           # optional abstract profile, mapped per adapter

[orchestrator.runtime_profile.stages]
interview = "codex"
execute   = "opencode"
evaluate  = "claude_code"            # aliases are accepted and normalised
reflect   = "hermes"
`;

describe('the example config of PRODUCT.md §3', () => {
  it('resolves exactly as written', () => {
    const loaded = config(load(PRODUCT_EXAMPLE));
    const one = (runtime: string) => ({
      runtime,
      source: 'stage',
      chain: [{ runtime, model: null, modelSource: 'harness', effort: null }],
    });
    expect(resolveStages(loaded)).toEqual({
      interview: one('codex'),
      execute: one('opencode'),
      evaluate: one('claude-code'),
      reflect: one('hermes'),
    });
    expect(loaded.backendProfile).toBe('worker');
    expect(loaded.defaultTargets).toEqual([plain('claude-code')]);
    expect(loaded.runtimeBackend).toBe('claude-code');
  });
});

describe('resolution', () => {
  it('sends every stage to runtime_backend when there is no runtime_profile', () => {
    const loaded = config(load('[orchestrator]\nruntime_backend = "codex"\n'));
    expect(Object.values(routes(loaded))).toEqual(
      Array(4).fill({ runtime: 'codex', source: 'fallback' }),
    );
    expect(loaded.backendProfile).toBeNull();
  });

  it('defaults runtime_backend to claude-code with no file at all', () => {
    const loaded = config(load(undefined));
    expect(resolveStages(loaded).reflect).toEqual({
      runtime: 'claude-code',
      source: 'fallback',
      chain: [{ runtime: 'claude-code', model: null, modelSource: 'harness', effort: null }],
    });
    expect(loaded.files).toEqual([]);
  });

  it('uses default for stages not listed, and stages where listed', () => {
    const loaded = config(
      load(`
[orchestrator.runtime_profile]
default = "opencode"
[orchestrator.runtime_profile.stages]
evaluate = "codex"
`),
    );
    expect(routes(loaded)).toEqual({
      interview: { runtime: 'opencode', source: 'default' },
      execute: { runtime: 'opencode', source: 'default' },
      evaluate: { runtime: 'codex', source: 'stage' },
      reflect: { runtime: 'opencode', source: 'default' },
    });
  });

  it('accepts runtime_profile = "worker" as shorthand for backend_profile', () => {
    const loaded = config(load('[orchestrator]\nruntime_profile = "worker"\n'));
    expect(loaded.backendProfile).toBe('worker');
    expect(loaded.defaultTargets).toBeNull();
  });

  it('normalises every alias to its canonical id', () => {
    for (const [alias, id] of [
      ['claude', 'claude-code'],
      ['claude_code', 'claude-code'],
      ['Claude-Code', 'claude-code'],
      ['codex_cli', 'codex'],
      ['opencode_cli', 'opencode'],
      ['hermes_cli', 'hermes'],
    ] as const) {
      const loaded = config(load(`[orchestrator]\nruntime_backend = "${alias}"\n`));
      expect(loaded.runtimeBackend).toBe(id);
    }
  });
});

describe('bad config: every problem at once, each saying what and where', () => {
  it('suggests the closest stage for a misspelt stage key', () => {
    const found = issues(load('[orchestrator.runtime_profile.stages]\ninterveiw = "codex"\n'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      path: 'orchestrator.runtime_profile.stages.interveiw',
      message: 'unknown key',
      suggestion: 'interview',
      accepted: ['interview', 'execute', 'evaluate', 'reflect'],
    });
    expect(found[0]!.source).toMatch(/baton\.toml$/);
    expect(formatIssue(found[0]!)).toContain('Did you mean "interview"?');
  });

  it('suggests the closest runtime name for a typo', () => {
    const found = issues(load('[orchestrator.runtime_profile.stages]\nevaluate = "cluade"\n'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      path: 'orchestrator.runtime_profile.stages.evaluate',
      value: 'cluade',
      message: 'unknown runtime',
      suggestion: 'claude-code',
      kind: 'runtime',
    });
    // Canonical ids only (aliases are in the docs); the suggestion is the canonical id too.
    expect(found[0]!.accepted).toEqual(['codex', 'claude-code', 'opencode', 'hermes', 'litellm']);
    expect(formatIssue(found[0]!)).toMatch(
      /stages\.evaluate = "cluade": unknown runtime\. Accepted: codex, claude-code, opencode, hermes, litellm\. Did you mean "claude-code"\?$/,
    );
  });

  it('names the package a third-party adapter would be for an unknown name that is no typo', () => {
    const found = issues(load('[orchestrator.runtime_profile.stages]\ninterview = "gemini"\n'));
    expect(formatIssue(found[0]!)).toMatch(
      /stages\.interview = "gemini": unknown runtime\. Accepted: codex, claude-code, opencode, hermes, litellm\. No adapter for "gemini" is installed; a third-party one would be the package baton-adapter-gemini \(npm install baton-adapter-gemini\)\.$/,
    );
  });

  it('rejects empty strings', () => {
    const found = issues(load('[orchestrator]\nruntime_backend = ""\n'));
    expect(found[0]).toMatchObject({
      path: 'orchestrator.runtime_backend',
      value: '',
      message: 'must not be empty',
    });
  });

  it('rejects wrong types, naming what was found', () => {
    const found = issues(load('[orchestrator]\nruntime_backend = 3\n'));
    expect(found[0]).toMatchObject({
      path: 'orchestrator.runtime_backend',
      value: 3,
      message: 'must be a string, not a number (3)',
    });
  });

  it('rejects unknown keys at any level, with a suggestion', () => {
    const found = issues(
      load('[orchestrater]\nruntime_backend = "codex"\n\n[runtimes.codex]\nmodle = "x"\n'),
    );
    expect(found.map((issue) => [issue.path, issue.suggestion]).sort()).toEqual([
      ['orchestrater', 'orchestrator'],
      ['runtimes.codex.modle', 'model'],
    ]);
  });

  it('reports TOML syntax errors with line and column', () => {
    const found = issues(load('[orchestrator]\nruntime_backend = "codex\n'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'syntax', line: 2 });
    expect(found[0]!.column).toBeGreaterThan(0);
    expect(formatIssue(found[0]!)).toMatch(/baton\.toml:2:\d+: TOML syntax error: /);
  });

  it('reports every problem in one pass', () => {
    const found = issues(
      load(`
[orchestrator]
runtime_backend = "codx"
[orchestrator.runtime_profile]
default = ""
[orchestrator.runtime_profile.stages]
reflekt = "hermes"
`),
    );
    expect(found.map((issue) => [issue.path, issue.message]).sort()).toEqual([
      ['orchestrator.runtime_backend', 'unknown runtime'],
      ['orchestrator.runtime_profile.default', 'must not be empty'],
      ['orchestrator.runtime_profile.stages.reflekt', 'unknown key'],
    ]);
  });

  it('checks runtime names even when the structure of another part is wrong', () => {
    const found = issues(load('[orchestrator]\nruntime_backend = "codx"\n'));
    expect(found[0]).toMatchObject({ value: 'codx', suggestion: 'codex' });
  });

  it('names the package to install for a known runtime whose adapter is missing', () => {
    const found = issues(
      load('[orchestrator.runtime_profile.stages]\nreflect = "hermes"\n', {
        registry: fullRegistry(['hermes']),
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'adapter-not-installed', value: 'hermes' });
    expect(found[0]!.message).toContain('npm install @baton/hermes');
  });

  it('keeps settings for an uninstalled runtime that no stage uses', () => {
    const loaded = config(
      load('[orchestrator]\nruntime_backend = "codex"\n[runtimes.hermes]\nmodel = "m"\n', {
        registry: fullRegistry(['hermes']),
      }),
    );
    expect(loaded.runtimes.hermes).toEqual({ model: 'm' });
  });

  it('rejects an unknown runtime in [runtimes.<id>]', () => {
    const found = issues(load('[runtimes.codexx]\nmodel = "m"\n'));
    expect(found[0]).toMatchObject({
      path: 'runtimes.codexx',
      suggestion: 'codex',
      kind: 'runtime',
    });
  });
});

describe('[runtimes.<id>] settings', () => {
  it('normalises keys and parses durations', () => {
    const loaded = config(
      load(`
[runtimes.codex]
binary = "/opt/codex/bin/codex"
model = "gpt-5.5"
base_url = "http://127.0.0.1:4000/v1"
api_key_env = "GATEWAY_KEY"
timeout = "30m"
idle_timeout = "1h30m"
`),
    );
    expect(loaded.runtimes.codex).toEqual({
      binary: '/opt/codex/bin/codex',
      model: 'gpt-5.5',
      baseUrl: 'http://127.0.0.1:4000/v1',
      apiKeyEnv: 'GATEWAY_KEY',
      timeoutMs: 1_800_000,
      idleTimeoutMs: 5_400_000,
    });
  });

  it('stores runtimes under the canonical id when written with an alias', () => {
    const loaded = config(load('[runtimes.claude_code]\nmodel = "opus"\n'));
    expect(loaded.runtimes['claude-code']).toEqual({ model: 'opus' });
  });

  it('rejects a key value where an env var name belongs, a bad URL and a bad duration', () => {
    const found = issues(
      load(`
[runtimes.codex]
api_key_env = "sk-live-abc123"
base_url = "not a url"
timeout = "30 minutes"
`),
    );
    expect(found.map((issue) => issue.path).sort()).toEqual([
      'runtimes.codex.api_key_env',
      'runtimes.codex.base_url',
      'runtimes.codex.timeout',
    ]);
    const byPath = Object.fromEntries(found.map((issue) => [issue.path, issue.message]));
    expect(byPath['runtimes.codex.api_key_env']).toContain('name of an environment variable');
    expect(byPath['runtimes.codex.base_url']).toContain('URL');
    expect(byPath['runtimes.codex.timeout']).toContain('"30m"');
  });
});

describe('missions', () => {
  it('accepts a mission within the bounds and keeps its steps in order', () => {
    const loaded = config(
      load(`
[missions.spec-first]
steps = ["interview", { human = "Approve the spec?" }, "execute", "evaluate"]
max_loops = 2
`),
    );
    expect(loaded.missions['spec-first']).toEqual({
      name: 'spec-first',
      description: '',
      steps: [
        { kind: 'stage', stage: 'interview' },
        { kind: 'human', question: 'Approve the spec?' },
        { kind: 'stage', stage: 'execute' },
        { kind: 'stage', stage: 'evaluate' },
      ],
      maxLoops: 2,
      budget: { maxCostUsd: null, maxTokens: null },
      maxTurns: null,
    });
    expect(loaded.missions.deliver?.steps).toHaveLength(4);
  });

  it('rejects more than 5 steps instead of truncating', () => {
    const found = issues(
      load(
        '[missions.long]\nsteps = ["interview", "execute", "evaluate", "execute", "evaluate", "reflect"]\n',
      ),
    );
    expect(found[0]).toMatchObject({
      path: 'missions.long.steps',
      message: 'may have at most 5 steps',
    });
  });

  it('rejects more than 2 human steps', () => {
    const found = issues(
      load(
        '[missions.chatty]\nsteps = [{ human = "a" }, { human = "b" }, { human = "c" }, "execute"]\n',
      ),
    );
    expect(found[0]).toMatchObject({
      path: 'missions.chatty.steps',
      message: 'may have at most 2 human steps, found 3',
    });
  });

  it('suggests the stage for a misspelt step', () => {
    const found = issues(load('[missions.m]\nsteps = ["interveiw"]\n'));
    expect(found[0]).toMatchObject({
      path: 'missions.m.steps[0]',
      value: 'interveiw',
      suggestion: 'interview',
    });
  });

  it('refuses to redefine the built-in deliver mission', () => {
    const found = issues(load('[missions.deliver]\nsteps = ["execute"]\n'));
    expect(found[0]!.message).toContain('built-in mission');
  });
});

describe('role contract overrides', () => {
  it('reads inline text and files relative to the config file', () => {
    const root = tempDirectory();
    writeTree(root, {
      'baton.toml':
        '[contracts.evaluate]\nmode = "replace"\nfile = "roles/reviewer.md"\n[contracts.execute]\ntext = "Run pnpm test."\n',
      'roles/reviewer.md': 'Review strictly.\n',
    });
    const loaded = config(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      }),
    );
    expect(loaded.contracts.evaluate).toEqual({
      mode: 'replace',
      text: 'Review strictly.\n',
      source: join(root, 'roles/reviewer.md'),
    });
    expect(loaded.contracts.execute).toEqual({
      mode: 'extend',
      text: 'Run pnpm test.',
      source: join(root, 'baton.toml'),
    });
  });

  it('rejects both text and file, and a missing file', () => {
    expect(issues(load('[contracts.evaluate]\ntext = "a"\nfile = "b"\n'))[0]!.message).toContain(
      'exactly one of',
    );
    expect(issues(load('[contracts.evaluate]\nfile = "missing.md"\n'))[0]).toMatchObject({
      kind: 'unreadable',
      path: 'contracts.evaluate.file',
    });
  });
});

describe('layers: defaults < user < project < environment < flags', () => {
  function layered(env: Record<string, string>, flags?: LoadConfigOptions['flags']) {
    const root = tempDirectory();
    writeTree(root, {
      'xdg/baton/config.toml':
        '[orchestrator]\nruntime_backend = "opencode"\nruntime_profile = "user-profile"\n[runtimes.codex]\nmodel = "user-model"\ntimeout = "5m"\n',
      'project/baton.toml':
        '[orchestrator.runtime_profile.stages]\nevaluate = "codex"\n[runtimes.codex]\nmodel = "project-model"\n',
    });
    return loadConfig({
      cwd: join(root, 'project'),
      env: { XDG_CONFIG_HOME: join(root, 'xdg'), ...env },
      registry: fullRegistry(),
      flags,
    });
  }

  it('layers the user file under the project file, key by key', () => {
    const loaded = config(layered({}));
    expect(loaded.runtimeBackend).toBe('opencode');
    expect(loaded.backendProfile).toBe('user-profile');
    expect(loaded.stages).toEqual({ evaluate: [plain('codex')] });
    expect(loaded.runtimes.codex).toEqual({ model: 'project-model', timeoutMs: 300_000 });
    expect(loaded.files).toHaveLength(2);
    expect(loaded.files[0]).toMatch(/xdg\/baton\/config\.toml$/);
  });

  it('lets the environment override files', () => {
    const loaded = config(
      layered({
        BATON_STAGE_EVALUATE: 'hermes',
        BATON_RUNTIME_BACKEND: 'claude',
        BATON_RUNTIME_PROFILE: 'env-profile',
      }),
    );
    expect(loaded.stages.evaluate).toEqual([plain('hermes')]);
    expect(loaded.runtimeBackend).toBe('claude-code');
    expect(loaded.backendProfile).toBe('env-profile');
  });

  it('lets flags override the environment', () => {
    const loaded = config(
      layered(
        { BATON_STAGE_EVALUATE: 'hermes' },
        {
          stages: { evaluate: 'opencode' },
          runtimeBackend: 'codex',
          backendProfile: 'flag-profile',
        },
      ),
    );
    expect(loaded.stages.evaluate).toEqual([plain('opencode')]);
    expect(loaded.runtimeBackend).toBe('codex');
    expect(loaded.backendProfile).toBe('flag-profile');
  });

  it('rejects a misspelt BATON_STAGE_ variable and an empty one', () => {
    const found = issues(layered({ BATON_STAGE_INTERVEIW: 'codex', BATON_STAGE_REFLECT: '' }));
    expect(found).toHaveLength(2);
    expect(found[0]).toMatchObject({
      source: 'environment (BATON_STAGE_INTERVEIW)',
      suggestion: 'BATON_STAGE_INTERVIEW',
    });
    expect(found[1]).toMatchObject({
      source: 'environment (BATON_STAGE_REFLECT)',
      message: 'is set but empty; unset it or give it a value',
    });
  });

  it('rejects an unknown runtime given in the environment or a flag, saying where', () => {
    const found = issues(
      layered({ BATON_STAGE_EVALUATE: 'cluade' }, { stages: { reflekt: 'codex' } }),
    );
    expect(found.map((issue) => issue.source)).toEqual([
      'environment (BATON_STAGE_EVALUATE)',
      'command line (--stage reflekt=codex)',
    ]);
    expect(found[0]!.suggestion).toBe('claude-code');
    expect(found[1]!.suggestion).toBe('reflect');
    // The value is shown as it was given: the variable with its value, the flag whole.
    expect(formatIssue(found[0]!)).toMatch(
      /^BATON_STAGE_EVALUATE="cluade" \(environment\): unknown runtime\. Accepted: .*\. Did you mean "claude-code"\?$/,
    );
    expect(formatIssue(found[1]!)).toMatch(/^--stage reflekt=codex \(command line\): /);
    const flagged = issues(layered({}, { stages: { execute: 'codx' } }));
    expect(formatIssue(flagged[0]!)).toMatch(
      /^--stage execute=codx \(command line\): unknown runtime\. .*Did you mean "codex"\?$/,
    );
  });
});

describe('finding the files', () => {
  it('finds baton.toml in the nearest parent and makes its folder the project root', () => {
    const root = tempDirectory();
    writeTree(root, {
      'repo/baton.toml': '[orchestrator]\nruntime_backend = "codex"\n',
      'repo/a/b/.keep': '',
    });
    const loaded = config(
      loadConfig({
        cwd: join(root, 'repo/a/b'),
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      }),
    );
    expect(loaded.runtimeBackend).toBe('codex');
    expect(loaded.projectRoot).toBe(join(root, 'repo'));
    expect(loaded.files).toEqual([join(root, 'repo/baton.toml')]);
  });

  it('prefers --config over BATON_CONFIG over discovery', () => {
    const root = tempDirectory();
    writeTree(root, {
      'baton.toml': '[orchestrator]\nruntime_backend = "codex"\n',
      'env.toml': '[orchestrator]\nruntime_backend = "opencode"\n',
      'flag.toml': '[orchestrator]\nruntime_backend = "hermes"\n',
    });
    const base = { cwd: root, registry: fullRegistry() };
    const env = { XDG_CONFIG_HOME: join(root, 'x') };
    expect(config(loadConfig({ ...base, env })).runtimeBackend).toBe('codex');
    expect(
      config(loadConfig({ ...base, env: { ...env, BATON_CONFIG: 'env.toml' } })).runtimeBackend,
    ).toBe('opencode');
    expect(
      config(
        loadConfig({ ...base, env: { ...env, BATON_CONFIG: 'env.toml' }, configFile: 'flag.toml' }),
      ).runtimeBackend,
    ).toBe('hermes');
  });

  it('says so when an explicit config file does not exist', () => {
    const root = tempDirectory();
    const found = issues(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        configFile: 'nope.toml',
        registry: fullRegistry(),
      }),
    );
    expect(found[0]).toMatchObject({ source: 'command line (--config)', kind: 'unreadable' });
    expect(found[0]!.message).toContain(join(root, 'nope.toml'));
  });
});

describe('files named by configuration: only regular files, at most 256 KiB', () => {
  it('refuses a contract file that is /dev/zero, a FIFO or a directory, and reports the rest', () => {
    const root = tempDirectory();
    writeTree(root, {
      'project/baton.toml': [
        '[contracts.interview]\nfile = "/dev/zero"',
        '[contracts.execute]\nfile = "pipe"',
        '[contracts.evaluate]\nfile = "roles"',
        '[orchestrater]\nruntime_backend = "codex"',
      ].join('\n'),
      'project/roles/.keep': '',
    });
    fifo(join(root, 'project'), 'pipe');
    const found = issues(
      loadConfig({
        cwd: join(root, 'project'),
        env: { XDG_CONFIG_HOME: join(root, 'xdg') },
        registry: fullRegistry(),
      }),
    );
    expect(found.map(({ path, value, message, kind }) => ({ path, value, message, kind }))).toEqual(
      [
        {
          path: 'orchestrater',
          value: { runtime_backend: 'codex' },
          message: 'unknown key',
          kind: 'schema',
        },
        {
          path: 'contracts.interview.file',
          value: '/dev/zero',
          message: '/dev/zero is a character device, not a regular file',
          kind: 'unreadable',
        },
        {
          path: 'contracts.execute.file',
          value: 'pipe',
          message: `${join(root, 'project/pipe')} is a named pipe (FIFO), not a regular file`,
          kind: 'unreadable',
        },
        {
          path: 'contracts.evaluate.file',
          value: 'roles',
          message: `${join(root, 'project/roles')} is a directory, not a regular file`,
          kind: 'unreadable',
        },
      ],
    );
    expect(formatIssue(found[1]!)).toBe(
      `${join(root, 'project/baton.toml')}: contracts.interview.file = "/dev/zero": /dev/zero is a character device, not a regular file`,
    );
  });

  it('refuses a contract file over 256 KiB', () => {
    const root = tempDirectory();
    writeTree(root, {
      'baton.toml': '[contracts.reflect]\nfile = "huge.md"\n',
      'huge.md': 'lesson\n'.repeat(40_000),
    });
    const found = issues(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        path: 'contracts.reflect.file',
        message: `${join(root, 'huge.md')} is larger than 256 KiB, the limit for a file named by configuration`,
      }),
    ]);
  });

  it('refuses a baton.toml that is a FIFO or a directory instead of skipping to a parent', () => {
    const root = tempDirectory();
    writeTree(root, {
      'baton.toml': '[orchestrator]\nruntime_backend = "codex"\n',
      'fifo-project/.keep': '',
      'folder-project/baton.toml/.keep': '',
    });
    const pipe = fifo(join(root, 'fifo-project'), 'baton.toml');
    const load = (project: string) =>
      loadConfig({
        cwd: join(root, project),
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      });
    expect(issues(load('fifo-project'))).toEqual([
      {
        source: pipe,
        path: '',
        message: 'is a named pipe (FIFO), not a regular file',
        kind: 'unreadable',
      },
    ]);
    expect(issues(load('folder-project'))).toEqual([
      {
        source: join(root, 'folder-project/baton.toml'),
        path: '',
        message: 'is a directory, not a regular file',
        kind: 'unreadable',
      },
    ]);
  });

  it('refuses /dev/zero given as --config or BATON_CONFIG, saying where it was named', () => {
    const root = tempDirectory();
    const base = { cwd: root, registry: fullRegistry() };
    const env = { XDG_CONFIG_HOME: join(root, 'x') };
    expect(issues(loadConfig({ ...base, env, configFile: '/dev/zero' }))).toEqual([
      {
        source: 'command line (--config)',
        value: '/dev/zero',
        path: '',
        message: '/dev/zero is a character device, not a regular file',
        kind: 'unreadable',
      },
    ]);
    const found = issues(loadConfig({ ...base, env: { ...env, BATON_CONFIG: '/dev/zero' } }));
    expect(formatIssue(found[0]!)).toBe(
      'BATON_CONFIG="/dev/zero" (environment): /dev/zero is a character device, not a regular file',
    );
  });

  it('refuses a baton.toml over 256 KiB, and a user config that is a FIFO', () => {
    const root = tempDirectory();
    writeTree(root, {
      'baton.toml': `# padding\n${'#'.repeat(300 * 1024)}\n`,
      'xdg/baton/.keep': '',
    });
    const userFile = fifo(join(root, 'xdg/baton'), 'config.toml');
    const found = issues(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'xdg') },
        registry: fullRegistry(),
      }),
    );
    expect(found.map((issue) => [issue.source, issue.message])).toEqual([
      [userFile, 'is a named pipe (FIFO), not a regular file'],
      [
        join(root, 'baton.toml'),
        'is larger than 256 KiB, the limit for a file named by configuration',
      ],
    ]);
  });
});

describe('bounded work for hostile shapes', () => {
  it('reports a 2,000-level table header instead of overflowing the stack, with the rest', () => {
    const deep = Array.from({ length: 2000 }, () => 'a').join('.');
    const found = issues(load(`[orchestrator]\nruntime_backend = "codx"\n[${deep}]\nx = 1\n`));
    const sixteen = Array.from({ length: 16 }, () => 'a').join('.');
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      [sixteen, 'nests deeper than 16 levels; no setting is that deep, so this part was not read'],
      ['a', 'unknown key'],
      ['orchestrator.runtime_backend', 'unknown runtime'],
    ]);
    // The unknown table's value is shown, shortened, on one line.
    expect(formatIssue(found[1]!).length).toBeLessThan(300);
  });

  it('bounds nesting inside a known table and inside inline arrays', () => {
    const header = Array.from({ length: 30 }, (_, index) => `t${index}`).join('.');
    const arrays = `${'['.repeat(900)}1${']'.repeat(900)}`;
    const found = issues(
      load(`[orchestrator]\nruntime_backend = ${arrays}\n[runtimes.codex.${header}]\nx = 1\n`),
    );
    expect(found.map((issue) => issue.path)).toEqual([
      `runtimes.codex.${header.split('.').slice(0, 14).join('.')}`,
      `orchestrator.runtime_backend${'[0]'.repeat(14)}`,
      'orchestrator.runtime_backend',
      'runtimes.codex.t0',
    ]);
    // Deeper than the TOML parser's own limit: a syntax error, not a crash.
    const tooDeep = issues(load(`x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`));
    expect(tooDeep).toEqual([expect.objectContaining({ kind: 'syntax', line: 1 })]);
  });

  it('keeps the first 50 of 40,000 unknown keys and counts the rest', () => {
    // Short keys, so 40,000 of them fit in the 256 KiB a config file may have.
    const keys = Array.from({ length: 40_000 }, (_, index) => `${index.toString(36)}=1`);
    const result = load(`${keys.join('\n')}\n[orchestrator]\nruntime_backend = "codx"\n`);
    if (result.ok) throw new Error('expected the config to be rejected');
    expect(result.issues).toHaveLength(50);
    expect(result.omitted).toBe(40_001 - 50);
    expect(result.issues[0]).toMatchObject({ path: '0', message: 'unknown key' });
    const text = formatIssues(result.issues, result.omitted);
    expect(text.split('\n')[0]).toBe(
      'Invalid configuration (40,001 problems; the first 50 follow):',
    );
    expect(text.split('\n').at(-1)).toBe(
      '  … and 39,951 more; fix these and run again to see the rest',
    );
    expect(text.split('\n')).toHaveLength(52);
  });

  it('reports every problem, and omits nothing, when there are at most 50', () => {
    const keys = Array.from({ length: 50 }, (_, index) => `k${index} = 1`).join('\n');
    const result = load(keys);
    if (result.ok) throw new Error('expected the config to be rejected');
    expect(result.issues).toHaveLength(50);
    expect(result.omitted).toBe(0);
    expect(formatIssues(result.issues, result.omitted)).not.toContain('more');
  });
});

describe('invalid UTF-8, reserved names and gateway URLs', () => {
  it('rejects a baton.toml that is not UTF-8, naming the byte offset', () => {
    const root = tempDirectory();
    const head = '[runtimes.codex]\nmodel = "gpt';
    writeFileSync(
      join(root, 'baton.toml'),
      Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]),
    );
    const found = issues(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      }),
    );
    expect(found).toEqual([
      {
        source: join(root, 'baton.toml'),
        path: '',
        message: `is not valid UTF-8: byte 0xFF at offset ${head.length} (line 2, column 13); save the file as UTF-8`,
        line: 2,
        column: 13,
        kind: 'syntax',
      },
    ]);
    expect(formatIssue(found[0]!)).toMatch(
      /baton\.toml:2:13: is not valid UTF-8: byte 0xFF at offset 29/,
    );
  });

  it('rejects a contract file that is not UTF-8', () => {
    const root = tempDirectory();
    writeTree(root, { 'baton.toml': '[contracts.execute]\nfile = "role.md"\n' });
    writeFileSync(join(root, 'role.md'), Buffer.from([0x61, 0x0a, 0xc3, 0x28]));
    const found = issues(
      loadConfig({
        cwd: root,
        env: { XDG_CONFIG_HOME: join(root, 'x') },
        registry: fullRegistry(),
      }),
    );
    expect(found[0]).toMatchObject({
      path: 'contracts.execute.file',
      message: `${join(root, 'role.md')} is not valid UTF-8: byte 0xC3 at offset 2 (line 2, column 1); save the file as UTF-8`,
    });
  });

  it('reports [runtimes.__proto__] and [runtimes.constructor] as unknown runtimes', () => {
    const found = issues(
      load(
        '[runtimes.__proto__]\nmodel = "m"\n[runtimes.constructor]\nmodel = "m"\n[runtimes.codx]\nmodel = "m"\n',
      ),
    );
    expect(found.map(({ path, message, kind }) => ({ path, message, kind }))).toEqual([
      { path: 'runtimes.__proto__', message: 'unknown runtime "__proto__"', kind: 'runtime' },
      { path: 'runtimes.constructor', message: 'unknown runtime "constructor"', kind: 'runtime' },
      { path: 'runtimes.codx', message: 'unknown runtime "codx"', kind: 'runtime' },
    ]);
    expect(found[0]!.accepted).toContain('codex');
    expect(found[2]!.suggestion).toBe('codex');
  });

  it('refuses [missions.__proto__] and names that are not plain, but a mission may be called constructor', () => {
    const found = issues(
      load(
        '[missions.__proto__]\nsteps = ["execute"]\n[missions."fix it"]\nsteps = ["execute"]\n[missions.ok]\nsteps = ["execute"]\n',
      ),
    );
    const rule =
      'is not an accepted name: a mission name starts with a letter or digit and has only letters, digits, "-" and "_" (at most 64 characters)';
    expect(found.map((issue) => [issue.path, issue.message]).sort()).toEqual([
      ['missions."fix it"', rule],
      ['missions.__proto__', rule],
    ]);
    const loaded = config(load('[missions.constructor]\nsteps = ["execute"]\n'));
    const name: string = 'constructor';
    expect(Object.hasOwn(loaded.missions, name)).toBe(true);
    expect(loaded.missions[name]?.steps).toEqual([{ kind: 'stage', stage: 'execute' }]);
  });

  it('reports __proto__ as an unknown key in any table', () => {
    const found = issues(
      load(
        '[orchestrator]\n__proto__ = "x"\n[contracts.__proto__]\ntext = "t"\n[__proto__]\nx = 1\n[junk.__proto__]\nx = 1\n',
      ),
    );
    // Inside an unknown table, only that table is reported.
    expect(found.map((issue) => [issue.path, issue.message]).sort()).toEqual([
      ['__proto__', 'unknown key'],
      ['contracts.__proto__', 'unknown key'],
      ['junk', 'unknown key'],
      ['orchestrator.__proto__', 'unknown key'],
    ]);
    expect(found.find((issue) => issue.path === 'orchestrator.__proto__')!.accepted).toEqual([
      'runtime_backend',
      'runtime_profile',
      'retry',
    ]);
  });

  it('reports a __proto__ key in any table of names, even one with no rule for names', () => {
    const schema = z.strictObject({ pricing: z.record(z.string(), z.number()).optional() });
    expect(reservedKeyIssue(schema, ['pricing', '__proto__'], 'baton.toml')).toEqual({
      source: 'baton.toml',
      path: 'pricing.__proto__',
      message: 'unknown key ("__proto__" is reserved and names nothing)',
      kind: 'schema',
    });
  });

  it('refuses a base_url carrying a user or password, without printing it', () => {
    for (const url of [
      'http://user:s3cret-pw@127.0.0.1:4000/v1',
      'https://token@gateway.example/v1',
    ]) {
      const found = issues(load(`[runtimes.codex]\nbase_url = "${url}"\n`));
      expect(found).toEqual([
        expect.objectContaining({
          path: 'runtimes.codex.base_url',
          message: expect.stringContaining('api_key_env'),
        }),
      ]);
      expect(JSON.stringify(found)).not.toMatch(/s3cret-pw|token@/);
      expect(found[0]?.value).toMatch(/^https?:\/\/\*\*\*@/);
    }
  });

  it('requires base_url to start with http:// or https:// and name a host', () => {
    const message =
      'must be an http:// or https:// URL naming a host, e.g. "http://127.0.0.1:4000/v1"';
    for (const url of [
      'localhost:8080',
      'not a url',
      'http:host',
      'ftp://host',
      'http://',
      'https:// x',
      'HTTPS://gateway.example/v1',
    ]) {
      const found = issues(load(`[runtimes.codex]\nbase_url = "${url}"\n`));
      expect(found, url).toEqual([
        expect.objectContaining({ path: 'runtimes.codex.base_url', value: url, message }),
      ]);
    }
    for (const url of ['http://localhost:8080', 'https://[::1]:4000/v1']) {
      expect(config(load(`[runtimes.codex]\nbase_url = "${url}"\n`)).runtimes.codex).toEqual({
        baseUrl: url,
      });
    }
    expect(issues(load('[runtimes.codex]\nbase_url = ""\n'))).toEqual([
      expect.objectContaining({ path: 'runtimes.codex.base_url', message: 'must not be empty' }),
    ]);
  });
});
