/**
 * The pool of workers: a row per worker in `workers`, and how the others know that a worker
 * is gone.
 *
 * Two signals, because neither is enough alone:
 * - A session advisory lock named after the worker, held by the worker's own connection for
 *   as long as it lives. A crashed or killed worker's connection closes, the database drops
 *   the lock at once, and a peer can take it: the worker is gone.
 * - A heartbeat: the worker stamps its row with the database's clock (the one clock all
 *   machines share) every `heartbeatMs`. A worker that is stopped (SIGSTOP) or whose machine
 *   vanished keeps its connection, and its lock, until TCP gives up; its heartbeat stops
 *   though, and past `staleAfterMs` a peer ends its session (`pg_terminate_backend`) and
 *   takes its lock.
 *
 * A peer that takes a gone worker's lock holds it while it recovers that worker's work, so a
 * restarted worker of the same id waits until its recovery is done. A worker whose lock or
 * row was taken while it could not reach the database learns that it is lost, and must stop.
 *
 * After an outage of the database every worker's session dropped at once: so a worker judges
 * its peers only once its own connection has been healthy for `staleAfterMs`, by which time
 * every live peer has reconnected and taken its lock again.
 */
import { hostname } from 'node:os';
import { BatonError } from '@baton/core';
import type pg from 'pg';
import { databaseFailureAt, displayDatabaseUrl, openClient } from './database.js';
import { DEFAULT_SCHEMA, schemaName } from './schema.js';

/** The first key of every worker's advisory lock ("btnw"); the second is a hash of its name. */
const LOCK_NAMESPACE = 0x62746e77;

export const DEFAULT_HEARTBEAT_MS = 1_000;
export const DEFAULT_STALE_AFTER_MS = 10_000;
export const MAX_SLOTS = 256;

const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface WorkerRegistration {
  /** The worker's name: stable across restarts of the same worker (it finds its own work again). */
  readonly workerId: string;
  /** The runtimes this worker runs stages on. */
  readonly runtimes: readonly string[];
  /** How many stages it runs at once. */
  readonly slots: number;
  /** The pinned application version of the Baton it runs. */
  readonly applicationVersion: string;
  /** Default: this machine's host name. */
  readonly host?: string;
  /** Default: this process. */
  readonly pid?: number;
}

export interface LivenessOptions {
  /** The schema holding Baton's tables (default `baton`). */
  readonly schema?: string;
  /** How often a worker stamps its heartbeat (default 1 s). */
  readonly heartbeatMs?: number;
  /** A heartbeat older than this makes a worker stale (default 10 s). */
  readonly staleAfterMs?: number;
}

/** What the pool knows of a worker. */
export interface WorkerInfo {
  readonly workerId: string;
  readonly host: string;
  readonly pid: number;
  readonly runtimes: readonly string[];
  readonly slots: number;
  readonly applicationVersion: string;
  /** ISO-8601, by the database's clock. */
  readonly startedAt: string;
  readonly lastHeartbeat: string;
  /** How long ago the last heartbeat was, by the database's clock. */
  readonly heartbeatAgeMs: number;
  /**
   * `alive`: its connection holds its lock and its heartbeat is fresh; `stale`: its heartbeat
   * is older than the limit; `gone`: no connection holds its lock (it crashed, and no peer
   * has recovered its work yet).
   */
  readonly state: 'alive' | 'stale' | 'gone';
}

/** A gone peer whose lock this worker now holds: recover its work, then `release()`. */
export interface ClaimedPeer {
  readonly worker: WorkerInfo;
  /** How it was found gone: its connection closed, or its heartbeat stopped. */
  readonly reason: 'connection-closed' | 'heartbeat-stopped';
  release(): Promise<void>;
}

interface WorkerRow {
  worker_id: string;
  host: string;
  pid: number;
  runtimes: string[];
  slots: number;
  application_version: string;
  started_at: Date;
  last_heartbeat: Date;
  age_ms: string;
  locked: boolean;
}

function lockKey(schema: string): string {
  // Two integers: the namespace, and a hash of the schema and the worker's name.
  return `${LOCK_NAMESPACE}, hashtext('${schema}:' || $1)`;
}

/** Takes the advisory lock of the worker named `workerId` on this session, if it is free. */
async function tryWorkerLock(client: pg.Client, schema: string, workerId: string) {
  const { rows } = await client.query<{ taken: boolean }>(
    `SELECT pg_try_advisory_lock(${lockKey(schema)}) AS taken`,
    [workerId],
  );
  return rows[0]?.taken === true;
}

