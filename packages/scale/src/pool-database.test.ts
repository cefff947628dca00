/**
 * PostgreSQL restarted under a running mission: the workers reconnect on their own (none is
 * declared gone for it), what a stage journals while the database is away is written once
 * it is back, and the run completes with each stage recorded once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRemoteRun } from './remote-run.js';
import { ALL_RUNTIMES, PoolProject, until } from './test-support/pool.js';
import { usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

describe('the pool across a database restart', () => {
  it('reconnects every worker and completes the run', async () => {
    const server = postgres();
    const pool = await PoolProject.create(server.url);
    projects.push(pool);
    pool.plan({ execute: { sleepMs: 2_500 } });
    const a = pool.worker('host-a', ALL_RUNTIMES);
    const b = pool.worker('host-b', ALL_RUNTIMES);
    await Promise.all([a.ready(), b.ready()]);
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes' },
    );
    await until(
      async () =>
        (await pool.events(runId)).some(
          (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
        ) && pool.invocations('execute') > 0,
      30_000,
    );
    // Down while the stage runs: it ends, and journals its end, while the database is away.
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await server.start();

    const summary = await pool.follow(runId);
    const logs = `${a.output()}\n${b.output()}`;
    expect(summary.status, logs).toBe('succeeded');
    const events = await pool.events(runId);
    for (const stage of ['interview', 'execute', 'evaluate', 'reflect']) {
      const ended = events.filter(
        (event) => event.type === 'stage.ended' && event.payload.stage === stage,
      );
      const exited = events.filter(
        (event) => event.type === 'agent.process.exited' && event.payload.stage === stage,
      );
      expect([stage, ended.length, exited.length]).toEqual([stage, 1, 1]);
    }
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    // Nobody was taken for gone, and both workers are still in the pool.
    expect(logs).not.toMatch(/took over|pushed out/);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });
});
