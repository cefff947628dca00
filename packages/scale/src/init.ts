/**
 * `baton scale init`: makes a PostgreSQL database ready for scale mode, and is safe to run
 * again at any time (it changes only what is missing or older).
 *
 * DBOS's own tables go first, through DBOS's migration (which also creates the database when
 * the user may): then Baton's tables, migrated under a transaction-scoped advisory lock, so
 * two `init`s at once take turns and the second finds nothing left to do. Workers and readers
 * never change the schema: they check its version and point here when it is missing or old.
 */
import { BatonError } from '@baton/core';
import pg from 'pg';
import {
  CONNECT_TIMEOUT_MS,
  databaseFailure,
  displayDatabaseUrl,
  passwordsOfUrl,
  withSessionSettings,
} from './database.js';
import {
  DEFAULT_DBOS_SCHEMA,
  DEFAULT_SCHEMA,
  metaTable,
  migrations,
  SCHEMA_VERSION,
  schemaName,
} from './schema.js';

/** The advisory lock that serialises migrations of Baton's schema (any fixed number will do). */
const MIGRATION_LOCK = 0x6261746f; // "bato"
/** The advisory lock a whole `init` holds, DBOS's migration included ("bini"). */
const INIT_LOCK = 0x62696e69;

export interface InitOptions {
  /** The schema for Baton's tables (default `baton`). */
  readonly schema?: string;
  /** The schema for DBOS's tables (default `baton_dbos`). */
  readonly dbosSchema?: string;
  /** Told each line DBOS logs while migrating (creating the database, say). */
  readonly log?: (line: string) => void;
}

export interface InitReport {
  /** The database, as it may be shown. */
  readonly database: string;
  readonly schema: string;
  /** Baton's schema version before and after; equal when there was nothing to do. */
  readonly versionBefore: number;
  readonly version: number;
  readonly dbosSchema: string;
}

export async function initScale(url: string, options: InitOptions = {}): Promise<InitReport> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const dbosSchema = schemaName(options.dbosSchema ?? DEFAULT_DBOS_SCHEMA);
  if (schema === dbosSchema) {
    throw new BatonError(
      'USAGE',
      `Baton's tables and DBOS's need schemas of their own; both are "${schema}".`,
    );
  }
  const connection = withSessionSettings(url, { applicationName: 'baton-scale-init' });
  const migrateDbosNow = async () => {
    try {
      await migrateDbos(connection, dbosSchema, options.log ?? (() => {}));
    } catch (error) {
      throw failure(url, error);
    }
  };
  // DBOS's migration is not safe to run twice at once: a session lock makes inits take turns.
  // A database that does not exist yet is DBOS's to create first (creators racing are fine).
  let lock = await connectClient(url, { missingDatabase: 'null' });
  if (lock === null) {
    await migrateDbosNow();
    lock = (await connectClient(url, { missingDatabase: 'throw' }))!;
  }
  try {
    await takeInitLock(lock).catch((error: unknown) => {
      throw failure(url, error);
    });
    await migrateDbosNow();
    const baton = await migrateBatonSchema(url, { schema });
    return { ...baton, dbosSchema };
  } finally {
    // Ending the session lets go of its lock.
    await lock.end().catch(() => {});
  }
}

/**
 * Waits for the init lock by asking again and again rather than by waiting in a statement:
 * DBOS's migration builds indexes CONCURRENTLY, which waits for every open transaction,
 * a waiting `pg_advisory_lock` included, while that one waits for the lock: neither would end.
 */
async function takeInitLock(client: pg.Client): Promise<void> {
  while (true) {
    const { rows } = await client.query<{ taken: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS taken',
      [INIT_LOCK],
    );
    if (rows[0]?.taken === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function connectClient(
  url: string,
  options: { missingDatabase: 'null' | 'throw' },
): Promise<pg.Client | null> {
  const client = new pg.Client({
    connectionString: withSessionSettings(url, { applicationName: 'baton-scale-init' }),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    const missing = (error as { code?: unknown }).code === '3D000';
    if (missing && options.missingDatabase === 'null') return null;
    throw failure(url, error);
  }
}

/** Creates or upgrades Baton's own tables only (the journal and the workers). */
export async function migrateBatonSchema(
  url: string,
  options: { readonly schema?: string } = {},
): Promise<Omit<InitReport, 'dbosSchema'>> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const database = displayDatabaseUrl(url);
  const client = new pg.Client({
    connectionString: withSessionSettings(url, { applicationName: 'baton-scale-init' }),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(metaTable(schema));
    const { rows } = await client.query<{ value: string }>(
      `SELECT value FROM ${schema}.meta WHERE key = 'schema_version'`,
    );
    const versionBefore = rows.length === 0 ? 0 : Number(rows[0]!.value);
    if (versionBefore > SCHEMA_VERSION) {
      throw new BatonError(
        'RUN_STATE',
        `The Baton tables in ${database} (schema ${schema}) were made by a newer Baton (version ${versionBefore}); upgrade Baton.`,
        { details: { database, schemaVersion: versionBefore } },
      );
    }
    const steps = migrations(schema);
    for (let version = versionBefore; version < SCHEMA_VERSION; version += 1) {
      await client.query(steps[version]!);
    }
    await client.query(
      `INSERT INTO ${schema}.meta (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [String(SCHEMA_VERSION)],
    );
    await client.query('COMMIT');
    return { database, schema, versionBefore, version: SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw failure(url, error);
  } finally {
    await client.end().catch(() => {});
  }
}

function failure(url: string, error: unknown): unknown {
  return databaseFailure(error, {
    location: displayDatabaseUrl(url),
    action: 'prepare',
    secrets: passwordsOfUrl(url),
  });
}

/**
 * DBOS's migration, with DBOS's log lines handed to `log` instead of the console (a command
 * prints only through its own writers, which redact).
 */
async function migrateDbos(url: string, schema: string, log: (line: string) => void) {
  const [{ migrateSystemDatabase }, { GlobalLogger }] = await Promise.all([
    import('@dbos-inc/dbos-sdk/internal/system_database'),
    import('@dbos-inc/dbos-sdk/internal/telemetry/logs'),
  ]);
  const line = (entry: unknown) => log(entry instanceof Error ? entry.message : String(entry));
  const logger = new GlobalLogger(undefined, {
    logger: { info: line, warn: line, error: line, debug: () => {} },
  });
  await migrateSystemDatabase(url, logger, schema);
}
