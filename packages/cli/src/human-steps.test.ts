/**
 * Human steps with the built CLI: the result asked about is shown before the question; a
 * typed sentence is never approval; a rejection ends the run `rejected`, or — when the
 * mission allows a loop — sends the stage before the question back to work with the reason in
 * its prompt.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIXED_ROUTING, RunProject } from './test-support/run-project.js';

const MISSIONS = `${MIXED_ROUTING}
[missions.reviewed]
steps = ["interview", { human = "Approve the spec?" }, "execute"]

[missions.looped]
steps = ["interview", { human = "Approve the spec?" }, "execute"]
max_loops = 1
`;

let project: RunProject;

beforeEach(() => {
  project = new RunProject(MISSIONS);
});

afterEach(() => {
  expect(project.cleanup(), 'runtime processes still running').toEqual([]);
});

function answers(runId: string) {
  return project
    .events(runId)
    .filter((event) => event.type === 'human.answered')
    .map((event) => ({ decision: event.payload.decision, answer: event.payload.answer }));
}

describe('a human step on a terminal', () => {
  it('shows the result first, and takes "no, …" typed as no answer at all: it asks for a choice', async () => {
    project.plan({ interview: { final: 'Spec:\n1. Print NOTES.md.' } });
    const shown = await project.onTerminal(
      ['run', 'Write the notes', '--mission', 'reviewed'],
      [
        { waitFor: '[a] approve', type: 'no, add a second line' },
        { waitFor: 'That is not a choice', type: 'r' },
        { waitFor: 'Why (sent back with the rejection)?', type: 'add a second line' },
      ],
    );
    expect(shown.status).toBe(1);
    const text = shown.stdout;
    // What is asked about comes before the question.
    const result = text.indexOf(
      'The interview result (step 1, on codex):\n  │ Spec:\n  │ 1. Print NOTES.md.',
    );
    const question = text.indexOf('Approve the spec?\n[a] approve  [r] reject  [n] add a note');
    expect(result).toBeGreaterThan(-1);
    expect(question).toBeGreaterThan(result);
    expect(text).toContain(
      'That is not a choice: type a, r or n. A typed answer is never taken as approval',
    );
    expect(text).toContain('Run ');
    expect(text).toContain('was rejected at step 2 (Approve the spec?): add a second line');

    const runId = project.latestRunId();
    expect(answers(runId)).toEqual([{ decision: 'reject', answer: 'add a second line' }]);
    expect(project.json<{ status: string }[]>(['runs'])[0]!.status).toBe('rejected');
    // The stage after the question never ran.
    expect(project.invocations().map((invocation) => invocation.stage)).toEqual(['interview']);
    expect(project.json<{ matches: boolean }>(['replay', runId]).matches).toBe(true);
  }, 60_000);

  it('approves with a note: the note goes to the next stage', async () => {
    const shown = await project.onTerminal(
      ['run', 'Write the notes', '--mission', 'reviewed'],
      [
        { waitFor: '[a] approve', type: 'n' },
        { waitFor: 'Note:', type: 'keep it to one file' },
        { waitFor: 'With this note', type: 'a' },
      ],
    );
    expect(shown.status).toBe(0);
    const runId = project.latestRunId();
    expect(answers(runId)).toEqual([{ decision: 'approve', answer: 'keep it to one file' }]);
    const execute = project.invocations().find((invocation) => invocation.stage === 'execute')!;
    expect(execute.stdin).toContain(
      '--- human step 2: Approve the spec? (approved) ---\nkeep it to one file',
    );
  }, 60_000);

  it('pauses on Enter: an empty answer is not an approval either', async () => {
    const shown = await project.onTerminal(
      ['run', 'Write the notes', '--mission', 'reviewed'],
      [{ waitFor: '[a] approve', type: '' }],
    );
    expect(shown.status).toBe(1);
    expect(shown.stdout).toContain('is waiting for an answer to: Approve the spec?');
    expect(shown.stdout).toContain('--approve [--input TEXT]');
    expect(answers(project.latestRunId())).toEqual([]);
  }, 60_000);
});

describe('baton resume --approve / --reject', () => {
  it('--reject ends the run rejected (exit 1) when the mission has no loop', () => {
    const paused = project.baton(['run', 'g', '--mission', 'reviewed']);
    expect(paused.status).toBe(1);
    // Even without a terminal the output says what waits for approval, and how to answer.
    expect(paused.stderr).toContain(
      'The interview result (step 1, on codex):\n  │ codex finished interview',
    );
    const runId = project.latestRunId();
    expect(paused.stdout).toContain(
      `Next: approve it with baton resume ${runId} --approve [--input TEXT], or reject it with baton resume ${runId} --reject "<why>"`,
    );
    const rejected = project.baton(['resume', runId, '--reject', 'too vague']);
    expect(rejected.status).toBe(1);
    expect(rejected.stdout).toContain(
      `Run ${runId} was rejected at step 2 (Approve the spec?): too vague`,
    );
    expect(rejected.stdout).toContain(`Next: read what was rejected with baton show ${runId}`);
    expect(project.json<{ status: string }[]>(['runs'])[0]!.status).toBe('rejected');
    const again = project.baton(['resume', runId, '--approve']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already ended (rejected)');
  }, 60_000);

  it('--reject sends the work back when the mission allows a loop, with the reason in the prompt', () => {
    project.baton(['run', 'g', '--mission', 'looped']);
    const runId = project.latestRunId();
    const back = project.baton(['resume', runId, '--reject', 'add a second line']);
    expect(back.status).toBe(1);
    expect(back.stdout).toContain('is waiting for an answer to: Approve the spec?');
    const stages = project.invocations();
    expect(stages.map((invocation) => invocation.stage)).toEqual(['interview', 'interview']);
    expect(stages[1]!.stdin).toContain(
      'a human rejected the result asked about at step 2 ("Approve the spec?"); the reason given: add a second line.',
    );
    const approved = project.baton(['resume', '--last', '--approve', '--input', 'ship it']);
    expect(approved.status).toBe(0);
    expect(project.invocations().map((invocation) => invocation.stage)).toEqual([
      'interview',
      'interview',
      'execute',
    ]);
    expect(answers(runId)).toEqual([
      { decision: 'reject', answer: 'add a second line' },
      { decision: 'approve', answer: 'ship it' },
    ]);
    expect(project.json<{ matches: boolean }>(['replay', runId]).matches).toBe(true);
  }, 60_000);

  it('refuses --input alone, both decisions, and --input with --reject', () => {
    project.baton(['run', 'g', '--mission', 'reviewed']);
    const runId = project.latestRunId();
    const cases: [string[], string][] = [
      [
        ['--input', 'yes'],
        'resume: --input alone does not say whether you approve: use --approve --input TEXT, or --reject "<why>".',
      ],
      [
        ['--approve', '--reject', 'x'],
        'resume: give one decision, --approve or --reject, not both.',
      ],
      [
        ['--reject', 'x', '--input', 'y'],
        'resume: --input goes with --approve; with --reject, say why in its value.',
      ],
    ];
    for (const [flags, message] of cases) {
      const result = project.baton(['resume', runId, ...flags]);
      expect({ flags, status: result.status, stderr: result.stderr }).toEqual({
        flags,
        status: 2,
        stderr: `baton: ${message}\n`,
      });
    }
    expect(answers(runId)).toEqual([]);
  }, 60_000);
});
