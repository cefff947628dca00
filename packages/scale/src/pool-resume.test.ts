/**
 * A run of the pool that stopped, resumed from another process: the failed stage starts
 * again from the workspace the run had before it, on a workflow of its own; a run resumed
 * twice at once is resumed once; a run that ended is not resumed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError } from '@baton/core';
import { createRedactor, replayStoredRun } from '@baton/run';
import { afterEach, describe, expect, it } from 'vitest';
import { PgJournal } from './pg-journal.js';
import { answerRemoteRun, resumeRemoteRun, startRemoteRun } from './remote-run.js';
import { PoolProject } from './test-support/pool.js';
import { usePostgres } from './test-support/postgres.js';

const postgres = usePostgres();
const projects: PoolProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.dispose();
});

describe('resuming a run of the pool', () => {
  for (const strategy of ['git', 'shared-path'] as const) {
    it(`starts the failed stage again from the workspace the run had before it (${strategy})`, async () => {
      const pool = await PoolProject.create(postgres().url, { workspace: strategy });
      projects.push(pool);
      const seen = join(pool.base, 'seen.jsonl');
      pool.plan({
        interview: { files: { write: { 'SPEC.md': 'the spec\n' } } },
        // A 401 is an auth failure: no retry, and no fallback in this routing.
        execute: {
          attempts: [
            { fail: true, status: 401, files: { write: { 'HALF.md': 'half done\n' } } },
            { recordWorkspace: seen, files: { write: { 'NOTES.md': 'the notes\n' } } },
          ],
        },
      });
      const worker = pool.worker('host-a', ['codex', 'claude-code', 'opencode']);
      await worker.ready();
      const context = { config: pool.config(), registry: pool.registry, env: pool.env };
      const { runId } = await startRemoteRun(pool.pool, context, { goal: 'Write the notes' });
      const failed = await pool.follow(runId);
      expect(failed.status, worker.output()).toBe('failed');

      const resumed = await resumeRemoteRun(pool.pool, context, runId.slice(0, 12), {});
      expect(resumed).toMatchObject({ runId, stage: 'execute' });
      const summary = await pool.follow(runId);
      expect(summary.status, `${summary.cause}\n${worker.output()}`).toBe('succeeded');

      // The second attempt saw what interview left, not what the failed attempt half did.
      const workspace = JSON.stringify(JSON.parse(readFileSync(seen, 'utf8').trim()));
      expect(workspace).toContain('SPEC.md');
      expect(workspace).not.toContain('HALF.md');
      const events = await pool.events(runId);
      const resumedEvent = events.find((event) => event.type === 'run.resumed')!;
      expect(resumedEvent.seq).toBe(resumed.afterSeq + 1);
      expect(resumedEvent.payload.mission_workflow).toBe(`${runId}:resume-${resumed.afterSeq}`);
      const executes = events.filter(
        (event) => event.type === 'agent.process.exited' && event.payload.stage === 'execute',
      );
      expect(executes.map((event) => [event.payload.attempt, event.payload.status])).toEqual([
        [1, 'failed'],
        [2, 'succeeded'],
      ]);
      if (strategy === 'git') {
        const show = (path: string) =>
          execFileSync(
            'git',
            ['--git-dir', pool.remote, 'show', `refs/heads/baton/${runId}:${path}`],
            {
              encoding: 'utf8',
            },
          );
        expect(show('NOTES.md')).toBe('the notes\n');
        expect(show('SPEC.md')).toBe('the spec\n');
      }
      const journal = await PgJournal.open(pool.url, {
        schema: pool.schema,
        dbosSchema: pool.dbosSchema,
        readOnly: true,
      });
      try {
        expect((await replayStoredRun(journal, runId)).mismatches).toEqual([]);
      } finally {
        await journal.close();
      }

      const again = await resumeRemoteRun(pool.pool, context, runId, {}).catch(
        (error: unknown) => error,
      );
      expect(BatonError.isInstance(again) && again.code).toBe('RUN_STATE');
      expect((again as Error).message).toBe(
        `Run ${runId} of the worker pool already ended (succeeded); there is nothing to resume.`,
      );
    });
  }

  it('sends the answer to a question asked after the resume to the resumed mission', async () => {
    const pool = await PoolProject.create(postgres().url, {
      extraToml:
        '[missions.reviewed]\nsteps = ["execute", { human = "Approve the notes?" }, "evaluate"]\n',
    });
    projects.push(pool);
    pool.plan({ execute: { attempts: [{ fail: true, status: 401 }, {}] } });
    const worker = pool.worker('host-a', ['codex', 'claude-code', 'opencode']);
    await worker.ready();
    const context = { config: pool.config(), registry: pool.registry, env: pool.env };
    const { runId } = await startRemoteRun(pool.pool, context, { goal: 'g', mission: 'reviewed' });
    expect((await pool.follow(runId)).status).toBe('failed');
    await resumeRemoteRun(pool.pool, context, runId, {});
    const waiting = await pool.follow(runId);
    expect(waiting.status, worker.output()).toBe('waiting');
    await answerRemoteRun(
      pool.pool,
      runId,
      { decision: 'approve', text: 'fine' },
      createRedactor({ env: {} }),
    );
    expect((await pool.follow(runId, { untilWaiting: false })).status).toBe('succeeded');
  });

  it('resumes a run once when two resume it at once, and from an earlier stage when asked', async () => {
    const pool = await PoolProject.create(postgres().url);
    projects.push(pool);
    pool.plan({ execute: { fail: true, status: 401 } });
    const worker = pool.worker('host-a', ['codex', 'claude-code', 'opencode']);
    await worker.ready();
    const context = { config: pool.config(), registry: pool.registry, env: pool.env };
    const { runId } = await startRemoteRun(pool.pool, context, { goal: 'g' });
    expect((await pool.follow(runId)).status).toBe('failed');

    pool.plan({});
    const both = await Promise.allSettled([
      resumeRemoteRun(pool.pool, context, runId, { from: 'interview' }),
      resumeRemoteRun(pool.pool, context, runId, { from: 'interview' }),
    ]);
    expect(both.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = both.find((outcome) => outcome.status === 'rejected')!;
    expect(String((refused as PromiseRejectedResult).reason)).toMatch(
      /changed while this was writing to it|is still running on the pool/,
    );
    expect((await pool.follow(runId)).status).toBe('succeeded');
    const events = await pool.events(runId);
    expect(events.filter((event) => event.type === 'run.resumed')).toHaveLength(1);
    const interviews = events.filter(
      (event) => event.type === 'agent.process.exited' && event.payload.stage === 'interview',
    );
    expect(interviews.map((event) => event.payload.attempt)).toEqual([1, 2]);
  });
});
