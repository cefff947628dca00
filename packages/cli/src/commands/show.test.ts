/**
 * `baton show` with the built CLI: a run's whole story as text and JSON, a stage's final text
 * byte for byte for pipes, the errors of its arguments; `baton events` saying where long texts
 * are whole; and a LiteLLM stream (the real adapter against the stand-in proxy) journaled as
 * one message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LitellmStandIn,
  startLitellmStandIn,
} from '../../../litellm/src/test-support/index.js';
import { RunProject } from '../test-support/run-project.js';

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked field by field.
type Json = any;

let project: RunProject;
let proxy: LitellmStandIn | null = null;

beforeEach(() => {
  project = new RunProject();
});

afterEach(async () => {
  await proxy?.close();
  proxy = null;
  expect(project.cleanup(), 'runtime processes still running').toEqual([]);
});

/** 200 lines as a harness might write them: markdown, tabs, non-ASCII, a trailing newline. */
const REPORT = `${Array.from({ length: 200 }, (_, index) =>
  index % 50 === 0
    ? `## Part ${index / 50 + 1} — ünïcødé ✔`
    : `- step ${index}:\tchanged \`src/file-${index}.ts\` (${'x'.repeat(index % 7)})`,
).join('\n')}\n`;

describe('baton show', () => {
  it("prints a stage's final text byte for byte with --stage … --text", () => {
    project.plan({ execute: { final: REPORT } });
    expect(project.baton(['run', 'Report']).status).toBe(0);
    const runId = project.latestRunId();
    const text = project.baton(['show', runId.slice(0, 17), '--stage', 'execute', '--text']);
    expect(text.status).toBe(0);
    expect(text.stderr).toBe('');
    expect(Buffer.from(text.stdout)).toEqual(Buffer.from(REPORT));
    expect(REPORT.split('\n')).toHaveLength(201);
  });

  it("tells the whole run: each stage's runtime, attempts, tokens, tool calls, verdict and full text", () => {
    project.plan({
      interview: { attempts: [{ fail: true, status: 503 }, {}] },
      execute: { final: REPORT, tools: [{ kind: 'command', target: 'pnpm test' }] },
      evaluate: { final: 'Criterion 1: FAIL — NOTES.md is missing.\nVERDICT: FAIL' },
    });
    const run = project.baton(['run', 'Write the notes']);
    expect(run.status).toBe(1);
    const runId = project.latestRunId();
    // The run's own last lines say what failed and what to do.
    expect(run.stdout).toContain(
      'failed: evaluate verdict: FAIL Criterion 1: FAIL — NOTES.md is missing.',
    );
    expect(run.stdout).toContain(
      `Next: read the review with baton show ${runId} --stage evaluate, fix what it found, then baton resume ${runId} (or baton run again)`,
    );

    const shown = project.baton(['show', runId]);
    expect(shown.status).toBe(0);
    const text = shown.stdout;
    expect(text).toContain(`Run ${runId} · failed · mission deliver\nGoal: Write the notes\n`);
    expect(text).toMatch(
      /\n1 interview · codex · succeeded · [\d.]+s · 26 tokens · cost unknown · 1 tool call\n/,
    );
    expect(text).toMatch(
      / {2}attempt 1 on codex: failed \((transient|server)\) · [\d.]+s · tokens unknown · cost unknown — .*503/,
    );
    expect(text).toMatch(/ {2}attempt 2 on codex, a retry: succeeded · /);
    expect(text).toMatch(
      /\n2 execute · opencode · succeeded · [\d.]+s · 26 tokens · \$0\.0000 · 2 tool calls\n/,
    );
    expect(text).toContain(`  final text (200 lines):\n${REPORT}  ── end of final text ──\n`);
    expect(text).toContain('  verdict: FAIL — Criterion 1: FAIL — NOTES.md is missing.\n');
    expect(text).toContain('  files changed: unknown (not a git work tree, or not recorded)\n');
    expect(text).toContain(`Next: read the review with baton show ${runId} --stage evaluate`);

    const story = project.json<Json>(['show', runId]);
    expect(story).toMatchObject({ runId, status: 'failed', mission: 'deliver' });
    expect(story.steps.map((step: Json) => [step.kind, step.stage, step.status])).toEqual([
      ['stage', 'interview', 'succeeded'],
      ['stage', 'execute', 'succeeded'],
      ['stage', 'evaluate', 'succeeded'],
    ]);
    const [interview, execute] = story.steps;
    expect(interview.attempts.map((attempt: Json) => [attempt.attempt, attempt.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(interview.attempts[0].failureClass ?? interview.attempts[0].errorKind).toBeTruthy();
    expect(execute.finalText).toBe(REPORT);
    expect(execute.toolCalls).toBe(2);
    expect(execute.usage.totalTokens).toBe(26);

    const one = project.json<Json>(['show', runId, '--stage', 'evaluate']);
    expect(one.steps).toHaveLength(1);
    expect(one.steps[0].verdict).toEqual({
      outcome: 'fail',
      reason: 'Criterion 1: FAIL — NOTES.md is missing.',
    });
  });

  it('refuses --text without --stage, an unknown stage, and a stage that did not run', () => {
    project.config(`
