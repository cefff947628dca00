import {
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { BatonError, locateWorkspace } from '@baton/core';

export const JOURNAL_DIRECTORY = '.baton';
export const JOURNAL_FILE = 'journal.db';

/** The journal of a workspace: `.baton/journal.db` in it. */
export function journalPath(projectRoot: string): string {
  return join(projectRoot, JOURNAL_DIRECTORY, JOURNAL_FILE);
}

/**
 * The workspace without loading (and validating) its config, for commands that only read the
 * journal: `--workspace DIR`, else the nearest folder with a `baton.toml` or a `.git` — the
 * rule the config loader uses (core's `locateWorkspace`). `--config` does not move it.
 */
export function locateProjectRoot(options: {
  readonly cwd: string;
  readonly workspace?: string | undefined;
}): string {
  return locateWorkspace(options);
}

/**
 * Makes sure `.baton/` can hold the journal, and says clearly why not. Baton creates the
 * folder (private) itself when it is missing, and only then writes its `.gitignore`, so the
 * journal never lands in a commit. A `.baton` that already exists is used as it is: Baton
 * writes no ignore file through a symbolic link (a `.baton` pointing at the project itself
 * would otherwise ignore the whole repository) nor into a folder someone else made.
 */
export function ensureJournalDirectory(projectRoot: string): string {
  const directory = join(projectRoot, JOURNAL_DIRECTORY);
  try {
    mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw folderFailure(directory, error);
    checkExistingFolder(directory);
    return directory;
  }
  try {
    writeFileAtomically(join(directory, '.gitignore'), '*\n');
  } catch (error) {
    // Leave no `.baton` without its ignore file: the next run creates both again.
    try {
      rmdirSync(directory);
    } catch {
      // Not empty: someone else is using it already.
    }
    throw folderFailure(directory, error);
  }
  return directory;
}

/** A `.baton` that exists must be a folder, or a link to one. */
function checkExistingFolder(directory: string): void {
  const link = lstatSync(directory);
  if (link.isSymbolicLink()) {
    let target: string;
    try {
      target = readlinkSync(directory);
    } catch {
      target = '?';
    }
    let stats: Stats;
    try {
      stats = statSync(directory);
    } catch (error) {
      throw new BatonError(
        'JOURNAL_UNAVAILABLE',
        `${directory} is a symbolic link to ${target}, which ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be reached (${(error as Error).message})`}. ` +
          `Baton keeps its journal there: create that folder, or remove the link so Baton creates ${JOURNAL_DIRECTORY}/ itself.`,
        { cause: error, details: { path: directory, target } },
      );
    }
    if (!stats.isDirectory())
      throw notAFolder(directory, `a symbolic link to ${target}, which is not a folder`);
    return;
  }
  if (!link.isDirectory()) throw notAFolder(directory, 'a file, not a folder');
}

function notAFolder(directory: string, what: string): BatonError {
  return new BatonError(
    'JOURNAL_UNAVAILABLE',
    `${directory} is ${what}. Baton keeps its journal in a ${JOURNAL_DIRECTORY}/ folder there: move it aside, and Baton creates the folder.`,
    { details: { path: directory } },
  );
}

function folderFailure(directory: string, error: unknown): BatonError {
  const code = (error as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full. Free some space, then try again'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `no write access to ${dirname(directory)}. Make it writable by you, then try again`
        : `${(error as Error).message}`;
  return new BatonError(
    'JOURNAL_UNAVAILABLE',
    `Cannot create ${directory} for the journal: ${what}.`,
    {
      cause: error,
      details: { path: directory },
    },
  );
}

/** Writes a whole file or none: a temporary file beside it, renamed over it once complete. */
function writeFileAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
