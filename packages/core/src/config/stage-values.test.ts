/**
 * Stage values (and `default`): a runtime name, a table `{ runtime, model?, effort? }`, or a
 * fallback chain of those; from files, `BATON_STAGE_<STAGE>` and `--stage`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, fullRegistry, issues, load } from '../test-support/load-config.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { formatIssue } from './issues.js';
import { type LoadConfigOptions, loadConfig } from './load.js';

const STAGES_PATH = 'orchestrator.runtime_profile.stages';

function stages(toml: string) {
  return load(`[orchestrator.runtime_profile.stages]\n${toml}\n`);
}

/** The issues as [path, value, message, suggestion], for compact comparisons. */
function summary(found: ReturnType<typeof issues>) {
  return found.map((issue) => [issue.path, issue.value, issue.message, issue.suggestion]);
}

describe('stage values in a file', () => {
  it('accepts a table with a model and an effort, and a chain of names and tables with aliases', () => {
    const loaded = config(
      stages(`
interview = { runtime = "codex", model = "gpt-5.5", effort = "high" }
execute = [{ runtime = "codex_cli", model = "gpt-5.5-codex" }, "claude", { runtime = "OpenCode" }]
evaluate = "claude_code"
reflect = ["hermes"]
`),
    );
    expect(loaded.stages).toEqual({
      interview: [{ runtime: 'codex', model: 'gpt-5.5', effort: 'high' }],
      execute: [
        { runtime: 'codex', model: 'gpt-5.5-codex', effort: null },
        { runtime: 'claude-code', model: null, effort: null },
        { runtime: 'opencode', model: null, effort: null },
      ],
      evaluate: [{ runtime: 'claude-code', model: null, effort: null }],
      reflect: [{ runtime: 'hermes', model: null, effort: null }],
    });
  });

  it('accepts default as a name, a table or a chain', () => {
    const base = '[orchestrator.runtime_profile]\ndefault = ';
    expect(config(load(`${base}"codex"\n`)).defaultTargets).toEqual([
      { runtime: 'codex', model: null, effort: null },
    ]);
    expect(
      config(load(`${base}{ runtime = "claude", model = "opus", effort = "low" }\n`))
        .defaultTargets,
    ).toEqual([{ runtime: 'claude-code', model: 'opus', effort: 'low' }]);
    expect(
      config(load(`${base}["opencode", { runtime = "codex", model = "m" }]\n`)).defaultTargets,
    ).toEqual([
      { runtime: 'opencode', model: null, effort: null },
      { runtime: 'codex', model: 'm', effort: null },
    ]);
  });

  it('accepts a chain of five and refuses a sixth entry, an empty chain and an empty table', () => {
    const five = '["codex", "claude", "opencode", "hermes", "litellm"]';
    expect(config(stages(`execute = ${five}`)).stages.execute).toHaveLength(5);
    const found = issues(
      stages(
        'execute = ["codex", "claude", "opencode", "hermes", "litellm", "codex"]\nevaluate = []\nreflect = {}',
      ),
    );
    expect(summary(found)).toEqual([
      [
        `${STAGES_PATH}.execute`,
        ['codex', 'claude', 'opencode', 'hermes', 'litellm', 'codex'],
        'may list at most 5 runtimes',
        undefined,
      ],
      [`${STAGES_PATH}.evaluate`, [], 'must name at least one runtime', undefined],
      [`${STAGES_PATH}.reflect.runtime`, undefined, 'is required', undefined],
    ]);
  });

  it('names the position of a misspelt runtime in a chain and in a table, with did-you-mean', () => {
    const found = issues(
      stages(
        'interview = { runtime = "cdex", model = "m" }\nexecute = ["codex", "cluade", { runtime = "opncode" }]',
      ),
    );
    expect(summary(found)).toEqual([
      [`${STAGES_PATH}.interview.runtime`, 'cdex', 'unknown runtime', 'codex'],
      [`${STAGES_PATH}.execute[1]`, 'cluade', 'unknown runtime', 'claude-code'],
      [`${STAGES_PATH}.execute[2].runtime`, 'opncode', 'unknown runtime', 'opencode'],
    ]);
    expect(found[1]!.accepted).toContain('claude-code');
    expect(formatIssue(found[1]!)).toMatch(
      /baton\.toml: orchestrator\.runtime_profile\.stages\.execute\[1\] = "cluade": unknown runtime\. Accepted: .*\. Did you mean "claude-code"\?$/,
    );
  });

  it('refuses the same runtime twice in one chain, aliases included, naming both positions', () => {
    const found = issues(
      stages('execute = ["claude", "codex", { runtime = "claude-code", model = "opus" }]'),
    );
    expect(summary(found)).toEqual([
      [
        `${STAGES_PATH}.execute[2]`,
        'claude-code',
        `names claude-code again (first at ${STAGES_PATH}.execute[0]); a chain tries each runtime once`,
        undefined,
      ],
    ]);
  });

  it('allows one runtime in the chains of several stages', () => {
    const loaded = config(stages('execute = ["codex", "claude"]\nevaluate = ["claude", "codex"]'));
    expect(loaded.stages.evaluate?.map((target) => target.runtime)).toEqual([
      'claude-code',
      'codex',
    ]);
  });

  it('keeps stage tables strict: an unknown key is an error with the accepted keys', () => {
    const found = issues(
      stages(
        'interview = { runtime = "codex", modle = "gpt-5.5" }\nexecute = ["claude", { runtime = "codex", efort = "high" }]',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.suggestion, issue.accepted])).toEqual([
      [`${STAGES_PATH}.interview.modle`, 'model', ['runtime', 'model', 'effort']],
      [`${STAGES_PATH}.execute[1].efort`, 'effort', ['runtime', 'model', 'effort']],
    ]);
  });

  it('reports __proto__ in a stage table and in a chain entry as an unknown key', () => {
    const found = issues(
      stages(
        'interview = { runtime = "codex", __proto__ = "x" }\nexecute = [{ runtime = "codex", __proto__ = 1 }]',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.message, issue.accepted])).toEqual([
      [`${STAGES_PATH}.interview.__proto__`, 'unknown key', ['runtime', 'model', 'effort']],
      [`${STAGES_PATH}.execute[0].__proto__`, 'unknown key', ['runtime', 'model', 'effort']],
    ]);
  });

  it('says which kinds a stage value and a chain entry may be', () => {
    const found = issues(
      stages('interview = 3\nexecute = ["codex", 4]\nevaluate = [["codex"]]\nreflect = true'),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      [`${STAGES_PATH}.interview`, 'must be a string, a table or an array, not a number (3)'],
      [`${STAGES_PATH}.execute[1]`, 'must be a string or a table, not a number (4)'],
      [`${STAGES_PATH}.evaluate[0]`, 'must be a string or a table, not an array'],
      [`${STAGES_PATH}.reflect`, 'must be a string, a table or an array, not a boolean (true)'],
    ]);
  });

  it('refuses empty names, models and efforts', () => {
    const found = issues(
      stages(
        'interview = { runtime = "codex", model = "", effort = " " }\nexecute = ["codex", ""]',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      [`${STAGES_PATH}.interview.model`, 'must not be empty'],
      [`${STAGES_PATH}.interview.effort`, 'must not be empty'],
      [`${STAGES_PATH}.execute[1]`, 'must not be empty'],
    ]);
  });

  it('reports every problem of every chain in one pass, positions unshifted', () => {
    const found = issues(
      load(`
[orchestrator.runtime_profile]
default = ["opencode", "opencdoe"]
[orchestrator.runtime_profile.stages]
interview = { runtime = "cdex", modle = "x" }
execute = [3, "cluade", { runtime = "codex", efort = "high" }, "codex"]
`),
    );
    expect(summary(found)).toEqual([
      [`${STAGES_PATH}.interview.modle`, 'x', 'unknown key', 'model'],
      [`${STAGES_PATH}.execute[0]`, 3, 'must be a string or a table, not a number (3)', undefined],
      [`${STAGES_PATH}.execute[2].efort`, 'high', 'unknown key', 'effort'],
      ['orchestrator.runtime_profile.default[1]', 'opencdoe', 'unknown runtime', 'opencode'],
      [`${STAGES_PATH}.interview.runtime`, 'cdex', 'unknown runtime', 'codex'],
      [`${STAGES_PATH}.execute[1]`, 'cluade', 'unknown runtime', 'claude-code'],
      [
        `${STAGES_PATH}.execute[3]`,
        'codex',
        `names codex again (first at ${STAGES_PATH}.execute[2]); a chain tries each runtime once`,
        undefined,
      ],
    ]);
  });

  it('reports a chain of 100,000 entries as too long, looking up no more than 5 names', () => {
    const numbers = issues(stages(`execute = [${Array(100_000).fill('1').join(',')}]`));
    expect(summary(numbers).map(([path, , message]) => [path, message])).toEqual([
      [`${STAGES_PATH}.execute`, 'may list at most 5 runtimes'],
    ]);
    const names = issues(stages(`execute = [${Array(30_000).fill('"cdex"').join(',')}]`));
    expect(names.map((issue) => issue.path)).toEqual([
      `${STAGES_PATH}.execute`,
      ...[0, 1, 2, 3, 4].map((index) => `${STAGES_PATH}.execute[${index}]`),
    ]);
  });

  it('requires the adapter of every runtime of a chain, fallbacks included', () => {
    const found = issues(
      load('[orchestrator.runtime_profile.stages]\nexecute = ["codex", "hermes"]\n', {
        registry: fullRegistry(['hermes']),
      }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        path: `${STAGES_PATH}.execute[1]`,
        value: 'hermes',
        kind: 'adapter-not-installed',
        message: expect.stringContaining('npm install @baton/hermes'),
      }),
    ]);
  });
});

