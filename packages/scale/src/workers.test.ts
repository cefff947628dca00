/**
 * The pool's view of its workers, with real worker processes: killed with SIGKILL, stopped
 * with SIGSTOP, and the database restarted under them.
 */
import type { ChildProcess } from 'node:child_process';
import { BatonError } from '@baton/core';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateBatonSchema } from './init.js';
import { sourceModule, spawnSource } from './test-support/child.js';
import { uniqueSchema, usePostgres } from './test-support/postgres.js';
import {
  type ClaimedPeer,
  listWorkers,
  WorkerPresence as Presence,
  type WorkerPresence,
} from './workers.js';

const postgres = usePostgres();
// Short enough for quick tests, long enough that a busy machine does not look like a stopped worker.
const TIMING = { heartbeatMs: 100, staleAfterMs: 2_000 };

const started: WorkerPresence[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  for (const presence of started.splice(0)) await presence.stop();
});

async function freshPool(): Promise<{ url: string; schema: string }> {
  const { url } = postgres();
  const schema = uniqueSchema('pool');
  await migrateBatonSchema(url, { schema });
  return { url, schema };
}

async function join(
  url: string,
  schema: string,
  workerId: string,
  runtimes = ['codex'],
): Promise<WorkerPresence> {
  const presence = await Presence.start(
    url,
    { workerId, runtimes, slots: 2, applicationVersion: 'v1' },
    { schema, ...TIMING },
  );
  started.push(presence);
  return presence;
}

/** A worker in a process of its own; its stdout says `ready`, then `lost: <why>` if pushed out. */
function workerProcess(url: string, schema: string, workerId: string) {
  const child = spawnSource(
    `
    const { WorkerPresence } = await import(${sourceModule('workers.ts')});
    const [url, schema, workerId, timing] = process.argv.slice(1);
    const presence = await WorkerPresence.start(
      url, { workerId, runtimes: ['claude-code'], slots: 1, applicationVersion: 'v1' },
      { schema, ...JSON.parse(timing) });
    presence.onLost((reason) => console.log('lost: ' + reason));
    console.log('ready');
    setInterval(() => {}, 1000);
    `,
    [url, schema, workerId, JSON.stringify(TIMING)],
  );
  children.push(child);
  let output = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return {
    child,
    output: () => output,
    ready: () =>
      until(
        () => output.includes('ready'),
        20_000,
        () => errors,
      ),
  };
}

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stateOf(url: string, schema: string, workerId: string) {
  const workers = await listWorkers(url, { schema, staleAfterMs: TIMING.staleAfterMs });
  return workers.find((worker) => worker.workerId === workerId)?.state ?? 'absent';
}

