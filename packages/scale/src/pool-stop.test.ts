/**
 * `baton stop` of a run of the pool, from another process: its stage's agent is stopped on the
 * worker that runs it, the run is journaled as interrupted by its mission, the worker's slot is
 * free again, and `baton resume` continues the run.
 */
import { BatonError } from '@baton/core';
import { createRedactor } from '@baton/run';
import { afterEach, describe, expect, it } from 'vitest';
import { resumeRemoteRun, startRemoteRun, stopRemoteRun } from './remote-run.js';
import { PoolProject, until } from './test-support/pool.js';
import { usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

describe('stopping a run of the pool', () => {
  it('stops the stage’s agent on its worker, journals the run interrupted, and it resumes', async () => {
    const pool = await PoolProject.create(postgres().url);
    projects.push(pool);
    pool.plan({ execute: { attempts: [{ sleepMs: 120_000 }, {}] } });
    const worker = pool.worker('host-a', ['codex', 'claude-code', 'opencode'], { slots: 1 });
    await worker.ready();
    const context = { config: pool.config(), registry: pool.registry, env: pool.env };
    const { runId } = await startRemoteRun(pool.pool, context, { goal: 'g' });
    await until(
      async () =>
        (await pool.events(runId)).some(
          (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
        ),
      30_000,
      () => worker.output(),
    );
    await until(
      () => pool.survivors().length > 0,
      10_000,
      () => worker.output(),
    );

    const redactor = createRedactor({ env: {} });
    const stopped = await stopRemoteRun(pool.pool, runId.slice(0, 12), redactor);
    expect(stopped.status, worker.output()).toBe('interrupted');
    expect(stopped.cause).toMatch(/^stopped with baton stop on \S+ \(pid \d+\)$/);
    // The agent is gone within the worker's heartbeat, long before its 120 s were up.
    await until(
      () => pool.survivors().length === 0,
      10_000,
      () => worker.output(),
    );
    expect(worker.output()).toMatch(/stopped the stage \S+:1-execute-0:1: its run was stopped/);
    const events = await pool.events(runId);
    // Interrupted while execute ran: nothing of the stopped attempt ends it in the journal.
    expect(events.findLast((event) => event.type !== 'control.directive.emitted')!.type).toBe(
      'run.interrupted',
    );
    expect(
      events.some((event) => event.type === 'stage.ended' && event.payload.stage === 'execute'),
    ).toBe(false);

    const again = await stopRemoteRun(pool.pool, runId, redactor).catch((error: unknown) => error);
    expect(BatonError.isInstance(again) && again.message).toBe(
      `Run ${runId} of the worker pool is interrupted: it does not run.`,
    );

    // The worker's one slot is free: the resumed run's execute runs on it, as attempt 2.
    await resumeRemoteRun(pool.pool, context, runId, {});
    expect((await pool.follow(runId)).status, worker.output()).toBe('succeeded');
    const executes = (await pool.events(runId)).filter(
      (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
    );
    expect(executes.map((event) => event.payload.attempt)).toEqual([1, 2]);
  });
});