describe('chains from the environment and flags', () => {
  function layered(env: Record<string, string>, flags?: LoadConfigOptions['flags']) {
    const root = tempDirectory();
    writeTree(root, {
      'xdg/baton/config.toml':
        '[orchestrator.runtime_profile.stages]\nexecute = [{ runtime = "hermes", model = "user" }]\n',
      'project/baton.toml':
        '[orchestrator.runtime_profile.stages]\nexecute = [{ runtime = "codex", model = "m" }, "claude"]\nevaluate = "claude"\n',
    });
    return loadConfig({
      cwd: join(root, 'project'),
      env: { XDG_CONFIG_HOME: join(root, 'xdg'), ...env },
      registry: fullRegistry(),
      flags,
    });
  }

  it('replaces a lower layer chain whole', () => {
    expect(config(layered({})).stages.execute).toEqual([
      { runtime: 'codex', model: 'm', effort: null },
      { runtime: 'claude-code', model: null, effort: null },
    ]);
  });

  it('reads BATON_STAGE_<STAGE>=a,b and --stage STAGE=a,b as chains of names', () => {
    const fromEnv = config(layered({ BATON_STAGE_EXECUTE: ' opencode , claude_code ' }));
    expect(fromEnv.stages.execute).toEqual([
      { runtime: 'opencode', model: null, effort: null },
      { runtime: 'claude-code', model: null, effort: null },
    ]);
    const fromFlag = config(
      layered(
        { BATON_STAGE_EXECUTE: 'opencode,claude' },
        { stages: { execute: 'hermes,codex', evaluate: 'codex' } },
      ),
    );
    expect(fromFlag.stages.execute?.map((target) => target.runtime)).toEqual(['hermes', 'codex']);
    expect(fromFlag.stages.evaluate?.map((target) => target.runtime)).toEqual(['codex']);
  });

  it('names the position of a misspelt name in a chain given as text', () => {
    const found = issues(
      layered({ BATON_STAGE_EXECUTE: 'codex,cluade' }, { stages: { reflect: 'hermes,opncode' } }),
    );
    expect(found.map((issue) => [issue.source, issue.path, issue.value, issue.suggestion])).toEqual(
      [
        ['environment (BATON_STAGE_EXECUTE)', '[1]', 'cluade', 'claude-code'],
        ['command line (--stage reflect=hermes,opncode)', '[1]', 'opncode', 'opencode'],
      ],
    );
    expect(formatIssue(found[0]!)).toMatch(
      /^BATON_STAGE_EXECUTE \(environment\): \[1\] = "cluade": unknown runtime\. Accepted: .*Did you mean "claude-code"\?$/,
    );
  });

  it('refuses empty names, more than five names and a runtime named twice', () => {
    const found = issues(
      layered(
        {
          BATON_STAGE_EXECUTE: 'codex,,claude',
          BATON_STAGE_EVALUATE: 'claude,codex,claude-code',
          BATON_STAGE_REFLECT: 'codex,',
        },
        { stages: { interview: 'codex,claude,opencode,hermes,litellm,codex' } },
      ),
    );
    expect(found.map((issue) => [issue.source, issue.path, issue.value, issue.message])).toEqual([
      [
        'environment (BATON_STAGE_EVALUATE)',
        '[2]',
        'claude-code',
        'names claude-code again (first at [0]); a chain tries each runtime once',
      ],
      [
        'environment (BATON_STAGE_EXECUTE)',
        '',
        'codex,,claude',
        'has an empty runtime name; give one name, or names separated by single commas, e.g. "codex,claude-code"',
      ],
      [
        'environment (BATON_STAGE_REFLECT)',
        '',
        'codex,',
        'has an empty runtime name; give one name, or names separated by single commas, e.g. "codex,claude-code"',
      ],
      [
        'command line (--stage interview=codex,claude,opencode,hermes,litellm,codex)',
        '',
        'codex,claude,opencode,hermes,litellm,codex',
        'may list at most 5 runtimes, found 6',
      ],
    ]);
  });

  it('keeps a single name in the environment reported without a position', () => {
    const found = issues(layered({ BATON_STAGE_EVALUATE: 'cluade' }));
    expect(found[0]).toMatchObject({
      source: 'environment (BATON_STAGE_EVALUATE)',
      path: '',
      value: 'cluade',
      suggestion: 'claude-code',
    });
  });
});
