import { spawnSync } from 'node:child_process';
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
    const only = (runtime: string, source: string) => ({
      runtime,
      source,
      model: null,
      modelSource: 'harness',
      effort: null,
      chain: [{ runtime, model: null, modelSource: 'harness', effort: null }],
    });
    expect(JSON.parse(result.stdout)).toEqual({
      stages: {
        interview: only('alpha', 'fallback'),
        execute: only('alpha', 'fallback'),
        evaluate: only('beta', 'stage'),
        reflect: only('alpha', 'fallback'),
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
      'STAGE      RUNTIME  MODEL            SOURCE',
      'interview  alpha    harness default  fallback',
      'execute    alpha    harness default  fallback',
      'evaluate   beta     harness default  stage',
      'reflect    alpha    harness default  fallback',
    ]);
  });

  it('applies --stage and BATON_STAGE_ overrides', () => {
    const root = project();
    const result = runCli(root, ['stages', '--json', '--stage', 'reflect=gamma'], {
      BATON_STAGE_INTERVIEW: 'beta',
    });
    const stages = JSON.parse(result.stdout).stages;
    expect(stages.reflect).toMatchObject({ runtime: 'gamma', source: 'stage' });
    expect(stages.interview).toMatchObject({ runtime: 'beta', source: 'stage' });
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
    expect(report.stages.evaluate).toMatchObject({ runtime: 'beta', source: 'stage' });
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
  it('prints the rendered contract, ending with a newline; its exact text, hash and channel with --json', () => {
    const root = project(`${ROUTED}\n[contracts.evaluate]\ntext = "Also run the linter."\n`);
    const text = runCli(root, ['contract', 'evaluate']);
    expect(text.status).toBe(0);
    expect(text.stdout.startsWith('Baton role contract v1 — Reviewer (stage: evaluate)')).toBe(
      true,
    );
    expect(text.stdout.endsWith('VERDICT: FAIL <one-line reason>\n\nAlso run the linter.\n')).toBe(
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
    // The text as delivered has no final newline; the terminal output adds one.
    expect(`${json.text}\n`).toBe(text.stdout);
    expect(json.sha256).toBe(createHash('sha256').update(json.text).digest('hex'));
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

describe('a hostile baton.toml gets a clear config error, never a hang or a stack trace', () => {
  /** No line of a stack trace (`    at f (file:1:2)`) anywhere in the output. */
  const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

  it('refuses /dev/zero as a contract file and as --config at once', () => {
    const root = project(`${ROUTED}\n[contracts.evaluate]\nfile = "/dev/zero"\n`);
    const result = runCli(root, ['stages']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `baton: Invalid configuration:\n  - ${join(root, 'baton.toml')}: contracts.evaluate.file = "/dev/zero": /dev/zero is a character device, not a regular file\n`,
    );
    const named = runCli(project(), ['stages', '--config', '/dev/zero', '--json']);
    expect(named.status).toBe(2);
    expect(JSON.parse(named.stdout).error).toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [
        {
          source: 'command line (--config)',
          value: '/dev/zero',
          message: '/dev/zero is a character device, not a regular file',
        },
      ],
    });
  });

  it('refuses a baton.toml that is a FIFO without waiting for a writer', () => {
    const root = project();
    const pipe = join(root, 'sub', 'baton.toml');
    mkdirSync(join(root, 'sub'));
    expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
    const result = runCli(join(root, 'sub'), ['stages']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `baton: Invalid configuration:\n  - ${pipe}: is a named pipe (FIFO), not a regular file\n`,
    );
  });

  it('reports a 2,000-level table header as too deep', () => {
    const deep = Array.from({ length: 2000 }, () => 'a').join('.');
    const result = runCli(project(`${ROUTED}\n[${deep}]\nx = 1\n`), ['stages']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: nests deeper than 16 levels; no setting is that deep, so this part was not read',
    );
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).not.toContain('RangeError');
  });

  it('lists the first 50 of 40,000 unknown keys and counts the rest, in text and JSON', () => {
    const keys = Array.from({ length: 40_000 }, (_, index) => `${index.toString(36)}=1`);
    const root = project(`${keys.join('\n')}\n${ROUTED}`);
    const result = runCli(root, ['stages']);
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('baton: Invalid configuration (40,000 problems; the first 50 follow):');
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe('  … and 39,950 more; fix these and run again to see the rest');
    const json = JSON.parse(runCli(root, ['stages', '--json']).stdout).error;
    expect(json.issues).toHaveLength(50);
    expect(json.omitted).toBe(39_950);
  });

  it('rejects invalid UTF-8 with the byte offset, and reports [runtimes.__proto__]', () => {
    const root = project();
    const head = `${ROUTED}\n[runtimes.alpha]\nmodel = "m`;
    writeFileSync(
      join(root, 'baton.toml'),
      Buffer.concat([Buffer.from(head), Buffer.from([0xc0, 0xaf]), Buffer.from('"\n')]),
    );
    const bad = runCli(root, ['stages']);
    expect(bad.status).toBe(2);
    const line = head.split('\n').length;
    expect(bad.stderr).toBe(
      `baton: Invalid configuration:\n  - ${join(root, 'baton.toml')}:${line}:11: is not valid UTF-8: byte 0xC0 at offset ${Buffer.byteLength(head)} (line ${line}, column 11); save the file as UTF-8\n`,
    );
    writeFileSync(join(root, 'baton.toml'), `${ROUTED}\n[runtimes.__proto__]\nmodel = "m"\n`);
    const proto = runCli(root, ['stages']);
    expect(proto.status).toBe(2);
    expect(proto.stderr).toContain('runtimes.__proto__: unknown runtime "__proto__". Accepted: ');
  });

  it('requires base_url to start with http:// or https://', () => {
    const result = runCli(project(`${ROUTED}\n[runtimes.alpha]\nbase_url = "localhost:8080"\n`), [
      'stages',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'runtimes.alpha.base_url = "localhost:8080": must be an http:// or https:// URL naming a host, e.g. "http://127.0.0.1:4000/v1"',
    );
  });
});
