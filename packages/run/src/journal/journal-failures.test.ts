/**
 * The journal when something outside Baton goes wrong: another process holding the write
 * lock, a full disk, a folder Baton may not write, a row Baton did not write. Each failure
 * is a BatonError naming the journal, and what was committed stays readable.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BatonError } from '@baton/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayRun } from '../replay.js';
import {
  batonError,
  holdWriteLock,
  killWriterBeforeMerge,
  makeUnwritable,
} from '../test-support/journal-trouble.js';
import { Journal } from './journal.js';
import { ensureJournalDirectory, journalPath } from './location.js';
import { currentProcess } from './owner.js';
import { newRunId } from './run-id.js';

let directory: string;
const open: Journal[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-journal-failures-'));
});

afterEach(() => {
  for (const journal of open.splice(0)) journal.close();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  rmSync(directory, { recursive: true, force: true });
});

function openJournal(path: string, options: { readOnly?: boolean; busyTimeoutMs?: number } = {}) {
  const journal = Journal.open(path, options);
  open.push(journal);
  return journal;
}

function newRun(journal: Journal, events = 3): string {
  const runId = newRunId();
  journal.createRun(
    { runId, goal: 'g', mission: 'deliver', configHash: 'h', owner: currentProcess() },
    Array.from({ length: events }, (_, index) => ({ type: 'note', payload: { index } })),
  );
  return runId;
}

/** Makes the folder `project` with its journal folder in it; returns the journal's path. */
function projectWithJournal(project: string): string {
  mkdirSync(project);
  ensureJournalDirectory(project);
  return journalPath(project);
}

describe('another process holding the write lock', () => {
  it('waits a bounded time, then names the journal and the other writer', async () => {
    const path = join(directory, 'journal.db');
    const writer = openJournal(path);
    const runId = newRun(writer);
    // A second real process takes the write lock and keeps it.
    const { holder, held } = holdWriteLock(path);
    children.push(holder);
    await held;

    const contender = openJournal(path, { busyTimeoutMs: 300 });
    const started = performance.now();
    const error = batonError(() => contender.append(runId, [{ type: 'note', payload: {} }]));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe('JOURNAL_LOCKED');
    expect(error.message).toBe(
      `The journal ${path} is locked: another Baton process has been writing to it for more than 0.3 s. ` +
        `Wait for that run to finish (see: baton runs), then continue the run with: baton resume ${runId}.`,
    );

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(contender.append(runId, [{ type: 'note', payload: {} }])).toHaveLength(1);
    expect(contender.getRun(runId)?.lastSeq).toBe(4);
  });
});

describe('a row whose payload is not JSON', () => {
  it('is reported with its run and seq; the other events stay readable and replay reports it', () => {
    const path = join(directory, 'journal.db');
    const runId = newRun(openJournal(path), 3);
    // Damage one stored payload the way a broken tool or disk would.
    const raw = new DatabaseSync(path);
    raw.exec('DROP TRIGGER events_are_append_only_update');
    raw
      .prepare('UPDATE events SET payload = ? WHERE run_id = ? AND seq = 2')
      .run('{"index": 1', runId);
    raw.close();

    const reader = openJournal(path, { readOnly: true });
    const events = [...reader.events(runId)];
    expect(events.map((event) => [event.seq, event.payload, event.corrupt])).toEqual([
      [1, { index: 0 }, undefined],
      [
        2,
        {},
        expect.stringMatching(
          new RegExp(
            `^journal row 2 of run ${runId} is corrupt: its payload is not JSON \\(.+\\)$`,
          ),
        ),
      ],
      [3, { index: 2 }, undefined],
    ]);

    const report = replayRun(reader, runId);
    expect(report.matches).toBe(false);
    expect(report.mismatches).toContain(
      `journal row 2 of run ${runId} is corrupt: its note payload is not a JSON object`,
    );
    expect(report.events).toBe(3);
  });
});

/**
 * A small file system of its own: a tmpfs where this process may mount one (root);
 * `null`, with the reason, where it may not.
 */
