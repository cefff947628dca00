/**
 * The example, shared by the tests of `baton test` at every level (the suite, the
 * built CLI on the stand-ins, the real CLIs): a spec-first mission whose interview goes to
 * Codex, execute to OpenCode and evaluate to Claude Code, and the scenario that checks it.
 */

/** Mixed routing over four runtimes, and the spec-first mission with a human approval. */
export const SPEC_FIRST_ROUTING = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"

[missions.spec-first]
steps = ["interview", { human = "Approve the spec?" }, "execute", "evaluate"]
`;

/**
 * A spec, an approval, a file written by the execute stage, a passing verdict. Tests quote
 * its line numbers: the second expectation stands at line 19.
 */
export const SPEC_FIRST_SCENARIO = `name = "spec-first mission passes with a good spec"
mission = "spec-first"
goal = "Add a --verbose flag"
answers = ["approve"]

[[replies]]
stage = "interview"
text = "Spec: add --verbose; running it writes verbose.txt."
[[replies]]
stage = "execute"
tool = { shell = "printf 'x' > verbose.txt" }
[[replies]]
stage = "evaluate"
text = "verbose.txt holds x.\\nVERDICT: PASS"

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
