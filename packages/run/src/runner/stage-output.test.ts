/**
 * What the driver records about a stage's output: a message streamed in pieces is one
 * journaled message (and a watcher sees it grow), tool calls are counted once each, the files
 * a stage changed are found from the workspace's git status, and a connection failure names
 * the endpoint it was sent to.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeEvent } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../journal/journal.js';
import { startRun } from '../service.js';
import { FakeProject, MIXED_ROUTING, TEST_OPTIONS } from '../test-support/project.js';
import type { RunObserver } from './observer.js';

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

function context(observer?: RunObserver) {
  const env = project.env();
  return {
    config: project.config(env),
    registry: project.registry,
    journal: project.journal(),
    env,
    options: TEST_OPTIONS,
    ...(observer ? { observer } : {}),
  };
}

function events(runId: string, type: string): JournalEvent[] {
  return [...project.journal({ readOnly: true }).events(runId)].filter(
    (event) => event.type === type,
  );
}

function ofStage(list: JournalEvent[], stage: string): JournalEvent[] {
  return list.filter((event) => event.payload.stage === stage);
}

function git(...args: string[]): void {
  execFileSync('git', args, {
    cwd: project.root,
    env: { ...project.env(), GIT_CONFIG_NOSYSTEM: '1' },
    stdio: 'ignore',
  });
}

describe('a message streamed in pieces', () => {
  it('is journaled as one message, whole, while a watcher sees it grow', async () => {
    const lines = Array.from({ length: 60 }, (_, index) => `Lesson ${index + 1}: keep it small.`);
    const final = lines.join('\n');
    project.plan({ reflect: { final } });
    const seen: RuntimeEvent[] = [];
    const summary = await startRun(
      context({
        runtimeEvent: (stage, event) => {
          if (stage.stage === 'reflect') seen.push(event);
        },
      }),
      { goal: 'g' },
    );
    expect(summary.status).toBe('succeeded');

    const texts = ofStage(events(summary.runId, 'runtime.event'), 'reflect').filter(
      (event) => (event.payload.event as { type: string }).type === 'text',
    );
    expect(texts.map((event) => (event.payload.event as { text: string }).text)).toEqual([final]);
    const exited = ofStage(events(summary.runId, 'agent.process.exited'), 'reflect')[0]!;
    expect(exited.payload.events_journaled).toBe(1);
    expect(exited.payload.events_dropped).toBe(0);

    // The watcher: the message's beginning as it grows (cut after whitespace), then whole.
    const partial = seen.filter((event) => event.type === 'text' && event.partial === true);
    expect(partial.length).toBeGreaterThan(3);
    for (const event of partial) {
      const text = (event as { text: string }).text;
      expect(final.startsWith(text)).toBe(true);
      expect(text).toMatch(/\s$/);
      expect(text.length).toBeLessThanOrEqual(400);
    }
    expect(seen.filter((event) => event.type === 'text' && event.partial !== true)).toEqual([
      { type: 'text', text: final },
    ]);
  });
});

describe('tool calls', () => {
  it('counts each call once, whether the harness reports its start and end or only its end', async () => {
    project.plan({});
    const baseline = await startRun(context(), { goal: 'g' });
    const count = (runId: string) =>
      Object.fromEntries(
        events(runId, 'agent.process.exited').map((event) => [
          event.payload.stage,
          event.payload.tool_calls,
        ]),
      );
    const before = count(baseline.runId);

    const tools = [
      { kind: 'edit', target: 'src/cli.ts' },
      { kind: 'command', target: 'pnpm test' },
      { kind: 'edit', target: 'README.md' },
    ] as const;
    project.plan({
      interview: { tools: [...tools] },
      execute: { tools: [...tools] },
      evaluate: { tools: [...tools] },
    });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    const after = count(summary.runId);
    // Codex reports started + completed, OpenCode only completed, Claude Code only the start.
    expect(after).toEqual({
      interview: before.interview + 3,
      execute: before.execute + 3,
      evaluate: before.evaluate + 3,
      reflect: 0,
    });
  });
});

describe('files a stage changed', () => {
  it('lists the files the stage changed from the git status before and after it, not the ones already changed', async () => {
    git('init', '-q');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    writeFileSync(join(project.root, 'README.md'), '# Project\n');
    writeFileSync(join(project.root, 'dirty.txt'), 'one\n');
    writeFileSync(join(project.root, '.gitignore'), 'bin/\nstate/\n*.json\n*.jsonl\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'start');
    // The user's own change, before the run: never put on a stage.
    writeFileSync(join(project.root, 'dirty.txt'), 'one\ntwo\n');
    project.plan({ execute: { appendFile: join(project.root, 'README.md') } });

    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    const changed = Object.fromEntries(
      events(summary.runId, 'workspace.changed').map((event) => [
        event.payload.stage,
        event.payload.changes,
      ]),
    );
    expect(changed.execute).toEqual({
      source: 'git-status',
      files: [{ path: 'README.md', status: 'modified', added: 1, removed: 0 }],
      omitted: 0,
    });
    for (const stage of ['interview', 'evaluate', 'reflect'])
      expect(changed[stage], stage).toEqual({ source: 'git-status', files: [], omitted: 0 });
  });

  it('records nothing outside a git work tree', async () => {
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    expect(events(summary.runId, 'workspace.changed')).toEqual([]);
  });
});

describe('a connection failure', () => {
  it('names the endpoint it was sent to, without its query', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[runtimes.codex]\nbase_url = "http://127.0.0.1:9/v1?tenant=team-4711"\n`,
    );
    project.plan({ interview: { fail: true, status: 'network' } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toContain(
      'could not connect to http://127.0.0.1:9/v1, the base_url of [runtimes.codex]',
    );
    // A connection never made is an unavailable runtime: the next of the chain, not a retry.
    expect(summary.cause).toMatch(/^interview failed on codex \(unavailable\): /);
    expect(summary.cause).not.toContain('team-4711');
  });
});
