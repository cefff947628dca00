/**
 * What the world does to a journal, for the tests of how Baton answers it: another process
 * holding the write lock, a writer killed before it merged its WAL file, a folder Baton may
 * not write. And the BatonError Baton answers with, caught.
 */
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError } from '@baton/core';
import { expect } from 'vitest';

/** The BatonError `body` throws. Anything else it throws is rethrown, and throwing nothing fails. */
export function batonError(body: () => unknown): BatonError {
  try {
    body();
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

/** Arguments for a second Node process that opens the SQLite file at `path` as `db` and runs `script`. */
function sqliteProcess(path: string, script: string): string[] {
  return [
    '-e',
    `const { DatabaseSync } = require('node:sqlite');
     const db = new DatabaseSync(process.argv[1]);
     ${script}`,
    path,
  ];
}

/**
 * A second real process that takes the write lock of the journal at `path` and keeps it
 * until it is killed; `held` resolves once it holds the lock. The caller kills `holder`.
 */
export function holdWriteLock(path: string): {
  readonly holder: ChildProcess;
  readonly held: Promise<void>;
} {
  const holder = spawn(
    process.execPath,
    sqliteProcess(
      path,
      `db.exec('BEGIN IMMEDIATE');
       console.log('locked');
       setInterval(() => {}, 1000);`,
    ),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const held = new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  return { holder, held };
}

/** A writer of the SQLite file at `path` killed (SIGKILL) before it could merge its WAL file. */
export function killWriterBeforeMerge(path: string): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    sqliteProcess(
      path,
      `db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)');
       process.kill(process.pid, 'SIGKILL');`,
    ),
    { encoding: 'utf8' },
  );
}

/**
 * Makes a folder unwritable in a way that binds this process: `chattr +i` for root (which
 * ignores permission bits), the permission bits for anyone else. Checked by trying to write.
 * What makes it writable again goes into `cleanups` first, for the caller to run after the
 * test (before removing the folder).
 */
export function makeUnwritable(folder: string, cleanups: (() => void)[]): void {
  if (process.getuid?.() === 0) {
    const result = spawnSync('chattr', ['+i', folder], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`chattr +i failed: ${result.stderr}`);
    cleanups.push(() => {
      spawnSync('chattr', ['-i', folder]);
    });
  } else {
    chmodSync(folder, 0o500);
    cleanups.push(() => chmodSync(folder, 0o700));
  }
  expect(() => writeFileSync(join(folder, 'probe'), ''), 'the folder must refuse writes').toThrow();
}
