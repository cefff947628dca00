/**
 * Workers that die, stop or come back while missions run on them: a stage killed with its
 * worker completes on a peer that offers its runtime and is recorded once; a stage whose
 * runtime only the dead worker offers waits on its queue until that worker is back; a
 * stopped worker's late result is refused. Real worker processes, `kill -9` and `SIGSTOP`.
 */
import type { JournalEvent } from '@baton/run';
import { afterEach, describe, expect, it } from 'vitest';
import { startRemoteRun } from './remote-run.js';
import { PoolProject, until, type WorkerHandle } from './test-support/pool.js';
import { sql, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

async function project(routing: Record<string, string>) {
  const made = await PoolProject.create(postgres().url, { routing });
  projects.push(made);
  return made;
}

async function start(pool: PoolProject) {
  return (
    await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: 'Write the notes' },
    )
  ).runId;
}

/**
 * The execute stage's process as journaled, once it has started and taken its behaviour
 * (the fake runtime logs its invocation after it has): only then is it mid-stage.
 */
async function executeStarted(pool: PoolProject, runId: string): Promise<JournalEvent> {
  let started: JournalEvent | undefined;
  await until(
    async () => {
      started = (await pool.events(runId)).find(
        (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
      );
      return started !== undefined && pool.invocations('execute') > 0;
    },
    30_000,
    () => 'the execute stage never started',
  );
  return started!;
}

function ofStage(events: readonly JournalEvent[], type: string, stage: string) {
  return events.filter((event) => event.type === type && event.payload.stage === stage);
}

function logs(...workers: WorkerHandle[]): string {
  return workers.map((worker) => `--- ${worker.workerId}\n${worker.output()}`).join('\n');
}

describe('workers that die or stop mid-stage', () => {
  it('completes a stage killed with its worker on a peer with the runtime, recorded once', async () => {
    // Every stage on a runtime both workers offer: whichever is lost, the other goes on.
    const pool = await project({
      interview: 'claude-code',
      execute: 'codex',
      evaluate: 'claude-code',
      reflect: 'codex',
    });
    // The first execute runs long enough to be killed; the next one answers at once.
    pool.plan({ execute: { attempts: [{ sleepMs: 60_000 }, {}] } });
    const a = pool.worker('host-a', ['codex', 'claude-code']);
    const b = pool.worker('host-b', ['codex', 'claude-code']);
    await Promise.all([a.ready(), b.ready()]);
    const runId = await start(pool);
    const started = await executeStarted(pool, runId);
    const victim = started.payload.worker === 'host-a' ? a : b;
    const survivor = victim === a ? b : a;
    victim.child.kill('SIGKILL');
    await victim.exited();

    const summary = await pool.follow(runId);
    expect(summary.status, logs(a, b)).toBe('succeeded');
    const events = await pool.events(runId);
    // Started on the victim, then again on the survivor; ended once, there.
    expect(
      ofStage(events, 'agent.process.started', 'execute').map((e) => e.payload.worker),
    ).toEqual([victim.workerId, survivor.workerId]);
    const exited = ofStage(events, 'agent.process.exited', 'execute');
    expect(exited.map((event) => [event.payload.worker, event.payload.status])).toEqual([
      [survivor.workerId, 'succeeded'],
    ]);
    expect(ofStage(events, 'stage.ended', 'execute')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'stage.ended')).toHaveLength(4);
    expect(survivor.output()).toMatch(new RegExp(`took over from ${victim.workerId}`));
    // The killed worker's agent died with it (its watchdog), and nothing is left running.
    await until(
      () => pool.survivors().length === 0,
      10_000,
      () => `${pool.survivors()}`,
    );
  });

  it('leaves a stage whose runtime only the dead worker offers on its queue until the worker is back', async () => {
    const pool = await project({
      interview: 'codex',
      execute: 'claude-code',
      evaluate: 'codex',
      reflect: 'codex',
    });
    pool.plan({ execute: { attempts: [{ sleepMs: 60_000 }, {}] } });
    const a = pool.worker('host-a', ['codex', 'claude-code']);
    const b = pool.worker('host-b', ['codex']);
    await Promise.all([a.ready(), b.ready()]);
    const runId = await start(pool);
    const started = await executeStarted(pool, runId);
    expect(started.payload.worker).toBe('host-a');
    a.child.kill('SIGKILL');
    await a.exited();

    // The peer takes the stage over, and it waits on rt-claude-code: no one offers it now.
    const stageId = `${runId}:1-execute-0:1`;
    const statusOf = async () =>
      (
        await sql<{ status: string }>(
          pool.url,
          `SELECT status FROM ${pool.dbosSchema}.workflow_status WHERE workflow_uuid = $1`,
          [stageId],
        )
      )[0]?.status;
    await until(
      async () => (await statusOf()) === 'ENQUEUED',
      15_000,
      () => logs(a, b),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await statusOf()).toBe('ENQUEUED');
    const waiting = await pool.events(runId);
    expect(ofStage(waiting, 'stage.ended', 'execute')).toHaveLength(0);

    const back = pool.worker('host-a', ['codex', 'claude-code']);
    await back.ready();
    const summary = await pool.follow(runId);
    expect(summary.status, logs(a, b, back)).toBe('succeeded');
    const events = await pool.events(runId);
    expect(
      ofStage(events, 'agent.process.exited', 'execute').map((event) => event.payload.worker),
    ).toEqual(['host-a']);
    expect(ofStage(events, 'stage.ended', 'execute')).toHaveLength(1);
  });

  it('takes back its own work when the only worker is killed and started again', async () => {
    const pool = await project({
      interview: 'codex',
      execute: 'codex',
      evaluate: 'codex',
      reflect: 'codex',
    });
    pool.plan({ execute: { attempts: [{ sleepMs: 60_000 }, {}] } });
    const a = pool.worker('host-a', ['codex']);
    await a.ready();
    const runId = await start(pool);
    await executeStarted(pool, runId);
    a.child.kill('SIGKILL');
    await a.exited();
    // No peer: the mission and its stage wait for the worker's return, which recovers them.
    const back = pool.worker('host-a', ['codex']);
    await back.ready();
    const summary = await pool.follow(runId);
    expect(summary.status, logs(a, back)).toBe('succeeded');
    const events = await pool.events(runId);
    expect(ofStage(events, 'agent.process.started', 'execute')).toHaveLength(2);
    expect(ofStage(events, 'agent.process.exited', 'execute')).toHaveLength(1);
    expect(ofStage(events, 'stage.ended', 'execute')).toHaveLength(1);
  });

  it('refuses the late result of a stopped worker whose stage a peer took over', async () => {
    // Every stage on a runtime both workers offer: whichever is lost, the other goes on.
    const pool = await project({
      interview: 'claude-code',
      execute: 'codex',
      evaluate: 'claude-code',
      reflect: 'codex',
    });
    // The stopped worker's agent keeps running and answers a few seconds later: too late.
    pool.plan({ execute: { attempts: [{ sleepMs: 4_000, final: 'LATE RESULT' }, {}] } });
    const a = pool.worker('host-a', ['codex', 'claude-code']);
    const b = pool.worker('host-b', ['codex', 'claude-code']);
    await Promise.all([a.ready(), b.ready()]);
    const runId = await start(pool);
    const started = await executeStarted(pool, runId);
    const stopped = started.payload.worker === 'host-a' ? a : b;
    const survivor = stopped === a ? b : a;
    stopped.child.kill('SIGSTOP');

    const summary = await pool.follow(runId);
    expect(summary.status, logs(a, b)).toBe('succeeded');
    const before = await pool.events(runId);
    // The stopped worker wakes up once its agent has answered: it finds itself out of the
    // pool, records nothing and stops.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    stopped.child.kill('SIGCONT');
    expect(await stopped.exited()).toBe(1);
    expect(stopped.output()).toMatch(/pushed out of the pool/);
    const after = await pool.events(runId);
    expect(after).toEqual(before);
    const exited = ofStage(after, 'agent.process.exited', 'execute');
    expect(exited.map((event) => event.payload.worker)).toEqual([survivor.workerId]);
    expect(JSON.stringify(after)).not.toContain('LATE RESULT');
    expect(ofStage(after, 'stage.ended', 'execute')).toHaveLength(1);
  });
});
