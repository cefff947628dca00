import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BatonError } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { displayStatus, Journal } from './journal.js';
import { currentProcess, isProcessAlive, processStartToken } from './owner.js';
import { newRunId } from './run-id.js';

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

describe('Journal', () => {
  it('numbers events per run from 1, without gaps, across appends', () => {
    const writer = journal();
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: { n: 1 } }]);
    writer.createRun(newRun('b'), [{ type: 'run.started', payload: { n: 1 } }]);
    writer.append('a', [
      { type: 'x', payload: { n: 2 } },
      { type: 'y', payload: { n: 3 } },
    ]);
    writer.append('b', [{ type: 'x', payload: { n: 2 } }]);
    writer.append('a', [{ type: 'z', payload: { nested: { snake_case: true } } }], {
      status: 'waiting',
      stateHash: 'abc',
    });
    expect([...writer.events('a')].map((event) => [event.seq, event.type])).toEqual([
      [1, 'run.started'],
      [2, 'x'],
      [3, 'y'],
      [4, 'z'],
    ]);
    expect([...writer.events('b')].map((event) => event.seq)).toEqual([1, 2]);
    expect([...writer.events('a', 2)].map((event) => event.seq)).toEqual([3, 4]);
    expect([...writer.events('a')][3]!.payload).toEqual({ nested: { snake_case: true } });
    const run = writer.getRun('a')!;
    expect(run).toMatchObject({
      runId: 'a',
      status: 'waiting',
      lastSeq: 4,
      stateHash: 'abc',
      goal: 'g',
      mission: 'deliver',
    });
  });

  it('uses WAL and refuses to change or delete events', () => {
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

  it('lets a read-only reader follow a run while it is written', () => {
    const writer = journal();
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
    const reader = journal({ readOnly: true });
    expect([...reader.events('a')]).toHaveLength(1);
    writer.append('a', [{ type: 'more', payload: { i: 1 } }]);
    expect([...reader.events('a')].map((event) => event.type)).toEqual(['run.started', 'more']);
    expect(() => reader.append('a', [{ type: 'x', payload: {} }])).toThrow(/read-only/);
  });

  it('rolls back a whole batch when one part fails', () => {
    const writer = journal();
    writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
    expect(() => writer.append('missing', [{ type: 'x', payload: {} }])).toThrow(
      /No run "missing"/,
    );
    expect(() => writer.createRun(newRun('a'), [{ type: 'run.started', payload: {} }])).toThrow(
      /UNIQUE/,
    );
    expect(writer.getRun('a')!.lastSeq).toBe(1);
    expect(() =>
      writer.claim('a', { pid: 1, start: null }, () => {
        throw new BatonError('RUN_STATE', 'not now');
      }),
    ).toThrow('not now');
    expect(writer.getRun('a')!.owner?.pid).toBe(process.pid);
  });

  it('finds runs by unambiguous prefix', () => {
    const writer = journal();
    writer.createRun(newRun('20260101-000000-aaaaaa'), [{ type: 'run.started', payload: {} }]);
    writer.createRun(newRun('20260101-000000-aabbbb'), [{ type: 'run.started', payload: {} }]);
    writer.createRun(newRun('20260202-000000-cccccc'), [{ type: 'run.started', payload: {} }]);
    expect(writer.findRun('20260202').runId).toBe('20260202-000000-cccccc');
    expect(writer.findRun('20260101-000000-aab').runId).toBe('20260101-000000-aabbbb');
    expect(() => writer.findRun('20260101')).toThrow(/more than one run/);
    expect(() => writer.findRun('nope')).toThrow(
      expect.objectContaining({ code: 'RUN_NOT_FOUND' }),
    );
    expect(writer.listRuns().map((run) => run.runId)).toEqual([
      '20260202-000000-cccccc',
      '20260101-000000-aabbbb',
      '20260101-000000-aaaaaa',
    ]);
  });

  it('never takes an empty id as a prefix of every run', () => {
    const writer = journal();
    writer.createRun(newRun('20260101-000000-aaaaaa'), [{ type: 'run.started', payload: {} }]);
    for (const empty of ['', '  ']) {
      expect(() => writer.findRun(empty)).toThrow(
        expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('empty') }),
      );
    }
  });

  it('reports a running run whose owner is gone as interrupted', () => {
    const writer = journal();
    writer.createRun({ ...newRun('a'), owner: { pid: 2 ** 22 + 17, start: null } }, [
      { type: 'run.started', payload: {} },
    ]);
    const run = writer.getRun('a')!;
    expect(run.status).toBe('running');
    expect(displayStatus(run)).toBe('interrupted');
    writer.createRun(newRun('b'), [{ type: 'run.started', payload: {} }]);
    expect(displayStatus(writer.getRun('b')!)).toBe('running');
  });

  it('refuses a file that is not a journal of this schema', () => {
    const raw = new DatabaseSync(path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    expect(() => Journal.open(path)).toThrow(/newer Baton/);
  });
});

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
