/**
 * What went wrong with the journal, in words a user can act on: SQLite's and the file
 * system's errors become BatonErrors that name the journal file and say what to do.
 */
import { dirname } from 'node:path';
import { BatonError } from '@baton/core';

/** SQLite's primary result codes that Baton tells apart (https://sqlite.org/rescode.html). */
const SQLITE = {
  PERM: 3,
  BUSY: 5,
  LOCKED: 6,
  READONLY: 8,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  NOTADB: 26,
} as const;

/** SQLite's primary result code of an error thrown by `node:sqlite`, or `null`. */
export function sqliteCode(error: unknown): number | null {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  // Extended codes carry the primary code in their low byte.
  return typeof code === 'number' ? code & 0xff : null;
}

function errno(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('E') ? code : null;
}

function reason(error: unknown): string {
  const text = (error as { errstr?: unknown; message?: unknown } | null)?.errstr;
  if (typeof text === 'string') return text;
  return error instanceof Error ? error.message : String(error);
}

export interface FailureContext {
  /** The journal file. */
  readonly path: string;
  /** What Baton was doing: `open`, `read`, `write to`. */
  readonly action: 'open' | 'read' | 'write to';
  /** How long Baton waited for another writer's lock. */
  readonly busyTimeoutMs: number;
  /** The run being written, so the message can say how to continue it. */
  readonly runId?: string | undefined;
}

/**
 * The BatonError for a failure of SQLite or the file system under the journal that the user
 * can act on. Anything else (a BatonError, a bug) is returned unchanged. The cause is kept for `BATON_DEBUG`; the
 * message says what happened and what to do.
 */
export function journalFailure(error: unknown, context: FailureContext): unknown {
  if (BatonError.isInstance(error)) return error;
  const { path, action } = context;
  const details = { path, ...(context.runId ? { runId: context.runId } : {}) };
  const options = { cause: error, details };
  const then = context.runId
    ? `then continue the run with: baton resume ${context.runId}`
    : 'then try again';
  const code = sqliteCode(error);
  const systemCode = errno(error);

  if (code === SQLITE.BUSY || code === SQLITE.LOCKED) {
    return new BatonError(
      'JOURNAL_LOCKED',
      `The journal ${path} is locked: another Baton process has been writing to it for more than ` +
        `${seconds(context.busyTimeoutMs)}. Wait for that run to finish (see: baton runs), ${then}.`,
      options,
    );
  }
  if (
    code === SQLITE.FULL ||
    systemCode === 'ENOSPC' ||
    systemCode === 'EDQUOT' ||
    systemCode === 'EFBIG'
  ) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `Cannot ${action} the journal ${path}: the disk is full (${reason(error)}). Free some space, ${then}.`,
      options,
    );
  }
  if (
    code === SQLITE.READONLY ||
    code === SQLITE.PERM ||
    systemCode === 'EACCES' ||
    systemCode === 'EPERM' ||
    systemCode === 'EROFS'
  ) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `Cannot ${action} the journal ${path}: no write access (${reason(error)}). ` +
        `Make ${dirname(path)} and its files writable by you (or run Baton as their owner), ${then}.`,
      options,
    );
  }
  if (code === SQLITE.CORRUPT || code === SQLITE.NOTADB) {
    return new BatonError(
      'JOURNAL_CORRUPT',
      `The journal ${path} is damaged or is not a Baton journal (${reason(error)}). ` +
        'Move it aside to start a new journal; keep it if you need its runs.',
      options,
    );
  }
  if (code === SQLITE.CANTOPEN) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `Cannot ${action} the journal ${path}: ${reason(error)}. Check that ${dirname(path)} is a folder you can read and write.`,
      options,
    );
  }
  if (code === SQLITE.IOERR) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `Cannot ${action} the journal ${path}: the file system failed (${reason(error)}), most often ` +
        `because the disk is full. Free some space on the disk that holds ${dirname(path)} (and check it), ${then}.`,
      options,
    );
  }
  // Anything else (a constraint Baton broke, a misuse) is a bug, not the user's to fix.
  return error;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
