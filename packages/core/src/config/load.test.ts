import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterRegistry } from '../registry.js';
import { resolveStages } from '../resolve.js';
import { FIRST_PARTY_IDENTITIES, fakeAdapter } from '../test-support/fake-adapter.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { formatIssue, formatIssues } from './issues.js';
import { type LoadConfigOptions, loadConfig } from './load.js';

function fullRegistry(except: readonly string[] = []): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const identity of FIRST_PARTY_IDENTITIES) {
    if (!except.includes(identity.id)) registry.register(fakeAdapter(identity));
  }
  return registry;
}

/** Loads `toml` as a project's baton.toml, with an empty user config dir. */
function load(toml: string | undefined, options: Partial<LoadConfigOptions> = {}) {
  const root = tempDirectory();
  if (toml !== undefined) writeTree(root, { 'project/baton.toml': toml });
  writeTree(root, { 'project/.keep': '' });
  return loadConfig({
    cwd: join(root, 'project'),
    env: { XDG_CONFIG_HOME: join(root, 'xdg'), HOME: join(root, 'home') },
    registry: fullRegistry(),
    ...options,
  });
}

function issues(result: ReturnType<typeof loadConfig>) {
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

function config(result: ReturnType<typeof loadConfig>) {
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.config;
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
    expect(resolveStages(loaded)).toEqual({
      interview: { runtime: 'codex', source: 'stage' },
      execute: { runtime: 'opencode', source: 'stage' },
      evaluate: { runtime: 'claude-code', source: 'stage' },
      reflect: { runtime: 'hermes', source: 'stage' },
    });
    expect(loaded.backendProfile).toBe('worker');
    expect(loaded.defaultRuntime).toBe('claude-code');
    expect(loaded.runtimeBackend).toBe('claude-code');
  });
});

describe('resolution', () => {
  it('sends every stage to runtime_backend when there is no runtime_profile', () => {
    const loaded = config(load('[orchestrator]\nruntime_backend = "codex"\n'));
    expect(Object.values(resolveStages(loaded))).toEqual(
      Array(4).fill({ runtime: 'codex', source: 'fallback' }),
    );
    expect(loaded.backendProfile).toBeNull();
  });

  it('defaults runtime_backend to claude-code with no file at all', () => {
    const loaded = config(load(undefined));
    expect(resolveStages(loaded).reflect).toEqual({ runtime: 'claude-code', source: 'fallback' });
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
    expect(resolveStages(loaded)).toEqual({
      interview: { runtime: 'opencode', source: 'default' },
      execute: { runtime: 'opencode', source: 'default' },
      evaluate: { runtime: 'codex', source: 'stage' },
      reflect: { runtime: 'opencode', source: 'default' },
    });
  });

  it('accepts runtime_profile = "worker" as shorthand for backend_profile', () => {
    const loaded = config(load('[orchestrator]\nruntime_profile = "worker"\n'));
    expect(loaded.backendProfile).toBe('worker');
    expect(loaded.defaultRuntime).toBeNull();
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
      suggestion: 'claude',
      kind: 'runtime',
    });
    expect(found[0]!.accepted).toContain('claude-code');
    expect(formatIssue(found[0]!)).toMatch(
      /baton\.toml: orchestrator\.runtime_profile\.stages\.evaluate = "cluade": unknown runtime\. Accepted: .*claude-code.*\. Did you mean "claude"\?$/,
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
    expect(loaded.stages).toEqual({ evaluate: 'codex' });
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
    expect(loaded.stages.evaluate).toBe('hermes');
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
    expect(loaded.stages.evaluate).toBe('opencode');
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
    expect(found[0]!.suggestion).toBe('claude');
    expect(found[1]!.suggestion).toBe('reflect');
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
