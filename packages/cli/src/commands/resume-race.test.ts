/**
 * Two `baton resume` of one run: the claim is atomic, so exactly one process drives the run,
 * the other is refused ("being resumed by pid N", exit 1), the stage runs once, and the
 * journal replays. The built CLI as real subprocesses, in a temporary project whose runtimes
 * are fake executables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BIN, RunProject } from '../test-support/run-project.js';
import { waitFor } from '../test-support/wait.js';

const CLI_PACKAGE = join(dirname(CLI_BIN), '..');

let project: RunProject;
const children: ChildProcess[] = [];

beforeEach(() => {
  project = new RunProject();
});

afterEach(() => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  for (const pid of project.survivors()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(project.root, { recursive: true, force: true });
});

/** The stages the fake runtimes were started for, in order. */
function invokedStages(): string[] {
  return project.invocations().map((invocation) => invocation.stage);
}

function startBaton(args: string[]) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: project.root,
    env: project.env,
    stdio: 'ignore',
  });
  children.push(child);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit };
}

/** The run's row in the journal, read as any other reader would. */
function runRow(runId: string): { status: string; owner_pid: number | null } {
  const db = new DatabaseSync(join(project.root, '.baton', 'journal.db'), { readOnly: true });
  try {
    return db.prepare('SELECT status, owner_pid FROM runs WHERE run_id = ?').get(runId) as {
      status: string;
      owner_pid: number | null;
    };
  } finally {
    db.close();
  }
}

/** A run interrupted by Ctrl-C in its interview stage; returns its id. */
async function interruptedRun(): Promise<string> {
  const startedFile = join(project.root, 'interview.started');
  project.plan({ interview: { hang: true, startedFile } });
  const { child, exit } = startBaton(['run', 'Race me']);
  await waitFor(() => existsSync(startedFile));
  child.kill('SIGINT');
  expect(await exit).toBe(130);
  const runs = JSON.parse(project.baton(['runs', '--json']).stdout) as {
    runId: string;
    status: string;
  }[];
  expect(runs[0]!.status).toBe('interrupted');
  return runs[0]!.runId;
}

describe('two baton resume of one run', () => {
  it('refuses the second while the first, paused right after its claim, holds the run', async () => {
    const runId = await interruptedRun();
    project.plan({});
    // A resumer stopped between its claim and its first event: the claim is all the journal
    // shows of it (the run still reads "interrupted").
    const claimer = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Journal, journalPath, currentProcess } from '@baton/run';
         const journal = Journal.open(journalPath(process.argv[1]));
         journal.claim(process.argv[2], currentProcess(), () => {});
         process.kill(process.pid, 'SIGSTOP');`,
        project.root,
        runId,
      ],
      { cwd: CLI_PACKAGE, stdio: 'inherit' },
    );
    children.push(claimer);
    await waitFor(() => runRow(runId).owner_pid === claimer.pid);
    expect(runRow(runId).status).toBe('interrupted');
    const before = invokedStages().length;

    const second = project.baton(['resume', runId]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`Run ${runId} is being resumed by pid ${claimer.pid}`);
    expect(invokedStages().length).toBe(before);

    // Once the claimer is gone, the run can be resumed, and runs each remaining stage once.
    claimer.kill('SIGKILL');
    await new Promise((resolve) => claimer.once('exit', resolve));
    const resumed = project.baton(['resume', runId, '--json']);
    expect(resumed.status).toBe(0);
    expect(invokedStages().slice(before)).toEqual(['interview', 'execute', 'evaluate', 'reflect']);
    expect(project.baton(['replay', runId]).status).toBe(0);
  }, 60_000);

  it('refuses the second while the first is paused in its stage; the stage runs once', async () => {
    const runId = await interruptedRun();
    project.plan({ interview: { sleepMs: 1500 } });
    const before = invokedStages().length;
    const first = startBaton(['resume', runId]);
    // Paused as soon as its claim shows in the journal.
    await waitFor(() => runRow(runId).owner_pid === first.child.pid, 30_000);
    first.child.kill('SIGSTOP');

    const second = project.baton(['resume', runId]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`Run ${runId} is being (run or )?resumed by pid ${first.child.pid}`),
    );

    first.child.kill('SIGCONT');
    expect(await first.exit).toBe(0);
    // The interrupted interview ran again once (for the first resumer only), then the rest.
    expect(invokedStages().slice(before)).toEqual(['interview', 'execute', 'evaluate', 'reflect']);
    const replay = project.baton(['replay', runId, '--json']);
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ matches: true, status: 'succeeded' });
  }, 60_000);
});
