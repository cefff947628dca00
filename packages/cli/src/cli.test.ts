import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeExecutable, installFakeAdapter, runCli, tempProject } from './test-support/project.js';

const ROUTED = `
[orchestrator]
runtime_backend = "alpha"

[orchestrator.runtime_profile]
backend_profile = "worker"

[orchestrator.runtime_profile.stages]
evaluate = "beta-cli"
`;

function project(toml = ROUTED) {
  const root = tempProject({ 'baton.toml': toml });
  installFakeAdapter(root, 'alpha');
  installFakeAdapter(root, 'beta', { aliases: ['beta-cli'] });
  installFakeAdapter(root, 'gamma');
  return root;
}

describe('baton (built CLI, as a subprocess)', () => {
  it('prints its version and help', () => {
    const root = tempProject();
    const version = runCli(root, ['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^baton \d+\.\d+\.\d+\n$/);
    expect(JSON.parse(runCli(root, ['--version', '--json']).stdout)).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    const help = runCli(root, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: baton <command> [options]');
    expect(runCli(root, []).status).toBe(2);
  });

  it('rejects an unknown command with a suggestion, as JSON on stdout with --json', () => {
    const root = tempProject();
    const result = runCli(root, ['stagse', '--json']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'USAGE',
        message: expect.stringContaining('Unknown command "stagse". Did you mean "stages"?'),
      },
    });
  });

  it('stages --json prints the resolved routing exactly as PRODUCT.md §5 shapes it', () => {
    const root = project();
    const result = runCli(root, ['stages', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      stages: {
        interview: { runtime: 'alpha', source: 'fallback' },
        execute: { runtime: 'alpha', source: 'fallback' },
        evaluate: { runtime: 'beta', source: 'stage' },
        reflect: { runtime: 'alpha', source: 'fallback' },
      },
      backendProfile: 'worker',
      configFiles: [join(root, 'baton.toml')],
    });
  });

  it('stages prints a plain table without colour when not on a terminal', () => {
    const result = runCli(project(), ['stages']);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stdout.split('\n').slice(0, 5)).toEqual([
      'STAGE      RUNTIME  SOURCE',
      'interview  alpha    fallback',
      'execute    alpha    fallback',
      'evaluate   beta     stage',
      'reflect    alpha    fallback',
    ]);
  });

  it('applies --stage and BATON_STAGE_ overrides', () => {
    const root = project();
    const result = runCli(root, ['stages', '--json', '--stage', 'reflect=gamma'], {
      BATON_STAGE_INTERVIEW: 'beta',
    });
    const stages = JSON.parse(result.stdout).stages;
    expect(stages.reflect).toEqual({ runtime: 'gamma', source: 'stage' });
    expect(stages.interview).toEqual({ runtime: 'beta', source: 'stage' });
  });

  it('exits 2 on bad config, listing every problem; with --json only JSON on stdout', () => {
    const root = project(
      '[orchestrator.runtime_profile.stages]\ninterveiw = "alpha"\nevaluate = "bta"\n',
    );
    const text = runCli(root, ['stages']);
    expect(text.status).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('Invalid configuration (2 problems):');
    expect(text.stderr).toContain(
      'baton.toml: orchestrator.runtime_profile.stages.interveiw = "alpha": unknown key',
    );
    expect(text.stderr).toContain('Did you mean "interview"?');
    expect(text.stderr).toContain(
      'orchestrator.runtime_profile.stages.evaluate = "bta": unknown runtime',
    );
    const json = runCli(root, ['stages', '--json']);
    expect(json.status).toBe(2);
    expect(json.stderr).toBe('');
    const error = JSON.parse(json.stdout).error;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'orchestrator.runtime_profile.stages.evaluate',
      'orchestrator.runtime_profile.stages.interveiw',
    ]);
  });

  it('exits 2 with line and column on a TOML syntax error', () => {
    const result = runCli(project('[orchestrator\nruntime_backend = "alpha"\n'), [
      'stages',
      '--json',
    ]);
    expect(result.status).toBe(2);
    const error = JSON.parse(result.stdout).error;
    expect(error.code).toBe('CONFIG_SYNTAX');
    expect(error.issues[0]).toMatchObject({ kind: 'syntax', line: 1 });
  });

  it('exits 2 on an unknown option', () => {
    const result = runCli(project(), ['stages', '--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'baton: stages: unknown option "--bogus" (see baton stages --help).\n',
    );
  });
});

