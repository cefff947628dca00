/**
 * The live view, driven event by event with a clock the test moves: what a terminal shows
 * (a status line in place, the first line of each message), what a log gets (tool lines at
 * most every few seconds, a heartbeat), and what --quiet and --verbose change. The built
 * CLI's output on a real pseudo-terminal is tested in live-progress.test.ts.
 */
import type { RuntimeEvent } from '@baton/core';
import type { StageProgress, StageReport } from '@baton/run';
import { describe, expect, it } from 'vitest';
import {
  createLiveView,
  HEARTBEAT_INTERVAL_MS,
  type LiveViewClock,
  type LiveViewMode,
  STATUS_INTERVAL_MS,
} from './live-view.js';

const stage: StageProgress = {
  runId: '20261203-120000-abcdef',
  step: 1,
  stage: 'execute',
  runtime: 'opencode',
  attempt: 1,
  loop: 0,
};
const ended: StageReport = {
  status: 'succeeded',
  durationMs: 150_000,
  tokens: 12_345,
  usage: {
    inputTokens: 12_000,
    cachedInputTokens: 0,
    outputTokens: 345,
    reasoningTokens: null,
    costUsd: 0.0123,
    costSource: 'runtime',
  },
  error: null,
  failureClass: null,
  verdict: null,
  toolCalls: 3,
  eventsDropped: 0,
  changes: null,
};

/** A clock whose time the test sets, and whose timers fire when the test says. */
function testClock() {
  let now = 0;
  const timers: { ms: number; tick: () => void; next: number; stopped: boolean }[] = [];
  const clock: LiveViewClock = {
    now: () => now,
    every(ms, tick) {
      const timer = { ms, tick, next: now + ms, stopped: false };
      timers.push(timer);
      return { stop: () => (timer.stopped = true) };
    },
  };
  return {
    clock,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers
          .filter((timer) => !timer.stopped && timer.next <= until)
          .sort((left, right) => left.next - right.next)[0];
        if (due === undefined) break;
        now = due.next;
        due.next += due.ms;
        due.tick();
      }
      now = until;
    },
    running: () => timers.filter((timer) => !timer.stopped).length,
  };
}

function watch(tty: boolean, mode: LiveViewMode = 'normal') {
  const lines: string[] = [];
  const statuses: string[] = [];
  const time = testClock();
  const view = createLiveView({
    color: false,
    stderr: {
      isTTY: tty,
      write: (text: string) => lines.push(text),
      status: (text: string) => statuses.push(text),
      clearStatus: () => statuses.push('<cleared>'),
    },
    mode,
    workspace: '/home/ada/project',
    clock: time.clock,
  });
  return { view, lines, statuses, time };
}

const edit = (id: string, path: string): RuntimeEvent => ({
  type: 'tool-use',
  name: 'edit',
  id,
  status: 'completed',
  input: { filePath: `/home/ada/project/${path}` },
  output: 'ok',
});
const bash = (id: string, command: string, status: 'started' | 'completed'): RuntimeEvent => ({
  type: 'tool-use',
  name: 'Bash',
  id,
  status,
  input: { command },
  output: null,
});
const usage = (total: number): RuntimeEvent => ({
  type: 'usage',
  usage: {
    known: true,
    inputTokens: null,
    cachedInputTokens: null,
    outputTokens: null,
    reasoningTokens: null,
    totalTokens: total,
    costUsd: null,
  },
});

