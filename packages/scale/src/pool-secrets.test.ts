/**
 * DBOS keeps workflow arguments, results, messages and errors in plain text: nothing secret
 * may reach them, nor the journal, nor a worker's log — a key the config names, in a goal, in
 * a runtime's command line and in what the runtime printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRemoteRun } from './remote-run.js';
import { PoolProject } from './test-support/pool.js';
import { sql, usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
let pool: PoolProject | undefined;
afterEach(async () => {
  await pool?.dispose();
});

const SECRET = 'sk-team-9f8e7d6c5b4a3210fedc';

/** Every row of every table of a schema, as text. */
async function dump(url: string, schema: string): Promise<string> {
  const tables = await sql<{ table_name: string }>(
    url,
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
    [schema],
  );
  let text = '';
  for (const { table_name } of tables) {
    const rows = await sql<{ row: string }>(
      url,
      `SELECT t::text AS row FROM ${schema}.${table_name} t`,
    );
    text += rows.map((row) => row.row).join('\n');
  }
  return text;
}

describe('secrets on the pool', () => {
  it('reach neither DBOS’s tables, nor the journal, nor a worker’s log', async () => {
    pool = await PoolProject.create(postgres().url, {
      routing: { interview: 'codex', execute: 'codex', evaluate: 'codex', reflect: 'codex' },
      extraToml: '[runtimes.codex]\napi_key_env = "TEAM_GATEWAY_KEY"\n',
      env: { TEAM_GATEWAY_KEY: SECRET },
    });
    // (Not evaluate: its verdict must stay its last line.)
    pool.plan({
      interview: { echoEnv: 'TEAM_GATEWAY_KEY' },
      execute: { echoEnv: 'TEAM_GATEWAY_KEY' },
    });
    const worker = pool.worker('host-a', ['codex']);
    await worker.ready();
    const { runId } = await startRemoteRun(
      pool.pool,
      { config: pool.config(), registry: pool.registry, env: pool.env },
      { goal: `Deploy with ${SECRET}` },
    );
    const summary = await pool.follow(runId);
    expect(summary.status, summary.cause ?? '').toBe('succeeded');
    const events = await pool.events(runId);
    // The runtimes did print it, and the run went on with it redacted.
    const ended = events.find((event) => event.type === 'stage.ended')!;
    expect(String(ended.payload.final_text)).toContain('[TEAM_GATEWAY_KEY=[REDACTED]]');
    const everything = [
      await dump(pool.url, pool.schema),
      await dump(pool.url, pool.dbosSchema),
      worker.output(),
    ].join('\n');
    expect(everything).toContain('[REDACTED]');
    expect(everything).toContain(runId);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(SECRET.slice(0, 14));
  });
});