function smallFileSystem(sizeKiB: number): { path: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const path = mkdtempSync(join(tmpdir(), 'baton-small-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', path], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) {
    rmSync(path, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed: ${mounted.stderr.trim()}` };
  }
  afterAll(() => {
    spawnSync('umount', [path]);
    rmSync(path, { recursive: true, force: true });
  });
  return { path };
}

/** Fills a file system to the last byte (the filler file is returned, to free the space). */
function fill(path: string): string {
  const filler = join(path, 'filler');
  const chunk = Buffer.alloc(64 * 1024, 1);
  writeFileSync(filler, '');
  for (const size of [chunk, Buffer.alloc(4096, 1), Buffer.alloc(1, 1)]) {
    try {
      for (;;) writeFileSync(filler, size, { flag: 'a' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    }
  }
  return filler;
}

const disk = smallFileSystem(1024);
const onSmallDisk = 'path' in disk ? it : it.skip;
if ('skip' in disk) console.warn(`full-disk tests skipped: ${disk.skip}`);

describe('a full disk', () => {
  onSmallDisk(
    'before .baton exists: a clear error, and no .baton without its .gitignore left behind',
    () => {
      const root = (disk as { path: string }).path;
      const project = join(root, `project-${process.pid}-${Date.now()}`);
      mkdirSync(project);
      const filler = fill(root);
      try {
        const error = batonError(() => ensureJournalDirectory(project));
        expect(error.code).toBe('JOURNAL_UNAVAILABLE');
        expect(error.message).toMatch(
          new RegExp(
            `^Cannot create ${join(project, '.baton')} for the journal: the disk is full\\.`,
          ),
        );
        expect(readdirSync(project)).toEqual([]);
      } finally {
        rmSync(filler, { force: true });
      }
      // With space again, the folder comes complete.
      ensureJournalDirectory(project);
      expect(readdirSync(join(project, '.baton'))).toEqual(['.gitignore']);
    },
  );

  onSmallDisk('for a reader: the journal is still read', () => {
    const root = (disk as { path: string }).path;
    const project = join(root, `project-${process.pid}-${Date.now()}`);
    const path = projectWithJournal(project);
    const writer = Journal.open(path);
    const runId = newRun(writer, 3);
    writer.close();
    const filler = fill(root);
    try {
      const reader = openJournal(path, { readOnly: true });
      expect(reader.listRuns().map((run) => run.runId)).toEqual([runId]);
      expect([...reader.events(runId)]).toHaveLength(3);
    } finally {
      rmSync(filler, { force: true });
    }
  });

  onSmallDisk('mid-run: a clear error naming the run; what was committed stays intact', () => {
    const root = (disk as { path: string }).path;
    const project = join(root, `project-${process.pid}-${Date.now()}`);
    const path = projectWithJournal(project);
    const journal = openJournal(path);
    const runId = newRun(journal, 3);
    const filler = fill(root);
    let error: BatonError | null = null;
    let appended = 0;
    try {
      const big = 'x'.repeat(16 * 1024);
      for (let index = 0; index < 1000 && error === null; index += 1) {
        try {
          journal.append(runId, [{ type: 'note', payload: { big, index } }]);
          appended += 1;
        } catch (caught) {
          if (!BatonError.isInstance(caught)) throw caught;
          error = caught;
        }
      }
    } finally {
      rmSync(filler, { force: true });
    }
    expect(error?.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error?.message).toMatch(
      new RegExp(
        `^Cannot write to the journal ${path}: the disk is full \\(.+\\)\\. Free some space, then continue the run with: baton resume ${runId}\\.$`,
      ),
    );
    // Every event committed before the failure is there, and the file is sound.
    journal.close();
    const reopened = openJournal(path);
    expect(reopened.integrityCheck()).toBe('ok');
    expect(reopened.getRun(runId)?.lastSeq).toBe(3 + appended);
    expect([...reopened.events(runId)].map((event) => event.seq)).toEqual(
      Array.from({ length: 3 + appended }, (_, index) => index + 1),
    );
    expect(reopened.append(runId, [{ type: 'note', payload: {} }])).toHaveLength(1);
  });
});

describe('a journal folder without write access', () => {
  it('is read without creating anything beside the journal', () => {
    const project = join(directory, 'project');
    const path = projectWithJournal(project);
    const writer = Journal.open(path);
    const runId = newRun(writer, 3);
    writer.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    makeUnwritable(join(project, '.baton'), cleanups);

    const reader = openJournal(path, { readOnly: true });
    expect(reader.listRuns().map((run) => run.runId)).toEqual([runId]);
    expect([...reader.events(runId)].map((event) => event.payload)).toEqual([
      { index: 0 },
      { index: 1 },
      { index: 2 },
    ]);
    expect(reader.findRun(runId.slice(0, 10)).runId).toBe(runId);
    expect(replayRun(reader, runId).events).toBe(3);
    expect(readdirSync(join(project, '.baton')).sort()).toEqual(['.gitignore', 'journal.db']);
  });

  it('says what to do when unmerged events wait in the WAL file', () => {
    const project = join(directory, 'project');
    const path = projectWithJournal(project);
    // A writer killed before it could merge its WAL file leaves one behind.
    const killed = killWriterBeforeMerge(path);
    expect(killed.signal).toBe('SIGKILL');
    rmSync(`${path}-shm`, { force: true });
    expect(existsSync(`${path}-wal`)).toBe(true);
    makeUnwritable(join(project, '.baton'), cleanups);

    const error = batonError(() => openJournal(path, { readOnly: true }));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toBe(
      `Cannot read the journal ${path}: its latest events are still in ${path}-wal, and reading them ` +
        `needs write access to ${join(project, '.baton')}. Make that folder writable, then try again.`,
    );
  });
});
