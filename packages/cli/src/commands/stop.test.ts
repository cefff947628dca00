/**
 * `baton stop` of a run of this machine, from another command: the run's process stops it as
 * Ctrl-C does (the stage's agent stopped, the run journaled interrupted), and it resumes.
 * The built CLI as real subprocesses, with fake runtimes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BIN, MIXED_ROUTING, RunProject } from '../test-support/run-project.js';
import { waitFor } from '../test-support/wait.js';

let project: RunProject;
const children: ChildProcess[] = [];

beforeEach(() => {
  project = new RunProject();
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const pid of project.survivors()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(project.root, { recursive: true, force: true });
});

describe('baton stop', () => {
  it('stops a run of this machine as Ctrl-C does, and baton resume continues it', async () => {
    const startedFile = join(project.root, 'execute.started');
    project.plan({ execute: { attempts: [{ hang: true, startedFile }, {}] } });
    const child = spawn(process.execPath, [CLI_BIN, 'run', 'Write the notes'], {
      cwd: project.root,
      env: project.env,
      stdio: 'ignore',
    });
    children.push(child);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => existsSync(startedFile));
    const runId = project.latestRunId();

    const stopped = project.baton(['stop', runId.slice(0, 12), '--json']);
    expect(stopped.status, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toEqual({
      runId,
      status: 'interrupted',
      cause: 'interrupted by SIGINT',
    });
    expect(await exit).toBe(130);
    await waitFor(() => project.survivors().length === 0, 10_000);

    const again = project.baton(['stop', runId]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`Run ${runId} is interrupted: it does not run.`);
    const unknown = project.baton(['stop', 'r-nothing-like-it']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('r-nothing-like-it');

    const resumed = project.baton(['resume', runId]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Run ${runId} succeeded`);
  });

  it('says a run waiting for an answer runs nothing, and how to end it', () => {
    project.config(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = ["interview", { human = "Approve?" }, "execute"]\n`,
    );
    const waiting = project.baton(['run', '--mission', 'reviewed', 'g']);
    expect(waiting.status).toBe(1);
    const runId = project.latestRunId();
    const stop = project.baton(['stop', runId]);
    expect(stop.status).toBe(1);
    expect(stop.stderr).toContain(
      `Run ${runId} waits for an answer, so nothing of it runs; to end it, reject it: baton resume ${runId} --reject "<why>"`,
    );
  });
});
