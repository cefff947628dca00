/**
 * The journal in PostgreSQL: the same store as the SQLite journal of one machine (the
 * `JournalStore` contract of `@baton/run`), shared by every machine of a worker pool.
 *
 * An append is one statement, so one round trip and one transaction: it locks the run's
 * index row (`FOR UPDATE`), numbers the events after the run's last sequence number, inserts
 * them and rewrites the row. Two processes appending to one run therefore take turns, and the
 * primary key (run, seq) would refuse a duplicate number if they ever did not. The row lock
 * waits at most `busyTimeoutMs` (`lock_timeout`), as SQLite's busy timeout does.
 *
 * A read-only journal refuses every write itself, and its connections are read-only too.
 * The journal stores what it is given: callers redact secrets before appending.
 */
import { hostname } from 'node:os';
import { BatonError } from '@baton/core';
import {
  type AppendListener,
  corruptRow,
  DEFAULT_BUSY_TIMEOUT_MS,
  type JournalEvent,
  type JournalStore,
  type NewEvent,
  type NewRun,
  type ProcessIdentity,
  parsePayload,
  type RawJournalEvent,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  type RunUpdate,
  runNotFound,
} from '@baton/run/journal';
import type pg from 'pg';
import { createPool, databaseFailure, displayDatabaseUrl, passwordsOfUrl } from './database.js';
import {
  DEFAULT_DBOS_SCHEMA,
  DEFAULT_SCHEMA,
  SCHEMA_VERSION,
  schemaName,
  statements,
} from './schema.js';
import { RESUMED_MISSION_INFIX } from './workflow-ids.js';

/** PostgreSQL's text cannot hold NUL, so no stored run id has one. */
const unstorable = (text: string) => text.includes('\u0000');

export interface PgJournalOptions {
  /** Open for reading only. */
  readonly readOnly?: boolean;
  /** The schema holding Baton's tables (default `baton`). */
  readonly schema?: string;
  /** How long to wait for another writer's lock on a run, in milliseconds (default 10 s). */
  readonly busyTimeoutMs?: number;
  /** The machine recorded with a run's owner (default: this machine's host name). */
  readonly host?: string;
  /** The schema of DBOS's tables, for appends guarded by a workflow's ownership (default `baton_dbos`). */
  readonly dbosSchema?: string;
}

/**
 * A durable workflow's execution, as DBOS knows it: the workflow and the token DBOS wrote
 * when this execution took it (at dequeue, or at recovery). A peer that recovers the
 * workflow writes another token, and from then on this execution owns nothing.
 */
export interface WorkflowOwnership {
  readonly workflowId: string;
  readonly token: string;
}

/** How an append that may be made twice lands once (`PgJournal.appendOnce`). */
export interface AppendGuard {
  /** Names the append within its run: made again, it appends nothing. */
  readonly key: string;
  /** When given, the append is refused unless this execution still owns its workflow. */
  readonly owner?: WorkflowOwnership;
}

export interface GuardedAppend {
  /** The run's events of this key: appended now, or by the earlier append of the same key. */
  readonly events: JournalEvent[];
  /** `false` when an earlier append of the key had already landed (nothing was written now). */
  readonly fresh: boolean;
}

/** Says whether an error is an append refused because its execution lost its workflow. */
export function isSuperseded(error: unknown): boolean {
  return BatonError.isInstance(error) && error.details.superseded === true;
}

/** A LIKE pattern matching `text` itself (its `%`, `_` and `\\` taken literally). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** Events read per round trip while streaming a run. */
const PAGE_SIZE = 500;

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
  owner_host: string | null;
}

interface EventRow {
  run_id: string;
  seq: number;
  type: string;
  at: string;
  payload: string;
}

/** A run's owner as PostgreSQL records it: the process, and the machine it runs on. */
export interface PgRunOwner extends ProcessIdentity {
  readonly host: string | null;
}

export class PgJournal implements JournalStore {
  readonly location: string;
  readonly readOnly: boolean;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly dbosSchema: string;
  private readonly host: string;
  private readonly busyTimeoutMs: number;
  private readonly secrets: string[];
  private readonly appendListeners = new Set<AppendListener>();
  private readonly sql: ReturnType<typeof statements>;
  private closed = false;

