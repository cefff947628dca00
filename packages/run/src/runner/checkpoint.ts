/**
 * Workspace checkpoints: the state of the workspace when a stage starts, so that a retry or
 * a fallback starts from exactly that state, and the work of an attempt given up is kept in
 * a ref the user can `git diff`, never discarded.
 *
 * In a git work tree a snapshot is a commit object made with a temporary index of Baton's
 * own (`GIT_INDEX_FILE` in a private directory): tracked and untracked files as they are,
 * plus ignored files that are not inside an ignored directory (so `.env` is kept,
 * `node_modules/` is not), written with `write-tree` and `commit-tree` on top of HEAD and
 * kept under `refs/baton/<run-id>/…`. The user's index, HEAD, branches and stash list are
 * never touched: no porcelain command runs, no ref outside `refs/baton/` is written.
 * Restoring writes back the files that differ from the checkpoint and deletes the files the
 * checkpoint did not have (never inside an ignored directory, never Baton's own `.baton/`).
 *
 * Outside a git work tree nothing can be restored; a manifest of the files (path, size,
 * modification time), bounded, tells whether a failed attempt changed anything at all.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Environment } from '@baton/core';
import { JOURNAL_DIRECTORY } from '../journal/location.js';

const GIT_TIMEOUT_MS = 120_000;
const MAX_GIT_OUTPUT = 64 * 1024 * 1024;
/** Ignored files larger than this are left out of a snapshot (and said so): a database, a build. */
export const MAX_IGNORED_FILE_BYTES = 16 * 1024 * 1024;
/** Files a manifest lists before it gives up ("cannot tell"). */
export const MAX_MANIFEST_FILES = 20_000;

/** A recorded state of the workspace. */
export interface Snapshot {
  /** The git tree of the files. */
  readonly tree: string;
  /** The commit holding it (parent: HEAD when there is one). */
  readonly commit: string;
  /** Ignored files left out for their size. */
  readonly skipped: readonly string[];
}

/** `refs/baton/<run-id>/<step>-<stage>-<loop>/<name>`: where a stage's snapshots are kept. */
export function checkpointRef(
  runId: string,
  stage: { readonly step: number; readonly stage: string; readonly loop: number },
  name: string,
): string {
  return `refs/baton/${runId}/${stage.step}-${stage.stage}-${stage.loop}/${name}`;
}

export class GitError extends Error {}

/** A git work tree Baton can snapshot and restore without touching the user's own state. */
export class GitWorkspace {
  /** The work tree's top directory. */
  readonly top: string;
  private readonly env: Environment;
  /** Paths (relative to `top`, `/`-separated) Baton never snapshots nor restores. */
  private readonly excluded: readonly string[];
  /** Those of them .gitignore does not ignore: left out of `add` by an exclude pathspec. */
  private readonly unignored: readonly string[];

  private constructor(
    top: string,
    env: Environment,
    excluded: readonly string[],
    unignored: readonly string[],
  ) {
    this.top = top;
    this.env = env;
    this.excluded = excluded;
    this.unignored = unignored;
  }

  /** The git work tree `cwd` is in, or `null` when it is in none (or git cannot run). */
  static async open(cwd: string, env: Environment): Promise<GitWorkspace | null> {
    let top: string;
    try {
      const inside = (await runGit(cwd, env, ['rev-parse', '--is-inside-work-tree'])).trim();
      if (inside !== 'true') return null;
      top = (await runGit(cwd, env, ['rev-parse', '--show-toplevel'])).trim();
    } catch {
      return null;
    }
    const journal = relative(top, join(cwd, JOURNAL_DIRECTORY));
    const excluded =
      journal.startsWith('..') || isAbsolute(journal) ? [] : [journal.split(sep).join('/')];
    // `git add` refuses an exclude pathspec naming a path .gitignore ignores (it says the
    // path is ignored, and fails); an ignored `.baton` is left out of `add -A` anyway.
    const unignored: string[] = [];
    for (const path of excluded) {
      try {
        await runGit(top, env, ['check-ignore', '--quiet', '--', path]);
      } catch {
        unignored.push(path);
      }
    }
    return new GitWorkspace(top, env, excluded, unignored);
  }

