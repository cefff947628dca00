/**
 * Applies what a native-config writer planned, the way `baton setup` does: every file is
 * checked before any is written, each is written atomically (with a backup of what it held),
 * a refusal puts back the files already written, and the record of originals is kept for a
 * setup and retired by the revert that gives a file back.
 */
import { rmdir } from 'node:fs/promises';
import type { NativeConfigChange } from '../adapter/v1/spec.js';
import { BatonError } from '../errors.js';
import { applyFileChange, readFileSnapshot } from './apply.js';
import type { OriginalRecords } from './originals.js';

export interface ApplyChangesOptions {
  /** Where copies of files that existed go before they change (see `FileChange.backupDir`). */
  backupDir?: string | readonly string[];
  /**
   * The record of what each file held before Baton first changed it. A setup records the
   * files it is about to change; a revert (`revert: true`) retires the record of each file
   * it deleted or gave back as it was then.
   */
  originals?: OriginalRecords;
  /** The changes are a revert's. */
  revert?: boolean;
}

export interface AppliedChange {
  /** False when the file already held what was wanted (nothing was written). */
  changed: boolean;
  /** Where the previous content was saved, when the file existed and changed. */
  backupPath?: string;
}

function changedError(path: string): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${path} changed since Baton read it (another program wrote to it). Nothing was written; rerun to start from its current content.`,
    { details: { path, reason: 'changed' } },
  );
}

/**
 * Applies the changes in order, each atomically and only if its file still holds what the
 * writer read. When one is refused, the ones already applied are put back (and the records
 * this setup made are dropped), so a setup that touches two files (a Codex migration) never
 * leaves half of itself behind.
 */
export async function applyNativeConfigChanges(
  changes: readonly NativeConfigChange[],
  options: ApplyChangesOptions = {},
): Promise<AppliedChange[]> {
  // Every file first: a setup that touches two files is refused before it writes either.
  for (const change of changes) {
    if (change.before === change.after) continue;
    if ((await readFileSnapshot(change.path)).text !== change.before) {
      throw changedError(change.path);
    }
  }
  const restoreRecords: (() => Promise<void>)[] = [];
  if (options.originals !== undefined && options.revert !== true) {
    for (const change of changes) {
      if (change.before === change.after) continue;
      restoreRecords.push(await options.originals.remember(change.path, change.before));
    }
  }
  const applied: NativeConfigChange[] = [];
  const results: AppliedChange[] = [];
  for (const change of changes) {
    if (change.before === change.after) {
      results.push({ changed: false });
      continue;
    }
    try {
      const outcome = await applyFileChange({
        path: change.path,
        expectedBefore: change.before,
        after: change.after,
        ...(change.mode === undefined ? {} : { mode: change.mode }),
        ...(change.createDirectories === undefined
          ? {}
          : { createDirectories: change.createDirectories }),
        ...(change.before === null || options.backupDir === undefined
          ? {}
          : { backupDir: options.backupDir }),
      });
      applied.push(change);
      results.push(outcome);
    } catch (error) {
      const undone = await undo(applied);
      for (const restore of restoreRecords.reverse()) await restore().catch(() => undefined);
      if (BatonError.isInstance(error) && undone.length > 0) {
        throw new BatonError(
          error.code,
          `${error.message} The other file${undone.length === 1 ? '' : 's'} of this setup ${undone.length === 1 ? 'was' : 'were'} put back as ${undone.length === 1 ? 'it was' : 'they were'}: ${undone.join(', ')}.`,
          { details: { ...error.details, restored: undone }, cause: error },
        );
      }
      throw error;
    }
    if (change.after === null) {
      for (const directory of change.removeEmptyDirectories ?? []) {
        // rmdir removes only an empty directory: anything put there meanwhile stays.
        await rmdir(directory).catch(() => undefined);
      }
    }
  }
  if (options.originals !== undefined && options.revert === true) {
    for (const change of changes) {
      const original = await options.originals.read(change.path);
      if (original !== undefined && (change.after === null || change.after === original)) {
        await options.originals.forget(change.path);
      }
    }
  }
  return results;
}

/** Puts back already-applied changes, last first; returns the paths restored. */
async function undo(applied: readonly NativeConfigChange[]): Promise<string[]> {
  const restored: string[] = [];
  for (const change of [...applied].reverse()) {
    try {
      await applyFileChange({
        path: change.path,
        expectedBefore: change.after,
        after: change.before,
      });
      restored.push(change.path);
    } catch {
      // Changed again by someone else: leave it to them; the error names what was refused.
    }
  }
  return restored;
}
