/**
 * The run readers over any journal store — the SQLite file of this machine or the PostgreSQL
 * database of a worker pool (`JournalStore`): a run's summary, result, story, usage and
 * replay, read the way `baton runs`, `show`, `events` and `replay` show them wherever the
 * run was driven. Each reads the run's events once and folds them with the same code as the
 * synchronous readers of the SQLite journal.
 */
import type { RunStatus } from './engine/types.js';
import {
  displayStatus,
  type JournalEvent,
  type RawJournalEvent,
  type RunRecord,
  runNotFound,
} from './journal/journal.js';
import { isProcessAlive } from './journal/owner.js';
import type { JournalStore } from './journal/store.js';
import { type ReplayReport, replayOf } from './replay.js';
import { type RunResult, runResultOf } from './result.js';
import { type RunStory, runStoryOf } from './story.js';
import { type RunSummary, summaryOf } from './summary.js';
import { type UsageSummary, usageOfEvents } from './usage-summary.js';

/** The statuses of runs as readers show them: a run no one drives any more reads as interrupted. */
export async function displayStatuses(
  store: JournalStore,
  runs: readonly RunRecord[],
): Promise<Map<string, RunStatus>> {
  const driven = store.drivenRuns === undefined ? null : await store.drivenRuns(runs);
  return new Map(
    runs.map((run) => [
      run.runId,
      driven === null
        ? displayStatus(run, isProcessAlive)
        : driven.has(run.runId)
          ? run.status
          : displayStatus(run, () => false),
    ]),
  );
}

/** A run's record (by id or unambiguous prefix) and its status as readers show it. */
export async function findStoredRun(
  store: JournalStore,
  idOrPrefix: string,
): Promise<{ run: RunRecord; status: RunStatus }> {
  const run = await store.findRun(idOrPrefix);
  return { run, status: (await displayStatuses(store, [run])).get(run.runId)! };
}

export async function summarizeStoredRun(store: JournalStore, runId: string): Promise<RunSummary> {
  const { run, status } = await exactRun(store, runId);
  return summaryOf(run, await collect(store.events(run.runId)), status);
}

export async function readStoredRunResult(store: JournalStore, runId: string): Promise<RunResult> {
  const { run, status } = await exactRun(store, runId);
  return runResultOf(run, await collect(store.events(run.runId)), status);
}

export async function readStoredRunStory(store: JournalStore, runId: string): Promise<RunStory> {
  const { run, status } = await exactRun(store, runId);
  return runStoryOf(run, await collect(store.events(run.runId)), status);
}

export async function readStoredRunUsage(
  store: JournalStore,
  runId: string,
): Promise<UsageSummary> {
  return usageOfEvents(await collect<RawJournalEvent>(store.rawEvents(runId)));
}

export async function replayStoredRun(store: JournalStore, runId: string): Promise<ReplayReport> {
  const run = await store.getRun(runId);
  if (run === undefined) throw runNotFound(runId);
  return replayOf(run, await store.corruptRows(runId), await collect(store.rawEvents(runId)));
}

async function exactRun(store: JournalStore, runId: string) {
  const run = await store.getRun(runId);
  if (run === undefined) throw runNotFound(runId);
  return { run, status: (await displayStatuses(store, [run])).get(runId)! };
}

async function collect<T = JournalEvent>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}
