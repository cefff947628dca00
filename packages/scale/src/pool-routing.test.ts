/**
 * Missions on the pool with the fake runtimes: each stage runs only on a worker that offers
 * its runtime, the journal says which worker ran it, and the run replays to its recorded state.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayStoredRun } from '@baton/run';
import { afterEach, describe, expect, it } from 'vitest';
import { PgJournal } from './pg-journal.js';
import { startRemoteRun } from './remote-run.js';
import { setRuntimeLimit } from './runtime-limits.js';
import { PoolProject, until } from './test-support/pool.js';
import { usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

async function project(options: Parameters<typeof PoolProject.create>[1] = {}) {
  const made = await PoolProject.create(postgres().url, options);
  projects.push(made);
  return made;
}

describe('missions on the pool', () => {
  it('runs each stage on a worker that offers its runtime, and says which', async () => {
    const pool = await project();
    const a = pool.worker('host-a', ['codex', 'claude-code']);
    const b = pool.worker('host-b', ['codex', 'opencode']);
    await Promise.all([a.ready(), b.ready()]);
    const config = pool.config();
    const { runId } = await startRemoteRun(
      pool.pool,
      { config, registry: pool.registry, env: pool.env },
      { goal: 'Write the notes' },
    );
    const summary = await pool.follow(runId);
    expect(summary.status, `${a.output()}\n${b.output()}`).toBe('succeeded');
    const events = await pool.events(runId);
    const exited = events.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => [event.payload.stage, event.payload.runtime_id])).toEqual([
      ['interview', 'codex'],
      ['execute', 'claude-code'],
      ['evaluate', 'opencode'],
      ['reflect', 'codex'],
    ]);
    const workerOf = (stage: string) =>
      exited.find((event) => event.payload.stage === stage)!.payload.worker;
    expect(workerOf('execute')).toBe('host-a');
    expect(workerOf('evaluate')).toBe('host-b');
    expect(['host-a', 'host-b']).toContain(workerOf('interview'));
    expect(events.filter((event) => event.type === 'stage.ended')).toHaveLength(4);
    const journal = await PgJournal.open(pool.url, {
      schema: pool.schema,
      dbosSchema: pool.dbosSchema,
      readOnly: true,
    });
    try {
      const replay = await replayStoredRun(journal, runId);
      expect(replay.mismatches).toEqual([]);
    } finally {
      await journal.close();
    }
  });
});

describe('workspaces on the pool', () => {
  for (const strategy of ['git', 'shared-path'] as const) {
    it(`hands each stage what the one before it left (${strategy})`, async () => {
      const pool = await project({ workspace: strategy });
      const seen = join(pool.base, 'seen.jsonl');
      pool.plan({
        execute: { files: { write: { 'NOTES.md': 'the notes\n' } } },
        evaluate: { recordWorkspace: seen },
      });
      const a = pool.worker('host-a', ['codex', 'claude-code']);
      const b = pool.worker('host-b', ['codex', 'opencode']);
      await Promise.all([a.ready(), b.ready()]);
      const { runId } = await startRemoteRun(
        pool.pool,
        { config: pool.config(), registry: pool.registry, env: pool.env },
        { goal: 'Write the notes' },
      );
      const summary = await pool.follow(runId);
      expect(summary.status, `${summary.cause}\n${a.output()}\n${b.output()}`).toBe('succeeded');
      // evaluate ran on host-b, execute on host-a: the notes reached it all the same.
      const evaluated = JSON.parse(readFileSync(seen, 'utf8').trim().split('\n')[0]!);
      expect(JSON.stringify(evaluated)).toContain('NOTES.md');
      const events = await pool.events(runId);
      const results = events.filter((event) => event.type === 'workspace.result');
      expect(results.map((event) => [event.payload.stage, event.payload.adopted])).toEqual([
        ['interview', true],
        ['execute', true],
        ['evaluate', true],
        ['reflect', true],
      ]);
      if (strategy === 'git') {
        const git = (...args: string[]) =>
          execFileSync('git', ['--git-dir', pool.remote, ...args], { encoding: 'utf8' });
        expect(git('show', `refs/heads/baton/${runId}:NOTES.md`)).toBe('the notes\n');
        expect(git('rev-parse', `refs/baton/${runId}/base`).trim()).toBe(
          git('rev-parse', 'refs/heads/main').trim(),
        );
        const execute = results.find((event) => event.payload.stage === 'execute')!;
        expect(String(execute.payload.ref)).toMatch(
          new RegExp(`^refs/baton/${runId}/1-execute-0/1\\.[0-9a-f]{8}$`),
        );
        // Each worker's own worktrees are gone; the results are on the remote.
        expect(readdirSync(join(pool.base, 'workers', 'host-a', 'workspaces', runId))).toEqual([]);
      } else {
        const reflect = results.find((event) => event.payload.stage === 'reflect')!;
        expect(readFileSync(join(String(reflect.payload.path), 'NOTES.md'), 'utf8')).toBe(
          'the notes\n',
        );
        expect(existsSync(join(pool.sharedRoot, runId, 'start', 'baton.toml'))).toBe(true);
        expect(existsSync(join(pool.sharedRoot, runId, 'start', 'NOTES.md'))).toBe(false);
      }
    });
  }
});

describe('runtimes the pool offers', () => {
  it('refuses a run with a stage no worker can take, and skips along a chain to one that can', async () => {
    const refused = await project({ routing: { interview: 'codex', evaluate: 'hermes' } });
    const a = refused.worker('host-a', ['codex', 'claude-code']);
    await a.ready();
    const context = { config: refused.config(), registry: refused.registry, env: refused.env };
    await expect(startRemoteRun(refused.pool, context, { goal: 'g' })).rejects.toThrow(
      /no worker of the pool offers a runtime for evaluate \(hermes\)/,
    );

    // Workers of another version would never take the run: said, not queued forever.
    const other = await project({ routing: { interview: 'codex' } });
    const old = other.worker('host-old', ['codex']);
    await old.ready();
    const newer = { ...other.config() };
    const moved = { ...newer, scale: { ...newer.scale!, applicationVersion: 'test-2' } };
    await expect(
      startRemoteRun(
        other.pool,
        { config: moved, registry: other.registry, env: other.env },
        { goal: 'g' },
      ),
    ).rejects.toThrow(
      /the pool's workers run application_version test-1, and this project's \[scale\] says test-2/,
    );

    const chained = await project({
      routing: { interview: 'codex', evaluate: '["hermes", "claude-code"]' },
    });
    const b = chained.worker('host-b', ['codex', 'claude-code']);
    await b.ready();
    const notices: string[] = [];
    const { runId } = await startRemoteRun(
      chained.pool,
      {
        config: chained.config(),
        registry: chained.registry,
        env: chained.env,
        observer: { notice: (text) => notices.push(text) },
      },
      { goal: 'g' },
    );
    expect(notices).toContain(
      'hermes: no worker of the pool offers it; its stages start on the next runtime of their chain',
    );
    expect((await chained.follow(runId)).status).toBe('succeeded');
    const exited = (await chained.events(runId)).filter(
      (event) => event.type === 'agent.process.exited',
    );
    expect(exited.find((event) => event.payload.stage === 'evaluate')!.payload.runtime_id).toBe(
      'claude-code',
    );
  });

  it('runs at most as many stages at once as each worker has slots', async () => {
    const pool = await project({
      routing: { interview: 'codex' },
      extraToml: '[missions.one]\nsteps = ["interview"]\n',
    });
    pool.plan({ interview: { sleepMs: 1_500 } });
    const a = pool.worker('host-a', ['codex'], { slots: 1 });
    const b = pool.worker('host-b', ['codex'], { slots: 3 });
    await Promise.all([a.ready(), b.ready()]);
    const spans = await runOneStageMissions(pool, 8);
    expect([mostAtOnce(spans, 'host-a'), mostAtOnce(spans, 'host-b')]).toEqual([1, 3]);
  });

  it('runs at most the pool-wide limit of a runtime at once across workers, and follows a changed limit', async () => {
    const pool = await project({
      routing: { interview: 'codex' },
      extraToml: '[missions.one]\nsteps = ["interview"]\n',
    });
    pool.plan({ interview: { sleepMs: 1_000 } });
    await setRuntimeLimit(pool.url, 'codex', 1, { schema: pool.schema });
    const a = pool.worker('host-a', ['codex'], { slots: 2 });
    const b = pool.worker('host-b', ['codex'], { slots: 2 });
    await Promise.all([a.ready(), b.ready()]);
    expect(a.output()).toContain('codex: at most 1 at once across the pool');

    const limited = await runOneStageMissions(pool, 4);
    expect(mostAtOnce(limited), `${a.output()}\n${b.output()}`).toBe(1);

    // Lifted: both workers take up to their own slots again, from their next heartbeat.
    await setRuntimeLimit(pool.url, 'codex', null, { schema: pool.schema });
    await until(
      () =>
        [a, b].every((worker) => worker.output().includes('codex: no limit across the pool now')),
      10_000,
      () => `${a.output()}\n${b.output()}`,
    );
    const free = await runOneStageMissions(pool, 4);
    expect(mostAtOnce(free)).toBeGreaterThan(1);
    expect(mostAtOnce(free, 'host-a')).toBeLessThanOrEqual(2);
    expect(mostAtOnce(free, 'host-b')).toBeLessThanOrEqual(2);
    // Two workers taking from a limited queue at once is expected, not a warning.
    expect(`${a.output()}\n${b.output()}`).not.toMatch(/dbos warn: (Contention|Increasing)/);
  });
});

interface Span {
  readonly worker: string;
  readonly from: number;
  readonly to: number;
}

/** Runs `count` one-stage missions at once, each to success; the runtime process of each. */
async function runOneStageMissions(pool: PoolProject, count: number): Promise<Span[]> {
  const context = { config: pool.config(), registry: pool.registry, env: pool.env };
  const runs = await Promise.all(
    Array.from({ length: count }, () =>
      startRemoteRun(pool.pool, context, { goal: 'g', mission: 'one' }),
    ),
  );
  const spans: Span[] = [];
  for (const { runId } of runs) {
    expect((await pool.follow(runId)).status).toBe('succeeded');
    const events = await pool.events(runId);
    const started = events.find((event) => event.type === 'agent.process.started')!;
    const exited = events.find((event) => event.type === 'agent.process.exited')!;
    // The runtime process's own lifetime: from its start, for as long as it ran.
    spans.push({
      worker: String(exited.payload.worker),
      from: Date.parse(started.at),
      to: Date.parse(started.at) + Number(exited.payload.duration_ms),
    });
  }
  return spans;
}

/** The most runtime processes that ran at once (on `worker`, or anywhere). */
function mostAtOnce(spans: readonly Span[], worker?: string): number {
  const mine = spans.filter((span) => worker === undefined || span.worker === worker);
  return Math.max(
    0,
    ...mine.map(
      (span) => mine.filter((other) => other.from <= span.from && other.to > span.from).length,
    ),
  );
}
