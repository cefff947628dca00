/**
 * The journal as readers and writers use it over either store: the SQLite file of one
 * machine (`Journal`, through `SqliteJournalStore`), or the PostgreSQL database a pool of
 * workers shares (`PgJournal` in `@baton/scale`). It is asynchronous because PostgreSQL is;
 * SQLite's answers are simply already there.
 *
 * Every store keeps the same promises, proven by one contract suite (`@baton/run/testing`):
 * events are append-only and numbered per run from 1 without gaps, in the transaction that
 * appends them; a run's index row changes in that same transaction; a claim checks and takes
 * a run's ownership atomically; a read-only store never writes; a stored payload that is not
 * a JSON object is reported by run and sequence number, never fatal. A store writes what it
 * is given: the caller redacts secrets before appending.
 */
import type {
  AppendListener,
  JournalEvent,
  NewEvent,
  NewRun,
  RawJournalEvent,
  RunRecord,
  RunUpdate,
} from './journal.js';
import type { ProcessIdentity } from './owner.js';

export interface JournalStore {
  /** Where the journal is, for messages: a file path, or a database URL without its secrets. */
  readonly location: string;
  /** Opened for reading only: every write is refused. */
  readonly readOnly: boolean;

  getRun(runId: string): Promise<RunRecord | undefined>;
  /** A run by id or by an unambiguous prefix of its id (`RUN_NOT_FOUND` otherwise). */
  findRun(idOrPrefix: string): Promise<RunRecord>;
  /** Runs, newest first. */
  listRuns(limit?: number): Promise<RunRecord[]>;
  /** A run's events in sequence order after `afterSeq`, streamed (never loaded whole). */
  events(runId: string, afterSeq?: number): AsyncIterable<JournalEvent>;
  /** The same with payloads as stored (JSON text), for readers that parse only some. */
  rawEvents(runId: string, afterSeq?: number): AsyncIterable<RawJournalEvent>;
  /** A run's rows whose payload is not a JSON object. */
  corruptRows(runId: string): Promise<{ seq: number; type: string }[]>;

  /** Creates a run and appends its first events, atomically. */
  createRun(run: NewRun, events: readonly NewEvent[], update?: RunUpdate): Promise<JournalEvent[]>;
  /**
   * Appends events to a run in one transaction, numbering them after the run's last
   * sequence number, and applies `update` to the run's index row in the same transaction.
   */
  append(runId: string, events: readonly NewEvent[], update?: RunUpdate): Promise<JournalEvent[]>;
  /**
   * Makes `owner` the run's owner when `canTake` accepts the run as it is now (it throws
   * to refuse); the check and the write are one transaction, so two processes cannot both
   * take a run.
   */
  claim(
    runId: string,
    owner: ProcessIdentity,
    canTake: (run: RunRecord) => void,
  ): Promise<RunRecord>;
  /** Gives up `owner`'s claim on a run (when it still holds it). */
  release(runId: string, owner: ProcessIdentity): Promise<void>;
  /**
   * Calls `listener` with the events of every append made through this store once they
   * are committed, in sequence order (appends by others are not seen). Returns its removal.
   */
  onAppend(listener: AppendListener): () => void;

  /**
   * Of these runs, those something still drives: where the store knows better than the
   * owner's process id on this machine (a pool of workers, whose runs move between
   * machines). Absent: a run is driven while its owner's process lives here.
   */
  drivenRuns?(runs: readonly RunRecord[]): Promise<ReadonlySet<string>>;

  close(): Promise<void>;
}
