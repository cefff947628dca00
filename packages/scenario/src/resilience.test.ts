/**
 * Scenarios of what a routing is built for — a fallback chain, a rate limit waited out, a
 * budget — run on the stand-ins. The worked example of docs/testing-pipelines.md passes as
 * the page shows it, and every result path and event key its tables name holds a value in
 * those runs; the same scenarios fail, saying what happened, once the routing no longer
 * does what they expect; and `[orchestrator.retry]` decides between waiting and falling back.
 */
import { type JournalEvent, readEvents } from '@baton/run/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { valueAt } from './expectations.js';
import type { ScenarioOutcome, SuiteReport } from './suite.js';
import { docEventKeys, docExampleFiles, docResultPaths } from './test-support/doc-example.js';
import { ScenarioProject } from './test-support/project.js';

const FALLBACK = 'tests/fallback.baton-test.toml';
const RATE_LIMIT = 'tests/rate-limit.baton-test.toml';
const BUDGET = 'tests/budget.baton-test.toml';

function outcomeOf(report: SuiteReport, path: string): ScenarioOutcome {
  const outcome = report.outcomes.find((candidate) => candidate.path === path);
  if (outcome === undefined) throw new Error(`no outcome for ${path}`);
  return outcome;
}

/** Each failed expectation as `description → actual`. */
function failures(outcome: ScenarioOutcome): string[] {
  return (outcome.run?.expectations ?? [])
    .filter((expectation) => !expectation.passed)
    .map((expectation) => `${expectation.description} → ${expectation.actual}`);
}

/** Each attempt as stage, runtime, status, failure class and why it ran. */
function attemptsOf(outcome: ScenarioOutcome) {
  return outcome.run?.result?.attempts.map((attempt) => [
    attempt.stage,
    attempt.runtime,
    attempt.status,
    attempt.failureClass,
    attempt.reason,
  ]);
}

