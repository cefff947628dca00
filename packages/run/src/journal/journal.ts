/**
 * The journal: an embedded SQLite file in WAL mode. Every append is one transaction, so a
 * process killed at any instant (even `kill -9`) leaves whole events or none; readers open
 * the file read-only and see every committed event while a run is still writing.
 *
 * `synchronous = NORMAL`: in WAL mode a committed transaction is in the WAL file (the OS
 * has it) before `COMMIT` returns, so a crash of the process loses nothing and cannot
 * corrupt the file; only a power cut or kernel crash may lose the last few commits (never
 * corrupt). `FULL` would add an fsync to every event — several milliseconds each on real
 * disks, for a stream of small appends — to protect against power loss only.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { BatonError } from '@baton/core';
import type { RunStatus } from '../engine/types.js';
import { RUN_STATUSES } from '../engine/types.js';
import { journalFailure, sqliteCode } from './failure.js';
import { isProcessAlive, type ProcessIdentity } from './owner.js';
import { SCHEMA, SCHEMA_VERSION, SQL } from './schema.js';

export interface JournalEvent {
  readonly runId: string;
  readonly seq: number;
  readonly type: string;
  /** ISO-8601 time the event was recorded. */
  readonly at: string;
  readonly payload: Record<string, unknown>;
  /**
   * Set when the stored payload cannot be read (it is not a JSON object): says so, with the
   * run and sequence number; `payload` is then empty. Absent for every sound event.
   */
  readonly corrupt?: string;
}

export interface RawJournalEvent {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  /** The payload as stored: JSON text. */
  readonly payload: string;
}

export interface NewEvent {
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly at?: string;
}

/** Told the events of each committed append (see `Journal.onAppend`). */
export type AppendListener = (events: readonly JournalEvent[]) => void;

export interface RunRecord {
  readonly runId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly goal: string;
  readonly mission: string;
  readonly configHash: string;
  /** As last written. See `displayStatus` for what it means when the owner is gone. */
  readonly status: RunStatus;
  readonly cause: string | null;
  readonly lastSeq: number;
  readonly stateHash: string | null;
  /** The process driving the run now, or `null` when none is. */
  readonly owner: ProcessIdentity | null;
}

export interface RunUpdate {
  readonly status?: RunStatus;
  readonly cause?: string | null;
  readonly stateHash?: string;
  /** The new owner, or `null` to release the run. */
  readonly owner?: ProcessIdentity | null;
}

export interface NewRun {
  readonly runId: string;
  readonly goal: string;
  readonly mission: string;
  readonly configHash: string;
  readonly owner: ProcessIdentity;
}

export interface JournalOptions {
  /** Open for reading only; many readers may read while one process writes. */
  readonly readOnly?: boolean;
  /**
   * How long to wait for another writer's lock, in milliseconds (default 10 s); past it, a
   * `JOURNAL_LOCKED` error names the journal.
   */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
const SQLITE_IOERR = 10;
const SQLITE_CANTOPEN = 14;

interface RunRow {
  run_id: string;
  created_at: string;
  updated_at: string;
  goal: string;
  mission: string;
  config_hash: string;
  status: string;
  cause: string | null;
  last_seq: number;
  state_hash: string | null;
  owner_pid: number | null;
  owner_start: string | null;
}

interface EventRow {
  run_id: string;
  seq: number;
  type: string;
  at: string;
  payload: string;
}

export class Journal {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly db: DatabaseSync;
  private readonly busyTimeoutMs: number;
  private readonly appendListeners = new Set<AppendListener>();
  private readonly statements: {
    lastSeq: StatementSync;
    insertEvent: StatementSync;
    touchRun: StatementSync;
  };

  private constructor(path: string, db: DatabaseSync, readOnly: boolean, busyTimeoutMs: number) {
    this.path = path;
    this.db = db;
    this.readOnly = readOnly;
    this.busyTimeoutMs = busyTimeoutMs;
    this.statements = {
      lastSeq: db.prepare(SQL.lastSeq),
      insertEvent: db.prepare(SQL.insertEvent),
      touchRun: db.prepare(SQL.touchRun),
    };
  }