describe('baton doctor', () => {
  it('checks every runtime the routing uses, in the JSON shape of PRODUCT.md §5', () => {
    const root = project();
    fakeExecutable(root, 'fake-alpha', 'echo "fake 1.4.2"');
    fakeExecutable(root, 'fake-beta', 'echo "fake 3.0.0"');
    const result = runCli(root, ['doctor', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.stages.evaluate).toEqual({ runtime: 'beta', source: 'stage' });
    expect(report.backendProfile).toBe('worker');
    expect(report.runtimes.map((runtime: { id: string }) => runtime.id)).toEqual(['alpha', 'beta']);
    const [alpha, beta] = report.runtimes;
    expect(alpha).toMatchObject({
      id: 'alpha',
      stages: ['interview', 'execute', 'reflect'],
      status: 'pass',
      version: '1.4.2',
      contractChannel: 'stdin preamble',
    });
    expect(
      alpha.checks.map((check: { id: string; status: string }) => [check.id, check.status]),
    ).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
    ]);
    for (const check of alpha.checks) expect(typeof check.durationMs).toBe('number');
    expect(beta).toMatchObject({ status: 'warn', version: '3.0.0' });
    expect(beta.checks[1]).toMatchObject({
      status: 'warn',
      remediation: expect.stringContaining('>=1.0.0 <2.0.0'),
    });
  });

  it('exits 1 when a used runtime fails, and names the remedy; unused runtimes are not required', () => {
    const root = project();
    fakeExecutable(root, 'fake-alpha', 'echo "fake 1.0.0"');
    const result = runCli(root, ['doctor']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('✗ Fake beta');
    expect(result.stdout).toContain('✗ binary: fake-beta not found on PATH');
    expect(result.stdout).toContain('→ install fake-beta');
    expect(result.stdout).toContain('- version: skipped: binary did not pass');
    expect(result.stdout).not.toContain('gamma');
  });

  it('runs probe checks only with --probe', () => {
    const root = project();
    fakeExecutable(root, 'fake-alpha', 'echo "fake 1.0.0"');
    fakeExecutable(root, 'fake-beta', 'echo "fake 1.0.0"');
    const plain = JSON.parse(runCli(root, ['doctor', '--json']).stdout);
    expect(plain.runtimes[0].checks.map((check: { id: string }) => check.id)).toEqual([
      'binary',
      'version',
    ]);
    const probed = JSON.parse(runCli(root, ['doctor', '--probe', '--json']).stdout);
    expect(probed.runtimes[0].checks.map((check: { id: string }) => check.id)).toEqual([
      'binary',
      'version',
      'probe',
    ]);
  });

  it('is not hung by a runtime whose --version never returns', () => {
    const root = project();
    fakeExecutable(root, 'fake-alpha', 'sleep 600');
    fakeExecutable(root, 'fake-beta', 'echo "fake 1.0.0"');
    const started = Date.now();
    const result = runCli(root, ['doctor', '--json']);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(result.status).toBe(1);
    const alpha = JSON.parse(result.stdout).runtimes[0];
    expect(alpha.checks[1]).toMatchObject({ id: 'version', status: 'fail' });
  }, 60_000);
});

describe('baton init', () => {
  it('writes a starter config from the runtimes found, then never overwrites it', () => {
    const root = project('');
    const target = join(root, 'sub');
    mkdirSync(target);
    fakeExecutable(root, 'fake-beta', 'echo "fake 1.0.0"');
    const first = runCli(target, ['init', '--json'], {
      PATH: `${join(root, 'bin')}:/usr/bin:/bin`,
    });
    expect(first.status).toBe(0);
    const written = JSON.parse(first.stdout);
    expect(written.path).toBe(join(target, 'baton.toml'));
    expect(written.found).toEqual(['beta']);
    const text = readFileSync(join(target, 'baton.toml'), 'utf8');
    expect(text).toContain('runtime_backend = "beta"');
    expect(text).toContain('# Found installed: beta');
    const stages = runCli(target, ['stages', '--json'], {
      PATH: `${join(root, 'bin')}:/usr/bin:/bin`,
    });
    expect(JSON.parse(stages.stdout).stages.evaluate.runtime).toBe('beta');

    writeFileSync(join(target, 'baton.toml'), '# mine\n');
    const before = statSync(join(target, 'baton.toml')).mtimeMs;
    const second = runCli(target, ['init']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('already exists; baton init never overwrites it');
    expect(readFileSync(join(target, 'baton.toml'), 'utf8')).toBe('# mine\n');
    expect(statSync(join(target, 'baton.toml')).mtimeMs).toBe(before);
  });
});

describe('baton contract', () => {
  it('prints exactly the rendered contract, and its hash and channel with --json', () => {
    const root = project(`${ROUTED}\n[contracts.evaluate]\ntext = "Also run the linter."\n`);
    const text = runCli(root, ['contract', 'evaluate']);
    expect(text.status).toBe(0);
    expect(text.stdout.startsWith('Baton role contract v1 — Reviewer (stage: evaluate)')).toBe(
      true,
    );
    expect(text.stdout.endsWith('VERDICT: FAIL <one-line reason>\n\nAlso run the linter.')).toBe(
      true,
    );
    const json = JSON.parse(runCli(root, ['contract', 'evaluate', '--json']).stdout);
    expect(json).toMatchObject({
      stage: 'evaluate',
      role: 'Reviewer',
      runtime: 'beta',
      channel: 'stdin preamble',
      version: 'v1+extend',
    });
    expect(json.text).toBe(text.stdout);
    expect(json.sha256).toBe(createHash('sha256').update(text.stdout).digest('hex'));
    expect(
      JSON.parse(runCli(root, ['contract', 'evaluate', '--runtime', 'gamma', '--json']).stdout)
        .runtime,
    ).toBe('gamma');
  });

  it('rejects an unknown stage with a suggestion', () => {
    const result = runCli(project(), ['contract', 'evalute']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Did you mean "evaluate"?');
  });
});