function selectWorkers(schema: string, where: string): string {
  return `SELECT w.*, (extract(epoch FROM now() - w.last_heartbeat) * 1000)::bigint AS age_ms,
      EXISTS (
        SELECT 1 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid::bigint = ${LOCK_NAMESPACE}
          AND l.objid::bigint = (hashtext('${schema}:' || w.worker_id)::bigint & 4294967295)
      ) AS locked
    FROM ${schema}.workers w ${where} ORDER BY w.worker_id`;
}

function toInfo(row: WorkerRow, staleAfterMs: number): WorkerInfo {
  const heartbeatAgeMs = Math.max(0, Number(row.age_ms));
  return {
    workerId: row.worker_id,
    host: row.host,
    pid: Number(row.pid),
    runtimes: row.runtimes,
    slots: Number(row.slots),
    applicationVersion: row.application_version,
    startedAt: row.started_at.toISOString(),
    lastHeartbeat: row.last_heartbeat.toISOString(),
    heartbeatAgeMs,
    state: !row.locked ? 'gone' : heartbeatAgeMs > staleAfterMs ? 'stale' : 'alive',
  };
}

function checkRegistration(registration: WorkerRegistration): void {
  const problem = (message: string) =>
    new BatonError('USAGE', message, { details: { workerId: registration.workerId } });
  if (!WORKER_ID.test(registration.workerId)) {
    throw problem(
      `"${registration.workerId}" cannot name a worker: use letters, digits, ".", "-" and "_" (at most 64, starting with a letter or digit).`,
    );
  }
  if (registration.runtimes.length === 0) {
    throw problem(`Worker ${registration.workerId} offers no runtime: give at least one.`);
  }
  if (
    !Number.isInteger(registration.slots) ||
    registration.slots < 1 ||
    registration.slots > MAX_SLOTS
  ) {
    throw problem(
      `Worker ${registration.workerId} needs a whole number of slots from 1 to ${MAX_SLOTS}, not ${registration.slots}.`,
    );
  }
}

/** An executor with unfinished work and no worker in the pool, held while it is recovered. */
export interface ClaimedOrphan {
  readonly executorId: string;
  release(): Promise<void>;
}