  static open(path: string, options: JournalOptions = {}): Journal {
    const readOnly = options.readOnly === true;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const failure = (error: unknown) =>
      journalFailure(error, { path, action: 'open', busyTimeoutMs });
    try {
      return Journal.connect(path, { readOnly, busyTimeoutMs, immutable: false });
    } catch (error) {
      const code = sqliteCode(error);
      if (!readOnly || (code !== SQLITE_CANTOPEN && code !== SQLITE_IOERR) || !existsSync(path))
        throw failure(error);
      // A reader without write access to the folder (or on a full disk) cannot create the
      // `-shm` file that WAL mode needs. With no WAL file beside it, the database file alone
      // holds every committed event, and nothing can write it meanwhile: it is read as immutable.
      if (pendingWal(path)) {
        throw new BatonError(
          'JOURNAL_UNAVAILABLE',
          `Cannot read the journal ${path}: its latest events are still in ${path}-wal, and reading ` +
            `them needs write access to ${dirname(path)}. Make that folder writable, then try again.`,
          { cause: error, details: { path } },
        );
      }
      try {
        return Journal.connect(path, { readOnly, busyTimeoutMs, immutable: true });
      } catch (second) {
        throw failure(second);
      }
    }
  }

  private static connect(
    path: string,
    options: { readOnly: boolean; busyTimeoutMs: number; immutable: boolean },
  ): Journal {
    const { readOnly } = options;
    let location: string | URL = path;
    if (options.immutable) {
      location = pathToFileURL(path);
      location.searchParams.set('immutable', '1');
    }
    const db = new DatabaseSync(location, { readOnly, timeout: options.busyTimeoutMs });
    try {
      if (!readOnly) {
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = NORMAL');
        const version = userVersion(db);
        if (version === 0) {
          db.exec('BEGIN IMMEDIATE');
          try {
            if (userVersion(db) === 0) {
              db.exec(SCHEMA);
              db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
            }
            db.exec('COMMIT');
          } catch (error) {
            rollback(db);
            throw error;
          }
        }
      }
      const version = userVersion(db);
      if (version !== SCHEMA_VERSION) {
        throw version > SCHEMA_VERSION
          ? new BatonError(
              'RUN_STATE',
              `The journal ${path} was written by a newer Baton (schema ${version}); upgrade Baton to read it.`,
              { details: { path, schemaVersion: version } },
            )
          : new BatonError(
              'JOURNAL_CORRUPT',
              `The journal ${path} is not a Baton journal (schema ${version}). Move it aside to start a new journal.`,
              { details: { path, schemaVersion: version } },
            );
      }
      return new Journal(path, db, readOnly, options.busyTimeoutMs);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Calls `listener` with the events of every append made through this instance, once they
   * are committed, in sequence order (appends by other instances or processes are not seen).
   * A listener must not throw: the events are already written. Returns its removal.
   */
  onAppend(listener: AppendListener): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private appended(events: JournalEvent[]): JournalEvent[] {
    for (const listener of this.appendListeners) listener(events);
    return events;
  }

  /** Creates a run and appends its first events, atomically. */
  createRun(run: NewRun, events: readonly NewEvent[], update: RunUpdate = {}): JournalEvent[] {
    // No run to continue if this fails: the run does not exist until the transaction commits.
    const appended = this.transaction(undefined, () => {
      const at = new Date().toISOString();
      this.db
        .prepare(
          `INSERT INTO runs (run_id, created_at, updated_at, goal, mission, config_hash, status, last_seq, owner_pid, owner_start)
           VALUES (?, ?, ?, ?, ?, ?, 'running', 0, ?, ?)`,
        )
        .run(
          run.runId,
          at,
          at,
          run.goal,
          run.mission,
          run.configHash,
          run.owner.pid,
          run.owner.start,
        );
      return this.appendInTransaction(run.runId, events, update);
    });
    return this.appended(appended);
  }

  /**
   * Appends events to a run in one transaction, numbering them after the run's last
   * sequence number, and applies `update` to the run's index row in the same transaction.
   */
  append(runId: string, events: readonly NewEvent[], update: RunUpdate = {}): JournalEvent[] {
    return this.appended(
      this.transaction(runId, () => this.appendInTransaction(runId, events, update)),
    );
  }

  /**
   * Makes `owner` the run's owner when `canTake` accepts the run as it is now; the check
   * and the write happen in one transaction, so two processes cannot both take a run.
   */
  claim(runId: string, owner: ProcessIdentity, canTake: (run: RunRecord) => void): RunRecord {
    return this.transaction(runId, () => {
      const run = this.requireRun(runId);
      canTake(run);
      this.db
        .prepare('UPDATE runs SET owner_pid = ?, owner_start = ? WHERE run_id = ?')
        .run(owner.pid, owner.start, runId);
      return { ...run, owner };
    });
  }

  /** Gives up `owner`'s claim on a run (when it still holds it), so another process may take it. */
  release(runId: string, owner: ProcessIdentity): void {
    this.transaction(runId, () => {
      this.db
        .prepare(
          'UPDATE runs SET owner_pid = NULL, owner_start = NULL WHERE run_id = ? AND owner_pid = ? AND owner_start IS ?',
        )
        .run(runId, owner.pid, owner.start);
    });
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.reading(() =>
      this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId),
    ) as RunRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** A run by id; an unknown id is the error that says so. */
  requireRun(runId: string): RunRecord {
    const run = this.getRun(runId);
    if (run === undefined) throw runNotFound(runId);
    return run;
  }

  /** A run by id or by an unambiguous prefix of its id. */
  findRun(idOrPrefix: string): RunRecord {
    // An empty prefix would match every run: never a way to name one.
    if (idOrPrefix.trim() === '') {
      throw new BatonError('USAGE', 'The run id is empty: give one from `baton runs`.', {
        details: { runId: idOrPrefix },
      });
    }
    const exact = this.getRun(idOrPrefix);
    if (exact) return exact;
    const escaped = idOrPrefix.replace(/[\\%_]/g, (character) => `\\${character}`);
    const rows = this.reading(() =>
      this.db
        .prepare("SELECT * FROM runs WHERE run_id LIKE ? ESCAPE '\\' ORDER BY created_at LIMIT 3")
        .all(`${escaped}%`),
    ) as unknown as RunRow[];
    if (rows.length === 1) return toRecord(rows[0]!);
    if (rows.length > 1) {
      throw new BatonError(
        'RUN_NOT_FOUND',
        `"${idOrPrefix}" matches more than one run (${rows.map((row) => row.run_id).join(', ')}, ...); give more of the id.`,
        { details: { runId: idOrPrefix } },
      );
    }
    throw runNotFound(idOrPrefix);
  }

  /** Runs, newest first. */
  listRuns(limit = 50): RunRecord[] {
    const rows = this.reading(() =>
      this.db
        .prepare('SELECT * FROM runs ORDER BY created_at DESC, run_id DESC LIMIT ?')
        .all(limit),
    ) as unknown as RunRow[];
    return rows.map(toRecord);
  }

  /** A run's events in sequence order, streamed from the file (never loaded whole). */
  *events(runId: string, afterSeq = 0): Generator<JournalEvent> {
    for (const row of this.rows(runId, afterSeq, false) as Iterable<EventRow>) yield toEvent(row);
  }

  /**
   * A run's events with their payloads still as JSON text, for readers that parse only the
   * events they need (replay reads every row but parses a few types).
   */
  *rawEvents(runId: string, afterSeq = 0): Generator<RawJournalEvent> {
    for (const row of this.rows(runId, afterSeq, true) as Iterable<
      [string, number, string, string, string]
    >) {
      yield { seq: row[1], type: row[2], at: row[3], payload: row[4] };
    }
  }

  /** A run's event rows, streamed; a SQLite failure while reading becomes a BatonError. */
  private *rows(runId: string, afterSeq: number, arrays: boolean): Generator<unknown> {
    // A statement per call: two iterations in progress must not share (and reset) one.
    const iterator = this.reading(() => {
      const statement = this.db.prepare(SQL.selectEvents);
      statement.setReturnArrays(arrays);
      return statement.iterate(runId, afterSeq);
    });
    while (true) {
      const next = this.reading(() => iterator.next());
      if (next.done === true) return;
      yield next.value;
    }
  }

  /** A run's rows whose payload is not a JSON object (found without parsing them in JS). */
  corruptRows(runId: string): { seq: number; type: string }[] {
    const rows = this.reading(() =>
      this.db
        .prepare(
          "SELECT seq, type FROM events WHERE run_id = ? AND (json_valid(payload) = 0 OR json_type(payload) != 'object') ORDER BY seq",
        )
        .all(runId),
    ) as { seq: number; type: string }[];
    return rows.map((row) => ({ seq: Number(row.seq), type: row.type }));
  }

  /** `PRAGMA integrity_check`; `ok` when the file is sound. */
  integrityCheck(): string {
    const rows = this.reading(() => this.db.prepare('PRAGMA integrity_check').all()) as {
      integrity_check: string;
    }[];
    return rows.map((row) => row.integrity_check).join('; ');
  }

  private appendInTransaction(
    runId: string,
    events: readonly NewEvent[],
    update: RunUpdate,
  ): JournalEvent[] {
    const last = this.statements.lastSeq.get(runId) as { last_seq: number } | undefined;
    if (last === undefined) throw runNotFound(runId);
    let seq = last.last_seq;
    const now = new Date().toISOString();
    const appended: JournalEvent[] = [];
    for (const event of events) {
      seq += 1;
      const at = event.at ?? now;
      this.statements.insertEvent.run(runId, seq, event.type, at, JSON.stringify(event.payload));
      appended.push({ runId, seq, type: event.type, at, payload: event.payload });
    }
    this.statements.touchRun.run(seq, now, runId);
    if (update.status !== undefined) {
      this.db.prepare('UPDATE runs SET status = ? WHERE run_id = ?').run(update.status, runId);
    }
    if (update.cause !== undefined) {
      this.db.prepare('UPDATE runs SET cause = ? WHERE run_id = ?').run(update.cause, runId);
    }
    if (update.stateHash !== undefined) {
      this.db
        .prepare('UPDATE runs SET state_hash = ? WHERE run_id = ?')
        .run(update.stateHash, runId);
    }
    if (update.owner !== undefined) {
      this.db
        .prepare('UPDATE runs SET owner_pid = ?, owner_start = ? WHERE run_id = ?')
        .run(update.owner?.pid ?? null, update.owner?.start ?? null, runId);
    }
    return appended;
  }

  /**
   * Runs `body` in one write transaction. Waiting for another writer's lock is bounded by
   * the busy timeout; every SQLite failure becomes a BatonError naming the journal (and the
   * run, so the message can say how to continue it).
   */
  private transaction<T>(runId: string | undefined, body: () => T): T {
    if (this.readOnly)
      throw new BatonError('INTERNAL', `The journal ${this.path} was opened read-only.`);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = body();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        rollback(this.db);
        throw error;
      }
    } catch (error) {
      throw journalFailure(error, {
        path: this.path,
        action: 'write to',
        busyTimeoutMs: this.busyTimeoutMs,
        runId,
      });
    }
  }

