/**
 * `baton test` end to end: the built CLI runs scenario files of a temporary project through
 * its routing, on the harness stand-ins (`--runtime fake`), with the first-party adapters
 * installed beside the CLI. Each project is its CLI's temporary directory too, so the
 * scenario folders `baton test` keeps go with the project when the test ends.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  docExampleFiles,
  docExampleOutput,
} from '../../../scenario/src/test-support/doc-example.js';
import { junitProblems } from '../../../scenario/src/test-support/junit-schema.js';
import {
  SPEC_FIRST_ROUTING,
  SPEC_FIRST_SCENARIO,
} from '../../../scenario/src/test-support/spec-first.js';
import { type CliResult, runCli, tempProject } from '../test-support/project.js';

/** `baton <args>` in the project, with the project's `tmp/` as the temporary directory. */
function batonIn(root: string, args: readonly string[]): CliResult {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  return runCli(root, args, { TMPDIR: join(root, 'tmp') });
}

/** The scenario folders `baton test` left in the project's temporary directory. */
function keptFolders(root: string): string[] {
  return readdirSync(join(root, 'tmp')).filter((name) => name.startsWith('baton-test-'));
}

describe('baton test', () => {
  it('passes the scenario, prints one line per scenario and the total, and exits 0', () => {
    const root = tempProject({
      'baton.toml': SPEC_FIRST_ROUTING,
      'tests/spec-first.baton-test.toml': SPEC_FIRST_SCENARIO,
    });
    const result = batonIn(root, ['test', '--runtime', 'fake', '--no-color']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('tests/');
    expect(lines[1]).toMatch(
      /^ {2}✔ spec-first mission passes with a good spec \d+\.\ds · no receipt recorded$/,
    );
    expect(lines.at(-1)).toBe('1 passed, 0 failed');
    // A passing scenario's folder is removed at once.
    expect(keptFolders(root)).toEqual([]);
  });

  it('fails with expected and actual and the run to inspect, writes valid JUnit, and exits 1', async () => {
    const root = tempProject({
      'baton.toml': SPEC_FIRST_ROUTING,
      'good.baton-test.toml': SPEC_FIRST_SCENARIO,
      'bad.baton-test.toml': SPEC_FIRST_SCENARIO.replace('eq = "opencode"', 'eq = "codex"').replace(
        'name = "spec-first mission passes with a good spec"',
        'name = "wrong runtime"',
      ),
    });
    const result = batonIn(root, [
      'test',
      '--runtime',
      'fake',
      '--reporter',
      'junit',
      '--output',
      'report.xml',
      '--no-color',
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('✖ wrong runtime');
    expect(result.stdout).toContain('expect[1] (line 19): stages.execute.runtime eq "codex"');
    expect(result.stdout).toContain('  actual:   "opencode"');
    // The failing scenario's folder is kept in the temporary directory, named in the report.
    const inspect = /run (\d{8}-\d{6}-[0-9a-f]+): cd (\S+) && baton events \1\n/.exec(
      result.stdout,
    );
    const [kept] = keptFolders(root);
    expect(keptFolders(root)).toHaveLength(1);
    expect(inspect?.[2]).toBe(join(root, 'tmp', kept!, 'workspace'));
    expect(existsSync(join(inspect![2]!, '.baton', 'journal.db'))).toBe(true);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const xml = readFileSync(join(root, 'report.xml'), 'utf8');
    expect(await junitProblems(xml)).toEqual([]);
    expect(xml).toContain('tests="2" failures="1" errors="0"');
  });

  it("--keep keeps a passing scenario's folder too, and names it", () => {
    const root = tempProject({
      'baton.toml': SPEC_FIRST_ROUTING,
      'a.baton-test.toml': SPEC_FIRST_SCENARIO,
    });
    const result = batonIn(root, ['test', '--runtime', 'fake', '--keep', '--no-color']);
    expect(result.status).toBe(0);
    const [kept] = keptFolders(root);
    expect(keptFolders(root)).toHaveLength(1);
    const workspace = join(root, 'tmp', kept!, 'workspace');
    expect(result.stdout).toMatch(
      new RegExp(`\\n {6}run (\\d{8}-\\d{6}-[0-9a-f]+): cd ${workspace} && baton events \\1\\n`),
    );
    // The workspace as the run left it, its journal, and the runtimes' own homes.
    expect(readFileSync(join(workspace, 'verbose.txt'), 'utf8')).toBe('x');
    expect(existsSync(join(workspace, '.baton', 'journal.db'))).toBe(true);
    expect(readdirSync(join(root, 'tmp', kept!)).sort()).toEqual([
      'claude-config',
      'codex-home',
      'home',
      'tmp',
      'workspace',
      'xdg-cache',
      'xdg-config',
      'xdg-data',
      'xdg-state',
    ]);
  });

  it('writes receipts with --update and reports JSON', () => {
    const root = tempProject({
      'baton.toml': SPEC_FIRST_ROUTING,
      'a.baton-test.toml': SPEC_FIRST_SCENARIO,
    });
    expect(batonIn(root, ['test', '--runtime', 'fake', '--update']).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(root, 'baton-test.lock'), 'utf8'));
    const json = batonIn(root, ['test', '--runtime', 'fake', '--json']);
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ passed: 1, failed: 0 });
    expect(report.scenarios[0]).toMatchObject({
      file: 'a.baton-test.toml',
      receiptState: 'matched',
      receipt: lock.scenarios['a.baton-test.toml'].receipt,
    });
  });

  it("runs the worked example of docs/testing-pipelines.md as the page shows; its receipts hold each attempt's runtime and failure class, and match on a second run", () => {
    const root = tempProject(docExampleFiles());
    const seconds = (text: string) => text.replace(/ \d+\.\ds · /g, ' 0.0s · ');
    const first = batonIn(root, ['test', '--runtime', 'fake', '--no-color']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    expect(seconds(first.stdout)).toBe(seconds(docExampleOutput()));

    expect(batonIn(root, ['test', '--runtime', 'fake', '--update']).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(root, 'baton-test.lock'), 'utf8'));
    const attempts = (file: string) =>
      lock.scenarios[file].outcome.attempts.map(
        (attempt: { stage: string; runtime: string; failureClass: string | null }) =>
          `${attempt.stage} ${attempt.runtime} ${attempt.failureClass ?? '-'}`,
      );
    expect(attempts('tests/fallback.baton-test.toml')).toEqual([
      'interview codex -',
      'execute codex quota_exhausted',
      'execute opencode -',
      'evaluate claude-code -',
      'reflect claude-code -',
    ]);
    expect(attempts('tests/rate-limit.baton-test.toml').slice(2, 4)).toEqual([
      'evaluate claude-code rate_limited',
      'evaluate claude-code -',
    ]);
    expect(attempts('tests/budget.baton-test.toml')).toEqual(['interview codex -']);
    expect(lock.scenarios['tests/budget.baton-test.toml'].outcome.status).toBe('budget_exhausted');

    // A second run: every receipt the same, the rate limit's jittered delay included.
    const second = batonIn(root, ['test', '--runtime', 'fake', '--json']);
    expect(second.status).toBe(0);
    const report = JSON.parse(second.stdout) as {
      scenarios: { file: string; receipt: string; receiptState: string }[];
    };
    expect(
      report.scenarios.map((scenario) => [
        scenario.file,
        scenario.receiptState,
        scenario.receipt === lock.scenarios[scenario.file].receipt,
      ]),
    ).toEqual([
      ['tests/budget.baton-test.toml', 'matched', true],
      ['tests/fallback.baton-test.toml', 'matched', true],
      ['tests/rate-limit.baton-test.toml', 'matched', true],
    ]);

    // Codex first for evaluate: the rate limit scripted for Claude Code never happens, and the
    // receipt names the class that went with it.
    const toml = readFileSync(join(root, 'baton.toml'), 'utf8');
    writeFileSync(
      join(root, 'baton.toml'),
      toml.replace('evaluate = ["claude-code", "codex"]', 'evaluate = ["codex", "claude-code"]'),
    );
    const changed = batonIn(root, [
      'test',
      'tests/rate-limit.baton-test.toml',
      '--runtime',
      'fake',
      '--no-color',
    ]);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('receipt changed (accept it with baton test --update):');
    expect(changed.stdout).toContain('attempts[2].runtime: "claude-code" → "codex"');
    expect(changed.stdout).toContain('attempts[2].failureClass: "rate_limited" → null');
  });

  it('refuses bad arguments with one line (exit 2)', () => {
    const root = tempProject({ 'baton.toml': SPEC_FIRST_ROUTING });
    const runtime = batonIn(root, ['test', '--runtime', 'mock']);
    expect([runtime.status, runtime.stderr.trim()]).toEqual([
      2,
      'baton: test: --runtime takes real, fake (got "mock").',
    ]);
    expect(batonIn(root, ['test', 'missing-dir']).stderr).toContain(
      'test: missing-dir: no such file or directory.',
    );
  });
});
