export {
  databaseUrlHasPassword,
  displayDatabaseUrl,
  passwordsOfUrl,
} from './database.js';
export { type InitOptions, type InitReport, initScale, migrateBatonSchema } from './init.js';
export { PgJournal, type PgJournalOptions, type PgRunOwner } from './pg-journal.js';
export { DEFAULT_DBOS_SCHEMA, DEFAULT_SCHEMA, SCHEMA_VERSION } from './schema.js';
export {
  type ClaimedPeer,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STALE_AFTER_MS,
  type LivenessOptions,
  listWorkers,
  MAX_SLOTS,
  type WorkerInfo,
  WorkerPresence,
  type WorkerRegistration,
} from './workers.js';