describe('the live view on a terminal', () => {
  it('keeps one status line up to date: elapsed time, tool calls, tokens and the latest activity', () => {
    const { view, lines, statuses, time } = watch(true);
    view.stageStarted!(stage, 4242);
    expect(lines).toEqual(['▶ execute · opencode pid 4242\n']);
    expect(statuses.at(-1)).toBe('⠙ execute · opencode · 0s · working');

    time.advance(62_000);
    view.runtimeEvent!(stage, edit('c1', 'src/cli.ts'));
    view.runtimeEvent!(stage, usage(12_345));
    expect(statuses.at(-1)).toMatch(
      /^. execute · opencode · 1m02s · 1 tool call · 12k tokens · editing src\/cli\.ts$/,
    );
    view.runtimeEvent!(stage, bash('c2', "/bin/bash -lc 'pnpm test'", 'started'));
    view.runtimeEvent!(stage, bash('c2', "/bin/bash -lc 'pnpm test'", 'completed'));
    expect(statuses.at(-1)).toMatch(/· 2 tool calls · 12k tokens · running pnpm test$/);

    // The first words of a message being written, then its first line once whole.
    view.runtimeEvent!(stage, { type: 'text', text: 'I changed the parser so ', partial: true });
    expect(statuses.at(-1)).toMatch(/· writing: I changed the parser so…$/);
    view.runtimeEvent!(stage, {
      type: 'text',
      text: 'I changed the parser so it reads -v.\nMore.',
    });
    expect(lines.at(-1)).toBe('  │ I changed the parser so it reads -v.\n');

    // The clock ticks the status line along at most four times a second.
    const before = statuses.length;
    time.advance(1000);
    expect(statuses.length - before).toBe(1000 / STATUS_INTERVAL_MS);
    expect(statuses.at(-1)).toContain('· 1m03s ·');

    view.stageEnded!(stage, ended);
    expect(statuses.at(-1)).toBe('<cleared>');
    expect(lines.at(-1)).toBe(
      '✔ execute · opencode · 2m30s · 12,345 tokens · $0.0123 · 3 tool calls\n',
    );
    expect(time.running()).toBe(0);
  });

  it('shows what a human step asks about: the result whole, or its start and where to read it', () => {
    const short = watch(true);
    short.view.question!(2, 'Approve the spec?', {
      runId: stage.runId,
      step: 0,
      stage: 'interview',
      runtime: 'codex',
      finalText: 'Spec:\n1. A --verbose flag.\n',
    });
    expect(short.lines.join('')).toBe(
      '? step 3 asks: Approve the spec?\n' +
        '  The interview result (step 1, on codex):\n' +
        '  │ Spec:\n' +
        '  │ 1. A --verbose flag.\n',
    );

    const long = watch(false);
    const text = Array.from({ length: 100 }, (_, index) => `Point ${index + 1}`).join('\n');
    long.view.question!(1, 'Approve?', {
      runId: stage.runId,
      step: 0,
      stage: 'interview',
      runtime: 'codex',
      finalText: text,
    });
    const shown = long.lines.join('');
    expect(shown).toContain('The interview result (step 1, on codex), first 15 of 100 lines:\n');
    expect(shown).toContain('  │ Point 15\n');
    expect(shown).not.toContain('Point 16\n');
    expect(shown).toContain(
      `… 85 more lines. Read it whole with: baton show ${stage.runId} --stage interview`,
    );
  });
});

describe('the live view without a terminal', () => {
  it('prints a line per tool call at most every few seconds, and a heartbeat every 30 s', () => {
    const { view, lines, statuses, time } = watch(false);
    view.stageStarted!(stage, 7);
    view.runtimeEvent!(stage, edit('c1', 'src/cli.ts'));
    time.advance(1000);
    view.runtimeEvent!(stage, edit('c2', 'src/main.ts'));
    view.runtimeEvent!(stage, edit('c3', 'README.md'));
    time.advance(2500);
    view.runtimeEvent!(stage, bash('c4', 'pnpm test', 'started'));
    view.runtimeEvent!(stage, bash('c4', 'pnpm test', 'completed'));
    view.runtimeEvent!(stage, usage(900));
    view.runtimeEvent!(stage, { type: 'text', text: 'Done.' });
    expect(lines).toEqual([
      '▶ execute · opencode pid 7\n',
      '  execute · editing src/cli.ts\n',
      '  execute · running pnpm test (+2 more)\n',
    ]);
    time.advance(HEARTBEAT_INTERVAL_MS - 3500);
    expect(lines.at(-1)).toBe('  execute · opencode · 30s · 4 tool calls · 900 tokens\n');
    time.advance(HEARTBEAT_INTERVAL_MS * 4);
    expect(lines.at(-1)).toBe('  execute · opencode · 2m30s · 4 tool calls · 900 tokens\n');
    view.stageEnded!(stage, { ...ended, eventsDropped: 17 });
    expect(lines.at(-1)).toBe(
      "✔ execute · opencode · 2m30s · 12,345 tokens · $0.0123 · 3 tool calls · 17 events past the journal's cap, not kept\n",
    );
    expect(statuses).toEqual([]);
    expect(time.running()).toBe(0);
  });
});

