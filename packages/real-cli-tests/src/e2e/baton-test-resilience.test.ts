/**
 * The worked example of docs/testing-pipelines.md ("Fallbacks, retries and budgets") with
 * the real pinned CLIs, as a user runs it: `baton test` with its default `--runtime real`,
 * the page's baton.toml untouched (the CLIs found on PATH). The real Codex meets the usage
 * limit halfway through execute and the real OpenCode redoes the stage from its checkpoint;
 * the real Claude Code retries a rate limit twice by itself and Baton waits out the third;
 * the real Codex's reported tokens, priced by `[pricing]`, spend the budget. The stand-in
 * tests hold the same scenarios on `--runtime fake`; this is where the real harnesses'
 * behaviour — their own retries, what they report, which key they send — is held to the
 * page.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { docExampleFiles } from '../../../scenario/src/test-support/doc-example.js';
import { requireCli } from '../binaries.js';
import { BATON_BIN, NODE_FIRST_PATH, runProcess } from './support.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

interface ScenarioJson {
  file: string;
  passed: boolean;
  status: string | null;
  error: string | null;
  receipt: string;
  receiptState: string;
  expectations: { expectation: string; passed: boolean; actual: string }[];
}

describe('the worked example of docs/testing-pipelines.md with the real CLIs', () => {
  it('passes: a usage limit falls back to OpenCode, a rate limit is waited out on Claude Code, a budget stops the run; receipts match a second run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'baton-e2e-test-resilience-'));
    roots.push(root);
    const project = join(root, 'project');
    for (const [path, content] of Object.entries(docExampleFiles())) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), content);
    }
    // The temporary directory inside the root: a failing scenario's kept folder goes with it.
    mkdirSync(join(root, 'tmp'));
    const binaries = dirname(requireCli('codex'));
    requireCli('opencode');
    requireCli('claude');
    const env = {
      PATH: `${binaries}:${NODE_FIRST_PATH}`,
      HOME: join(root, 'home'),
      XDG_CONFIG_HOME: join(root, 'xdg'),
      TMPDIR: join(root, 'tmp'),
    };
    const batonTest = async (args: readonly string[]) => {
      const result = await runProcess(process.execPath, [BATON_BIN, 'test', ...args, '--json'], {
        cwd: project,
        env,
        timeoutMs: 240_000,
      });
      expect(result.timedOut, result.stderr).toBe(false);
      return {
        exitCode: result.exitCode,
        scenarios: (JSON.parse(result.stdout) as { scenarios: ScenarioJson[] }).scenarios,
      };
    };

    const first = await batonTest(['--update']);
    for (const scenario of first.scenarios) {
      expect(scenario.error, scenario.file).toBeNull();
      expect(
        scenario.expectations.filter((expectation) => !expectation.passed),
        scenario.file,
      ).toEqual([]);
    }
    expect(first.scenarios.map((scenario) => [scenario.file, scenario.status])).toEqual([
      ['tests/budget.baton-test.toml', 'budget_exhausted'],
      ['tests/fallback.baton-test.toml', 'succeeded'],
      ['tests/rate-limit.baton-test.toml', 'succeeded'],
    ]);
    expect(first.exitCode).toBe(0);

    // The receipts hold each attempt's runtime and class, as the stand-ins' do.
    const lock = JSON.parse(readFileSync(join(project, 'baton-test.lock'), 'utf8'));
    const attempts = (file: string) =>
      lock.scenarios[file].outcome.attempts.map(
        (attempt: { stage: string; runtime: string; failureClass: string | null }) =>
          `${attempt.stage} ${attempt.runtime} ${attempt.failureClass ?? '-'}`,
      );
    expect(attempts('tests/fallback.baton-test.toml').slice(1, 3)).toEqual([
      'execute codex quota_exhausted',
      'execute opencode -',
    ]);
    expect(attempts('tests/rate-limit.baton-test.toml').slice(2, 4)).toEqual([
      'evaluate claude-code rate_limited',
      'evaluate claude-code -',
    ]);

    const second = await batonTest([]);
    expect(second.exitCode).toBe(0);
    expect(second.scenarios.map((scenario) => [scenario.file, scenario.receiptState])).toEqual([
      ['tests/budget.baton-test.toml', 'matched'],
      ['tests/fallback.baton-test.toml', 'matched'],
      ['tests/rate-limit.baton-test.toml', 'matched'],
    ]);
  }, 300_000);
});
