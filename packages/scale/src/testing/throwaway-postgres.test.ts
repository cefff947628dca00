import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { completion, sourceModule, spawnSource } from '../test-support/child.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

const started: ThrowawayPostgres[] = [];
afterAll(async () => {
  for (const server of started.splice(0)) await server.dispose();
});

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** True when something accepts TCP connections on the port of 127.0.0.1. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a throwaway PostgreSQL', () => {
  it('runs on 127.0.0.1 without fsync, survives a restart, and leaves nothing when disposed', async () => {
    const server = await startThrowawayPostgres({ database: 'probe' });
    started.push(server);
    expect(server.url).toBe(
      `postgresql://postgres:${server.password}@127.0.0.1:${server.port}/probe`,
    );
    const [settings] = await query(
      server.url,
      "SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen, current_database() AS database",
    );
    expect(settings).toEqual({ fsync: 'off', listen: '127.0.0.1', database: 'probe' });

    // A wrong password is refused: the server really checks it.
    await expect(query(server.url.replace(server.password, 'wrong'), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );

    await query(server.url, 'CREATE TABLE kept (n integer); INSERT INTO kept VALUES (7)');
    await server.stop();
    expect(await listening(server.port)).toBe(false);
    await server.start();
    expect(await query(server.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);

    await server.dispose();
    expect(await listening(server.port)).toBe(false);
    expect(existsSync(server.root)).toBe(false);
  });

  it('keeps PostgreSQL’s durability settings when asked, for benchmarks', async () => {
    const server = await startThrowawayPostgres({ durable: true, database: 'durable' });
    started.push(server);
    const [settings] = await query(
      server.url,
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS commit",
    );
    expect(settings).toEqual({ fsync: 'on', commit: 'on' });
    const other = await server.createDatabase('second');
    expect(await query(other, 'SELECT current_database() AS name')).toEqual([{ name: 'second' }]);
  });

  it('is stopped and deleted when the process that started it is killed with SIGKILL', async () => {
    const owner = spawnSource(`
      const { startThrowawayPostgres } = await import(${sourceModule('testing/throwaway-postgres.ts')});
      const server = await startThrowawayPostgres();
      console.log(JSON.stringify({ root: server.root, port: server.port }));
      setInterval(() => {}, 1000);
    `);
    const finished = completion(owner).catch(() => {});
    const line = await new Promise<string>((resolve, reject) => {
      owner.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      owner.once('exit', (code) => reject(new Error(`the owner exited with ${code}`)));
    });
    const { root, port } = JSON.parse(line) as { root: string; port: number };
    expect(await listening(port)).toBe(true);

    owner.kill('SIGKILL');
    await finished;
    await until(async () => !(await listening(port)) && !existsSync(root), 20_000);
  });
});