  /** The workspace as it is now, as a commit object (not yet under any ref). */
  async snapshot(message: string): Promise<Snapshot> {
    const scratch = mkdtempSync(join(tmpdir(), 'baton-checkpoint-'));
    try {
      const index = join(scratch, 'index');
      const env = { GIT_INDEX_FILE: index };
      // Starting from a copy of the user's index makes `add` re-read only the files whose
      // stat changed; the copy is Baton's own, the user's index is only read.
      const userIndex = (await this.git(['rev-parse', '--git-path', 'index'])).trim();
      const userIndexPath = isAbsolute(userIndex) ? userIndex : join(this.top, userIndex);
      const head = await this.head();
      if (existsSync(userIndexPath)) {
        copyFileSync(userIndexPath, index);
        // With its own time: git re-reads a file whose timestamp is not older than its index
        // ("racy git"), and a copy dated now would hide a change made in the same second as
        // the user's last `git add` that kept the file's size.
        const { atime, mtime } = statSync(userIndexPath);
        utimesSync(index, atime, mtime);
      } else if (head !== null) await this.git(['read-tree', head], env);
      await this.git(['add', '-A', '--', ':/', ...this.excludes()], env);
      const skipped = await this.addIgnoredFiles(env);
      const tree = (await this.git(['write-tree'], env)).trim();
      const commit = (
        await this.git(
          [
            'commit-tree',
            '--no-gpg-sign',
            ...(head === null ? [] : ['-p', head]),
            '-m',
            message,
            tree,
          ],
          env,
        )
      ).trim();
      return { tree, commit, skipped };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Keeps `snapshot` under `ref` (a `refs/baton/…` name). */
  async keep(ref: string, snapshot: Snapshot): Promise<void> {
    if (!ref.startsWith('refs/baton/')) throw new GitError(`refusing to write ${ref}`);
    await this.git(['update-ref', ref, snapshot.commit]);
  }

  /** The commit a `refs/baton/…` ref names and its tree, or `null` when there is no such ref. */
  async read(ref: string): Promise<{ commit: string; tree: string } | null> {
    try {
      const commit = (
        await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
      ).trim();
      const tree = (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{tree}`])).trim();
      return commit === '' || tree === '' ? null : { commit, tree };
    } catch {
      return null;
    }
  }

  /** Paths that differ between two trees. */
  async changedPaths(from: string, to: string): Promise<string[]> {
    const output = await this.git([
      'diff-tree',
      '-r',
      '-z',
      '--no-renames',
      '--name-only',
      from,
      to,
    ]);
    return output.split('\0').filter((path) => path !== '');
  }

  /**
   * Puts the workspace back to `checkpoint` from `current` (a snapshot of it as it is now):
   * writes the files that differ, deletes those the checkpoint did not have.
   */
  async restore(
    checkpointTree: string,
    currentTree: string,
  ): Promise<{ written: number; deleted: number }> {
    const output = await this.git([
      'diff-tree',
      '-r',
      '-z',
      '--no-renames',
      '--name-status',
      checkpointTree,
      currentTree,
    ]);
    const fields = output.split('\0').filter((field) => field !== '');
    const write: string[] = [];
    const remove: string[] = [];
    for (let index = 0; index + 1 < fields.length; index += 2) {
      const status = fields[index]!;
      const path = fields[index + 1]!;
      if (this.isExcluded(path)) continue;
      // From the checkpoint to now: A = added since (delete it), D = deleted since (write it
      // back), M/T = changed since (write it back).
      if (status.startsWith('A')) remove.push(path);
      else write.push(path);
    }
    for (const path of remove) {
      const absolute = join(this.top, path);
      try {
        if (lstatSync(absolute).isDirectory()) continue;
        unlinkSync(absolute);
      } catch {
        // Already gone.
      }
    }
    if (write.length > 0) {
      const scratch = mkdtempSync(join(tmpdir(), 'baton-restore-'));
      try {
        const env = { GIT_INDEX_FILE: join(scratch, 'index') };
        await this.git(['read-tree', checkpointTree], env);
        // A path that is a directory now but a file in the checkpoint (or the reverse) is
        // replaced: checkout-index --force removes what is in the way.
        await this.git(
          ['checkout-index', '--force', '-z', '--stdin'],
          env,
          `${write.join('\0')}\0`,
        );
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    return { written: write.length, deleted: remove.length };
  }

  private async head(): Promise<string | null> {
    try {
      const head = (await this.git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
      return head === '' ? null : head;
    } catch {
      return null;
    }
  }

  /** Adds the ignored files that are not inside an ignored directory; returns the ones too large. */
  private async addIgnoredFiles(env: Record<string, string>): Promise<string[]> {
    const listed = await this.git(
      [
        'ls-files',
        '-z',
        '--others',
        '--ignored',
        '--exclude-standard',
        '--directory',
        '--',
        ':/',
        ...this.excludes(),
      ],
      env,
    );
    const files: string[] = [];
    const skipped: string[] = [];
    for (const path of listed.split('\0')) {
      // A directory entry (`node_modules/`): everything in it is ignored, and left out.
      if (path === '' || path.endsWith('/')) continue;
      if (this.isExcluded(path)) continue;
      let size: number;
      try {
        const stats = lstatSync(join(this.top, path));
        if (!stats.isFile() && !stats.isSymbolicLink()) continue;
        size = stats.size;
      } catch {
        continue;
      }
      if (size > MAX_IGNORED_FILE_BYTES) skipped.push(path);
      else files.push(path);
    }
    if (files.length > 0) {
      await this.git(
        ['add', '--force', '--pathspec-from-file=-', '--pathspec-file-nul'],
        env,
        `${files.map(literalPathspec).join('\0')}\0`,
      );
    }
    return skipped;
  }

  private isExcluded(path: string): boolean {
    return this.excluded.some((excluded) => path === excluded || path.startsWith(`${excluded}/`));
  }

  private excludes(): string[] {
    return this.unignored.map((path) => `:(exclude,top,literal)${path}`);
  }

  private git(
    args: readonly string[],
    extra: Record<string, string> = {},
    input?: string,
  ): Promise<string> {
    return runGit(this.top, { ...this.env, ...extra }, args, input === undefined ? {} : { input });
  }
}

function literalPathspec(path: string): string {
  return `:(top,literal)${path}`;
}

/** How `runGit` runs one command. */
export interface GitOptions {
  /** Written to git's stdin. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Applied to git's own words before they go into an error (credentials in a remote). */
  readonly redact?: (text: string) => string;
}

/**
 * Runs git as Baton does everywhere: paths unquoted, no fsmonitor, split index or optional
 * locks (a user's repository is only read, never reorganised), the C locale, Baton as the
 * author of its own commits, bounded in time and output. A failure says which command failed
 * and git's last lines.
 */
export function runGit(
  cwd: string,
  env: Environment,
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [
        '-c',
        'core.quotepath=off',
        '-c',
        'core.fsmonitor=false',
        '-c',
        'core.splitIndex=false',
        ...args,
      ],
      {
        cwd,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
        maxBuffer: MAX_GIT_OUTPUT,
        env: {
          ...env,
          GIT_OPTIONAL_LOCKS: '0',
          GIT_TERMINAL_PROMPT: '0',
          LC_ALL: 'C',
          // commit-tree needs a name; these are Baton's snapshots, not the user's commits.
          GIT_AUTHOR_NAME: 'Baton',
          GIT_AUTHOR_EMAIL: 'baton@localhost',
          GIT_COMMITTER_NAME: 'Baton',
          GIT_COMMITTER_EMAIL: 'baton@localhost',
        },
      },
      (error, stdout, stderr) => {
        if (error) {
          const detail =
            String(stderr ?? '')
              .trim()
              .split('\n')
              .slice(-3)
              .join(' ') || error.message;
          reject(new GitError(`git ${args[0]} failed: ${options.redact?.(detail) ?? detail}`));
        } else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A manifest of a directory outside git: its files' paths, sizes and modification times. */
export type Manifest =
  | { readonly digest: string; readonly files: number }
  | { readonly overflow: true; readonly files: number };

/**
 * The manifest of `root` (Baton's own `.baton/` left out), or `overflow` past `limit` files:
 * too many to tell a change apart.
 */
export function readManifest(root: string, limit = MAX_MANIFEST_FILES): Manifest {
  const entries: string[] = [];
  const walk = (directory: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(directory).sort();
    } catch {
      return true;
    }
    for (const name of names) {
      const path = join(directory, name);
      const rel = relative(root, path);
      if (rel === JOURNAL_DIRECTORY) continue;
      let stats: ReturnType<typeof statSync>;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) {
        if (!walk(path)) return false;
        continue;
      }
      entries.push(`${rel}\0${stats.size}\0${stats.mtimeMs}`);
      if (entries.length > limit) return false;
    }
    return true;
  };
  if (!walk(root)) return { overflow: true, files: entries.length };
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(`${entry}\n`);
  return { digest: hash.digest('hex'), files: entries.length };
}
