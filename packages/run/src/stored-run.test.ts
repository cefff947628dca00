/**
 * The readers over any journal store read a run exactly as the SQLite journal's own readers
 * do, and take a run's liveness from the store when it knows better (a pool of workers).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from './journal/journal.js';
import { SqliteJournalStore } from './journal/sqlite-store.js';
import { replayRun } from './replay.js';
import { readRunResult } from './result.js';
import { startRun } from './service.js';
import {
  displayStatuses,
  findStoredRun,
  readStoredRunResult,
  readStoredRunStory,
  readStoredRunUsage,
  replayStoredRun,
  summarizeStoredRun,
} from './stored-run.js';
import { readRunStory } from './story.js';
import { summarizeRun } from './summary.js';
import { FakeProject, MIXED_ROUTING, TEST_OPTIONS } from './test-support/project.js';
import { readRunUsage } from './usage-summary.js';

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(MIXED_ROUTING);
});

afterEach(() => {
  project.cleanup();
});

/** A store that knows which runs a pool still drives, whatever their owners' pids say. */
class PoolStore extends SqliteJournalStore {
  readonly driven = new Set<string>();
  async drivenRuns(runs: readonly RunRecord[]): Promise<ReadonlySet<string>> {
    return new Set(runs.map((run) => run.runId).filter((runId) => this.driven.has(runId)));
  }
}

describe('the readers over a journal store', () => {
  it('read a run as the SQLite readers do: summary, result, story, usage, replay', async () => {
    const env = project.env();
    project.plan({ interview: { attempts: [{ fail: true, status: 503 }, {}] } });
    const summary = await startRun(
      {
        config: project.config(env),
        registry: project.registry,
        journal: project.journal(),
        env,
        options: TEST_OPTIONS,
      },
      { goal: 'Write the notes' },
    );
    expect(summary.status).toBe('succeeded');
    const journal = project.journal({ readOnly: true });
    const store = new SqliteJournalStore(journal);
    const { runId } = summary;

    expect(await summarizeStoredRun(store, runId)).toEqual(summarizeRun(journal, runId));
    expect(await readStoredRunResult(store, runId)).toEqual(readRunResult(journal, runId));
    expect(await readStoredRunStory(store, runId)).toEqual(readRunStory(journal, runId));
    expect(await readStoredRunUsage(store, runId)).toEqual(readRunUsage(journal, runId));
    const replay = await replayStoredRun(store, runId);
    expect(replay).toEqual(replayRun(journal, runId));
    expect(replay.matches).toBe(true);
    expect((await readStoredRunResult(store, runId)).attempts).toHaveLength(5);
    await expect(summarizeStoredRun(store, 'nope')).rejects.toThrow(/No run "nope"/);
  });

  it('take liveness from the store when it knows which runs are driven', async () => {
    const writer = project.journal();
    const dead = { pid: 2 ** 22 + 17, start: null };
    writer.createRun(
      { runId: 'r-pool', goal: 'g', mission: 'deliver', configHash: 'h', owner: dead },
      [],
    );
    const local = new SqliteJournalStore(writer);
    const run = (await local.getRun('r-pool'))!;
    // On this machine, a running run whose owner process is gone reads as interrupted.
    expect((await displayStatuses(local, [run])).get('r-pool')).toBe('interrupted');

    const pool = new PoolStore(writer);
    expect((await findStoredRun(pool, 'r-po')).status).toBe('interrupted');
    pool.driven.add('r-pool');
    expect((await findStoredRun(pool, 'r-po')).status).toBe('running');
    expect((await summarizeStoredRun(pool, 'r-pool')).status).toBe('running');
    expect((await readStoredRunStory(pool, 'r-pool')).status).toBe('running');
  });
});