describe('workers in the pool', () => {
  it('lists each worker with its runtimes, slots, version and a heartbeat that moves', async () => {
    const { url, schema } = await freshPool();
    await join(url, schema, 'host-a', ['codex', 'claude-code']);
    await join(url, schema, 'host-b', ['codex', 'opencode']);
    const first = await listWorkers(url, { schema });
    expect(first.map((worker) => [worker.workerId, worker.runtimes, worker.slots])).toEqual([
      ['host-a', ['codex', 'claude-code'], 2],
      ['host-b', ['codex', 'opencode'], 2],
    ]);
    expect(first[0]).toMatchObject({
      pid: process.pid,
      applicationVersion: 'v1',
      state: 'alive',
    });
    expect(first[0]!.heartbeatAgeMs).toBeLessThan(1_000);
    await sleep(350);
    const later = await listWorkers(url, { schema });
    expect(Date.parse(later[0]!.lastHeartbeat)).toBeGreaterThan(
      Date.parse(first[0]!.lastHeartbeat),
    );
    expect(later[0]!.startedAt).toBe(first[0]!.startedAt);
  });

  it('refuses a second live worker of the same name, and lets the name go on stop', async () => {
    const { url, schema } = await freshPool();
    const first = await join(url, schema, 'host-a');
    const error = await Presence.start(
      url,
      { workerId: 'host-a', runtimes: ['codex'], slots: 1, applicationVersion: 'v1' },
      { schema, ...TIMING },
    ).catch((caught: unknown) => caught);
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).message).toMatch(
      /^A worker named host-a is already in the pool at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/baton_test: on .+, pid \d+/,
    );
    await first.stop();
    expect(await listWorkers(url, { schema })).toEqual([]);
    await join(url, schema, 'host-a');
    expect(await stateOf(url, schema, 'host-a')).toBe('alive');
  });

  it('checks a worker’s name, runtimes and slots', async () => {
    const { url, schema } = await freshPool();
    const attempt = (registration: { workerId: string; runtimes: string[]; slots: number }) =>
      Presence.start(url, { ...registration, applicationVersion: 'v1' }, { schema });
    await expect(attempt({ workerId: 'a b', runtimes: ['codex'], slots: 1 })).rejects.toThrow(
      /"a b" cannot name a worker/,
    );
    await expect(attempt({ workerId: 'a', runtimes: [], slots: 1 })).rejects.toThrow(
      /offers no runtime/,
    );
    await expect(attempt({ workerId: 'a', runtimes: ['codex'], slots: 0 })).rejects.toThrow(
      /whole number of slots from 1 to 256, not 0/,
    );
    expect(await listWorkers(url, { schema })).toEqual([]);
  });

  it('sees a killed worker gone at once; a peer claims it, and its restart waits for the claim', async () => {
    const { url, schema } = await freshPool();
    const peer = await join(url, schema, 'survivor');
    const victim = workerProcess(url, schema, 'victim');
    await victim.ready();
    expect(await stateOf(url, schema, 'victim')).toBe('alive');

    victim.child.kill('SIGKILL');
    await until(async () => (await stateOf(url, schema, 'victim')) === 'gone', 5_000);

    let claimed: ClaimedPeer[] = [];
    await until(async () => {
      claimed = await peer.claimGonePeers();
      return claimed.length > 0;
    }, 10_000);
    expect(claimed.map((claim) => [claim.worker.workerId, claim.reason])).toEqual([
      ['victim', 'connection-closed'],
    ]);
    expect(await stateOf(url, schema, 'victim')).toBe('absent');

    // While the survivor recovers the victim's work, a restarted victim waits for it.
    const restarted = workerProcess(url, schema, 'victim');
    await sleep(600);
    expect(restarted.output()).toBe('');
    await claimed[0]!.release();
    await restarted.ready();
    expect(await stateOf(url, schema, 'victim')).toBe('alive');
    expect(await peer.claimGonePeers()).toEqual([]);
  });

  it('ends a stopped worker’s session once its heartbeat is stale; the worker learns it is out', async () => {
    const { url, schema } = await freshPool();
    const peer = await join(url, schema, 'survivor');
    const frozen = workerProcess(url, schema, 'frozen');
    await frozen.ready();
    await sleep(TIMING.staleAfterMs);
    // Alive and well: never claimed.
    expect(await peer.claimGonePeers()).toEqual([]);

    frozen.child.kill('SIGSTOP');
    await until(async () => (await stateOf(url, schema, 'frozen')) === 'stale', 5_000);
    let claimed: ClaimedPeer[] = [];
    await until(async () => {
      claimed = await peer.claimGonePeers();
      return claimed.length > 0;
    }, 10_000);
    expect(claimed.map((claim) => [claim.worker.workerId, claim.reason])).toEqual([
      ['frozen', 'heartbeat-stopped'],
    ]);
    await claimed[0]!.release();

    frozen.child.kill('SIGCONT');
    await until(() => frozen.output().includes('lost: '), 10_000);
    expect(frozen.output()).toMatch(
      /lost: a peer (declared it gone and removed its row|took its lock)/,
    );
    expect(await stateOf(url, schema, 'frozen')).toBe('absent');
  });

  it('keeps every worker when the database restarts, and claims none of them afterwards', async () => {
    const server = postgres();
    const { url, schema } = await freshPool();
    const a = await join(url, schema, 'host-a');
    const b = await join(url, schema, 'host-b');
    await server.stop();
    await sleep(500);
    await server.start();
    await until(async () => {
      const workers = await listWorkers(url, { schema, staleAfterMs: TIMING.staleAfterMs });
      return workers.length === 2 && workers.every((worker) => worker.state === 'alive');
    }, 10_000);
    // Right after the outage a worker judges nobody; once healthy, it still finds both alive.
    expect(await a.claimGonePeers()).toEqual([]);
    await sleep(TIMING.staleAfterMs + 200);
    expect(await a.claimGonePeers()).toEqual([]);
    expect(await b.claimGonePeers()).toEqual([]);
    expect(a.lost).toBeNull();
    expect(b.lost).toBeNull();
  });
});