/** Every worker of the pool, by name. */
export async function listWorkers(
  url: string,
  options: LivenessOptions = {},
): Promise<WorkerInfo[]> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const client = await openClient(url, 'baton-workers', 'read the workers in');
  try {
    const { rows } = await client.query<WorkerRow>(selectWorkers(schema, '')).catch((error) => {
      throw databaseFailureAt(url, error, 'read the workers in');
    });
    return rows.map((row) => toInfo(row, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
  } finally {
    await client.end().catch(() => {});
  }
}

/** A worker's presence in the pool: its row, its lock and its heartbeat, until `stop()`. */
export class WorkerPresence {
  readonly workerId: string;
  private readonly url: string;
  private readonly schema: string;
  private readonly registration: Required<WorkerRegistration>;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private client: pg.Client | null;
  /** Since when (performance.now()) the connection has worked without a break; null while broken. */
  private healthySince: number | null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lostReason: string | null = null;
  private readonly lostListeners = new Set<(reason: string) => void>();
  private tick: Promise<void> = Promise.resolve();

  private constructor(
    url: string,
    registration: Required<WorkerRegistration>,
    options: LivenessOptions,
    client: pg.Client,
  ) {
    this.url = url;
    this.workerId = registration.workerId;
    this.registration = registration;
    this.schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.client = client;
    this.healthySince = performance.now();
  }

  /**
   * Takes the worker's lock, then writes its row. A live worker of the same name is an error;
   * a stale one's session is ended; while a peer holds the lock to recover this worker's
   * earlier work, this waits (up to `staleAfterMs` and a bit).
   */
  static async start(
    url: string,
    registration: WorkerRegistration,
    options: LivenessOptions = {},
  ): Promise<WorkerPresence> {
    checkRegistration(registration);
    const complete: Required<WorkerRegistration> = {
      host: hostname(),
      pid: process.pid,
      ...registration,
    };
    const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const client = await openClient(url, 'baton-worker', 'register the worker in');
    try {
      await takeOwnLock(client, schema, complete.workerId, staleAfterMs, url);
      await client.query(
        `INSERT INTO ${schema}.workers (worker_id, host, pid, runtimes, slots, application_version)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (worker_id) DO UPDATE SET host = $2, pid = $3, runtimes = $4, slots = $5,
           application_version = $6, started_at = now(), last_heartbeat = now()`,
        [
          complete.workerId,
          complete.host,
          complete.pid,
          [...complete.runtimes],
          complete.slots,
          complete.applicationVersion,
        ],
      );
    } catch (error) {
      await client.end().catch(() => {});
      throw databaseFailureAt(url, error, 'register the worker in');
    }
    const presence = new WorkerPresence(url, complete, options, client);
    presence.schedule();
    return presence;
  }

  /** Why this worker was pushed out of the pool, or `null` while it is in it. */
  get lost(): string | null {
    return this.lostReason;
  }

  /** Called once if the worker is pushed out of the pool (its lock or row taken by a peer). */
  onLost(listener: (reason: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  private schedule(): void {
    if (this.stopped || this.lostReason !== null) return;
    this.timer = setTimeout(() => {
      this.tick = this.beat().finally(() => this.schedule());
    }, this.heartbeatMs);
  }

  /** One heartbeat; after a broken connection, a new one that takes the lock back first. */
  private async beat(): Promise<void> {
    try {
      if (this.client === null) {
        const client = await openClient(this.url, 'baton-worker', 'register the worker in');
        if (!(await tryWorkerLock(client, this.schema, this.workerId))) {
          await client.end().catch(() => {});
          return this.markLost('a peer took its lock while it could not reach the database');
        }
        this.client = client;
        this.healthySince = performance.now();
      }
      const { rowCount } = await this.client.query(
        `UPDATE ${this.schema}.workers SET last_heartbeat = now()
         WHERE worker_id = $1 AND host = $2 AND pid = $3`,
        [this.workerId, this.registration.host, this.registration.pid],
      );
      if (rowCount === 0) return this.markLost('a peer declared it gone and removed its row');
    } catch {
      // The connection broke: the lock went with it. Try again at the next beat.
      const client = this.client;
      this.client = null;
      this.healthySince = null;
      await client?.end().catch(() => {});
    }
  }

  private async markLost(reason: string): Promise<void> {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    for (const listener of this.lostListeners) listener(reason);
  }

  /**
   * Finds peers that are gone and takes their locks: those whose connection closed (their lock
   * was free and their heartbeat older than two beats), and those whose heartbeat is older than
   * `staleAfterMs` (their session is ended first). Their rows are removed. Judges nobody until
   * this worker's own connection has been healthy for `staleAfterMs`.
   */
  async claimGonePeers(): Promise<ClaimedPeer[]> {
    try {
      return await this.claimGonePeersNow();
    } catch (error) {
      throw databaseFailureAt(this.url, error, 'check the workers in');
    }
  }

  private async claimGonePeersNow(): Promise<ClaimedPeer[]> {
    const client = await this.judgingClient();
    if (client === null) return [];
    const graceMs = 2 * this.heartbeatMs;
    const { rows } = await client.query<WorkerRow>(
      selectWorkers(this.schema, 'WHERE w.worker_id <> $1'),
      [this.workerId],
    );
    const claimed: ClaimedPeer[] = [];
    for (const row of rows) {
      const peer = toInfo(row, this.staleAfterMs);
      let reason: ClaimedPeer['reason'];
      if (peer.heartbeatAgeMs > this.staleAfterMs) reason = 'heartbeat-stopped';
      else if (peer.state === 'gone' && peer.heartbeatAgeMs > graceMs) reason = 'connection-closed';
      else continue;
      if (!(await this.takePeerLock(client, peer, reason === 'heartbeat-stopped'))) continue;
      // The row as it is now: the peer may have been replaced by a new run of the same name.
      const { rowCount } = await client.query(
        `DELETE FROM ${this.schema}.workers WHERE worker_id = $1 AND pid = $2 AND host = $3`,
        [peer.workerId, peer.pid, peer.host],
      );
      if (rowCount === 0) {
        await this.unlockPeer(client, peer.workerId);
        continue;
      }
      claimed.push({
        worker: { ...peer, state: 'gone' },
        reason,
        release: () => this.unlockPeer(client, peer.workerId),
      });
    }
    return claimed;
  }

  /**
   * Takes over executors with unfinished work and no row in the pool: a worker that left
   * (its row removed at its stop), or one declared gone that took more work before it learnt
   * so. `candidates` lists such executors (DBOS's); each is claimed only while no worker of
   * that name is in the pool and its lock is free (a worker starting takes its lock before
   * its row), and held while the caller recovers its work. Judges nobody until this worker's
   * own connection has been healthy for the stale limit.
   */
  async claimOrphans(candidates: readonly string[]): Promise<ClaimedOrphan[]> {
    try {
      const client = await this.judgingClient();
      if (client === null) return [];
      const claimed: ClaimedOrphan[] = [];
      for (const executorId of candidates) {
        if (executorId === this.workerId) continue;
        if (!(await tryWorkerLock(client, this.schema, executorId))) continue;
        const { rowCount } = await client.query(
          `SELECT 1 FROM ${this.schema}.workers WHERE worker_id = $1`,
          [executorId],
        );
        if (rowCount !== 0) {
          await this.unlockPeer(client, executorId);
          continue;
        }
        claimed.push({ executorId, release: () => this.unlockPeer(client, executorId) });
      }
      return claimed;
    } catch (error) {
      throw databaseFailureAt(this.url, error, 'check the workers in');
    }
  }

  /**
   * This worker's connection once it may judge its peers (healthy for the stale limit: after
   * an outage every live peer has had the time to take its lock again), else `null`.
   */
  private async judgingClient(): Promise<pg.Client | null> {
    await this.tick;
    const client = this.client;
    if (
      client === null ||
      this.healthySince === null ||
      performance.now() - this.healthySince < this.staleAfterMs
    ) {
      return null;
    }
    return client;
  }

  private async takePeerLock(client: pg.Client, peer: WorkerInfo, endSession: boolean) {
    const attempt = () => tryWorkerLock(client, this.schema, peer.workerId);
    if (await attempt()) return true;
    if (!endSession) return false;
    await client.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid::bigint = ${LOCK_NAMESPACE}
         AND l.objid::bigint = (hashtext('${this.schema}:' || $1)::bigint & 4294967295)`,
      [peer.workerId],
    );
    // The ended session lets go of its locks as its backend exits: a moment later.
    for (let wait = 0; wait < 50; wait += 1) {
      if (await attempt()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  private async unlockPeer(client: pg.Client, workerId: string): Promise<void> {
    await client
      .query(`SELECT pg_advisory_unlock(${lockKey(this.schema)})`, [workerId])
      .catch(() => {});
  }

  /** Leaves the pool: removes the row, lets go of the lock, closes the connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
    const client = this.client;
    this.client = null;
    if (client === null || this.lostReason !== null) return;
    try {
      await client.query(
        `DELETE FROM ${this.schema}.workers WHERE worker_id = $1 AND host = $2 AND pid = $3`,
        [this.workerId, this.registration.host, this.registration.pid],
      );
    } catch {
      // The database is unreachable: the row stays, and peers see the worker gone.
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Takes a worker's own lock. Held by a session whose heartbeat is fresh: a live worker of the
 * same name, an error. Held by a stale session: it is ended. Held with no row: a peer is
 * recovering this worker's earlier work, so wait for it.
 */
async function takeOwnLock(
  client: pg.Client,
  schema: string,
  workerId: string,
  staleAfterMs: number,
  url: string,
): Promise<void> {
  const deadline = performance.now() + staleAfterMs + 5_000;
  while (true) {
    if (await tryWorkerLock(client, schema, workerId)) return;
    const { rows: holders } = await client.query<WorkerRow>(
      selectWorkers(schema, 'WHERE w.worker_id = $1'),
      [workerId],
    );
    const holder = holders[0] === undefined ? undefined : toInfo(holders[0], staleAfterMs);
    if (holder !== undefined && holder.heartbeatAgeMs <= staleAfterMs) {
      throw new BatonError(
        'USAGE',
        `A worker named ${workerId} is already in the pool at ${displayDatabaseUrl(url)}: on ${holder.host}, ` +
          `pid ${holder.pid}, its last heartbeat ${(holder.heartbeatAgeMs / 1000).toFixed(1)} s ago. ` +
          'Stop it first, or give this worker another name.',
        { details: { workerId, host: holder.host, pid: holder.pid } },
      );
    }
    if (holder !== undefined) {
      await client.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = ${LOCK_NAMESPACE}
           AND l.objid::bigint = (hashtext('${schema}:' || $1)::bigint & 4294967295)`,
        [workerId],
      );
    }
    if (performance.now() > deadline) {
      throw new BatonError(
        'USAGE',
        `Worker ${workerId} cannot join the pool: another process holds its name and does not let go. ` +
          'Try again in a minute, or give this worker another name.',
        { details: { workerId } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
