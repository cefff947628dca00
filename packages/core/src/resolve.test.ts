import { describe, expect, it } from 'vitest';
import { resolveStage, resolveStages, runtimesInUse, runtimeUses } from './resolve.js';
import { config, load } from './test-support/load-config.js';

const ROUTED = `
[orchestrator]
runtime_backend = "hermes"

[orchestrator.runtime_profile]
default = [{ runtime = "opencode", model = "default-model", effort = "low" }, "codex"]

[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", model = "gpt-5.5", effort = "high" }
execute = [{ runtime = "codex", model = "gpt-5.5-codex" }, "claude", "opencode"]

[runtimes.claude-code]
model = "opus"

[runtimes.codex]
model = "runtime-model"
`;

describe('resolveStage', () => {
  it('says where each model of a chain came from: stage, default, [runtimes.<id>] or the harness', () => {
    const loaded = config(load(ROUTED));
    expect(resolveStages(loaded)).toEqual({
      interview: {
        runtime: 'codex',
        source: 'stage',
        chain: [{ runtime: 'codex', model: 'gpt-5.5', modelSource: 'stage', effort: 'high' }],
      },
      execute: {
        runtime: 'codex',
        source: 'stage',
        chain: [
          { runtime: 'codex', model: 'gpt-5.5-codex', modelSource: 'stage', effort: null },
          { runtime: 'claude-code', model: 'opus', modelSource: 'runtime', effort: null },
          { runtime: 'opencode', model: null, modelSource: 'harness', effort: null },
        ],
      },
      evaluate: {
        runtime: 'opencode',
        source: 'default',
        chain: [
          { runtime: 'opencode', model: 'default-model', modelSource: 'default', effort: 'low' },
          { runtime: 'codex', model: 'runtime-model', modelSource: 'runtime', effort: null },
        ],
      },
      reflect: {
        runtime: 'opencode',
        source: 'default',
        chain: [
          { runtime: 'opencode', model: 'default-model', modelSource: 'default', effort: 'low' },
          { runtime: 'codex', model: 'runtime-model', modelSource: 'runtime', effort: null },
        ],
      },
    });
  });

  it('gives runtime_backend the model of [runtimes.<id>], else leaves it to the harness', () => {
    const withModel = config(
      load('[orchestrator]\nruntime_backend = "codex"\n[runtimes.codex]\nmodel = "m"\n'),
    );
    expect(resolveStage(withModel, 'evaluate')).toEqual({
      runtime: 'codex',
      source: 'fallback',
      chain: [{ runtime: 'codex', model: 'm', modelSource: 'runtime', effort: null }],
    });
    const without = config(load('[orchestrator]\nruntime_backend = "codex"\n'));
    expect(resolveStage(without, 'evaluate').chain).toEqual([
      { runtime: 'codex', model: null, modelSource: 'harness', effort: null },
    ]);
  });

  it('lets a stage model win over [runtimes.<id>] model', () => {
    const loaded = config(
      load(
        '[orchestrator.runtime_profile.stages]\nexecute = { runtime = "codex", model = "stage-model" }\n[runtimes.codex]\nmodel = "runtime-model"\n',
      ),
    );
    expect(resolveStage(loaded, 'execute').chain[0]).toMatchObject({
      model: 'stage-model',
      modelSource: 'stage',
    });
  });
});

describe('runtimes in use', () => {
  it('covers every runtime of every chain, with the stages and chain positions naming it', () => {
    const loaded = config(load(ROUTED));
    expect(runtimesInUse(loaded)).toEqual(
      new Map([
        ['codex', ['interview', 'execute', 'evaluate', 'reflect']],
        ['claude-code', ['execute']],
        ['opencode', ['execute', 'evaluate', 'reflect']],
      ]),
    );
    const uses = runtimeUses(loaded);
    expect(uses.get('opencode')?.map(({ stage, position }) => [stage, position])).toEqual([
      ['execute', 2],
      ['evaluate', 0],
      ['reflect', 0],
    ]);
    expect(
      uses.get('codex')?.map(({ stage, position, target }) => [stage, position, target.effort]),
    ).toEqual([
      ['interview', 0, 'high'],
      ['execute', 0, null],
      ['evaluate', 1, null],
      ['reflect', 1, null],
    ]);
    // runtime_backend is named by no stage here, so it is not in use.
    expect(uses.has('hermes')).toBe(false);
  });
});
