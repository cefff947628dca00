/**
 * Checkpoints in a real git repository: a snapshot, changes of every kind (tracked, untracked,
 * ignored, deleted, added, inside ignored directories, Baton's own `.baton/`), the abandoned
 * state kept in a ref, and the restore — while the user's index (with a staged change), stash
 * list, branches and HEAD stay byte for byte as they were.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointRef, GitWorkspace, readManifest } from './checkpoint.js';

let root: string;
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...env,
      HOME: root,
      GIT_AUTHOR_NAME: 'User',
      GIT_AUTHOR_EMAIL: 'user@example.com',
      GIT_COMMITTER_NAME: 'User',
      GIT_COMMITTER_EMAIL: 'user@example.com',
    },
  });
}

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

function read(path: string): string | null {
  return existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : null;
}

/** Everything of the user's git state that Baton must never change. */
function userState() {
  return {
    index: readFileSync(join(root, '.git', 'index')).toString('base64'),
    stash: git('stash', 'list'),
    branches: git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags'),
    head: read('.git/HEAD'),
    headCommit: git('rev-parse', 'HEAD'),
  };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-checkpoint-test-'));
  git('init', '-q', '-b', 'main');
  write('.gitignore', '*.log\nnode_modules/\n.env\n');
  write('tracked.txt', 'one\n');
  write('doomed.txt', 'to be deleted\n');
  write('src/code.ts', 'export const a = 1;\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  git('branch', 'feature');
  // A stash, then a staged change the worktree differs from again.
  write('tracked.txt', 'stashed\n');
  git('stash', '-q');
  write('tracked.txt', 'staged\n');
  git('add', 'tracked.txt');
  write('tracked.txt', 'staged, then edited\n');
  write('untracked.txt', 'mine\n');
  write('.env', 'TOKEN=abc\n');
  write('node_modules/pkg/index.js', 'module.exports = 1;\n');
  // Baton's own folder, as ensureJournalDirectory leaves it.
  write('.baton/.gitignore', '*\n');
  write('.baton/journal.db', 'journal v1');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('GitWorkspace', () => {
  it('is null outside a git work tree', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'baton-plain-'));
    try {
      expect(
        await GitWorkspace.open(plain, { ...env, GIT_CEILING_DIRECTORIES: tmpdir() }),
      ).toBeNull();
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('sees a change that kept the size and time of a file the user’s index holds as clean (racy git)', async () => {
    // A file rewritten in the same second as the user's last `git add`, with the same size:
    // only its content tells. (ctime is not trusted here, as some users configure; it would
    // differ anyway unless the write fell in that same second too.)
    git('config', 'core.trustctime', 'false');
    const file = join(root, 'src', 'code.ts');
    const then = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    utimesSync(file, then, then);
    git('add', 'src/code.ts');
    utimesSync(join(root, '.git', 'index'), then, then);
    const before = userState();
    const workspace = (await GitWorkspace.open(root, env))!;
    const checkpoint = await workspace.snapshot('checkpoint');
    expect(git('show', `${checkpoint.commit}:src/code.ts`)).toBe('export const a = 1;\n');

    writeFileSync(file, 'export const a = 2;\n');
    utimesSync(file, then, then);
    const abandoned = await workspace.snapshot('abandoned');
    expect(git('show', `${abandoned.commit}:src/code.ts`)).toBe('export const a = 2;\n');
    expect(abandoned.tree).not.toBe(checkpoint.tree);
    expect(userState()).toEqual(before);
  });

  it('snapshots, keeps the abandoned state in a ref, and restores the checkpoint exactly without touching the user’s git state', async () => {
    const before = userState();
    const workspace = (await GitWorkspace.open(root, env))!;
    expect(workspace).not.toBeNull();
    const checkpoint = await workspace.snapshot('checkpoint');
    const ref = checkpointRef('run-1', { step: 1, stage: 'execute', loop: 0 }, 'checkpoint');
    expect(ref).toBe('refs/baton/run-1/1-execute-0/checkpoint');
    await workspace.keep(ref, checkpoint);
    expect(userState()).toEqual(before);

    // What the checkpoint holds: tracked (worktree content), untracked, the ignored .env —
    // not node_modules, not .baton.
    const files = git('ls-tree', '-r', '--name-only', checkpoint.tree).trim().split('\n');
    expect(files.sort()).toEqual(
      ['.env', '.gitignore', 'doomed.txt', 'src/code.ts', 'tracked.txt', 'untracked.txt'].sort(),
    );
    expect(git('show', `${checkpoint.commit}:tracked.txt`)).toBe('staged, then edited\n');
    expect(git('rev-parse', `${checkpoint.commit}^`).trim()).toBe(before.headCommit.trim());

    // An attempt changes everything it can.
    write('tracked.txt', 'changed by the agent\n');
    rmSync(join(root, 'doomed.txt'));
    rmSync(join(root, 'untracked.txt'));
    write('src/new.ts', 'new\n');
    write('src/deep/er/file.ts', 'deep\n');
    write('.env', 'TOKEN=changed\n');
    write('debug.log', 'ignored, new\n');
    write('node_modules/pkg/index.js', 'module.exports = 2;\n');
    write('.baton/journal.db', 'journal v2');
    symlinkSync('tracked.txt', join(root, 'link'));

    const abandoned = await workspace.snapshot('abandoned');
    const abandonedRef = checkpointRef(
      'run-1',
      { step: 1, stage: 'execute', loop: 0 },
      '1-abandoned',
    );
    await workspace.keep(abandonedRef, abandoned);
    expect((await workspace.changedPaths(checkpoint.tree, abandoned.tree)).sort()).toEqual(
      [
        '.env',
        'debug.log',
        'doomed.txt',
        'link',
        'src/deep/er/file.ts',
        'src/new.ts',
        'tracked.txt',
        'untracked.txt',
      ].sort(),
    );
    // The abandoned work can be read back from its ref.
    expect(git('show', `${abandonedRef}:tracked.txt`)).toBe('changed by the agent\n');

    const result = await workspace.restore(checkpoint.tree, abandoned.tree);
    expect(result).toEqual({ written: 4, deleted: 4 });
    expect(read('tracked.txt')).toBe('staged, then edited\n');
    expect(read('doomed.txt')).toBe('to be deleted\n');
    expect(read('untracked.txt')).toBe('mine\n');
    expect(read('.env')).toBe('TOKEN=abc\n');
    expect(read('src/new.ts')).toBeNull();
    expect(read('src/deep/er/file.ts')).toBeNull();
    expect(read('debug.log')).toBeNull();
    expect(existsSync(join(root, 'link'))).toBe(false);
    // Ignored directories and Baton's folder are not the checkpoint's business.
    expect(read('node_modules/pkg/index.js')).toBe('module.exports = 2;\n');
    expect(read('.baton/journal.db')).toBe('journal v2');

    // A new snapshot equals the checkpoint again, and the user's state never moved.
    expect((await workspace.snapshot('again')).tree).toBe(checkpoint.tree);
    expect(userState()).toEqual(before);
    expect(git('for-each-ref', '--format=%(refname)', 'refs/baton').trim().split('\n')).toEqual([
      abandonedRef,
      ref,
    ]);
    expect(await workspace.read(ref)).toEqual({ commit: checkpoint.commit, tree: checkpoint.tree });
    expect(await workspace.read('refs/baton/run-1/none')).toBeNull();
  });

  it('leaves out a .baton that .gitignore ignores, and one it does not', async () => {
    write('.gitignore', '*.log\nnode_modules/\n.env\n.baton/\n');
    const ignoring = (await GitWorkspace.open(root, env))!;
    const first = await ignoring.snapshot('ignored');
    write('.gitignore', '*.log\nnode_modules/\n.env\n');
    rmSync(join(root, '.baton', '.gitignore'));
    const plain = (await GitWorkspace.open(root, env))!;
    const second = await plain.snapshot('not ignored');
    for (const tree of [first.tree, second.tree]) {
      expect(git('ls-tree', '-r', '--name-only', tree)).not.toContain('.baton');
      expect(git('ls-tree', '-r', '--name-only', tree)).toContain('untracked.txt');
    }
  });

  it('works in a repository without a commit and refuses refs outside refs/baton', async () => {
    rmSync(join(root, '.git'), { recursive: true, force: true });
    git('init', '-q');
    const workspace = (await GitWorkspace.open(root, env))!;
    const snapshot = await workspace.snapshot('first');
    expect(git('ls-tree', '-r', '--name-only', snapshot.tree)).toContain('tracked.txt');
    await expect(workspace.keep('refs/heads/main', snapshot)).rejects.toThrow(/refusing/);
    expect(git('for-each-ref')).toBe('');
  });
});

describe('readManifest', () => {
  it('changes when a file changes, not when .baton does, and overflows past its bound', () => {
    const first = readManifest(root);
    write('.baton/journal.db', 'journal v3');
    expect(readManifest(root)).toEqual(first);
    write('untracked.txt', 'mine, changed\n');
    expect(readManifest(root)).not.toEqual(first);
    expect(readManifest(root, 3)).toEqual({ overflow: true, files: 4 });
  });
});