  /** Runs a read; a SQLite failure becomes a BatonError naming the journal. */
  private reading<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw journalFailure(error, {
        path: this.path,
        action: 'read',
        busyTimeoutMs: this.busyTimeoutMs,
      });
    }
  }
}

/**
 * The status to show: a run recorded as `running` whose owning process is gone was stopped
 * without closing it, and is interrupted.
 */
export function displayStatus(
  run: RunRecord,
  alive: (owner: ProcessIdentity) => boolean = isProcessAlive,
): RunStatus {
  if (run.status === 'running' && (run.owner === null || !alive(run.owner))) return 'interrupted';
  return run.status;
}

export function runNotFound(runId: string): BatonError {
  return new BatonError(
    'RUN_NOT_FOUND',
    `No run "${runId}" in the journal. List runs with: baton runs`,
    {
      details: { runId },
    },
  );
}

function userVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
}

function toRecord(row: RunRow): RunRecord {
  const status = (RUN_STATUSES as readonly string[]).includes(row.status)
    ? (row.status as RunStatus)
    : 'failed';
  return {
    runId: row.run_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    goal: row.goal,
    mission: row.mission,
    configHash: row.config_hash,
    status,
    cause: row.cause,
    lastSeq: Number(row.last_seq),
    stateHash: row.state_hash,
    owner: row.owner_pid === null ? null : { pid: Number(row.owner_pid), start: row.owner_start },
  };
}

function toEvent(row: EventRow): JournalEvent {
  const event = { runId: row.run_id, seq: Number(row.seq), type: row.type, at: row.at };
  const payload = parsePayload(row.payload);
  if (typeof payload === 'string')
    return { ...event, payload: {}, corrupt: corruptRow(row.run_id, Number(row.seq), payload) };
  return { ...event, payload };
}

/** A stored payload as the object Baton wrote, or why it is not one. */
export function parsePayload(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `its payload is not JSON (${(error as Error).message})`;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : 'its payload is not a JSON object';
}

/** How a corrupt row is reported: by its run and sequence number, with what is wrong. */
export function corruptRow(runId: string, seq: number, problem: string): string {
  return `journal row ${seq} of run ${runId} is corrupt: ${problem}`;
}

function rollback(db: DatabaseSync): void {
  try {
    if (db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // SQLite already rolled back (it does after a full disk or an I/O error).
  }
}

/** True when committed events wait in the WAL file, not yet merged into the database file. */
function pendingWal(path: string): boolean {
  try {
    return statSync(`${path}-wal`).size > 0;
  } catch {
    return false;
  }
}