describe('the worked example of docs/testing-pipelines.md, on the stand-ins', () => {
  const project = new ScenarioProject();
  let report: SuiteReport;
  const events = new Map<string, readonly JournalEvent[]>();

  beforeAll(async () => {
    project.write(docExampleFiles());
    report = await project.test({ keep: true });
    for (const outcome of report.outcomes) {
      const { runId, workspace } = outcome.run ?? {};
      if (runId && workspace) events.set(outcome.path, await readEvents({ runId, cwd: workspace }));
    }
  }, 60_000);

  afterAll(() => {
    project.remove();
  });

  it('is the project the page shows: a baton.toml and three scenarios', () => {
    expect(Object.keys(docExampleFiles()).sort()).toEqual([
      'baton.toml',
      BUDGET,
      FALLBACK,
      RATE_LIMIT,
    ]);
  });

  it('passes every expectation of its three scenarios', () => {
    for (const outcome of report.outcomes) {
      expect(outcome.error, outcome.path).toBeNull();
      expect(failures(outcome), outcome.path).toEqual([]);
    }
    expect([report.passed, report.failed]).toEqual([3, 0]);
  });

  it("Codex's usage limit: execute is redone on OpenCode, and the receipt holds both attempts with the class", () => {
    const outcome = outcomeOf(report, FALLBACK);
    expect(attemptsOf(outcome)).toEqual([
      ['interview', 'codex', 'succeeded', null, 'first'],
      ['execute', 'codex', 'failed', 'quota_exhausted', 'first'],
      ['execute', 'opencode', 'succeeded', null, 'fallback'],
      ['evaluate', 'claude-code', 'succeeded', null, 'first'],
      ['reflect', 'claude-code', 'succeeded', null, 'first'],
    ]);
    expect(outcome.run?.result?.stages.execute).toMatchObject({
      runtime: 'opencode',
      attempts: 2,
      runtimes: ['codex', 'opencode'],
      usage: { inputTokens: 2200, outputTokens: 150, totalTokens: 2350 },
    });
    const fallbacks = events.get(FALLBACK)!.filter((event) => event.type === 'stage.fallback');
    expect(fallbacks.map((event) => event.payload)).toEqual([
      expect.objectContaining({
        stage: 'execute',
        from: 'codex',
        to: 'opencode',
        class: 'quota_exhausted',
        cause: expect.stringContaining('usage limit'),
        abandoned_ref: expect.stringMatching(/^refs\/baton\/.+\/1-execute-0\/1-abandoned$/),
      }),
    ]);
    expect(outcome.receipt?.body.attempts.slice(1, 3)).toEqual([
      {
        stage: 'execute',
        runtime: 'codex',
        status: 'failed',
        verdict: null,
        failureClass: 'quota_exhausted',
      },
      {
        stage: 'execute',
        runtime: 'opencode',
        status: 'succeeded',
        verdict: null,
        failureClass: null,
      },
    ]);
  });

  it('a rate limit with retry-after: evaluate runs again on Claude Code after the delay, no fallback', () => {
    const outcome = outcomeOf(report, RATE_LIMIT);
    expect(attemptsOf(outcome)?.slice(2, 4)).toEqual([
      ['evaluate', 'claude-code', 'failed', 'rate_limited', 'first'],
      ['evaluate', 'claude-code', 'succeeded', null, 'retry'],
    ]);
    const journal = events.get(RATE_LIMIT)!;
    expect(journal.some((event) => event.type === 'stage.fallback')).toBe(false);
    const retry = journal.find((event) => event.type === 'stage.attempt');
    // retry-after: 1, and Claude Code's jitter of up to a quarter on top.
    expect(retry?.payload).toMatchObject({ stage: 'evaluate', reason: 'retry' });
    expect(retry?.payload.delay_ms).toBeGreaterThanOrEqual(1000);
    expect(retry?.payload.delay_ms).toBeLessThanOrEqual(1250);
    expect(outcome.receipt?.body.attempts[2]).toMatchObject({ failureClass: 'rate_limited' });
  });

  it('a budget: the run stops budget_exhausted before execute, the interview priced by [pricing]', () => {
    const outcome = outcomeOf(report, BUDGET);
    const result = outcome.run?.result;
    expect(result?.status).toBe('budget_exhausted');
    expect(result?.cause).toBe(
      "the run's budget is spent before execute (step 2): $0.0115 spent of $0.0100",
    );
    expect(attemptsOf(outcome)).toEqual([['interview', 'codex', 'succeeded', null, 'first']]);
    expect(result?.usage).toEqual({
      inputTokens: 6000,
      cachedInputTokens: 0,
      outputTokens: 400,
      reasoningTokens: 0,
      totalTokens: 6400,
      costUsd: 0.0115,
      costSource: 'pricing',
      costComplete: true,
    });
    expect(outcome.run?.requests.map((request) => request.stage)).toEqual(['interview']);
    expect(outcome.receipt?.body.status).toBe('budget_exhausted');
  });

  it("every result path in the page's table holds a value in one of these runs", () => {
    const paths = docResultPaths();
    expect(paths.length).toBeGreaterThanOrEqual(15);
    const results = report.outcomes.map((outcome) => outcome.run?.result);
    const missing = paths.filter((path) =>
      results.every((result) => valueAt(result, path) === undefined),
    );
    expect(missing).toEqual([]);
  });

  it("every event key in the page's table is in one of these runs' events of that type", () => {
    const documented = docEventKeys();
    expect([...documented.keys()]).toEqual([
      'stage.fallback',
      'stage.attempt',
      'stage.ended',
      'control.directive.emitted',
    ]);
    const all = [...events.values()].flat();
    const missing = [...documented].flatMap(([type, keys]) =>
      keys
        .filter((key) =>
          all.every((event) => event.type !== type || valueAt(event.payload, key) === undefined),
        )
        .map((key) => `${type} ${key}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('the same scenarios fail, saying what happened, when the routing no longer does it', () => {
  let project: ScenarioProject;
  beforeEach(() => {
    project = new ScenarioProject();
  });
  afterEach(() => {
    project.remove();
  });

  /** The example project with `baton.toml` edited, running only `scenario` (with more `replies`). */
  async function exampleWith(edit: [string, string], scenario: string, replies = '') {
    const files = docExampleFiles();
    expect(files['baton.toml']).toContain(edit[0]);
    project.write({
      ...files,
      'baton.toml': files['baton.toml']!.replace(...edit),
      [scenario]: files[scenario]! + replies,
    });
    const report = await project.test({ paths: [scenario] });
    expect(report.outcomes).toHaveLength(1);
    return report.outcomes[0]!;
  }

  it('without the chain, the usage limit fails the run: the fallback expectations fail with what happened', async () => {
    const outcome = await exampleWith(
      ['execute = ["codex", "opencode"]', 'execute = "codex"'],
      FALLBACK,
    );
    expect(outcome.run?.status).toBe('failed');
    expect(failures(outcome)).toEqual([
      'status eq "succeeded" → "failed"',
      'stages.execute.runtimes eq ["codex","opencode"] → ["codex"]',
      'attempts[2].fallbackFrom.runtime eq "codex" → nothing',
      'event stage.fallback where {"from":"codex","stage":"execute"} to eq "opencode" → none matched',
      // Nothing took over, so nothing was put back: the failed attempt's work is left as it was.
      'file half-done.txt exists false → the file exists',
      'file verbose.txt exists true → no such file',
      'stages.execute.usage.totalTokens eq 2350 → null',
    ]);
    // The class is the same: the attempt failed as before, nothing took over.
    expect(outcome.run?.result?.attempts[1]?.failureClass).toBe('quota_exhausted');
  });

  it('with a budget large enough, the run goes on and the budget expectations fail', async () => {
    const outcome = await exampleWith(
      ['max_cost_usd = 0.01', 'max_cost_usd = 1.0'],
      BUDGET,
      '\n[[replies]]\nstage = "evaluate"\ntext = "VERDICT: PASS"\n',
    );
    expect(outcome.run?.status).toBe('succeeded');
    // Execute and evaluate ran and cost more: every expectation on the stop fails.
    expect(failures(outcome).map((failure) => failure.split(' → ')[0])).toEqual([
      'status eq "budget_exhausted"',
      'cause contains "budget is spent before execute"',
      'usage.costUsd eq 0.0115',
      'usage.costSource eq "pricing"',
      'usage.totalTokens eq 6400',
      'stages.execute exists false',
      'event control.directive.emitted where {"directive":"budget_exhausted"} extra.spent.cost_usd eq 0.0115',
    ]);
    expect(outcome.run?.result?.usage.costUsd).toBeGreaterThan(0.0115);
    expect(outcome.run?.result?.stages.execute?.runtime).toBe('codex');
  });
});

describe("Claude Code's own retries", () => {
  let project: ScenarioProject;
  beforeEach(() => {
    project = new ScenarioProject();
  });
  afterEach(() => {
    project.remove();
  });

  it('absorb a 429 that fails fewer than three times: Baton sees no failed attempt, and the scenario says so', async () => {
    const files = docExampleFiles();
    project.write({ ...files, [RATE_LIMIT]: files[RATE_LIMIT]!.replace('times = 3', 'times = 2') });
    const report = await project.test({ paths: [RATE_LIMIT] });
    const [outcome] = report.outcomes;
    expect(outcome?.run?.status).toBe('succeeded');
    expect(failures(outcome!)).toEqual([
      'stages.evaluate.runtimes eq ["claude-code","claude-code"] → ["claude-code"]',
      'attempts[2].failureClass eq "rate_limited" → null',
      'event stage.attempt where {"reason":"retry","stage":"evaluate"} delay_ms gt 999 → none matched',
      'requests where {"runtime":"claude-code","stage":"evaluate","status":429} count 3 → 2 matched',
    ]);
  });
});

describe('[orchestrator.retry] decides between waiting and falling back', () => {
  let project: ScenarioProject;
  beforeEach(() => {
    project = new ScenarioProject();
  });
  afterEach(() => {
    project.remove();
  });

  it('a rate limit that goes on is waited out rate_limit_retries times, each wait capped at max_delay, then falls back', async () => {
    project.write({
      'baton.toml': `
[orchestrator.runtime_profile.stages]
execute = ["opencode", "codex"]

[orchestrator.retry]
rate_limit_retries = 1
base_delay = "10ms"
max_delay = "50ms"
`,
      'rate-limit.baton-test.toml': `
name = "OpenCode stays rate limited"
goal = "Add a --verbose flag"

[[replies]]
stage = "execute"
runtime = "opencode"
error = { status = 429, message = "Slow down", headers = { retry-after = "30" } }
[[replies]]
stage = "evaluate"
text = "VERDICT: PASS"

[[expect]]
path = "status"
eq = "succeeded"
[[expect]]
path = "stages.execute.runtimes"
eq = ["opencode", "opencode", "codex"]
[[expect]]
event = "stage.ended"
where = { stage = "execute", status = "failed" }
path = "retry_after_ms"
eq = 30000
[[expect]]
event = "stage.attempt"
where = { stage = "execute", reason = "retry" }
path = "delay_ms"
eq = 50
[[expect]]
event = "stage.fallback"
where = { stage = "execute", from = "opencode", to = "codex" }
path = "class"
eq = "rate_limited"
[[expect]]
request = { stage = "execute", runtime = "opencode" }
count = 2
`,
    });
    const report = await project.test();
    const [outcome] = report.outcomes;
    expect(outcome?.error).toBeNull();
    expect(failures(outcome!)).toEqual([]);
    expect(attemptsOf(outcome!)?.slice(1, 4)).toEqual([
      ['execute', 'opencode', 'failed', 'rate_limited', 'first'],
      ['execute', 'opencode', 'failed', 'rate_limited', 'retry'],
      ['execute', 'codex', 'succeeded', null, 'fallback'],
    ]);
  });
});
