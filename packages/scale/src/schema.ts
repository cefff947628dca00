/**
 * Baton's tables in PostgreSQL, in a schema of their own (`baton`), beside DBOS's
 * (`baton_dbos`) in the same database.
 *
 * The journal has the same shape as the SQLite one (`@baton/run`'s `journal/schema.ts`):
 * `events` is the append-only log (a trigger refuses UPDATE, DELETE and TRUNCATE), `runs` a
 * small index over it rewritten in the same transaction as each append. Text that is
 * compared or ordered (run ids, ISO times) uses the "C" collation, so it sorts byte by byte
 * exactly as in SQLite whatever the database's locale. Times of the journal are the ISO text
 * Baton writes; times of the worker pool come from the database's clock (`now()`), the one
 * clock every machine shares.
 *
 * `appends` makes an append that may be made twice (a durable step re-run after a crash, a
 * database error whose commit is unknown) land once: each such append names itself with a key,
 * and the run's events of that key are the ones a second append gets back.
 *
 * `runtime_limits` holds the pool-wide limits per runtime (`runtime-limits.ts`).
 *
 * `meta` holds the schema version. Migrations run only in `baton scale init` (workers and
 * readers may lack the right to change the schema); everything else checks the version.
 */
import { BatonError } from '@baton/core';

/** The version of Baton's tables this code reads and writes. */
export const SCHEMA_VERSION = 3;

/** Where Baton's tables live unless told otherwise. */
export const DEFAULT_SCHEMA = 'baton';

/** Where DBOS keeps its own tables, in the same database. */
export const DEFAULT_DBOS_SCHEMA = 'baton_dbos';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name, checked so that it can be spliced into SQL (lower case, no quoting needed). */
export function schemaName(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new BatonError(
      'USAGE',
      `"${name}" cannot name a PostgreSQL schema for Baton: use lower-case letters, digits and "_" (at most 63, not starting with a digit).`,
      { details: { schema: name } },
    );
  }
  return name;
}

/**
 * The statements that take an empty schema to each version, in order: `MIGRATIONS[0]`
 * creates version 1. A new version appends one; a released one never changes.
 */
export function migrations(schema: string): readonly string[] {
  const s = schemaName(schema);
  return [
    `
CREATE TABLE ${s}.runs (
  run_id      text COLLATE "C" PRIMARY KEY,
  created_at  text COLLATE "C" NOT NULL,
  updated_at  text COLLATE "C" NOT NULL,
  goal        text NOT NULL,
  mission     text NOT NULL,
  config_hash text NOT NULL,
  status      text NOT NULL,
  cause       text,
  last_seq    integer NOT NULL DEFAULT 0,
  state_hash  text,
  owner_pid   integer,
  owner_start text,
  owner_host  text
);
CREATE INDEX runs_by_created ON ${s}.runs (created_at DESC, run_id DESC);

CREATE TABLE ${s}.events (
  run_id  text COLLATE "C" NOT NULL,
  seq     integer NOT NULL,
  type    text NOT NULL,
  at      text NOT NULL,
  payload text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE FUNCTION ${s}.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'journal events are append-only';
END $$;
CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON ${s}.events
  FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_event_change();
CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON ${s}.events
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_event_change();

-- True when a stored payload is a JSON object. json (not jsonb) accepts everything
-- JSON.parse does, \\u0000 included.
CREATE FUNCTION ${s}.is_json_object(payload text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN json_typeof(payload::json) = 'object';
EXCEPTION WHEN others THEN
  RETURN false;
END $$;

CREATE TABLE ${s}.workers (
  worker_id           text COLLATE "C" PRIMARY KEY,
  host                text NOT NULL,
  pid                 integer NOT NULL,
  runtimes            text[] NOT NULL,
  slots               integer NOT NULL CHECK (slots > 0),
  application_version text NOT NULL,
  started_at          timestamptz NOT NULL DEFAULT now(),
  last_heartbeat      timestamptz NOT NULL DEFAULT now()
);
`,
    `
CREATE TABLE ${s}.appends (
  run_id    text COLLATE "C" NOT NULL,
  key       text COLLATE "C" NOT NULL,
  first_seq integer NOT NULL,
  count     integer NOT NULL,
  PRIMARY KEY (run_id, key)
);
`,
    `
CREATE TABLE ${s}.runtime_limits (
  runtime        text COLLATE "C" PRIMARY KEY,
  max_concurrent integer NOT NULL CHECK (max_concurrent > 0),
  set_at         timestamptz NOT NULL DEFAULT now()
);
`,
  ];
}

/** Creates the `meta` table that records the version, before any migration. */
export function metaTable(schema: string): string {
  const s = schemaName(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
`;
}

/** The statements one append runs (shared with the benchmark). */
export function statements(schema: string) {
  const s = schemaName(schema);
  return {
    version: `SELECT value FROM ${s}.meta WHERE key = 'schema_version'`,
    lockRun: `SELECT last_seq FROM ${s}.runs WHERE run_id = $1 FOR UPDATE`,
    insertEvents: `INSERT INTO ${s}.events (run_id, seq, type, at, payload)
      SELECT $1, seq, type, at, payload
      FROM unnest($2::integer[], $3::text[], $4::text[], $5::text[]) AS e(seq, type, at, payload)`,
    selectEvents: `SELECT run_id, seq, type, at, payload FROM ${s}.events
      WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
  } as const;
}
