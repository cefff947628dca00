import { BatonError } from '@baton/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initScale } from './init.js';
import { PgJournal } from './pg-journal.js';
import { SCHEMA_VERSION } from './schema.js';
import { sql, uniqueSchema, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();

/** Baton's tables at the current schema version. */
const BATON_TABLES = ['appends', 'events', 'meta', 'runs', 'runtime_limits', 'workers'];

afterEach(() => {
  vi.restoreAllMocks();
});

async function tables(url: string, schema: string): Promise<string[]> {
  const rows = await sql<{ table_name: string }>(
    url,
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

describe('baton scale init', () => {
  it('creates Baton’s tables and DBOS’s in schemas of their own, and changes nothing the second time', async () => {
    const { url } = postgres();
    const schema = uniqueSchema('init');
    const dbosSchema = uniqueSchema('init_dbos');
    const logged: string[] = [];
    const first = await initScale(url, { schema, dbosSchema, log: (line) => logged.push(line) });
    expect(first).toEqual({
      database: url.replace(/:[^:@]+@/, '@'),
      schema,
      versionBefore: 0,
      version: SCHEMA_VERSION,
      dbosSchema,
    });
    expect(await tables(url, schema)).toEqual(BATON_TABLES);
    const dbosTables = await tables(url, dbosSchema);
    expect(dbosTables).toEqual(
      expect.arrayContaining(['workflow_status', 'operation_outputs', 'queues']),
    );
    const migrations = await sql(url, `SELECT * FROM ${dbosSchema}.dbos_migrations`);

    const journal = await PgJournal.open(url, { schema });
    await journal.createRun(
      { runId: 'kept', goal: 'g', mission: 'm', configHash: 'h', owner: { pid: 1, start: null } },
      [{ type: 'run.started', payload: {} }],
    );
    await journal.close();

    const second = await initScale(url, { schema, dbosSchema, log: (line) => logged.push(line) });
    expect(second.versionBefore).toBe(SCHEMA_VERSION);
    expect(await tables(url, dbosSchema)).toEqual(dbosTables);
    expect(await sql(url, `SELECT * FROM ${dbosSchema}.dbos_migrations`)).toEqual(migrations);
    expect(await sql(url, `SELECT run_id, last_seq FROM ${schema}.runs`)).toEqual([
      { run_id: 'kept', last_seq: 1 },
    ]);
  });

  it('lets two inits at once both finish, one of them doing the work', async () => {
    const { url } = postgres();
    const schema = uniqueSchema('init');
    const dbosSchema = uniqueSchema('init_dbos');
    const reports = await Promise.all([
      initScale(url, { schema, dbosSchema }),
      initScale(url, { schema, dbosSchema }),
    ]);
    expect(reports.map((report) => report.versionBefore).sort()).toEqual([0, SCHEMA_VERSION]);
    expect(await tables(url, schema)).toEqual(BATON_TABLES);
  });

  it('creates a missing database, telling its log and not the console', async () => {
    const { adminUrl } = postgres();
    const url = adminUrl.replace(/\/postgres$/, '/made_by_init');
    const printed = [
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
    ];
    const logged: string[] = [];
    await initScale(url, { log: (line) => logged.push(line) });
    for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    expect(logged).toContain('Created database made_by_init');
    expect(await tables(url, 'baton')).toEqual(BATON_TABLES);
    expect(await tables(url, 'baton_dbos')).toContain('workflow_status');
  });

  it('upgrades tables of version 2 (before runtime limits), keeping their runs', async () => {
    const { url } = postgres();
    const schema = uniqueSchema('init');
    const dbosSchema = `${schema}_dbos`;
    await initScale(url, { schema, dbosSchema });
    // What version 2 had: everything but the limits.
    await sql(url, `DROP TABLE ${schema}.runtime_limits`);
    await sql(url, `UPDATE ${schema}.meta SET value = '2'`);
    await sql(
      url,
      `INSERT INTO ${schema}.runs (run_id, created_at, updated_at, goal, mission, config_hash, status)
       VALUES ('r1', 'a', 'a', 'g', 'm', 'h', 'succeeded')`,
    );
    const report = await initScale(url, { schema, dbosSchema });
    expect([report.versionBefore, report.version]).toEqual([2, 3]);
    expect(await tables(url, schema)).toContain('runtime_limits');
    expect((await sql(url, `SELECT run_id FROM ${schema}.runs`)).map((row) => row.run_id)).toEqual([
      'r1',
    ]);
  });

  it('refuses tables made by a newer Baton, and one schema for both', async () => {
    const { url } = postgres();
    const schema = uniqueSchema('init');
    await initScale(url, { schema, dbosSchema: `${schema}_dbos` });
    await sql(url, `UPDATE ${schema}.meta SET value = $1`, [String(SCHEMA_VERSION + 1)]);
    const error = await initScale(url, { schema, dbosSchema: `${schema}_dbos` }).catch(
      (caught: unknown) => caught,
    );
    expect(BatonError.isInstance(error) && error.code).toBe('RUN_STATE');
    expect((error as Error).message).toContain(
      `made by a newer Baton (version ${SCHEMA_VERSION + 1}); upgrade Baton`,
    );
    await expect(initScale(url, { schema: 'same', dbosSchema: 'same' })).rejects.toThrow(
      /schemas of their own/,
    );
  });

  it('names an unreachable database without its password', async () => {
    const { url, password, port } = postgres();
    const error = await initScale(url.replace(`:${port}/`, ':1/')).catch(
      (caught: unknown) => caught,
    );
    expect(BatonError.isInstance(error) && error.code).toBe('JOURNAL_UNAVAILABLE');
    expect((error as Error).message).toMatch(
      /^Cannot reach the database postgresql:\/\/postgres@127\.0\.0\.1:1\/baton_test to prepare it/,
    );
    expect(JSON.stringify(error)).not.toContain(password);
  });
});
