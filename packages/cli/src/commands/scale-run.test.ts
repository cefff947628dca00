/**
 * Scale mode through the built CLI: two `baton worker` processes with different runtimes
 * (the fake runtimes, real processes), a run started with `baton run` and followed, read back
 * by `baton runs`, `events`, `show` and `replay` from the pool's journal, and a human step
 * answered with `baton resume --approve`; against a real PostgreSQL started for this file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@baton/scale/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, MIXED_ROUTING, RunProject } from '../test-support/run-project.js';

let server: ThrowawayPostgres;
let url: string;
const projects: RunProject[] = [];
const workers: ChildProcess[] = [];
const folders: string[] = [];

beforeAll(async () => {
  server = await startThrowawayPostgres();
  url = await server.createDatabase('scale_run');
});

afterAll(async () => {
  await server?.dispose();
});

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.exitCode === null) {
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  }
  for (const project of projects.splice(0)) project.cleanup();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function poolProject(): RunProject {
  const shared = mkdtempSync(join(tmpdir(), 'baton-cli-shared-'));
  folders.push(shared);
  const project = new RunProject(
    `${MIXED_ROUTING}
[missions.reviewed]
steps = ["interview", { human = "Approve the spec?" }, "execute"]

[scale]
application_version = "cli-test"
workspace = "shared-path"
[scale.shared_path]
root = "${shared}"
`,
  );
  projects.push(project);
  return project;
}

/** `baton worker` in the background; resolves once it has joined the pool. */
async function startWorker(project: RunProject, args: string[], databaseUrl = url) {
  const child = spawn(process.execPath, [CLI_BIN, 'worker', ...args], {
    cwd: project.root,
    env: { ...project.env, BATON_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 30_000;
  while (!output.includes('joined the pool')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`baton worker did not join the pool:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output };
}

describe('baton in scale mode', () => {
  it('runs a mission across two workers, and every reader reads it from the pool', async () => {
    const project = poolProject();
    const env = { BATON_DATABASE_URL: url };
    expect(project.baton(['scale', 'init'], env).status).toBe(0);
    const a = await startWorker(project, [
      '--name',
      'host-a',
      '--runtimes',
      'codex,claude-code',
      '--slots',
      '2',
    ]);
    await startWorker(project, ['--name', 'host-b', '--runtimes', 'codex,opencode,hermes']);
    expect(a.output()).toMatch(
      /worker host-a joined the pool at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/scale_run: claude-code, codex \(2 slots each\), version cli-test/,
    );
    expect(a.output()).not.toContain(server.password);

    const workersJson = project.json<{ workerId: string; state: string; runtimes: string[] }[]>(
      ['workers'],
      env,
    );
    expect(workersJson.map((worker) => [worker.workerId, worker.state, worker.runtimes])).toEqual([
      ['host-a', 'alive', ['claude-code', 'codex']],
      ['host-b', 'alive', ['codex', 'hermes', 'opencode']],
    ]);

    const run = await project.batonAsync(['run', 'Write the notes'], env);
    expect(run.status, run.stderr).toBe(0);
    const runId = /Run (\S+) is queued on the pool/.exec(run.stderr)?.[1];
    expect(runId).toBeDefined();
    expect(run.stdout).toMatch(new RegExp(`Run ${runId} succeeded`));
    // The live view, fed from the pool's journal: a line per stage end, naming its worker.
    expect(run.stderr.split('\n').filter((line) => line.startsWith('✔'))).toEqual([
      expect.stringMatching(/^✔ interview · codex on host-[ab] · /),
      expect.stringMatching(/^✔ execute · opencode on host-b · /),
      expect.stringMatching(/^✔ evaluate · claude-code on host-a · /),
      expect.stringMatching(/^✔ reflect · hermes on host-b · /),
    ]);

    const runs = project.json<{ runId: string; status: string }[]>(['runs'], env);
    expect(runs.map((listed) => [listed.runId, listed.status])).toEqual([[runId, 'succeeded']]);
    // This machine's own journal has none of the pool's runs.
    expect(project.baton(['runs', '--local'], env).stdout).toContain('No runs yet');
    const events = project.json<{ type: string; payload: Record<string, unknown> }[]>(
      ['events', runId!],
      env,
    );
    const exited = events.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => [event.payload.stage, event.payload.worker])).toEqual([
      ['interview', expect.stringMatching(/^host-[ab]$/)],
      ['execute', 'host-b'],
      ['evaluate', 'host-a'],
      ['reflect', 'host-b'],
    ]);
    const story = project.json<{ status: string; steps: { stage: string; runtime: string }[] }>(
      ['show', runId!.slice(0, 18)],
      env,
    );
    expect(story.status).toBe('succeeded');
    expect(story.steps.map((step) => [step.stage, step.runtime])).toEqual([
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
      ['reflect', 'hermes'],
    ]);
    expect(project.baton(['show', runId!], { ...env, NO_COLOR: '1' }).stdout).toMatch(
      /^2 execute · opencode · worker host-b · succeeded/m,
    );
    const replay = project.baton(['replay', runId!], env);
    expect(replay.status, replay.stdout).toBe(0);
    expect(replay.stdout).toContain('replays to its recorded state');

    // A human step: the run waits, and is answered here as from any machine.
    const waiting = await project.batonAsync(
      ['run', '--mission', 'reviewed', 'Review the spec'],
      env,
    );
    expect(waiting.status).toBe(1);
    const waitingId = /Run (\S+) is queued on the pool/.exec(waiting.stderr)![1]!;
    expect(waiting.stdout).toContain(
      `Run ${waitingId} is waiting for an answer to: Approve the spec?`,
    );
    const resumed = await project.batonAsync(
      ['resume', waitingId, '--approve', '--input', 'go ahead'],
      env,
    );
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `Sent the approval of "Approve the spec?" to run ${waitingId} on the pool.`,
    );
    expect(resumed.stdout).toContain(`Run ${waitingId} succeeded`);
    const again = project.baton(['resume', waitingId, '--approve'], env);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('is succeeded, not waiting for an answer');

    // Ctrl-C stops a worker: it leaves the pool.
    a.child.kill('SIGINT');
    const code = await new Promise((resolve) => a.child.once('exit', resolve));
    expect(code).toBe(0);
    expect(a.output()).toMatch(/stopped: asked to stop \(SIGINT\)/);
    expect(
      project.json<{ workerId: string }[]>(['workers'], env).map((worker) => worker.workerId),
    ).toEqual(['host-b']);
  });

  it('resumes a run of the pool that failed, from another command, and follows it to its end', async () => {
    const project = poolProject();
    const env = { BATON_DATABASE_URL: await server.createDatabase('scale_run_resume') };
    expect(project.baton(['scale', 'init'], env).status).toBe(0);
    await startWorker(
      project,
      ['--name', 'host-a', '--runtimes', 'codex,opencode,claude-code,hermes'],
      env.BATON_DATABASE_URL,
    );
    // execute fails with a 401 (auth: not retried), then works once resumed.
    project.plan({ execute: { attempts: [{ fail: true, status: 401 }, {}] } });
    const failed = await project.batonAsync(['run', 'Write the notes'], env);
    expect(failed.status).toBe(1);
    const runId = /Run (\S+) is queued on the pool/.exec(failed.stderr)![1]!;
    expect(failed.stdout).toContain(`Run ${runId} failed`);

    const forced = project.baton(['resume', runId, '--force'], env);
    expect(forced.status).toBe(2);
    expect(forced.stderr).toContain('--force is for runs of this machine');

    const resumed = await project.batonAsync(['resume', runId.slice(0, 14)], env);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      new RegExp(
        `Run ${runId} is resumed on the pool at postgresql://\\S+: execute starts again\\.`,
      ),
    );
    // Followed from the resume on: the stages that ran before it are not printed again.
    expect(resumed.stderr.split('\n').filter((line) => line.startsWith('✔'))).toEqual([
      expect.stringMatching(/^✔ execute · opencode on host-a \(attempt 2\) · /),
      expect.stringMatching(/^✔ evaluate · claude-code on host-a · /),
      expect.stringMatching(/^✔ reflect · hermes on host-a · /),
    ]);
    expect(resumed.stdout).toContain(`Run ${runId} succeeded`);
    const again = project.baton(['resume', runId], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`Run ${runId} of the worker pool already ended (succeeded)`);
  });

  it('stops a run of the pool from another command', async () => {
    const project = poolProject();
    const env = { BATON_DATABASE_URL: await server.createDatabase('scale_run_stop') };
    expect(project.baton(['scale', 'init'], env).status).toBe(0);
    const worker = await startWorker(
      project,
      ['--name', 'host-a', '--runtimes', 'codex,opencode,claude-code,hermes'],
      env.BATON_DATABASE_URL,
    );
    project.plan({ execute: { hang: true } });
    const detached = project.baton(['run', '--detach', '--json', 'Write the notes'], env);
    expect(detached.status, detached.stderr).toBe(0);
    const { runId } = JSON.parse(detached.stdout) as { runId: string };
    const deadline = Date.now() + 30_000;
    while (
      !project
        .json<{ type: string; payload: Record<string, unknown> }[]>(['events', runId], env)
        .some(
          (event) => event.type === 'agent.process.started' && event.payload.stage === 'execute',
        )
    ) {
      if (Date.now() > deadline) throw new Error(`execute never started:\n${worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stopped = await project.batonAsync(['stop', runId], { ...env, NO_COLOR: '1' });
    expect(stopped.status, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(
      new RegExp(
        `^✓ Stopped run ${runId} \\(stopped with baton stop on \\S+ \\(pid \\d+\\)\\)\\.\nNext: baton resume ${runId} continues it\\.\n$`,
      ),
    );
    const runs = project.json<{ runId: string; status: string }[]>(['runs'], env);
    expect(runs.map((listed) => [listed.runId, listed.status])).toEqual([[runId, 'interrupted']]);
  });

  it('says what is wrong with the worker’s options, and with a pool that has no worker for a stage', async () => {
    const project = poolProject();
    // A database of its own: no worker of another test in its pool.
    const env = { BATON_DATABASE_URL: await server.createDatabase('scale_run_refusals') };
    expect(project.baton(['worker', '--slots', '0'], env).stderr).toContain(
      'worker: --slots takes a whole number of stages, 1 or more (got "0").',
    );
    expect(project.baton(['worker', '--poll-ms', '2'], env).stderr).toContain(
      'worker: --poll-ms takes a whole number of milliseconds from 5 to 60000 (got "2").',
    );
    const none = project.baton(['worker', '--runtimes', 'nothing-here', '--name', 'w'], env);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('Worker w has no runtime to offer: nothing-here');
    expect(project.baton(['run', '--remote', '--local', 'x'], env).stderr).toContain(
      'choose one of --remote (the worker pool) and --local (this machine)',
    );
    expect(project.baton(['scale', 'init'], env).status).toBe(0);
    const refused = project.baton(['run', 'Write the notes'], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('no worker of the pool offers a runtime for');
  });
});
