/**
 * `baton stages` and `baton doctor` with fallback chains, models and efforts (built CLI).
 */
import { describe, expect, it } from 'vitest';
import {
  fakeExecutable,
  installFakeAdapter,
  runCli,
  tempProject,
} from '../test-support/project.js';

const CHAINED = `
[orchestrator]
runtime_backend = "alpha"

[orchestrator.runtime_profile]
default = { runtime = "gamma", effort = "low" }

[orchestrator.runtime_profile.stages]
interview = { runtime = "beta-cli", model = "m-stage", effort = "high" }
execute = [{ runtime = "alpha", model = "m-exec" }, "beta", "gamma"]

[runtimes.beta]
model = "m-runtime"
`;

/** alpha and gamma on specification v2 with efforts, beta on v1 (no efforts). */
function project(toml: string): string {
  const root = tempProject({ 'baton.toml': toml });
  installFakeAdapter(root, 'alpha', { efforts: ['low', 'high'] });
  installFakeAdapter(root, 'beta', { aliases: ['beta-cli'] });
  installFakeAdapter(root, 'gamma', { efforts: ['low'] });
  return root;
}

describe('baton stages with chains and models', () => {
  it('shows each fallback on its own row, and each model and effort with where it came from', () => {
    const result = runCli(project(CHAINED), ['stages']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').slice(0, 7)).toEqual([
      'STAGE      RUNTIME  MODEL                   SOURCE',
      'interview  beta     m-stage · high (stage)  stage',
      'execute    alpha    m-exec (stage)          stage',
      '           ↳ beta   m-runtime (runtime)',
      '           ↳ gamma  harness default',
      'evaluate   gamma    harness default · low   default',
      'reflect    gamma    harness default · low   default',
    ]);
  });

  it('keeps runtime and source in --json, with the model, its source, the effort and the chain', () => {
    const stages = JSON.parse(runCli(project(CHAINED), ['stages', '--json']).stdout).stages;
    expect(stages.interview).toEqual({
      runtime: 'beta',
      source: 'stage',
      model: 'm-stage',
      modelSource: 'stage',
      effort: 'high',
      chain: [{ runtime: 'beta', model: 'm-stage', modelSource: 'stage', effort: 'high' }],
    });
    expect(stages.execute).toEqual({
      runtime: 'alpha',
      source: 'stage',
      model: 'm-exec',
      modelSource: 'stage',
      effort: null,
      chain: [
        { runtime: 'alpha', model: 'm-exec', modelSource: 'stage', effort: null },
        { runtime: 'beta', model: 'm-runtime', modelSource: 'runtime', effort: null },
        { runtime: 'gamma', model: null, modelSource: 'harness', effort: null },
      ],
    });
    expect(stages.reflect).toMatchObject({ runtime: 'gamma', source: 'default', effort: 'low' });
  });

  it('takes chains from --stage and BATON_STAGE_, and names a misspelt one by position', () => {
    const root = project(CHAINED);
    const result = runCli(root, ['stages', '--json', '--stage', 'execute=gamma,beta-cli'], {
      BATON_STAGE_REFLECT: 'beta,alpha',
    });
    const stages = JSON.parse(result.stdout).stages;
    expect(stages.execute.chain.map((target: { runtime: string }) => target.runtime)).toEqual([
      'gamma',
      'beta',
    ]);
    expect(stages.reflect.chain.map((target: { runtime: string }) => target.runtime)).toEqual([
      'beta',
      'alpha',
    ]);

    const wrong = runCli(root, ['stages', '--stage', 'execute=gamma,aplha,gamma']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain(
      '--stage execute=gamma,aplha,gamma (command line): [1] = "aplha": unknown runtime.',
    );
    expect(wrong.stderr).toContain('Did you mean "alpha"?');
    expect(wrong.stderr).toContain(
      '--stage execute=gamma,aplha,gamma (command line): [2] = "gamma": names gamma again (first at [0]); a chain tries each runtime once',
    );
  });
});

describe('baton doctor with chains and efforts', () => {
  const ROUTED = `
[orchestrator.runtime_profile.stages]
interview = { runtime = "alpha", effort = "max" }
execute = ["alpha", { runtime = "gamma", effort = "low" }]
evaluate = { runtime = "beta", effort = "high" }
reflect = "gamma"
`;

  function ready(toml: string): string {
    const root = project(toml);
    for (const id of ['alpha', 'beta', 'gamma']) {
      fakeExecutable(root, `fake-${id}`, 'echo "fake 1.2.0"');
    }
    return root;
  }

  it('checks every runtime of every chain, and fails an effort the adapter does not accept', () => {
    const result = runCli(ready(ROUTED), ['doctor', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    const byId = Object.fromEntries(
      report.runtimes.map((runtime: { id: string }) => [runtime.id, runtime]),
    );
    expect(Object.keys(byId)).toEqual(['alpha', 'gamma', 'beta']);
    expect(byId.alpha).toMatchObject({
      status: 'fail',
      stages: ['interview', 'execute'],
      uses: [
        { stage: 'interview', position: 0 },
        { stage: 'execute', position: 0 },
      ],
    });
    expect(byId.alpha.checks.find((check: { id: string }) => check.id === 'effort')).toMatchObject({
      status: 'fail',
      summary: 'Fake alpha does not accept effort "max" at interview; accepted: low, high',
      remediation:
        'Set effort to one of low, high in orchestrator.runtime_profile.stages.interview, or remove it.',
    });
    expect(byId.gamma).toMatchObject({
      status: 'pass',
      stages: ['execute', 'reflect'],
      uses: [
        { stage: 'execute', position: 1 },
        { stage: 'reflect', position: 0 },
      ],
    });
    expect(byId.gamma.checks.find((check: { id: string }) => check.id === 'effort')).toMatchObject({
      status: 'pass',
      summary: 'effort low at execute (fallback 1) accepted',
    });
    expect(byId.beta.checks.find((check: { id: string }) => check.id === 'effort')).toMatchObject({
      status: 'fail',
      summary:
        'Fake beta takes no reasoning effort, but the routing sets effort "high" at evaluate',
    });
  });

  it('shows which stages and chain positions use each runtime', () => {
    const result = runCli(ready(ROUTED), ['doctor']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('(alpha; stages: interview, execute)');
    expect(result.stdout).toContain('(gamma; stages: execute (fallback 1), reflect)');
    expect(result.stdout).toContain('           ↳ gamma  harness default · low');
    expect(result.stdout).toContain(
      '✗ effort: Fake alpha does not accept effort "max" at interview; accepted: low, high',
    );
  });

  it('passes when every effort is accepted, and fails when a fallback is not installed on PATH', () => {
    const good = `
[orchestrator.runtime_profile.stages]
interview = { runtime = "alpha", effort = "high" }
execute = ["alpha", "gamma"]
evaluate = "beta"
reflect = "beta"
`;
    expect(runCli(ready(good), ['doctor']).status).toBe(0);
    const root = project(good);
    fakeExecutable(root, 'fake-alpha', 'echo "fake 1.2.0"');
    fakeExecutable(root, 'fake-beta', 'echo "fake 1.2.0"');
    const missing = runCli(root, ['doctor', '--json']);
    expect(missing.status).toBe(1);
    const gamma = JSON.parse(missing.stdout).runtimes.find(
      (runtime: { id: string }) => runtime.id === 'gamma',
    );
    expect(gamma).toMatchObject({ status: 'fail', uses: [{ stage: 'execute', position: 1 }] });
  });
});
