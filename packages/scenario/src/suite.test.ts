/**
 * `baton test`'s machinery end to end: scenario files in a temporary project, run through
 * the project's routing against the scripted server — by the LiteLLM adapter's real client,
 * and by the stand-ins of Codex, Claude Code, OpenCode and Hermes behind their real adapters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScenarioProject } from './test-support/project.js';

let project: ScenarioProject;

beforeEach(() => {
  project = new ScenarioProject();
});

afterEach(() => {
  project.remove();
});

const MIXED = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"

[missions.spec-first]
steps = ["interview", { human = "Approve the spec?" }, "execute", "evaluate"]
`;

/** The scenario of the issue: a spec, a human approval, a file written, a verdict. */
const SPEC_FIRST = `
name = "spec-first mission passes with a good spec"
mission = "spec-first"
goal = "Add a --verbose flag"
answers = ["approve"]

[[replies]]
stage = "interview"
text = "Spec: add --verbose; it writes verbose.txt."

[[replies]]
stage = "execute"
tool = { shell = "printf 'x' > verbose.txt" }

[[replies]]
stage = "evaluate"
text = "verbose.txt exists.\\nVERDICT: PASS"

[[expect]]
path = "status"
eq = "succeeded"

[[expect]]
path = "stages.execute.runtime"
eq = "opencode"

[[expect]]
file = "verbose.txt"
exists = true

[[expect]]
event = "control.directive.emitted"
where = { stage = "evaluate" }
path = "extra.runtime_id"
ne = "codex"
`;

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
    project.write({ 'baton.toml': MIXED, 'spec-first.baton-test.toml': SPEC_FIRST });
    const report = await project.test({ mode: 'fake' });
    const [outcome] = report.outcomes;
    expect(outcome?.error).toBeNull();
    expect(outcome?.run?.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
    expect(outcome?.passed).toBe(true);
    expect(outcome?.run?.result?.attempts.map((attempt) => [attempt.stage, attempt.runtime])).toEqual([
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
    ]);
  });
});
