/**
 * The journal's folder as a user meets it: `.baton` as a file, a dangling link, a link to the
 * project itself, a folder Baton may only read, a row Baton did not write. The built CLI as a
 * subprocess, in a temporary project whose runtimes are fake executables.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  installFakeAdapterPackages,
  writeFakeBinaries,
} from '../../../run/src/test-support/fake-adapters.mjs';
import { CLI_BIN } from '../test-support/project.js';

let root: string;
let env: Record<string, string>;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-journal-folder-'));
  const bin = join(root, 'bin');
  writeFakeBinaries(bin);
  installFakeAdapterPackages(root);
  mkdirSync(join(root, 'state'));
  writeFileSync(
    join(root, 'baton.toml'),
    '[orchestrator.runtime_profile.stages]\ninterview = "codex"\nexecute = "opencode"\nevaluate = "claude"\nreflect = "hermes"\n',
  );
  writeFileSync(join(root, 'plan.json'), '{}');
  env = {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: root,
    XDG_CONFIG_HOME: join(root, 'xdg'),
    FAKE_PLAN: join(root, 'plan.json'),
    FAKE_STATE_DIR: join(root, 'state'),
  };
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  rmSync(root, { recursive: true, force: true });
});

function baton(args: string[]) {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function succeededRun(): string {
  const run = baton(['run', 'Add a --verbose flag', '--json']);
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { runId: string }).runId;
}

/** No stack frame in what a user sees. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/**
 * Makes a folder unwritable in a way that binds this process: `chattr +i` for root (which
 * ignores permission bits), the permission bits for anyone else. Checked by trying to write.
 */
function makeUnwritable(folder: string): void {
  if (process.getuid?.() === 0) {
    const result = spawnSync('chattr', ['+i', folder], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`chattr +i failed: ${result.stderr}`);
    cleanups.push(() => {
      spawnSync('chattr', ['-i', folder]);
    });
  } else {
    chmodSync(folder, 0o500);
    cleanups.push(() => chmodSync(folder, 0o700));
  }
  expect(() => writeFileSync(join(folder, 'probe'), ''), 'the folder must refuse writes').toThrow();
}

describe('the journal folder', () => {
  it('a .baton that is a file: baton run says what to do, exit 1, the file untouched', () => {
    writeFileSync(join(root, '.baton'), 'mine\n');
    const result = baton(['run', 'Add a --verbose flag']);
    expect(result.status).toBe(1);
    expect(readFileSync(join(root, '.baton'), 'utf8')).toBe('mine\n');
    expect(result.stderr).toContain(
      `${join(root, '.baton')} is a file, not a folder. Baton keeps its journal in a .baton/ folder there: move it aside, and Baton creates the folder.`,
    );
    expectNoStack(result.stderr);
  });

  it('a dangling .baton link: baton run says what to do, exit 1', () => {
    symlinkSync(join(root, 'elsewhere'), join(root, '.baton'));
    const result = baton(['run', 'Add a --verbose flag']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${join(root, '.baton')} is a symbolic link to ${join(root, 'elsewhere')}, which does not exist.`,
    );
    expectNoStack(result.stderr);
  });

  it('a .baton link to the project itself: the run works and no .gitignore appears at the root', () => {
    symlinkSync('.', join(root, '.baton'));
    succeededRun();
    expect(existsSync(join(root, '.gitignore'))).toBe(false);
  });

  it('a read-only .baton: runs, events and replay still read the journal', () => {
    const runId = succeededRun();
    const folder = join(root, '.baton');
    rmSync(join(folder, 'scratch'), { recursive: true, force: true });
    makeUnwritable(folder);
    const before = readdirSync(folder).sort();

    const runs = baton(['runs', '--json']);
    expect(runs.status, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ runId, status: 'succeeded' }]);
    const events = baton(['events', runId, '--json']);
    expect(events.status, events.stderr).toBe(0);
    expect((JSON.parse(events.stdout) as unknown[]).length).toBeGreaterThan(10);
    const replay = baton(['replay', runId, '--json']);
    expect(replay.status, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ matches: true });
    expect(readdirSync(folder).sort()).toEqual(before);
  });

  it('a row whose payload is not JSON: events lists the others and names the row; replay reports it', () => {
    const runId = succeededRun();
    const db = new DatabaseSync(join(root, '.baton', 'journal.db'));
    db.exec('DROP TRIGGER events_are_append_only_update');
    db.prepare("UPDATE events SET payload = '{\"trunc' WHERE run_id = ? AND seq = 2").run(runId);
    const total = Number(
      (db.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?').get(runId) as { n: number })
        .n,
    );
    db.close();

    const events = baton(['events', runId]);
    expect(events.status, events.stderr).toBe(0);
    // The goal's line first, then one line per event (a note on cut texts may end the view).
    const lines = events.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((line) => /^\s+\d+ /.test(line));
    expect(lines).toHaveLength(total);
    expect(lines[1]).toMatch(
      new RegExp(`^\\s+2 .*journal row 2 of run ${runId} is corrupt: its payload is not JSON`),
    );
    expect(lines[0]).toMatch(/^\s+1 .*run\.started/);
    expectNoStack(events.stdout + events.stderr);

    const replay = baton(['replay', runId]);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain(`journal row 2 of run ${runId} is corrupt`);
    expectNoStack(replay.stdout + replay.stderr);
  });
});
