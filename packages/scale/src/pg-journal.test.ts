import { BatonError, createRedactor } from '@baton/core';
import { currentProcess } from '@baton/run/journal';
import { type JournalContractSubject, journalContractCases } from '@baton/run/testing';
import { describe, expect, it } from 'vitest';
import { createPool } from './database.js';
import { migrateBatonSchema } from './init.js';
import { PgJournal } from './pg-journal.js';
import { SCHEMA_VERSION } from './schema.js';
import { sql, uniqueSchema, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();

const newRun = (runId: string, goal = 'g') => ({
  runId,
  goal,
  mission: 'deliver',
  configHash: 'h',
  owner: currentProcess(),
});

/** A fresh journal in a schema of its own, and raw SQL past the store. */
async function pgSubject(): Promise<JournalContractSubject> {
  const { url } = postgres();
  const schema = uniqueSchema('contract');
  await migrateBatonSchema(url, { schema });
  return {
    open: (options) => PgJournal.open(url, { ...options, schema }),
    updateEventInStorage: async (runId, seq) => {
      await sql(url, `UPDATE ${schema}.events SET type = 'forged' WHERE run_id = $1 AND seq = $2`, [
        runId,
        seq,
      ]);
    },
    deleteEventsInStorage: async () => {
      await sql(url, `DELETE FROM ${schema}.events`);
    },
    damagePayload: async (runId, seq, text) => {
      await sql(
        url,
        `BEGIN;
         ALTER TABLE ${schema}.events DISABLE TRIGGER events_are_append_only;
         UPDATE ${schema}.events SET payload = ${literal(text)} WHERE run_id = ${literal(runId)} AND seq = ${seq};
         ALTER TABLE ${schema}.events ENABLE TRIGGER events_are_append_only;
         COMMIT;`,
      );
    },
    markNewerSchema: async () => {
      await sql(url, `UPDATE ${schema}.meta SET value = $1 WHERE key = 'schema_version'`, [
        String(SCHEMA_VERSION + 1),
      ]);
    },
    dispose: async () => {
      await sql(url, `DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function batonError(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

describe('the journal contract, on PostgreSQL', () => {
  for (const check of journalContractCases(pgSubject)) it(check.name, check.run);
});

describe('PgJournal', () => {
  it('refuses TRUNCATE of the events too', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema });
    try {
      await journal.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
      await expect(sql(url, `TRUNCATE ${schema}.events`)).rejects.toThrow(/append-only/);
      expect((await journal.getRun('a'))!.lastSeq).toBe(1);
    } finally {
      await journal.close();
    }
  });

  it('reads through connections that refuse writes themselves', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const pool = createPool(url, { readOnly: true, applicationName: 'test' });
    try {
      await expect(
        pool.query(`INSERT INTO ${schema}.meta (key, value) VALUES ('x', 'y')`),
      ).rejects.toThrow(/read-only transaction/);
    } finally {
      await pool.end();
    }
  });

  it('records the machine of a run owner, and releases only on that machine', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const here = await PgJournal.open(url, { schema, host: 'host-a' });
    const there = await PgJournal.open(url, { schema, host: 'host-b' });
    try {
      const owner = { pid: 4242, start: '77' };
      await here.createRun({ ...newRun('a'), owner }, []);
      expect((await there.getRun('a'))!.owner).toEqual({ ...owner, host: 'host-a' });
      // The same pid and start on another machine is another process.
      await there.release('a', owner);
      expect((await here.getRun('a'))!.owner).toEqual({ ...owner, host: 'host-a' });
      await here.release('a', owner);
      expect((await here.getRun('a'))!.owner).toBeNull();
      const claimed = await there.claim('a', owner, () => {});
      expect(claimed.owner).toEqual({ ...owner, host: 'host-b' });
    } finally {
      await here.close();
      await there.close();
    }
  });

  it('says to run `baton scale init` for a database without Baton tables', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    let error = await batonError(PgJournal.open(url, { schema }));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toMatch(/has no Baton tables yet.*baton scale init/);

    // An init stopped before its first migration committed leaves at most the version table.
    await sql(
      url,
      `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.meta (key text PRIMARY KEY, value text NOT NULL)`,
    );
    error = await batonError(PgJournal.open(url, { schema, readOnly: true }));
    expect(error.message).toMatch(/has no Baton tables yet.*baton scale init/);
    expect((await migrateBatonSchema(url, { schema })).versionBefore).toBe(0);
    const journal = await PgJournal.open(url, { schema });
    await journal.close();
  });

  it('names an unreachable database and a refused login without its password', async () => {
    const { url, password, port } = postgres();
    const closed = url.replace(`:${port}/`, ':1/');
    let error = await batonError(PgJournal.open(closed));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toMatch(
      /^Cannot reach the database postgresql:\/\/postgres@127\.0\.0\.1:1\/baton_test \(schema baton\) to read the journal in it \(.*ECONNREFUSED.*\)\. Check that PostgreSQL is running/,
    );
    expect(JSON.stringify(error)).not.toContain(password);

    error = await batonError(PgJournal.open(url.replace(password, 'not-the-password')));
    expect(error.message).toMatch(/refused the login \(password authentication failed/);
    expect(error.message).not.toContain('not-the-password');

    // A password given as a parameter is never shown either.
    const parameter = `postgresql://postgres@127.0.0.1:1/baton_test?password=${password}`;
    error = await batonError(PgJournal.open(parameter));
    expect(error.message).toContain('postgresql://postgres@127.0.0.1:1/baton_test (schema baton)');
    expect(JSON.stringify(error)).not.toContain(password);
  });

  it('waits a bounded time for a run another writer holds, then says it is locked', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema, busyTimeoutMs: 300 });
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await journal.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
      await holder.query('BEGIN');
      await holder.query(`SELECT * FROM ${schema}.runs WHERE run_id = 'a' FOR UPDATE`);
      const started = performance.now();
      const error = await batonError(journal.append('a', [{ type: 'x', payload: {} }]));
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(error.code).toBe('JOURNAL_LOCKED');
      expect(error.message).toMatch(
        /locked: another Baton process has held the run for more than 0\.3 s/,
      );
      await holder.query('ROLLBACK');
      expect((await journal.append('a', [{ type: 'x', payload: {} }]))[0]!.seq).toBe(2);
    } finally {
      await holder.end();
      await journal.close();
    }
  });

  it('refuses a NUL character in a run field by name, and writes nothing', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema });
    try {
      const error = await batonError(journal.createRun(newRun('a', 'a\u0000b'), []));
      expect(error.code).toBe('USAGE');
      expect(error.message).toBe(
        'The goal holds a NUL character (at offset 1), which the PostgreSQL journal cannot store; remove it.',
      );
      expect(await journal.getRun('a')).toBeUndefined();
      await journal.createRun(newRun('a'), []);
      await expect(journal.append('a', [{ type: 'x\u0000', payload: {} }])).rejects.toThrow(
        /event type/,
      );
      expect((await journal.getRun('a'))!.lastSeq).toBe(0);
      // A NUL in an id names no run.
      expect(await journal.getRun('a\u0000')).toBeUndefined();
      await expect(journal.findRun('a\u0000')).rejects.toThrow(/No run/);
    } finally {
      await journal.close();
    }
  });

  it('stores what the caller gives it: a secret redacted by the caller is nowhere in the database', async () => {
    const { url } = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(url, { schema });
    const journal = await PgJournal.open(url, { schema });
    const secret = 'sk-live-7f3a9c2e41b84d0e9a6c5b3f';
    const redactor = createRedactor({ env: { OPENAI_API_KEY: secret } });
    try {
      await journal.createRun({ ...newRun('a'), goal: redactor.text(`deploy with ${secret}`) }, [
        { type: 'run.started', payload: redactor.value({ env: `OPENAI_API_KEY=${secret}` }) },
      ]);
      await journal.append(
        'a',
        [
          {
            type: 'stage.output',
            payload: redactor.value({ line: `Bearer ${secret}`, nested: [secret] }),
          },
        ],
        { cause: redactor.text(`failed: ${secret}`) },
      );
      // Failures carry no payload back: not of a missing run, nor of a NUL refused.
      const failures = await Promise.allSettled([
        journal.append('missing', [{ type: 'x', payload: { line: secret } }]),
        journal.append('a', [{ type: 'x\u0000', payload: { line: secret } }]),
      ]);
      for (const failure of failures) {
        expect(failure.status).toBe('rejected');
        const reason = (failure as PromiseRejectedResult).reason as BatonError;
        expect(`${reason.message} ${JSON.stringify(reason)}`).not.toContain(secret);
      }

      const everything = await sql<{ dump: string }>(
        url,
        `SELECT string_agg(t::text, ' ') AS dump FROM (
           SELECT r::text AS t FROM ${schema}.runs r
           UNION ALL SELECT e::text FROM ${schema}.events e
           UNION ALL SELECT m::text FROM ${schema}.meta m) rows`,
      );
      const dump = everything[0]!.dump;
      expect(dump).toContain('[REDACTED]');
      expect(dump).toContain('stage.output');
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(0, 12));
    } finally {
      await journal.close();
    }
  });

  it('keeps working after the database restarts', async () => {
    const server = postgres();
    const schema = uniqueSchema();
    await migrateBatonSchema(server.url, { schema });
    const journal = await PgJournal.open(server.url, { schema });
    try {
      await journal.createRun(newRun('a'), [{ type: 'run.started', payload: {} }]);
      await server.stop();
      const error = await batonError(journal.append('a', [{ type: 'lost', payload: {} }]));
      expect(error.code).toBe('JOURNAL_UNAVAILABLE');
      expect(error.message).toMatch(/Cannot reach the database/);
      await server.start();
      expect((await journal.append('a', [{ type: 'x', payload: {} }]))[0]!.seq).toBe(2);
    } finally {
      await journal.close();
    }
  });
});
