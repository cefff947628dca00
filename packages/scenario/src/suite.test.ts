/**
 * `baton test`'s machinery end to end: scenario files in a temporary project, run through
 * the project's routing against the scripted server — by the LiteLLM adapter's real client,
 * and by the stand-ins of Codex, Claude Code, OpenCode and Hermes behind their real adapters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { junitReport } from './reporters/junit.js';
import { prettyReport } from './reporters/pretty.js';
import { junitProblems } from './test-support/junit-schema.js';
import { ScenarioProject } from './test-support/project.js';
import { SPEC_FIRST_ROUTING, SPEC_FIRST_SCENARIO } from './test-support/spec-first.js';

let project: ScenarioProject;

beforeEach(() => {
  project = new ScenarioProject();
});

afterEach(() => {
  project.remove();
});

describe('a scenario through the LiteLLM adapter (its real HTTP client)', () => {
  it('passes its expectations, with every request attributed to its stage and runtime', async () => {
    project.write({
      'baton.toml': '[orchestrator]\nruntime_backend = "litellm"\n',
      'checks/litellm.baton-test.toml': `
name = "litellm answers each stage"
goal = "Say hello"
[[replies]]
stage = "interview"
text = "A spec."
[[replies]]
stage = "evaluate"
text = "VERDICT: PASS"
[[expect]]
path = "status"
eq = "succeeded"
[[expect]]
path = "stages.reflect.runtime"
eq = "litellm"
[[expect]]
path = "stages.interview.finalText"
eq = "A spec."
[[expect]]
request = { stage = "evaluate", runtime = "litellm" }
path = "text"
contains = "(stage: evaluate)"
[[expect]]
request = {}
count = 4
`,
    });
    const report = await project.test({ mode: 'real' });
    const [outcome] = report.outcomes;
    expect(outcome?.error).toBeNull();
    expect(outcome?.run?.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
    expect([report.passed, report.failed]).toEqual([1, 0]);
    expect(outcome?.suite).toBe('checks');
  });
});

describe('the issue scenario on the stand-ins', () => {
  it('passes: spec, approval, a file written by the execute stage, a verdict', async () => {
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING,
      'spec-first.baton-test.toml': SPEC_FIRST_SCENARIO,
    });
    const report = await project.test({ mode: 'fake' });
    const [outcome] = report.outcomes;
    expect(outcome?.error).toBeNull();
    expect(outcome?.run?.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
    expect(outcome?.passed).toBe(true);
    expect(
      outcome?.run?.result?.attempts.map((attempt) => [attempt.stage, attempt.runtime]),
    ).toEqual([
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
    ]);
  });
});

const FAST_RETRY = '\n[orchestrator.retry]\nbase_delay = "20ms"\nmax_delay = "100ms"\n';

describe('error replies', () => {
  it('a scripted 500 makes the stage fail once and Baton retry it', async () => {
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING + FAST_RETRY,
      'retry.baton-test.toml': `
name = "execute survives one server error"
goal = "Add a --verbose flag"
mission = "spec-first"
answers = ["approve: go ahead"]
[[replies]]
stage = "execute"
error = { status = 500, message = "scripted outage" }
times = 1
[[replies]]
stage = "execute"
text = "Done."
[[replies]]
stage = "evaluate"
text = "VERDICT: PASS"
[[expect]]
path = "status"
eq = "succeeded"
[[expect]]
path = "stages.execute.attempts"
eq = 2
[[expect]]
path = "attempts[1].error"
contains = "scripted outage"
[[expect]]
request = { stage = "execute" }
path = "status"
pick = "first"
eq = 500
[[expect]]
event = "human.answered"
path = "decision"
eq = "approve"
`,
    });
    const report = await project.test();
    const [outcome] = report.outcomes;
    expect(outcome?.run?.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
    expect(outcome?.passed).toBe(true);
  });

  it('a reply for one runtime answers that runtime only', async () => {
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING,
      'scoped.baton-test.toml': `
name = "an outage scoped to codex leaves opencode alone"
goal = "Add a --verbose flag"
mission = "spec-first"
answers = ["approve"]
[[replies]]
stage = "execute"
runtime = "codex"
error = { status = 429, message = "slow down" }
[[replies]]
stage = "execute"
tool = { shell = "printf 'x' > verbose.txt" }
[[replies]]
stage = "evaluate"
text = "VERDICT: PASS"
[[expect]]
path = "status"
eq = "succeeded"
[[expect]]
file = "verbose.txt"
exists = true
[[expect]]
request = { stage = "execute", runtime = "opencode" }
count = 2
[[expect]]
request = { stage = "execute", runtime = "codex" }
count = 0
[[expect]]
request = { stage = "interview" }
path = "runtime"
eq = "codex"
`,
    });
    const report = await project.test();
    const [outcome] = report.outcomes;
    expect(outcome?.error).toBeNull();
    expect(outcome?.run?.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
  });
});

describe('receipts and reports', () => {
  const PASSING = SPEC_FIRST_SCENARIO;
  const FAILING = SPEC_FIRST_SCENARIO.replace(
    'name = "spec-first mission passes with a good spec"',
    'name = "expects <codex> & fails"',
  ).replace(
    'path = "stages.execute.runtime"\neq = "opencode"',
    'path = "stages.execute.runtime"\neq = "codex"',
  );

  it('receipts are stable across runs, written by --update, and a changed routing fails with the difference', async () => {
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING,
      'suite/spec-first.baton-test.toml': PASSING,
    });
    const first = await project.test({ update: true });
    expect(first.outcomes[0]?.receiptState).toBe('updated');
    const lock = JSON.parse(readFileSync(join(project.root, 'baton-test.lock'), 'utf8'));
    expect(Object.keys(lock.scenarios)).toEqual(['suite/spec-first.baton-test.toml']);
    expect(lock.scenarios['suite/spec-first.baton-test.toml'].receipt).toBe(
      first.outcomes[0]?.receipt?.hash,
    );

    const second = await project.test();
    expect(second.outcomes[0]?.receiptState).toBe('matched');
    expect(second.outcomes[0]?.receipt?.hash).toBe(first.outcomes[0]?.receipt?.hash);
    expect(second.passed).toBe(1);

    // The same scenario, execute routed elsewhere: its expectation on the runtime fails, and
    // so does its receipt, naming what changed.
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING.replace('execute = "opencode"', 'execute = "hermes"'),
    });
    const changed = await project.test();
    const [outcome] = changed.outcomes;
    expect(outcome?.receiptState).toBe('changed');
    expect(outcome?.receipt?.hash).not.toBe(first.outcomes[0]?.receipt?.hash);
    expect(outcome?.receiptDiff).toContain('attempts[1].runtime: "opencode" → "hermes"');
    expect(changed.failed).toBe(1);
    expect(prettyReport(changed)).toContain(
      'receipt changed (accept it with baton test --update):',
    );
  });

  it('a scenario failing on its receipt alone keeps its sandbox, named in the report; a passing one is removed', async () => {
    // Only the run's status is expected: a routing change fails the receipt, nothing else.
    const statusOnly = PASSING.slice(0, PASSING.indexOf('[[expect]]')).concat(
      '[[expect]]\npath = "status"\neq = "succeeded"\n',
    );
    project.write({ 'baton.toml': SPEC_FIRST_ROUTING, 'status.baton-test.toml': statusOnly });
    const first = await project.test({ update: true });
    expect(first.outcomes[0]?.passed).toBe(true);
    expect(first.outcomes[0]?.run?.workspace).toBeNull();

    project.write({
      'baton.toml': SPEC_FIRST_ROUTING.replace('execute = "opencode"', 'execute = "hermes"'),
    });
    const changed = await project.test();
    const [outcome] = changed.outcomes;
    expect(outcome?.run?.expectations.map((expectation) => expectation.passed)).toEqual([true]);
    expect([outcome?.receiptState, outcome?.passed]).toEqual(['changed', false]);
    const workspace = outcome?.run?.workspace;
    expect(workspace).toMatch(/baton-test-[^/]+\/workspace$/);
    expect(existsSync(join(workspace!, '.baton', 'journal.db'))).toBe(true);
    const runId = outcome?.run?.runId;
    expect(prettyReport(changed)).toContain(
      `      run ${runId}: cd ${workspace} && baton events ${runId}\n`,
    );
  });

  it('writes JUnit XML that validates against the JUnit schema, failures and errors included', async () => {
    project.write({
      'baton.toml': SPEC_FIRST_ROUTING,
      'a/pass.baton-test.toml': PASSING,
      'a/fail.baton-test.toml': FAILING,
      'b/broken.baton-test.toml': 'name = "broken"\ngoal = \n',
    });
    const report = await project.test({ jobs: 2 });
    expect([report.passed, report.failed]).toEqual([1, 2]);
    const xml = junitReport(report);
    expect(await junitProblems(xml)).toEqual([]);
    expect(xml).toContain('<testsuites name="baton test" tests="3" failures="1" errors="1"');
    expect(xml).toContain('<testsuite name="a" tests="2" failures="1" errors="0"');
    expect(xml).toContain(
      'name="expects &lt;codex&gt; &amp; fails" classname="a/fail.baton-test.toml"',
    );
    expect(xml).toMatch(/<error message="Invalid scenario:" type="error">/);
    // The validator itself refuses what CI would: a test case without its name.
    expect(await junitProblems(xml.replace(/<testcase name="[^"]*"/, '<testcase'))).not.toEqual([]);

    const text = prettyReport(report);
    expect(text).toContain('expected: eq "codex"');
    expect(text).toContain('actual:   "opencode"');
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 passed, 2 failed');
  });
});