[orchestrator.runtime_profile.stages]
interview = "codex"
[missions.short]
steps = ["interview"]
`);
    expect(project.baton(['run', 'g', '--mission', 'short']).status).toBe(0);
    const runId = project.latestRunId();
    const cases: [string[], string][] = [
      [['--text'], "show: --text prints one stage's final text; name it with --stage STAGE."],
      [
        ['--stage', 'exec'],
        'show: --stage takes a stage, one of interview, execute, evaluate, reflect (got "exec").',
      ],
      [
        ['--stage', 'reflect'],
        `show: the reflect stage did not run in run ${runId} (stages that ran: interview).`,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = project.baton(['show', runId, ...flags]);
      expect({ flags, status: result.status, stderr: result.stderr }).toEqual({
        flags,
        status: 2,
        stderr: `baton: ${message}\n`,
      });
    }
    expect(project.baton(['show', 'nope']).stderr).toBe(
      'baton: No run "nope" in the journal. List runs with: baton runs\n',
    );
  });
});

describe('baton events', () => {
  it('keeps long text whole in --json, and the text view says where to read it whole', () => {
    project.plan({ execute: { final: REPORT } });
    project.baton(['run', 'Report']);
    const runId = project.latestRunId();
    const events = project.events(runId);
    const texts = events
      .filter((event) => event.type === 'runtime.event' && event.payload.stage === 'execute')
      .map((event) => (event.payload.event as { type: string; text?: string }).text)
      .filter((text) => text !== undefined);
    expect(texts).toContain(REPORT);
    const view = project.baton(['events', runId]).stdout;
    expect(view).toContain('…');
    expect(view).toContain(
      `Long texts are cut above (…): baton events ${runId} --json has them whole, and baton show ${runId} tells the run with each stage's full output.\n`,
    );
  });
});

describe('a LiteLLM stream', () => {
  it('is journaled as one message per message, not one event per token', async () => {
    const reply = Array.from({ length: 300 }, (_, index) => `word${index}`).join(' ');
    proxy = await startLitellmStandIn({ models: ['coder'], reply });
    project.config(`
[orchestrator]
runtime_backend = "litellm"

[runtimes.litellm]
base_url = "${proxy.url}"
model = "coder"

[missions.reflect-only]
steps = ["reflect"]
`);
    const run = await project.batonAsync(['run', 'Reflect', '--mission', 'reflect-only', '--json']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const runId = JSON.parse(run.stdout).runId as string;
    const events = (await project.batonAsync(['events', runId, '--json'])).stdout;
    const journaled = (JSON.parse(events) as Json[]).filter(
      (event) => event.type === 'runtime.event',
    );
    const texts = journaled.filter((event) => event.payload.event.type === 'text');
    expect(texts.map((event) => event.payload.event.text)).toEqual([reply]);
    expect(journaled.length).toBeLessThan(5);
    // The stand-in streamed the reply in hundreds of pieces.
    expect(reply.length / 4).toBeGreaterThan(400);
  }, 60_000);
});