describe('--quiet and --verbose', () => {
  it('--quiet shows only the start and end of each stage', () => {
    const { view, lines, statuses, time } = watch(true, 'quiet');
    view.stageStarted!(stage, 7);
    view.runtimeEvent!(stage, edit('c1', 'src/cli.ts'));
    view.runtimeEvent!(stage, { type: 'text', text: 'Hello' });
    time.advance(HEARTBEAT_INTERVAL_MS * 2);
    view.stageEnded!(stage, ended);
    expect(lines).toEqual([
      '▶ execute · opencode pid 7\n',
      '✔ execute · opencode · 2m30s · 12,345 tokens · $0.0123 · 3 tool calls\n',
    ]);
    expect(statuses.filter((status) => status !== '<cleared>')).toEqual([]);
  });

  it('--verbose shows every event, messages in full', () => {
    const { view, lines } = watch(false, 'verbose');
    view.stageStarted!(stage, 7);
    view.runtimeEvent!(stage, { type: 'session', sessionId: 'ses_1' });
    view.runtimeEvent!(stage, edit('c1', 'src/cli.ts'));
    view.runtimeEvent!(stage, { type: 'text', text: 'Line one', partial: true });
    view.runtimeEvent!(stage, { type: 'text', text: 'Line one\nLine two\nLine three' });
    view.runtimeEvent!(stage, usage(50));
    view.runtimeEvent!(stage, { type: 'warning', message: 'slow' });
    expect(lines.slice(1)).toEqual([
      '  session ses_1\n',
      '  ⚙ edit completed: editing src/cli.ts\n',
      '  │ Line one\n  │ Line two\n  │ Line three\n',
      '  Σ 50 tokens so far\n',
      '  ~ slow\n',
    ]);
  });
});

describe('retries, fallbacks and budgets', () => {
  it('says why another attempt runs, where the abandoned work is, what a failure was, and what is unknown', () => {
    const { view, lines } = watch(false, 'quiet');
    view.notice!(
      'codex failed its checks (binary: codex not found): execute starts on claude-code instead',
    );
    const failed = { ...stage, runtime: 'codex' };
    view.stageStarted!(failed, 7);
    view.stageEnded!(failed, {
      ...ended,
      status: 'failed',
      usage: null,
      tokens: null,
      failureClass: 'quota_exhausted',
      error: "You've hit your usage limit.",
      toolCalls: 0,
    });
    const fallback = { ...stage, runtime: 'claude-code', attempt: 2 };
    view.attemptPlanned!(fallback, {
      reason: 'fallback',
      fallbackFrom: {
        runtime: 'codex',
        failureClass: 'quota_exhausted',
        cause: "You've hit your usage limit.",
      },
      sessionId: null,
      checkpointRef: 'refs/baton/r/1-execute-0/checkpoint',
      abandonedRef: 'refs/baton/r/1-execute-0/1-abandoned',
      note: null,
    });
    view.attemptPlanned!(
      { ...stage, attempt: 3 },
      {
        reason: 'session-resume',
        fallbackFrom: null,
        sessionId: 'ses_9',
        checkpointRef: null,
        abandonedRef: null,
        note: null,
      },
    );
    expect(lines).toEqual([
      '~ codex failed its checks (binary: codex not found): execute starts on claude-code instead\n',
      '▶ execute · codex pid 7\n',
      "✖ execute · codex · 2m30s · tokens unknown · cost unknown · failed (quota_exhausted): You've hit your usage limit.\n",
      "↪ execute: codex failed (quota_exhausted: You've hit your usage limit.); falling back on claude-code\n",
      "  workspace put back to execute's checkpoint; what was there is kept in refs/baton/r/1-execute-0/1-abandoned\n",
      '↻ continuing execute on opencode in its session ses_9\n',
    ]);
  });
});
