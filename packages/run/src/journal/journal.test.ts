import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JournalContractSubject, journalContractCases } from '../testing/journal-contract.js';
import { Journal } from './journal.js';
import { currentProcess, isProcessAlive, processStartToken } from './owner.js';
import { newRunId } from './run-id.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';
import { SqliteJournalStore } from './sqlite-store.js';

let directory: string;
let path: string;
const open: Journal[] = [];

function journal(options: { readOnly?: boolean } = {}): Journal {
  const opened = Journal.open(path, options);
  open.push(opened);
  return opened;
}

const newRun = (runId: string) => ({
  runId,
  goal: 'g',
  mission: 'deliver',
  configHash: 'h',
  owner: currentProcess(),
});

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-journal-'));
  path = join(directory, 'journal.db');
});

afterEach(() => {
  for (const opened of open.splice(0)) opened.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the journal contract, on SQLite', () => {
  for (const check of journalContractCases(sqliteSubject)) it(check.name, check.run);
});

describe('Journal (SQLite)', () => {
  it('uses WAL, and its triggers refuse to change or delete events', () => {
    const writer = journal();
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
    const raw = new DatabaseSync(path);
    try {
      expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(() => raw.exec("UPDATE events SET type = 'forged'")).toThrow(/append-only/);
      expect(() => raw.exec('DELETE FROM events')).toThrow(/append-only/);
    } finally {
      raw.close();
    }
    expect(writer.integrityCheck()).toBe('ok');
  });

  it('refuses a second run with the same id through its UNIQUE key', () => {
    const writer = journal();
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
    expect(() => writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }])).toThrow(
      /UNIQUE/,
    );
    expect(writer.getRun('a')!.lastSeq).toBe(1);
  });

  it('refuses a file that is not a journal of this schema', () => {
    const raw = new DatabaseSync(path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    expect(() => Journal.open(path)).toThrow(/newer Baton/);
  });

  it('behind the asynchronous interface, is the same journal its synchronous users write', async () => {
    const writer = journal();
    const store = new SqliteJournalStore(writer);
    expect(store.location).toBe(path);
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
    await store.append('a', [{ type: 'x', payload: { n: 1 } }]);
    expect([...writer.events('a')].map((event) => event.type)).toEqual(['run.started', 'x']);
    expect((await store.getRun('a'))!.lastSeq).toBe(2);
    // Its failures are the journal's own, delivered as rejections.
    await expect(store.append('missing', [])).rejects.toThrow(/No run "missing"/);
  });
});

/** A fresh SQLite journal in its own folder, and raw access to its file. */
async function sqliteSubject(): Promise<JournalContractSubject> {
  const folder = mkdtempSync(join(tmpdir(), 'baton-journal-contract-'));
  const file = join(folder, 'journal.db');
  const raw = <T>(body: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(file);
    try {
      return body(db);
    } finally {
      db.close();
    }
  };
  return {
    open: (options) => SqliteJournalStore.open(file, options),
    updateEventInStorage: async (runId, seq) =>
      raw((db) => {
        db.prepare("UPDATE events SET type = 'forged' WHERE run_id = ? AND seq = ?").run(
          runId,
          seq,
        );
      }),
    deleteEventsInStorage: async () => raw((db) => db.exec('DELETE FROM events')),
    damagePayload: async (runId, seq, text) =>
      raw((db) => {
        db.exec('DROP TRIGGER events_are_append_only_update');
        db.prepare('UPDATE events SET payload = ? WHERE run_id = ? AND seq = ?').run(
          text,
          runId,
          seq,
        );
        db.exec(SCHEMA);
      }),
    markNewerSchema: async () =>
      raw((db) => db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)),
    dispose: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

describe('owner', () => {
  it('tells a live process from a dead or reused pid', () => {
    const self = currentProcess();
    expect(self.start).toBe(processStartToken(process.pid));
    expect(isProcessAlive(self)).toBe(true);
    expect(isProcessAlive({ pid: self.pid, start: 'not-the-start-time' })).toBe(
      self.start === null,
    );
    expect(isProcessAlive({ pid: 2 ** 22 + 17, start: null })).toBe(false);
  });

  it('makes sortable run ids', () => {
    expect(newRunId(new Date('2026-11-21T21:35:01.123Z'))).toMatch(/^20261121-213501-[0-9a-f]{6}$/);
  });
});
