/**
 * The live view of the built CLI while a stage works for several seconds, making tool calls:
 * on a pseudo-terminal the status line shows the elapsed time and the tool's target before
 * the stage ends; piped, the tool calls come as plain lines without a cursor control; the
 * events past the journal's cap are counted in every text view.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunProject } from './test-support/run-project.js';

let project: RunProject;

beforeEach(() => {
  project = new RunProject();
});

afterEach(() => {
  expect(project.cleanup(), 'runtime processes still running').toEqual([]);
});

/** An execute stage of about six seconds: four tool calls 1.5 s apart, then its answer. */
const SLOW_EXECUTE = {
  execute: {
    tools: [
      { kind: 'edit', target: 'src/cli.ts' },
      { kind: 'command', target: 'pnpm test' },
      { kind: 'edit', target: 'README.md' },
      { kind: 'command', target: 'pnpm lint' },
    ],
    toolIntervalMs: 1500,
  },
};

describe('baton run shows that work is happening, and what it is', () => {
  it('on a terminal: the status line has the elapsed time and the tool and its target before the stage ends', async () => {
    project.plan(SLOW_EXECUTE);
    const shown = await project.onTerminal(['run', 'Add a flag']);
    expect(shown.status).toBe(0);
    const text = shown.stdout;
    const ended = text.indexOf('✔ execute · opencode');
    expect(ended).toBeGreaterThan(-1);
    const before = text.slice(0, ended);
    // The status line is redrawn in place (carriage return, erase line), never scrolled.
    expect(before).toContain('\r\u001b[2K');
    const statuses = [...before.matchAll(/execute · opencode · (\d+)s · ([^\r\n]*)/g)].map(
      (match) => ({ seconds: Number(match[1]), rest: match[2]! }),
    );
    for (const target of ['editing src/cli.ts', 'running pnpm test', 'running pnpm lint']) {
      expect(
        statuses.some((status) => status.rest.endsWith(target)),
        target,
      ).toBe(true);
    }
    expect(Math.max(...statuses.map((status) => status.seconds))).toBeGreaterThanOrEqual(4);
    expect(statuses.at(-1)!.rest).toMatch(/^[4-9] tool calls · /);
    // Once the stage ended, its status line is gone: the end line replaced it.
    expect(text.slice(ended)).not.toContain('execute · opencode · 0s');
  }, 60_000);

  it('piped: a plain line per tool call (at most every few seconds), no cursor control', () => {
    project.plan(SLOW_EXECUTE);
    const run = project.baton(['run', 'Add a flag']);
    expect(run.status).toBe(0);
    const lines = run.stderr.split('\n');
    const start = lines.findIndex((line) => line.startsWith('▶ execute · opencode'));
    const end = lines.findIndex((line) => line.startsWith('✔ execute · opencode'));
    expect(start).toBeGreaterThan(-1);
    const tools = lines.slice(start + 1, end);
    expect(tools[0]).toBe('  execute · editing src/cli.ts');
    expect(tools.length).toBeGreaterThanOrEqual(2);
    for (const line of tools) expect(line).toMatch(/^ {2}execute · (editing|running) /);
    expect(Number(/· (\d+) tool calls$/.exec(lines[end]!)?.[1])).toBeGreaterThanOrEqual(4);
    expect(run.stderr).not.toMatch(/[\u001b\r]/);
    expect(run.stdout).not.toMatch(/[\u001b\r]/);
  }, 60_000);

  it('--quiet: only the start and end of each stage; --verbose: every event', () => {
    project.plan({ execute: { tools: [{ kind: 'command', target: 'pnpm test' }] } });
    const quiet = project.baton(['run', 'g', '--quiet']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr.split('\n').filter(Boolean)).toEqual([
      // Said before the run, even when quiet: nothing can be put back between attempts.
      expect.stringMatching(/^~ the project is not in a git work tree: Baton cannot checkpoint/),
      expect.stringMatching(/^▶ interview · codex pid \d+$/),
      expect.stringMatching(/^✔ interview · codex · /),
      expect.stringMatching(/^▶ execute · opencode pid \d+$/),
      expect.stringMatching(/^✔ execute · opencode · /),
      expect.stringMatching(/^▶ evaluate · claude-code pid \d+$/),
      expect.stringMatching(/^✔ evaluate · claude-code · .* · verdict PASS$/),
      expect.stringMatching(/^▶ reflect · hermes pid \d+$/),
      expect.stringMatching(/^✔ reflect · hermes · /),
    ]);
    const verbose = project.baton(['run', 'g', '--verbose']);
    expect(verbose.status).toBe(0);
    expect(verbose.stderr).toContain('  ⚙ bash completed: running pnpm test\n');
    expect(verbose.stderr).toContain('  │ opencode finished execute\n');
    expect(verbose.stderr).toContain('  session opencode-session-execute\n');
    expect(project.baton(['run', 'g', '--quiet', '--verbose']).stderr).toBe(
      'baton: run: choose one of --quiet and --verbose.\n',
    );
  }, 60_000);

  it("counts the events past the journal's cap in the progress, show and events views", () => {
    // About 1,100 messages of 900 characters from one stage: past the cap of 1,000 events.
    project.plan({ interview: { floodBytes: 1_000_000 } });
    const run = project.baton(['run', 'Flood', '--quiet']);
    expect(run.status).toBe(0);
    const dropped =
      /✔ interview · codex · .* · ([\d,]+) events past the journal's cap, not kept/.exec(
        run.stderr,
      );
    expect(dropped).not.toBeNull();
    const count = dropped![1]!;
    const runId = project.latestRunId();
    expect(project.baton(['show', runId]).stdout).toContain(
      `  ${count} runtime events past the journal's cap, not kept`,
    );
    expect(project.baton(['events', runId]).stdout).toContain(
      `${count.replace(',', '')} events past the journal's cap, not kept`,
    );
  }, 60_000);
});
