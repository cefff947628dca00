/**
 * The journal on its own (`@baton/run/journal`): the SQLite store, the asynchronous
 * interface every store implements, and the helpers a store needs to keep the same promises.
 * Other stores (`@baton/scale`'s PostgreSQL journal) import this rather than the whole
 * package, which would load the runner too.
 */
export { RUN_STATUSES, type RunStatus } from '../engine/types.js';
export {
  type AppendListener,
  corruptRow,
  DEFAULT_BUSY_TIMEOUT_MS,
  displayStatus,
  Journal,
  type JournalEvent,
  type JournalOptions,
  type NewEvent,
  type NewRun,
  parsePayload,
  type RawJournalEvent,
  type RunRecord,
  type RunUpdate,
  runNotFound,
} from './journal.js';
export { currentProcess, isProcessAlive, type ProcessIdentity } from './owner.js';
export { newRunId } from './run-id.js';
export { SqliteJournalStore } from './sqlite-store.js';
export type { JournalStore } from './store.js';
