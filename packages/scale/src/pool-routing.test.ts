/**
 * Missions on the pool with the fake runtimes: each stage runs only on a worker that offers
 * its runtime, the journal says which worker ran it, and the run replays to its recorded state.
 */
import { replayStoredRun } from '@baton/run';
import { afterEach, describe, expect, it } from 'vitest';
import { PgJournal } from './pg-journal.js';
import { followRemoteRun, startRemoteRun } from './remote-run.js';
import { PoolProject } from './test-support/pool.js';
import { usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

async function project(options: Parameters<typeof PoolProject.create>[1] = {}) {
  const made = await PoolProject.create(postgres().url, options);
  projects.push(made);
  return made;
}

describe('missions on the pool', () => {
  it('runs each stage on a worker that offers its runtime, and says which', async () => {
    const pool = await project();
    const a = pool.worker('host-a', ['codex', 'claude-code']);
    const b = pool.worker('host-b', ['codex', 'opencode']);
    await Promise.all([a.ready(), b.ready()]);
    const config = pool.config();
    const { runId } = await startRemoteRun(
      pool.pool,
      { config, registry: pool.registry, env: pool.env },
      { goal: 'Write the notes' },
    );
    const summary = await followRemoteRun(pool.pool, runId);
    expect(summary.status, `${a.output()}\n${b.output()}`).toBe('succeeded');
    const events = await pool.events(runId);
    const exited = events.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => [event.payload.stage, event.payload.runtime_id])).toEqual([
      ['interview', 'codex'],
      ['execute', 'claude-code'],
      ['evaluate', 'opencode'],
      ['reflect', 'codex'],
    ]);
    const workerOf = (stage: string) =>
      exited.find((event) => event.payload.stage === stage)!.payload.worker;
    expect(workerOf('execute')).toBe('host-a');
    expect(workerOf('evaluate')).toBe('host-b');
    expect(['host-a', 'host-b']).toContain(workerOf('interview'));
    expect(events.filter((event) => event.type === 'stage.ended')).toHaveLength(4);
    const journal = await PgJournal.open(pool.url, {
      schema: pool.schema,
      dbosSchema: pool.dbosSchema,
      readOnly: true,
    });
    try {
      const replay = await replayStoredRun(journal, runId);
      expect(replay.mismatches).toEqual([]);
    } finally {
      await journal.close();
    }
  });
});
