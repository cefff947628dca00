/**
 * A human step on the pool waits durably: every worker may die and come back while it waits,
 * and the answer comes from any other process (`baton resume --approve|--reject`), once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRemoteRun } from './remote-run.js';
import { completion, sourceModule, spawnSource } from './test-support/child.js';
import { ALL_RUNTIMES, PoolProject, until } from './test-support/pool.js';
import { sql, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

const REVIEWED =
  '[missions.reviewed]\nsteps = ["interview", { human = "Approve the spec?" }, "execute"]\n';

/** `baton resume <run> --approve|--reject` as another process does it: a client of the pool. */
function answerFromAnotherProcess(
  pool: PoolProject,
  runId: string,
  answer: { decision: 'approve' | 'reject'; text: string },
) {
  return completion(
    spawnSource(
      `
      const { answerRemoteRun } = await import(${sourceModule('remote-run.ts')});
      const { createRedactor } = await import('@baton/core');
      const [pool, runId, answer] = process.argv.slice(1).map((arg) => JSON.parse(arg));
      const sent = await answerRemoteRun(pool, runId, answer, createRedactor({ env: {} }));
      console.log(JSON.stringify(sent));
      `,
      [JSON.stringify(pool.pool), JSON.stringify(runId), JSON.stringify(answer)],
    ),
  );
}

describe('human steps on the pool', () => {
  it('waits across every worker restarting, and takes the answer another process sends', async () => {
    const pool = await PoolProject.create(postgres().url, { extraToml: REVIEWED });
    projects.push(pool);
    // Each wait for the answer lasts a second, then waits again: the wait is durable.
    const timing = { humanWaitSeconds: 1, stageCheckSeconds: 5 };
    const a = pool.worker('host-a', ALL_RUNTIMES, { timing });
    const b = pool.worker('host-b', ALL_RUNTIMES, { timing });
    await Promise.all([a.ready(), b.ready()]);
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes', mission: 'reviewed' },
    );
    const waiting = await pool.follow(runId);
    expect(waiting.status).toBe('waiting');
    expect(waiting.question).toBe('Approve the spec?');

    for (const worker of [a, b]) worker.child.kill('SIGKILL');
    await Promise.all([a.exited(), b.exited()]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const a2 = pool.worker('host-a', ALL_RUNTIMES, { timing });
    const b2 = pool.worker('host-b', ALL_RUNTIMES, { timing });
    await Promise.all([a2.ready(), b2.ready()]);

    const sent = await answerFromAnotherProcess(pool, runId.slice(0, 18), {
      decision: 'approve',
      text: 'ship it',
    });
    expect(JSON.parse(sent)).toEqual({ runId, step: 1, question: 'Approve the spec?' });
    const summary = await pool.follow(runId, { untilWaiting: false });
    expect(summary.status, `${a2.output()}\n${b2.output()}`).toBe('succeeded');
    const events = await pool.events(runId);
    const answered = events.filter((event) => event.type === 'human.answered');
    expect(
      answered.map((event) => [event.payload.decision, event.payload.answer, event.payload.via]),
    ).toEqual([['approve', 'ship it', 'resume']]);
    // Answering again says the run no longer waits.
    await expect(
      answerFromAnotherProcess(pool, runId, { decision: 'reject', text: 'no' }),
    ).rejects.toThrow(/is succeeded, not waiting for an answer/);
  });

  it('keeps one answer when it is sent twice at once while no worker runs', async () => {
    const pool = await PoolProject.create(postgres().url, { extraToml: REVIEWED });
    projects.push(pool);
    const a = pool.worker('host-a', ALL_RUNTIMES);
    await a.ready();
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes', mission: 'reviewed' },
    );
    expect((await pool.follow(runId)).status).toBe('waiting');
    a.child.kill('SIGKILL');
    await a.exited();
    await Promise.all([
      answerFromAnotherProcess(pool, runId, { decision: 'approve', text: 'first' }),
      answerFromAnotherProcess(pool, runId, { decision: 'approve', text: 'first' }),
    ]);
    const messages = await sql<{ count: string }>(
      pool.url,
      `SELECT count(*) FROM ${pool.dbosSchema}.notifications WHERE destination_uuid = $1 AND topic = 'human-answer'`,
      [runId],
    );
    expect(Number(messages[0]!.count)).toBe(1);
    const back = pool.worker('host-a', ALL_RUNTIMES);
    await back.ready();
    expect((await pool.follow(runId, { untilWaiting: false })).status).toBe('succeeded');
    const answered = (await pool.events(runId)).filter((event) => event.type === 'human.answered');
    expect(answered.map((event) => event.payload.answer)).toEqual(['first']);
  });

  it('hands a waiting mission to a peer when its worker stops, and the answer reaches it there', async () => {
    const pool = await PoolProject.create(postgres().url, { extraToml: REVIEWED });
    projects.push(pool);
    const a = pool.worker('host-a', ALL_RUNTIMES);
    const b = pool.worker('host-b', ALL_RUNTIMES);
    await Promise.all([a.ready(), b.ready()]);
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes', mission: 'reviewed' },
    );
    expect((await pool.follow(runId)).status).toBe('waiting');
    const holder = (
      await sql<{ executor_id: string }>(
        pool.url,
        `SELECT executor_id FROM ${pool.dbosSchema}.workflow_status WHERE workflow_uuid = $1`,
        [runId],
      )
    )[0]!.executor_id;
    const [stopping, peer] = holder === 'host-a' ? [a, b] : [b, a];
    // Stopped as Ctrl-C stops it: it leaves the pool, and its waiting mission with it.
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited()).toBe(0);
    await until(
      () => peer.output().includes(`left behind`),
      15_000,
      () => peer.output(),
    );
    expect(peer.output()).toContain(`took over 1 workflow ${stopping.workerId} left behind`);
    await answerFromAnotherProcess(pool, runId, { decision: 'approve', text: 'go' });
    expect((await pool.follow(runId, { untilWaiting: false })).status).toBe('succeeded');
    const executed = (await pool.events(runId)).find(
      (event) => event.type === 'agent.process.exited' && event.payload.stage === 'execute',
    );
    expect(executed?.payload.worker).toBe(peer.workerId);
  });

  it('ends the run rejected when the answer rejects and no loop is left', async () => {
    const pool = await PoolProject.create(postgres().url, { extraToml: REVIEWED });
    projects.push(pool);
    const a = pool.worker('host-a', ALL_RUNTIMES);
    await a.ready();
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes', mission: 'reviewed' },
    );
    expect((await pool.follow(runId)).status).toBe('waiting');
    await answerFromAnotherProcess(pool, runId, { decision: 'reject', text: 'the spec is wrong' });
    const summary = await pool.follow(runId, { untilWaiting: false });
    expect(summary.status).toBe('rejected');
    const events = await pool.events(runId);
    expect(
      events.some(
        (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
      ),
    ).toBe(false);
  });
});
