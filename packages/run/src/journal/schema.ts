/**
 * The journal's tables. `events` is the append-only log (triggers refuse UPDATE and
 * DELETE); `runs` is a small index over it — one row per run with its current status,
 * last sequence number and state hash — rewritten in the same transaction as each append,
 * so the two never disagree.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id      TEXT PRIMARY KEY,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  goal        TEXT NOT NULL,
  mission     TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  status      TEXT NOT NULL,
  cause       TEXT,
  last_seq    INTEGER NOT NULL DEFAULT 0,
  state_hash  TEXT,
  owner_pid   INTEGER,
  owner_start TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);
CREATE TABLE IF NOT EXISTS events (
  run_id  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  type    TEXT NOT NULL,
  at      TEXT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only'); END;
`;

/** The statements one append runs, shared with the benchmark's raw loop. */
export const SQL = {
  lastSeq: 'SELECT last_seq FROM runs WHERE run_id = ?',
  insertEvent: 'INSERT INTO events (run_id, seq, type, at, payload) VALUES (?, ?, ?, ?, ?)',
  touchRun: 'UPDATE runs SET last_seq = ?, updated_at = ? WHERE run_id = ?',
  selectEvents:
    'SELECT run_id, seq, type, at, payload FROM events WHERE run_id = ? AND seq > ? ORDER BY seq',
} as const;