  private constructor(url: string, pool: pg.Pool, options: Required<PgJournalOptions>) {
    this.pool = pool;
    this.schema = options.schema;
    this.dbosSchema = options.dbosSchema;
    this.readOnly = options.readOnly;
    this.host = options.host;
    this.busyTimeoutMs = options.busyTimeoutMs;
    this.secrets = passwordsOfUrl(url);
    this.location = `${displayDatabaseUrl(url)} (schema ${options.schema})`;
    this.sql = statements(options.schema);
  }

  /** Connects, and checks that the database holds Baton's tables at this version. */
  static async open(url: string, options: PgJournalOptions = {}): Promise<PgJournal> {
    const resolved: Required<PgJournalOptions> = {
      readOnly: options.readOnly === true,
      schema: schemaName(options.schema ?? DEFAULT_SCHEMA),
      busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      host: options.host ?? hostname(),
      dbosSchema: schemaName(options.dbosSchema ?? DEFAULT_DBOS_SCHEMA),
    };
    const pool = createPool(url, {
      readOnly: resolved.readOnly,
      lockTimeoutMs: resolved.busyTimeoutMs,
      applicationName: resolved.readOnly ? 'baton-reader' : 'baton-journal',
    });
    const journal = new PgJournal(url, pool, resolved);
    try {
      await journal.checkVersion();
      return journal;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  private async checkVersion(): Promise<void> {
    const rows = await this.query<{ value: string }>('open', this.sql.version, []);
    const version = rows.length === 0 ? 0 : Number(rows[0]!.value);
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) {
      throw new BatonError(
        'RUN_STATE',
        `The journal in ${this.location} was written by a newer Baton (schema ${version}); upgrade Baton to read it.`,
        { details: { database: this.location, schemaVersion: version } },
      );
    }
    throw new BatonError(
      'JOURNAL_UNAVAILABLE',
      version === 0
        ? `The database ${this.location} has no Baton tables yet. Create them with: baton scale init`
        : `The journal in ${this.location} has an older schema (${version}). Upgrade it with: baton scale init`,
      { details: { database: this.location, schemaVersion: version } },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  onAppend(listener: AppendListener): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private appended(events: JournalEvent[]): JournalEvent[] {
    for (const listener of this.appendListeners) listener(events);
    return events;
  }

  /**
   * Creates a run with its first events. `options.within` runs in the same transaction on the
   * same connection (enqueueing the run's durable workflow, say): both happen, or neither.
   */
  async createRun(
    run: NewRun,
    events: readonly NewEvent[],
    update: RunUpdate = {},
    options: { readonly within?: (client: pg.ClientBase) => Promise<void> } = {},
  ): Promise<JournalEvent[]> {
    this.assertWritable();
    const at = new Date().toISOString();
    const batch = encodeBatch(run.runId, events, at, 0);
    const owner = update.owner === undefined ? run.owner : update.owner;
    storable({
      'run id': run.runId,
      goal: run.goal,
      mission: run.mission,
      'config hash': run.configHash,
      cause: update.cause,
      'state hash': update.stateHash,
      "owner's start": owner?.start,
    });
    const s = this.schema;
    const text = `WITH run AS (
         INSERT INTO ${s}.runs (run_id, created_at, updated_at, goal, mission, config_hash, status,
                               cause, last_seq, state_hash, owner_pid, owner_start, owner_host)
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING run_id
       )
       INSERT INTO ${s}.events (run_id, seq, type, at, payload)
       SELECT run.run_id, e.seq, e.type, e.at, e.payload
       FROM run, unnest($13::integer[], $14::text[], $15::text[], $16::text[]) AS e(seq, type, at, payload)`;
    const parameters = [
      run.runId,
      at,
      run.goal,
      run.mission,
      run.configHash,
      update.status ?? 'running',
      update.cause ?? null,
      events.length,
      update.stateHash ?? null,
      owner?.pid ?? null,
      owner?.start ?? null,
      owner === null ? null : this.host,
      batch.seqs,
      batch.types,
      batch.ats,
      batch.payloads,
    ];
    const within = options.within;
    if (within === undefined) {
      await this.query('write to', text, parameters, run.runId);
    } else {
      await this.transaction(run.runId, async (client) => {
        await client.query(text, parameters);
        await within(client);
      });
    }
    return this.appended(batch.events);
  }

  /**
   * Of these runs, those whose mission is still a workflow of the pool (queued, running, or
   * waiting for a worker to take it over): a run whose worker died is not over, a peer or
   * the worker's next start continues it.
   */
  async drivenRuns(runs: readonly RunRecord[]): Promise<ReadonlySet<string>> {
    if (runs.length === 0) return new Set();
    try {
      const ids = runs.map((run) => run.runId);
      const rows = await this.query<{ workflow_uuid: string }>(
        'read',
        `SELECT workflow_uuid FROM ${this.dbosSchema}.workflow_status
         WHERE (workflow_uuid = ANY($1::text[]) OR workflow_uuid LIKE ANY($2::text[]))
           AND status IN ('PENDING', 'ENQUEUED')`,
        [ids, ids.map((id) => `${escapeLike(id)}${RESUMED_MISSION_INFIX}%`)],
      );
      return new Set(rows.map((row) => row.workflow_uuid.split(RESUMED_MISSION_INFIX)[0]!));
    } catch (error) {
      // A journal without DBOS's tables (never a pool's): no run of it is a workflow.
      if (
        BatonError.isInstance(error) &&
        error.code === 'JOURNAL_UNAVAILABLE' &&
        /no Baton tables/.test(error.message)
      ) {
        return new Set();
      }
      throw error;
    }
  }

  /**
   * Appends events to a run. With `options.ifLastSeq`, only if the run's last event is still
   * that one (else a RUN_STATE error: someone else wrote to it first); `options.within` runs in
   * the same transaction (enqueueing the workflow that continues the run, say).
   */
  async append(
    runId: string,
    events: readonly NewEvent[],
    update: RunUpdate = {},
    options: {
      readonly ifLastSeq?: number;
      readonly within?: (client: pg.ClientBase) => Promise<void>;
    } = {},
  ): Promise<JournalEvent[]> {
    this.assertWritable();
    if (unstorable(runId)) throw runNotFound(runId);
    const now = new Date().toISOString();
    // Numbered from 0 here; the statement adds the run's last sequence number.
    const batch = encodeBatch(runId, events, now, 0);
    storable({
      cause: update.cause,
      'state hash': update.stateHash,
      "owner's start": update.owner?.start,
    });
    const s = this.schema;
    const parameters: unknown[] = [
      runId,
      batch.types,
      batch.ats,
      batch.payloads,
      events.length,
      now,
    ];
    const set = ['last_seq = locked.last_seq + $5', 'updated_at = $6'];
    this.assignUpdate(update, parameters, set);
    let expected = '';
    if (options.ifLastSeq !== undefined) {
      parameters.push(options.ifLastSeq);
      expected = ` AND last_seq = $${parameters.length}`;
    }
    const text = `WITH locked AS (
         SELECT last_seq FROM ${s}.runs WHERE run_id = $1${expected} FOR UPDATE
       ), inserted AS (
         INSERT INTO ${s}.events (run_id, seq, type, at, payload)
         SELECT $1, locked.last_seq + e.n, e.type, e.at, e.payload
         FROM locked, unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(type, at, payload, n)
       )
       UPDATE ${s}.runs SET ${set.join(', ')}
       FROM locked WHERE ${s}.runs.run_id = $1
       RETURNING locked.last_seq`;
    const within = options.within;
    const rows =
      within === undefined
        ? await this.query<{ last_seq: number }>('write to', text, parameters, runId)
        : await this.transaction(runId, async (client) => {
            const landed = (await client.query<{ last_seq: number }>(text, parameters)).rows;
            if (landed.length > 0) await within(client);
            return landed;
          });
    if (rows.length === 0) {
      if (options.ifLastSeq === undefined || (await this.getRun(runId)) === undefined) {
        throw runNotFound(runId);
      }
      throw new BatonError(
        'RUN_STATE',
        `Run ${runId} changed while this was writing to it (another command or worker wrote first); look again: baton show ${runId}`,
        { details: { runId, expectedLastSeq: options.ifLastSeq } },
      );
    }
    const first = Number(rows[0]!.last_seq);
    return this.appended(batch.events.map((event) => ({ ...event, seq: event.seq + first })));
  }

  /**
   * Appends as `append` does, once per `guard.key`: an append made again with the same key
   * (a durable step re-run after a crash, a retry after a commit whose answer was lost)
   * writes nothing and gives back the events the first one appended, however they differ
   * from these. With `guard.owner`, the append is refused (`isSuperseded`) once a peer has
   * taken the workflow over: the check locks DBOS's row of the workflow until the append
   * commits, so a hand-off lands either after the append or before it, never in between.
   */
  async appendOnce(
    runId: string,
    events: readonly NewEvent[],
    update: RunUpdate,
    guard: AppendGuard,
  ): Promise<GuardedAppend> {
    this.assertWritable();
    if (unstorable(runId)) throw runNotFound(runId);
    const now = new Date().toISOString();
    const batch = encodeBatch(runId, events, now, 0);
    storable({
      'append key': guard.key,
      cause: update.cause,
      'state hash': update.stateHash,
      "owner's start": update.owner?.start,
    });
    const s = this.schema;
    const parameters: unknown[] = [
      runId,
      batch.types,
      batch.ats,
      batch.payloads,
      events.length,
      now,
      guard.key,
    ];
    const set = ['last_seq = claimed.first_seq - 1 + $5', 'updated_at = $6'];
    this.assignUpdate(update, parameters, set);
    let owned = '';
    let from = 'locked';
    if (guard.owner !== undefined) {
      parameters.push(guard.owner.workflowId, guard.owner.token);
      const workflow = parameters.length - 1;
      owned = `, owned AS (
         SELECT 1 FROM ${this.dbosSchema}.workflow_status
         WHERE workflow_uuid = $${workflow} AND owner_xid = $${workflow + 1} FOR SHARE
       )`;
      from = 'locked, owned';
    }
    const rows = await this.query<{ first_seq: number }>(
      'write to',
      `WITH locked AS (
         SELECT last_seq FROM ${s}.runs WHERE run_id = $1 FOR UPDATE
       )${owned}, claimed AS (
         INSERT INTO ${s}.appends (run_id, key, first_seq, count)
         SELECT $1, $7, locked.last_seq + 1, $5 FROM ${from}
         ON CONFLICT (run_id, key) DO NOTHING
         RETURNING first_seq
       ), inserted AS (
         INSERT INTO ${s}.events (run_id, seq, type, at, payload)
         SELECT $1, claimed.first_seq - 1 + e.n, e.type, e.at, e.payload
         FROM claimed, unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(type, at, payload, n)
       )
       UPDATE ${s}.runs SET ${set.join(', ')}
       FROM claimed WHERE ${s}.runs.run_id = $1
       RETURNING claimed.first_seq`,
      parameters,
      runId,
    );
    if (rows.length > 0) {
      const first = Number(rows[0]!.first_seq);
      const appended = batch.events.map((event) => ({ ...event, seq: event.seq + first - 1 }));
      return { events: this.appended(appended), fresh: true };
    }
    return { events: await this.landedBefore(runId, guard), fresh: false };
  }

  /** Why a guarded append wrote nothing: its key landed before (its events), or it may not. */
  private async landedBefore(runId: string, guard: AppendGuard): Promise<JournalEvent[]> {
    const landed = await this.query<{ first_seq: number; count: number }>(
      'read',
      `SELECT first_seq, count FROM ${this.schema}.appends WHERE run_id = $1 AND key = $2`,
      [runId, guard.key],
    );
    if (landed.length > 0) {
      const first = Number(landed[0]!.first_seq);
      const count = Number(landed[0]!.count);
      const events: JournalEvent[] = [];
      for await (const event of this.events(runId, first - 1)) {
        if (event.seq >= first + count) break;
        events.push(event);
      }
      return events;
    }
    if ((await this.getRun(runId)) === undefined) throw runNotFound(runId);
    throw new BatonError(
      'RUN_STATE',
      `Run ${runId}: this execution of ${guard.owner?.workflowId ?? 'its workflow'} no longer owns it ` +
        '(a peer took it over); what it did is not recorded.',
      { details: { runId, workflowId: guard.owner?.workflowId ?? null, superseded: true } },
    );
  }

  async claim(
    runId: string,
    owner: ProcessIdentity,
    canTake: (run: RunRecord) => void,
  ): Promise<RunRecord> {
    this.assertWritable();
    if (unstorable(runId)) throw runNotFound(runId);
    storable({ "owner's start": owner.start });
    return this.transaction(runId, async (client) => {
      const { rows } = await client.query<RunRow>(
        `SELECT * FROM ${this.schema}.runs WHERE run_id = $1 FOR UPDATE`,
        [runId],
      );
      if (rows.length === 0) throw runNotFound(runId);
      const run = toRecord(rows[0]!);
      canTake(run);
      await client.query(
        `UPDATE ${this.schema}.runs SET owner_pid = $2, owner_start = $3, owner_host = $4 WHERE run_id = $1`,
        [runId, owner.pid, owner.start, this.host],
      );
      const taken: PgRunOwner = { pid: owner.pid, start: owner.start, host: this.host };
      return { ...run, owner: taken };
    });
  }

  async release(runId: string, owner: ProcessIdentity): Promise<void> {
    this.assertWritable();
    if (unstorable(runId) || (owner.start !== null && unstorable(owner.start))) return;
    await this.query(
      'write to',
      `UPDATE ${this.schema}.runs SET owner_pid = NULL, owner_start = NULL, owner_host = NULL
       WHERE run_id = $1 AND owner_pid = $2 AND owner_start IS NOT DISTINCT FROM $3
         AND owner_host IS NOT DISTINCT FROM $4`,
      [runId, owner.pid, owner.start, this.host],
      runId,
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    if (unstorable(runId)) return undefined;
    const rows = await this.query<RunRow>(
      'read',
      `SELECT * FROM ${this.schema}.runs WHERE run_id = $1`,
      [runId],
    );
    return rows.length === 0 ? undefined : toRecord(rows[0]!);
  }

  async findRun(idOrPrefix: string): Promise<RunRecord> {
    // An empty prefix would match every run: never a way to name one.
    if (idOrPrefix.trim() === '') {
      throw new BatonError('USAGE', 'The run id is empty: give one from `baton runs`.', {
        details: { runId: idOrPrefix },
      });
    }
    if (unstorable(idOrPrefix)) throw runNotFound(idOrPrefix);
    const exact = await this.getRun(idOrPrefix);
    if (exact) return exact;
    const escaped = idOrPrefix.replace(/[\\%_]/g, (character) => `\\${character}`);
    const rows = await this.query<RunRow>(
      'read',
      `SELECT * FROM ${this.schema}.runs WHERE run_id LIKE $1 ESCAPE '\\' ORDER BY created_at LIMIT 3`,
      [`${escaped}%`],
    );
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

  async listRuns(limit = 50): Promise<RunRecord[]> {
    const rows = await this.query<RunRow>(
      'read',
      `SELECT * FROM ${this.schema}.runs ORDER BY created_at DESC, run_id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toRecord);
  }

  async *events(runId: string, afterSeq = 0): AsyncGenerator<JournalEvent> {
    for await (const row of this.rows(runId, afterSeq)) yield toEvent(row);
  }

  async *rawEvents(runId: string, afterSeq = 0): AsyncGenerator<RawJournalEvent> {
    for await (const row of this.rows(runId, afterSeq)) {
      yield { seq: row.seq, type: row.type, at: row.at, payload: row.payload };
    }
  }

  /** A run's event rows, a page per round trip, so a long run is never held in memory whole. */
  private async *rows(runId: string, afterSeq: number): AsyncGenerator<EventRow> {
    if (unstorable(runId)) return;
    let last = afterSeq;
    while (true) {
      const rows = await this.query<EventRow>('read', this.sql.selectEvents, [
        runId,
        last,
        PAGE_SIZE,
      ]);
      for (const row of rows) {
        last = Number(row.seq);
        yield { ...row, seq: last };
      }
      if (rows.length < PAGE_SIZE) return;
    }
  }

  async corruptRows(runId: string): Promise<{ seq: number; type: string }[]> {
    if (unstorable(runId)) return [];
    const rows = await this.query<{ seq: number; type: string }>(
      'read',
      `SELECT seq, type FROM ${this.schema}.events
       WHERE run_id = $1 AND NOT ${this.schema}.is_json_object(payload) ORDER BY seq`,
      [runId],
    );
    return rows.map((row) => ({ seq: Number(row.seq), type: row.type }));
  }

  private assertWritable(): void {
    if (this.readOnly) {
      throw new BatonError('INTERNAL', `The journal ${this.location} was opened read-only.`);
    }
  }

  /** One statement; a database failure becomes a BatonError naming the database. */
  private async query<Row extends object>(
    action: 'open' | 'read' | 'write to',
    text: string,
    parameters: unknown[],
    runId?: string,
  ): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(text, parameters)).rows;
    } catch (error) {
      throw this.failure(error, action, runId);
    }
  }

  /** Adds the run row's columns `update` changes to an UPDATE's `set` list and its parameters. */
  private assignUpdate(update: RunUpdate, parameters: unknown[], set: string[]): void {
    const assign = (column: string, value: unknown) => {
      parameters.push(value);
      set.push(`${column} = $${parameters.length}`);
    };
    if (update.status !== undefined) assign('status', update.status);
    if (update.cause !== undefined) assign('cause', update.cause);
    if (update.stateHash !== undefined) assign('state_hash', update.stateHash);
    if (update.owner !== undefined) {
      assign('owner_pid', update.owner?.pid ?? null);
      assign('owner_start', update.owner?.start ?? null);
      assign('owner_host', update.owner === null ? null : this.host);
    }
  }

  /** Runs `body` in one transaction on one connection. */
  private async transaction<T>(runId: string, body: (client: pg.PoolClient) => Promise<T>) {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failure(error, 'write to', runId);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is gone (the transaction with it): do not give it back to the pool.
        broken = rollbackError;
      }
      throw this.failure(error, 'write to', runId);
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  private failure(error: unknown, action: 'open' | 'read' | 'write to', runId?: string): unknown {
    return databaseFailure(error, {
      location: this.location,
      action: action === 'write to' ? 'write the journal in' : 'read the journal in',
      lockTimeoutMs: this.busyTimeoutMs,
      runId,
      secrets: this.secrets,
    });
  }
}

interface EncodedBatch {
  readonly events: JournalEvent[];
  readonly seqs: number[];
  readonly types: string[];
  readonly ats: string[];
  readonly payloads: string[];
}

/** The events as columns, numbered from `afterSeq + 1`; fails before anything is written. */
function encodeBatch(
  runId: string,
  events: readonly NewEvent[],
  now: string,
  afterSeq: number,
): EncodedBatch {
  const batch: EncodedBatch = { events: [], seqs: [], types: [], ats: [], payloads: [] };
  events.forEach((event, index) => {
    const seq = afterSeq + index + 1;
    const at = event.at ?? now;
    storable({ 'event type': event.type, 'event time': at });
    batch.seqs.push(seq);
    batch.types.push(event.type);
    batch.ats.push(at);
    batch.payloads.push(JSON.stringify(event.payload));
    batch.events.push({ runId, seq, type: event.type, at, payload: event.payload });
  });
  return batch;
}

/**
 * PostgreSQL's text cannot hold the NUL character (SQLite's can). Payloads are JSON, which
 * escapes it; these plain fields are checked so that the error says which one holds it.
 */
function storable(fields: Record<string, string | null | undefined>): void {
  for (const [name, value] of Object.entries(fields)) {
    const at = typeof value === 'string' ? value.indexOf('\u0000') : -1;
    if (at !== -1) {
      // The value itself is not repeated: an error message is no place for what a run holds.
      throw new BatonError(
        'USAGE',
        `The ${name} holds a NUL character (at offset ${at}), which the PostgreSQL journal cannot store; remove it.`,
        { details: { field: name, offset: at } },
      );
    }
  }
}

function toRecord(row: RunRow): RunRecord {
  const status = (RUN_STATUSES as readonly string[]).includes(row.status)
    ? (row.status as RunStatus)
    : 'failed';
  const owner: PgRunOwner | null =
    row.owner_pid === null
      ? null
      : { pid: Number(row.owner_pid), start: row.owner_start, host: row.owner_host };
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
    owner,
  };
}

function toEvent(row: EventRow): JournalEvent {
  const event = { runId: row.run_id, seq: Number(row.seq), type: row.type, at: row.at };
  const payload = parsePayload(row.payload);
  if (typeof payload === 'string') {
    return { ...event, payload: {}, corrupt: corruptRow(row.run_id, event.seq, payload) };
  }
  return { ...event, payload };
}
