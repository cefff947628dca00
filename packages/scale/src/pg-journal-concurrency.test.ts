/**
 * Two processes on one run of the PostgreSQL journal: their appends take turns without a
 * gap, a duplicate or a torn batch, and of two claims at the same instant exactly one wins.
 */
import type { ChildProcess } from 'node:child_process';
import { currentProcess } from '@baton/run/journal';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateBatonSchema } from './init.js';
import { PgJournal } from './pg-journal.js';
import { completion, sourceModule, spawnSource } from './test-support/child.js';
import { sql, uniqueSchema, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function child(script: string, args: string[]): Promise<string> {
  const process = spawnSource(script, args);
  children.push(process);
  return completion(process);
}

/** Starts at the same wall-clock instant as its sibling, so the two really contend. */
const WAIT_FOR_START = `
  const startAt = Number(process.argv[3]);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
`;

const APPENDER = `
  const { PgJournal } = await import(${sourceModule('pg-journal.ts')});
  const [url, schema, , writer, batches] = process.argv.slice(1);
  const journal = await PgJournal.open(url, { schema });
  ${WAIT_FOR_START}
  for (let i = 0; i < Number(batches); i += 1) {
    await journal.append('shared', [
      { type: 'write', payload: { writer, i, part: 0 } },
      { type: 'write', payload: { writer, i, part: 1 } },
    ]);
  }
  await journal.close();
`;

const CLAIMER = `
  const { PgJournal } = await import(${sourceModule('pg-journal.ts')});
  const { currentProcess } = await import('@baton/run/journal');
  const [url, schema, runId] = process.argv.slice(1);
  const journal = await PgJournal.open(url, { schema });
  let won = true;
  try {
    await journal.claim(runId, currentProcess(), (run) => {
      if (run.owner !== null) throw new Error('taken');
    });
  } catch (error) {
    if (error.message !== 'taken') throw error;
    won = false;
  }
  await journal.close();
  console.log(JSON.stringify({ pid: process.pid, won }));
`;

describe('the PostgreSQL journal shared by two processes', () => {
  it('numbers two writers’ appends to one run without gaps, duplicates or torn batches', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema });
    try {
      await journal.createRun(
        { runId: 'shared', goal: 'g', mission: 'm', configHash: 'h', owner: currentProcess() },
        [{ type: 'run.started', payload: {} }],
      );
      const batches = 150;
      const startAt = String(Date.now() + 1_500);
      await Promise.all(
        ['a', 'b'].map((writer) =>
          child(APPENDER, [url, schema, startAt, writer, String(batches)]),
        ),
      );

      const events = [];
      for await (const event of journal.events('shared')) events.push(event);
      expect(events.map((event) => event.seq)).toEqual(
        Array.from({ length: 1 + 4 * batches }, (_, index) => index + 1),
      );
      expect((await journal.getRun('shared'))!.lastSeq).toBe(1 + 4 * batches);
      const writes = events
        .slice(1)
        .map((event) => event.payload as { writer: string; i: number; part: number });
      for (const writer of ['a', 'b']) {
        const own = writes.filter((write) => write.writer === writer);
        // Each writer's events in the order it wrote them.
        expect(own.map((write) => [write.i, write.part])).toEqual(
          Array.from({ length: 2 * batches }, (_, index) => [Math.floor(index / 2), index % 2]),
        );
      }
      // A batch is never split by the other writer's events.
      for (let index = 0; index < writes.length; index += 2) {
        expect(writes[index + 1]).toEqual({ ...writes[index], part: 1 });
      }
      // The two really interleaved: the test would prove nothing if one ran after the other.
      const switches = writes.filter(
        (write, index) => index > 0 && write.writer !== writes[index - 1]!.writer,
      ).length;
      expect(switches).toBeGreaterThan(1);
    } finally {
      await journal.close();
    }
  });

  it('lets exactly one of two processes claiming a run at the same time take it', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema });
    const pg = (await import('pg')).default;
    const gate = new pg.Client({ connectionString: url });
    await gate.connect();
    try {
      for (const round of [1, 2, 3]) {
        const runId = `contested-${round}`;
        await journal.createRun(
          { runId, goal: 'g', mission: 'm', configHash: 'h', owner: currentProcess() },
          [],
          { owner: null },
        );
        // Hold the run's row so that both claimers are waiting for it, then let them go at once.
        await gate.query('BEGIN');
        await gate.query(`SELECT * FROM ${schema}.runs WHERE run_id = $1 FOR UPDATE`, [runId]);
        const claims = [0, 1].map(() => child(CLAIMER, [url, schema, runId]));
        // A failed wait must not leave the claims' rejections unhandled.
        for (const claim of claims) claim.catch(() => {});
        // Asked outside the gate's transaction, which would see one cached snapshot of the activity.
        await waitFor(async () => {
          const [row] = await sql<{ waiting: number }>(
            url,
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND application_name = 'baton-journal'`,
          );
          return row!.waiting === 2;
        });
        await gate.query('COMMIT');
        const results = (await Promise.all(claims)).map(
          (stdout) => JSON.parse(stdout) as { pid: number; won: boolean },
        );
        const winners = results.filter((result) => result.won);
        expect(winners).toHaveLength(1);
        expect((await journal.getRun(runId))!.owner?.pid).toBe(winners[0]!.pid);
      }
    } finally {
      await gate.end();
      await journal.close();
    }
  });
});
