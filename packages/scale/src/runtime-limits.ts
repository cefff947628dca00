/**
 * Pool-wide limits: at most N stages of a runtime at once across every worker of the pool
 * (an API plan's concurrent sessions, a team's seats, one GPU machine behind LiteLLM), beside
 * each worker's own slots.
 *
 * A limit lives in the pool's database (`runtime_limits`), the one place every worker reads,
 * so two workers can never hold different limits for long: each reads them when it joins and
 * again at every heartbeat. A worker hands its limit to DBOS as the queue's concurrency, and
 * DBOS counts the queue's running workflows in the database under a lock each time it takes
 * work from the queue — so the limit holds across workers, not just within one. A lowered
 * limit stops new stages from starting; stages already running finish.
 */
import { BatonError } from '@baton/core';
import type pg from 'pg';
import { databaseFailureAt, displayDatabaseUrl, openClient } from './database.js';
import { DEFAULT_SCHEMA, schemaName } from './schema.js';

/** The most a limit may say (far above any pool's slots; a typo of 10× still reads as one). */
export const MAX_RUNTIME_LIMIT = 10_000;

/** At most `maxConcurrent` stages of `runtime` run at once across the pool. */
export interface RuntimeLimit {
  readonly runtime: string;
  readonly maxConcurrent: number;
}

/** The limits by runtime, from a connection the caller holds (a worker's pool). */
export async function readRuntimeLimits(
  database: Pick<pg.Pool, 'query'>,
  schema: string,
): Promise<Map<string, number>> {
  const { rows } = await database.query<{ runtime: string; max_concurrent: number }>(
    `SELECT runtime, max_concurrent FROM ${schemaName(schema)}.runtime_limits ORDER BY runtime`,
  );
  return new Map(rows.map((row) => [row.runtime, row.max_concurrent]));
}

/** Every limit of the pool at `url`, by runtime. */
export async function listRuntimeLimits(
  url: string,
  options: { readonly schema?: string } = {},
): Promise<RuntimeLimit[]> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const action = 'read the runtime limits in';
  const client = await openClient(url, 'baton-limits', action);
  try {
    const limits = await readRuntimeLimits(client, schema).catch((error: unknown) => {
      throw failure(url, error, action);
    });
    return [...limits].map(([runtime, maxConcurrent]) => ({ runtime, maxConcurrent }));
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Sets the pool-wide limit of `runtime` (a canonical runtime id), or removes it (`null`).
 * Workers apply it at their next heartbeat.
 */
export async function setRuntimeLimit(
  url: string,
  runtime: string,
  maxConcurrent: number | null,
  options: { readonly schema?: string } = {},
): Promise<void> {
  if (maxConcurrent !== null) checkLimit(runtime, maxConcurrent);
  const s = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const action = 'set a runtime limit in';
  const client = await openClient(url, 'baton-limits', action);
  try {
    await (maxConcurrent === null
      ? client.query(`DELETE FROM ${s}.runtime_limits WHERE runtime = $1`, [runtime])
      : client.query(
          `INSERT INTO ${s}.runtime_limits (runtime, max_concurrent) VALUES ($1, $2)
           ON CONFLICT (runtime) DO UPDATE SET max_concurrent = $2, set_at = now()`,
          [runtime, maxConcurrent],
        )
    ).catch((error: unknown) => {
      throw failure(url, error, action);
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** PostgreSQL's "undefined_table": the pool's tables predate limits, or are not there. */
const UNDEFINED_TABLE = '42P01';

function failure(url: string, error: unknown, action: string): unknown {
  if ((error as { code?: unknown } | null)?.code !== UNDEFINED_TABLE) {
    return databaseFailureAt(url, error, action);
  }
  return new BatonError(
    'JOURNAL_UNAVAILABLE',
    `The database ${displayDatabaseUrl(url)} has no table of runtime limits: its Baton tables are older or missing. Create or upgrade them with: baton scale init`,
    { details: { database: displayDatabaseUrl(url) } },
  );
}

function checkLimit(runtime: string, maxConcurrent: number): void {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > MAX_RUNTIME_LIMIT) {
    throw new BatonError(
      'USAGE',
      `The limit of ${runtime} must be a whole number of stages from 1 to ${MAX_RUNTIME_LIMIT}, not ${maxConcurrent}.`,
      { details: { runtime, maxConcurrent } },
    );
  }
}
