/**
 * The journal's folder as a user meets it: `.baton` as a file, a dangling link, a link to the
 * project itself, a folder Baton may only read, a row Baton did not write. The built CLI as a
 * subprocess, in a temporary project whose runtimes are fake executables.
 */
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeUnwritable } from '../../../run/src/test-support/journal-trouble.js';
import { RunProject } from '../test-support/run-project.js';

let project: RunProject;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  project = new RunProject();
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  project.cleanup();
});

function succeededRun(): string {
  const run = project.baton(['run', 'Add a --verbose flag', '--json']);
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { runId: string }).runId;
}

/** No stack frame in what a user sees. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('the journal folder', () => {
  it('a .baton that is a file: baton run says what to do, exit 1, the file untouched', () => {
    writeFileSync(join(project.root, '.baton'), 'mine\n');
    const result = project.baton(['run', 'Add a --verbose flag']);
    expect(result.status).toBe(1);
    expect(readFileSync(join(project.root, '.baton'), 'utf8')).toBe('mine\n');
    expect(result.stderr).toContain(
      `${join(project.root, '.baton')} is a file, not a folder. Baton keeps its journal in a .baton/ folder there: move it aside, and Baton creates the folder.`,
    );
    expectNoStack(result.stderr);
  });

  it('a dangling .baton link: baton run says what to do, exit 1', () => {
    symlinkSync(join(project.root, 'elsewhere'), join(project.root, '.baton'));
    const result = project.baton(['run', 'Add a --verbose flag']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${join(project.root, '.baton')} is a symbolic link to ${join(project.root, 'elsewhere')}, which does not exist.`,
    );
    expectNoStack(result.stderr);
  });

  it('a .baton link to the project itself: the run works and no .gitignore appears at the root', () => {
    symlinkSync('.', join(project.root, '.baton'));
    succeededRun();
    expect(existsSync(join(project.root, '.gitignore'))).toBe(false);
  });

  it('a read-only .baton: runs, events and replay still read the journal', () => {
    const runId = succeededRun();
    const folder = join(project.root, '.baton');
    rmSync(join(folder, 'scratch'), { recursive: true, force: true });
    makeUnwritable(folder, cleanups);
    const before = readdirSync(folder).sort();

    const runs = project.baton(['runs', '--json']);
    expect(runs.status, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ runId, status: 'succeeded' }]);
    const events = project.baton(['events', runId, '--json']);
    expect(events.status, events.stderr).toBe(0);
    expect((JSON.parse(events.stdout) as unknown[]).length).toBeGreaterThan(10);
    const replay = project.baton(['replay', runId, '--json']);
    expect(replay.status, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ matches: true });
    expect(readdirSync(folder).sort()).toEqual(before);
  });

  it('a row whose payload is not JSON: events lists the others and names the row; replay reports it', () => {
    const runId = succeededRun();
    const db = new DatabaseSync(join(project.root, '.baton', 'journal.db'));
    db.exec('DROP TRIGGER events_are_append_only_update');
    db.prepare("UPDATE events SET payload = '{\"trunc' WHERE run_id = ? AND seq = 2").run(runId);
    const total = Number(
      (db.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?').get(runId) as { n: number })
        .n,
    );
    db.close();

    const events = project.baton(['events', runId]);
    expect(events.status, events.stderr).toBe(0);
    // The goal's line first, then one line per event (a note on cut texts may end the view).
    const lines = events.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((line) => /^\s+\d+ /.test(line));
    expect(lines).toHaveLength(total);
    expect(lines[1]).toMatch(
      new RegExp(`^\\s+2 .*journal row 2 of run ${runId} is corrupt: its payload is not JSON`),
    );
    expect(lines[0]).toMatch(/^\s+1 .*run\.started/);
    expectNoStack(events.stdout + events.stderr);

    const replay = project.baton(['replay', runId]);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain(`journal row 2 of run ${runId} is corrupt`);
    expectNoStack(replay.stdout + replay.stderr);
  });
});
