/**
 * Which files a stage changed, for `baton show`: the workspace's git status is read before the
 * stage starts and after it ends, and a file counts when its state differs between the two
 * (so files the user had already changed are not put on the stage, unless it changed them
 * further). Read-only: git runs with optional locks off, so it never writes the user's index.
 * Outside a git work tree (or when git cannot tell) the answer is `null`: unknown.
 */
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@baton/core';

/** Most files listed per stage; a stage that changed more says how many were left out. */
export const MAX_LISTED_FILES = 200;
const GIT_TIMEOUT_MS = 10_000;
const MAX_GIT_OUTPUT = 8 * 1024 * 1024;

export type FileChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'untracked' | 'other';

export interface ChangedFile {
  readonly path: string;
  readonly status: FileChangeStatus;
  /** Lines added and removed against the last commit; `null` for binary or untracked files. */
  readonly added: number | null;
  readonly removed: number | null;
}

export interface WorkspaceChanges {
  /** How the changes were found: the workspace's git status before and after the stage. */
  readonly source: 'git-status';
  readonly files: readonly ChangedFile[];
  /** Changed files beyond `MAX_LISTED_FILES`, not listed. */
  readonly omitted: number;
}

interface FileState {
  readonly status: FileChangeStatus;
  readonly added: number | null;
  readonly removed: number | null;
  /** What tells two states of a file apart: the status line, the line counts, size and mtime. */
  readonly signature: string;
}

/** The git-visible state of the workspace: every file that differs from the last commit. */
export type WorkspaceState = ReadonlyMap<string, FileState>;

/** The workspace's state, or `null` when it is not a git work tree or git cannot tell. */
export async function readWorkspaceState(
  cwd: string,
  env: Environment,
): Promise<WorkspaceState | null> {
  const status = await git(cwd, env, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (status === null) return null;
  // A repository without a commit yet has no HEAD to compare with: no line counts then.
  // `diff-index`, not `diff`: porcelain `git diff` rewrites the user's index to refresh its
  // stat data, optional locks or not; the plumbing command only reads it.
  const numstat = (await git(cwd, env, ['diff-index', '--numstat', '-z', 'HEAD'])) ?? '';
  const counts = parseNumstat(numstat);
  const state = new Map<string, FileState>();
  for (const entry of parseStatus(status)) {
    const count = counts.get(entry.path);
    let stat = '';
    try {
      const info = lstatSync(join(cwd, entry.path));
      stat = `${info.size}:${info.mtimeMs}`;
    } catch {
      stat = 'absent';
    }
    state.set(entry.path, {
      status: entry.status,
      added: count?.added ?? null,
      removed: count?.removed ?? null,
      signature: `${entry.code}|${count?.added ?? '-'}|${count?.removed ?? '-'}|${stat}`,
    });
  }
  return state;
}

/** The files whose state differs between `before` and `after`; `null` when either is unknown. */
export function changesBetween(
  before: WorkspaceState | null,
  after: WorkspaceState | null,
): WorkspaceChanges | null {
  if (before === null || after === null) return null;
  const changed: ChangedFile[] = [];
  for (const [path, state] of after) {
    if (before.get(path)?.signature !== state.signature) {
      changed.push({ path, status: state.status, added: state.added, removed: state.removed });
    }
  }
  // A file the user had changed that the stage put back as it was in the last commit.
  for (const path of before.keys()) {
    if (!after.has(path)) changed.push({ path, status: 'other', added: 0, removed: 0 });
  }
  changed.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
  return {
    source: 'git-status',
    files: changed.slice(0, MAX_LISTED_FILES),
    omitted: Math.max(changed.length - MAX_LISTED_FILES, 0),
  };
}

/** Changes in their journal form (snake_case). */
export function changesToWire(changes: WorkspaceChanges | null): Record<string, unknown> | null {
  if (changes === null) return null;
  return {
    source: changes.source,
    files: changes.files.map((file) => ({ ...file })),
    omitted: changes.omitted,
  };
}

function git(cwd: string, env: Environment, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.quotepath=off', ...args],
      {
        cwd,
        encoding: 'utf8',
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: MAX_GIT_OUTPUT,
        // Optional locks off: `git status` then never refreshes (writes) the user's index.
        env: { ...env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
      },
      (error, stdout) => resolve(error ? null : stdout),
    );
  });
}

function parseStatus(output: string): { path: string; code: string; status: FileChangeStatus }[] {
  const entries: { path: string; code: string; status: FileChangeStatus }[] = [];
  const fields = output.split('\0');
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    const path = field.slice(3);
    // A rename or copy is followed by the original path, in a field of its own.
    if (code.includes('R') || code.includes('C')) index += 1;
    entries.push({ path, code, status: statusOf(code) });
  }
  return entries;
}

function statusOf(code: string): FileChangeStatus {
  if (code === '??') return 'untracked';
  if (code.includes('R')) return 'renamed';
  if (code.includes('D')) return 'deleted';
  if (code.includes('A')) return 'added';
  if (code.includes('M') || code.includes('T')) return 'modified';
  return 'other';
}

function parseNumstat(
  output: string,
): Map<string, { added: number | null; removed: number | null }> {
  const counts = new Map<string, { added: number | null; removed: number | null }>();
  const fields = output.split('\0');
  for (let index = 0; index < fields.length; index++) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(fields[index]!);
    if (!match) continue;
    let path = match[3]!;
    // A rename: the path field is empty and the old and new paths follow.
    if (path === '') {
      path = fields[index + 2] ?? '';
      index += 2;
    }
    counts.set(path, {
      added: match[1] === '-' ? null : Number(match[1]),
      removed: match[2] === '-' ? null : Number(match[2]),
    });
  }
  return counts;
}
