/**
 * The workspace is where Baton is run: the nearest folder with a `baton.toml` or a `.git`
 * above the current directory, or `--workspace DIR`. Runs work and journal there, whatever
 * file `--config` names, so `baton runs` in the project shows them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunProject } from './test-support/run-project.js';

let project: RunProject;
let elsewhere: string;

beforeEach(() => {
  project = new RunProject();
  elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'baton-workspace-')));
});

afterEach(() => {
  rmSync(elsewhere, { recursive: true, force: true });
  expect(project.cleanup(), 'runtime processes still running').toEqual([]);
});

const single = `[orchestrator]\nruntime_backend = "codex"\n[missions.one]\nsteps = ["interview"]\n`;

describe('the workspace', () => {
  it('is the git root above the current directory, even when --config names a file elsewhere', () => {
    const repo = join(elsewhere, 'repo');
    const deep = join(repo, 'src', 'lib');
    mkdirSync(deep, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    project.config(single);
    const config = join(project.root, 'baton.toml');

    const run = project.baton(
      ['run', 'Work here', '--mission', 'one', '--config', config],
      {},
      deep,
    );
    expect(run.status, run.stderr).toBe(0);
    // The runtime worked in the repository, and the journal is the repository's.
    expect(project.invocations().map((invocation) => invocation.cwd)).toEqual([repo]);
    expect(existsSync(join(repo, '.baton', 'journal.db'))).toBe(true);
    expect(existsSync(join(project.root, '.baton'))).toBe(false);
    // baton runs in the project (any folder of it, no --config) shows the run.
    const runs = project.json<{ goal: string }[]>(['runs'], {}, join(repo, 'src'));
    expect(runs.map((entry) => entry.goal)).toEqual(['Work here']);
    expect(project.json<unknown[]>(['runs'], {}, project.root)).toEqual([]);
  });

  it('is the nearest folder with a baton.toml, from any folder below it', () => {
    project.config(single);
    const below = join(project.root, 'a', 'b');
    mkdirSync(below, { recursive: true });
    expect(project.baton(['run', 'From below', '--mission', 'one'], {}, below).status).toBe(0);
    expect(existsSync(join(project.root, '.baton', 'journal.db'))).toBe(true);
    expect(existsSync(join(below, '.baton'))).toBe(false);
    const run = project.json<{ goal: string }[]>(['runs'], {}, below);
    expect(run.map((entry) => entry.goal)).toEqual(['From below']);
  });

  it('is the folder --workspace names: its baton.toml configures the run, its .baton journals it', () => {
    project.config(single);
    const result = project.baton(
      ['run', 'Named', '--mission', 'one', '--workspace', project.root],
      {},
      elsewhere,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(project.root, '.baton', 'journal.db'))).toBe(true);
    expect(existsSync(join(elsewhere, '.baton'))).toBe(false);
    const runs = project.json<{ runId: string }[]>(
      ['runs', '--workspace', project.root],
      {},
      elsewhere,
    );
    expect(runs).toHaveLength(1);
    const shown = project.baton(
      ['show', runs[0]!.runId, '--workspace', project.root],
      {},
      elsewhere,
    );
    expect(shown.status).toBe(0);
    const missing = project.baton(['runs', '--workspace', join(elsewhere, 'nope')], {}, elsewhere);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      `baton: --workspace ${join(elsewhere, 'nope')}: there is no folder ${join(elsewhere, 'nope')}.\n`,
    );
  });
});
