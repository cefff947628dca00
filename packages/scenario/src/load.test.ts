/** Scenario files: what they become, and every kind of mistake with its file, key and line. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError } from '@baton/core';
import { delay } from '@baton/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from './load.js';

const directory = mkdtempSync(join(tmpdir(), 'baton-scenario-load-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(text: string, name = 'a.baton-test.toml'): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function problem(text: string): BatonError {
  try {
    loadScenario(file(text));
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the scenario loaded');
}

const MINIMAL = 'name = "n"\ngoal = "g"\n[[expect]]\npath = "status"\neq = "succeeded"\n';

describe('loadScenario', () => {
  it('normalises a scenario: defaults, answers, replies as scripted turns, expectations', () => {
    const scenario = loadScenario(
      file(`name = "n"
goal = "g"
answers = ["approve", "reject: too vague", { decision = "approve", text = "go" }]
seed = "fixtures/app"
timeout = "90s"
[[replies]]
stage = "execute"
runtime = "codex"
error = { status = 429, type = "insufficient_quota", in_stream = true }
times = 2
[[replies]]
stage = "execute"
tool = { shell = "touch x" }
usage = { input_tokens = 10, output_tokens = 2 }
delay = "50ms"
[[expect]]
event = "control.directive.emitted"
where = { stage = "evaluate" }
path = "extra.runtime_id"
ne = "codex"
`),
    );
    expect(scenario).toMatchObject({
      name: 'n',
      goal: 'g',
      mission: 'deliver',
      timeoutMs: 90_000,
      git: true,
      seed: join(directory, 'fixtures/app'),
      answers: [
        { decision: 'approve', text: '' },
        { decision: 'reject', text: 'too vague' },
        { decision: 'approve', text: 'go' },
      ],
    });
    expect(scenario.replies).toEqual([
      {
        stage: 'execute',
        runtime: 'codex',
        turn: { error: { status: 429, type: 'insufficient_quota', inStream: true }, times: 2 },
      },
      {
        stage: 'execute',
        runtime: null,
        turn: delay(50, {
          toolCall: { command: 'touch x' },
          usage: { inputTokens: 10, outputTokens: 2 },
        }),
      },
    ]);
    expect(scenario.expectations).toEqual([
      {
        index: 0,
        line: 16,
        operator: 'ne',
        expected: 'codex',
        subject: {
          kind: 'event',
          type: 'control.directive.emitted',
          where: { stage: 'evaluate' },
          path: 'extra.runtime_id',
          pick: 'all',
        },
      },
    ]);
  });

  it('reports a TOML syntax error with its line and column', () => {
    const error = problem('name = "n"\ngoal = \n');
    expect(error.code).toBe('SCENARIO_INVALID');
    expect(error.message).toMatch(/a\.baton-test\.toml:2:\d+: TOML syntax error/);
  });

  it('reports every problem at once, each with its key and line, and a did-you-mean', () => {
    const error = problem(`name = "n"
gaol = "g"
[[replies]]
stage = "exceute"
text = "x"
[[replies]]
stage = "execute"
text = "x"
tool = { shell = "y" }
[[expect]]
path = "status"
[[expect]]
file = "f"
event = "run.ended"
eq = 1
`);
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/^Invalid scenario \(\d+ problems\):$/);
    const text = error.message;
    expect(text).toMatch(/:2:1: gaol = "g": unknown key.*Did you mean "goal"\?/);
    expect(text).toContain('goal');
    expect(text).toMatch(/:4:1: replies\[0\]\.stage = "exceute".*Did you mean "execute"\?/);
    expect(text).toMatch(
      /:6:1: replies\[1\].*has text and tool; give exactly one of text, tool or error/,
    );
    expect(text).toMatch(
      /:10:1: expect\[0\].*needs one operator: eq, ne, exists, contains, matches, count, gt, lt/,
    );
    expect(text).toMatch(
      /:12:1: expect\[1\].*has file and event; an expectation looks at one thing/,
    );
  });

  it('refuses what the checks after parsing find: a bad duration, a bad regular expression, times without an error', () => {
    const text = problem(`timeout = "soon"\n${MINIMAL}`).message;
    expect(text).toMatch(/timeout = "soon": is not a duration/);
    expect(
      problem(`name = "n"\ngoal = "g"\n[[expect]]\npath = "status"\nmatches = "("\n`).message,
    ).toMatch(/expect\[0\]\.matches.*is not a regular expression/);
    expect(
      problem(`${MINIMAL}[[replies]]\nstage = "execute"\ntext = "x"\ntimes = 2\n`).message,
    ).toMatch(/replies\[0\]\.times.*applies to an error reply only/);
  });

  it('refuses a file that is not a scenario file at all', () => {
    expect(problem('').message).toMatch(/name.*(required|expected)/i);
    expect(() => loadScenario(join(directory, 'missing.baton-test.toml'))).toThrow(
      expect.objectContaining({ code: 'SCENARIO_INVALID' }),
    );
  });
});
