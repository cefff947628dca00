/**
 * The SQLite journal behind the asynchronous `JournalStore` interface, for code that reads
 * or writes either store. It adds nothing and changes nothing: every call is the `Journal`
 * method of the same name, whose result (or error) the promise carries. The run driver keeps
 * using `Journal` directly, synchronously.
 */
import {
  type AppendListener,
  Journal,
  type JournalEvent,
  type JournalOptions,
  type NewEvent,
  type NewRun,
  type RawJournalEvent,
  type RunRecord,
  type RunUpdate,
} from './journal.js';
import type { ProcessIdentity } from './owner.js';
import type { JournalStore } from './store.js';

export class SqliteJournalStore implements JournalStore {
  readonly journal: Journal;

  constructor(journal: Journal) {
    this.journal = journal;
  }

  static async open(path: string, options: JournalOptions = {}): Promise<SqliteJournalStore> {
    return new SqliteJournalStore(Journal.open(path, options));
  }

  get location(): string {
    return this.journal.path;
  }

  get readOnly(): boolean {
    return this.journal.readOnly;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.journal.getRun(runId);
  }

  async findRun(idOrPrefix: string): Promise<RunRecord> {
    return this.journal.findRun(idOrPrefix);
  }

  async listRuns(limit?: number): Promise<RunRecord[]> {
    return this.journal.listRuns(limit);
  }

  async *events(runId: string, afterSeq?: number): AsyncGenerator<JournalEvent> {
    yield* this.journal.events(runId, afterSeq);
  }

  async *rawEvents(runId: string, afterSeq?: number): AsyncGenerator<RawJournalEvent> {
    yield* this.journal.rawEvents(runId, afterSeq);
  }

  async corruptRows(runId: string): Promise<{ seq: number; type: string }[]> {
    return this.journal.corruptRows(runId);
  }

  async createRun(
    run: NewRun,
    events: readonly NewEvent[],
    update?: RunUpdate,
  ): Promise<JournalEvent[]> {
    return this.journal.createRun(run, events, update);
  }

  async append(
    runId: string,
    events: readonly NewEvent[],
    update?: RunUpdate,
  ): Promise<JournalEvent[]> {
    return this.journal.append(runId, events, update);
  }

  async claim(
    runId: string,
    owner: ProcessIdentity,
    canTake: (run: RunRecord) => void,
  ): Promise<RunRecord> {
    return this.journal.claim(runId, owner, canTake);
  }

  async release(runId: string, owner: ProcessIdentity): Promise<void> {
    this.journal.release(runId, owner);
  }

  onAppend(listener: AppendListener): () => void {
    return this.journal.onAppend(listener);
  }

  async close(): Promise<void> {
    this.journal.close();
  }
}
