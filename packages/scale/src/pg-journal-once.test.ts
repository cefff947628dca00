/**
 * Appends that may be made twice land once: a durable step re-run after a crash, or a retry
 * after a commit whose answer was lost, gives back the first append's events; and an
 * execution whose workflow a peer took over may append nothing more.
 */
import { randomUUID } from 'node:crypto';
import { BatonError } from '@baton/core';
import { currentProcess } from '@baton/run/journal';
import { describe, expect, it } from 'vitest';
import { initScale } from './init.js';
import { isSuperseded, PgJournal } from './pg-journal.js';
import { sql, uniqueSchema, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();

const newRun = (runId: string) => ({
  runId,
  goal: 'g',
  mission: 'deliver',
  configHash: 'h',
  owner: currentProcess(),
});

async function freshJournal() {
  const { url } = postgres();
  const schema = uniqueSchema('once');
  const dbosSchema = uniqueSchema('once_dbos');
  await initScale(url, { schema, dbosSchema });
  const journal = await PgJournal.open(url, { schema, dbosSchema });
  return { url, schema, dbosSchema, journal };
}

/** A workflow's row as DBOS writes it when an execution takes it: its ownership token. */
async function ownWorkflow(url: string, dbosSchema: string, workflowId: string, token: string) {
  await sql(
    url,
    `INSERT INTO ${dbosSchema}.workflow_status (workflow_uuid, status, name, owner_xid)
     VALUES ($1, 'PENDING', 'stage', $2)
     ON CONFLICT (workflow_uuid) DO UPDATE SET owner_xid = EXCLUDED.owner_xid`,
    [workflowId, token],
  );
}

describe('PgJournal.appendOnce', () => {
  it('appends a key once: made again, it writes nothing and gives back what the first wrote', async () => {
    const { journal } = await freshJournal();
    try {
      await journal.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
      const first = await journal.appendOnce(
        'a',
        [
          { type: 'stage.ended', payload: { n: 1 } },
          { type: 'control.directive.emitted', payload: { n: 2 } },
        ],
        { status: 'running', stateHash: 'h1' },
        { key: 'engine:2' },
      );
      expect(first.fresh).toBe(true);
      expect(first.events.map((event) => [event.seq, event.type])).toEqual([
        [2, 'stage.ended'],
        [3, 'control.directive.emitted'],
      ]);
      await journal.append('a', [{ type: 'runtime.event', payload: {} }]);

      // The same step again, computing something else (another machine's redaction, say).
      const again = await journal.appendOnce(
        'a',
        [{ type: 'stage.ended', payload: { n: 'other' } }],
        { status: 'failed', stateHash: 'h2' },
        { key: 'engine:2' },
      );
      expect(again.fresh).toBe(false);
      expect(again.events.map((event) => [event.seq, event.type, event.payload])).toEqual([
        [2, 'stage.ended', { n: 1 }],
        [3, 'control.directive.emitted', { n: 2 }],
      ]);
      const run = (await journal.getRun('a'))!;
      expect([run.lastSeq, run.status, run.stateHash]).toEqual([4, 'running', 'h1']);

      // Keys are per run, and an append of nothing is remembered too.
      await journal.createRun(newRun('b'), []);
      expect((await journal.appendOnce('b', [], {}, { key: 'engine:2' })).fresh).toBe(true);
      expect((await journal.appendOnce('b', [], {}, { key: 'engine:2' })).fresh).toBe(false);
    } finally {
      await journal.close();
    }
  });

  it('lands once when the same key is appended by many writers at the same instant', async () => {
    const { url, schema, dbosSchema, journal } = await freshJournal();
    const others = await Promise.all(
      [1, 2, 3].map(() => PgJournal.open(url, { schema, dbosSchema })),
    );
    try {
      await journal.createRun(newRun('a'), []);
      const results = await Promise.all(
        [journal, ...others].map((writer, index) =>
          writer.appendOnce('a', [{ type: 'x', payload: { writer: index } }], {}, { key: 'k' }),
        ),
      );
      expect(results.filter((result) => result.fresh)).toHaveLength(1);
      const winner = results.find((result) => result.fresh)!.events;
      for (const result of results) expect(result.events).toEqual(winner);
      expect((await journal.getRun('a'))!.lastSeq).toBe(1);
    } finally {
      for (const other of others) await other.close();
      await journal.close();
    }
  });

  it('refuses the appends of an execution once a peer has taken its workflow over', async () => {
    const { url, dbosSchema, journal } = await freshJournal();
    try {
      await journal.createRun(newRun('a'), []);
      const workflowId = 'a:0-execute-0:1';
      const mine = randomUUID();
      await ownWorkflow(url, dbosSchema, workflowId, mine);
      const owner = { workflowId, token: mine };
      const appended = await journal.appendOnce(
        'a',
        [{ type: 'agent.process.started', payload: {} }],
        {},
        { key: 'x:1', owner },
      );
      expect(appended.fresh).toBe(true);

      // Recovered by a peer: DBOS writes the new execution's token.
      const theirs = randomUUID();
      await ownWorkflow(url, dbosSchema, workflowId, theirs);
      let refused: unknown;
      try {
        await journal.appendOnce(
          'a',
          [{ type: 'agent.process.exited', payload: {} }],
          { status: 'failed' },
          { key: 'x:2', owner },
        );
      } catch (error) {
        refused = error;
      }
      expect(BatonError.isInstance(refused)).toBe(true);
      expect(isSuperseded(refused)).toBe(true);
      expect((refused as BatonError).message).toMatch(/no longer owns it/);
      const run = (await journal.getRun('a'))!;
      expect([run.lastSeq, run.status]).toEqual([1, 'running']);

      // The new owner appends; a key the old execution landed still gives back its events.
      const next = await journal.appendOnce(
        'a',
        [{ type: 'agent.process.started', payload: { again: true } }],
        {},
        { key: 'y:1', owner: { workflowId, token: theirs } },
      );
      expect(next.events[0]!.seq).toBe(2);
      expect((await journal.appendOnce('a', [], {}, { key: 'x:1', owner })).events).toHaveLength(1);
    } finally {
      await journal.close();
    }
  });

  it('refuses an append that waited for a hand-off in progress once the hand-off commits', async () => {
    const { url, dbosSchema, journal } = await freshJournal();
    const pg = (await import('pg')).default;
    const peer = new pg.Client({ connectionString: url });
    await peer.connect();
    try {
      await journal.createRun(newRun('a'), []);
      const workflowId = 'a:wf';
      const mine = randomUUID();
      await ownWorkflow(url, dbosSchema, workflowId, mine);
      // A peer is recovering the workflow: its new token is written, not yet committed.
      await peer.query('BEGIN');
      await peer.query(
        `UPDATE ${dbosSchema}.workflow_status SET owner_xid = $2 WHERE workflow_uuid = $1`,
        [workflowId, randomUUID()],
      );
      const append = journal
        .appendOnce(
          'a',
          [{ type: 'x', payload: {} }],
          {},
          {
            key: 'k',
            owner: { workflowId, token: mine },
          },
        )
        .then(
          () => 'appended',
          (error: unknown) => (isSuperseded(error) ? 'refused' : String(error)),
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await peer.query('COMMIT');
      expect(await append).toBe('refused');
      expect((await journal.getRun('a'))!.lastSeq).toBe(0);
    } finally {
      await peer.end();
      await journal.close();
    }
  });

  it('says a run that is not there is not there', async () => {
    const { journal } = await freshJournal();
    try {
      await expect(journal.appendOnce('nope', [], {}, { key: 'k' })).rejects.toThrow(
        /No run "nope"/,
      );
    } finally {
      await journal.close();
    }
  });
});
