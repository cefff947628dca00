/**
 * A run's story as `baton show` tells it, read back from real journals of runs driven
 * against the fake runtimes: attempts and why they failed, tool calls, files changed, the
 * verdict, human answers and every stage's whole final text.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resumeRun, startRun } from './service.js';
import { readRunStory, type StageStory } from './story.js';
import { FakeProject, MIXED_ROUTING, TEST_OPTIONS } from './test-support/project.js';

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(MIXED_ROUTING);
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

function context() {
  const env = project.env();
  return {
    config: project.config(env),
    registry: project.registry,
    journal: project.journal(),
    env,
    options: TEST_OPTIONS,
  };
}

describe('readRunStory', () => {
  it('tells every stage: attempts, tool calls, files changed, verdict and the whole final text', async () => {
    for (const args of [
      ['init', '-q'],
      ['config', 'user.email', 't@example.com'],
      ['config', 'user.name', 'T'],
    ])
      execFileSync('git', args, { cwd: project.root });
    writeFileSync(join(project.root, '.gitignore'), 'bin/\nstate/\n*.json\n*.jsonl\n');
    writeFileSync(join(project.root, 'src.ts'), 'export {};\n');
    execFileSync('git', ['add', '-A'], { cwd: project.root });
    execFileSync('git', ['commit', '-q', '-m', 'start'], { cwd: project.root });

    const review = Array.from({ length: 200 }, (_, index) => `Line ${index + 1} of the review.`)
      .concat(['Criterion 1: FAIL — NOTES.md is missing.', 'VERDICT: FAIL'])
      .join('\n');
    project.plan({
      interview: { attempts: [{ fail: true, status: 503 }, {}] },
      execute: {
        appendFile: join(project.root, 'src.ts'),
        tools: [
          { kind: 'edit', target: 'src.ts' },
          { kind: 'command', target: 'pnpm test' },
        ],
      },
      evaluate: { final: review },
    });
    const summary = await startRun(context(), { goal: 'Write the notes' });
    expect(summary.status).toBe('failed');

    const story = readRunStory(project.journal({ readOnly: true }), summary.runId);
    expect(story).toMatchObject({
      runId: summary.runId,
      status: 'failed',
      goal: 'Write the notes',
      mission: 'deliver',
      cause: 'evaluate verdict: FAIL Criterion 1: FAIL — NOTES.md is missing.',
    });
    const stages = story.steps as StageStory[];
    expect(stages.map((stage) => [stage.stage, stage.runtime, stage.status])).toEqual([
      ['interview', 'codex', 'succeeded'],
      ['execute', 'opencode', 'succeeded'],
      ['evaluate', 'claude-code', 'succeeded'],
    ]);

    const [interview, execute, evaluate] = stages;
    expect(interview!.attempts.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(interview!.attempts[0]).toMatchObject({
      errorKind: 'server',
      error: expect.stringContaining('503'),
    });
    expect(interview!.durationMs).toBe(
      interview!.attempts.reduce((sum, attempt) => sum + attempt.durationMs!, 0),
    );
    expect(interview!.finalText).toBe('codex finished interview');

    expect(execute!.toolCalls).toBeGreaterThanOrEqual(2);
    expect(execute!.changes).toEqual({
      source: 'git-status',
      files: [{ path: 'src.ts', status: 'modified', added: 1, removed: 0 }],
      omitted: 0,
    });
    expect(execute!.usage.totalTokens).toBe(26);
    expect(execute!.attempts[0]!.usage).toMatchObject({ totalTokens: 26 });

    expect(evaluate!.verdict).toEqual({
      outcome: 'fail',
      reason: 'Criterion 1: FAIL — NOTES.md is missing.',
    });
    expect(evaluate!.finalText).toBe(review);
  });

  it('tells a human step with its question, decision and answer, in the order the run went', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = ["interview", { human = "Approve the spec?" }, "execute"]\nmax_loops = 1\n`,
    );
    const paused = await startRun(context(), { goal: 'g', mission: 'reviewed' });
    const waiting = readRunStory(project.journal({ readOnly: true }), paused.runId);
    expect(waiting.status).toBe('waiting');
    expect(waiting.steps.at(-1)).toEqual({
      kind: 'human',
      step: 1,
      question: 'Approve the spec?',
      decision: null,
      answer: null,
      via: null,
    });

    await resumeRun(context(), {
      runId: paused.runId,
      answer: { decision: 'reject', text: 'add a second line' },
    });
    await resumeRun(context(), {
      runId: paused.runId,
      answer: { decision: 'approve', text: '' },
    });
    const story = readRunStory(project.journal({ readOnly: true }), paused.runId);
    expect(story.status).toBe('succeeded');
    expect(
      story.steps.map((step) =>
        step.kind === 'human'
          ? `human ${step.decision} ${JSON.stringify(step.answer)} via ${step.via}`
          : `${step.stage} loop ${step.loop} ${step.status}`,
      ),
    ).toEqual([
      'interview loop 0 succeeded',
      'human reject "add a second line" via resume',
      'interview loop 1 succeeded',
      'human approve "" via resume',
      'execute loop 1 succeeded',
    ]);
  });
});
