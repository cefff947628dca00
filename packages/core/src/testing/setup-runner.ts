/**
 * Runs a native-config writer the way `baton setup` does, for writers' tests: the plan is
 * applied with `applyNativeConfigChanges` (every file checked first, atomic writes, backups),
 * and the record of originals is kept in real files under `stateDirectory`, so that a revert
 * plans with what each file held before the first setup, exactly as `baton setup --revert`.
 *
 *   const runner = setupRunner(writer, stateDirectory);
 *   await runner.setup(context);    // plan + apply
 *   await runner.revert(context);   // planRevert (with the originals) + apply
 */
import { join } from 'node:path';
import type {
  NativeConfigChange,
  NativeConfigContext,
  NativeConfigWriter,
} from '../adapter/v1/spec.js';
import { type AppliedChange, applyNativeConfigChanges } from '../native-config/apply-changes.js';
import { type OriginalRecords, originalRecords } from '../native-config/originals.js';

export interface SetupRunner {
  /** The record of originals the runner keeps (in `<stateDirectory>/originals`). */
  readonly originals: OriginalRecords;
  /** `context` with `original` reading the runner's record. */
  context(context: NativeConfigContext): NativeConfigContext;
  /** What `baton setup --dry-run` would show: the planned changes. */
  plan(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
  /** What `baton setup --revert --dry-run` would show. */
  planRevert(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
  /** Applies planned changes as `baton setup` does (`revert` for a revert's). */
  apply(changes: readonly NativeConfigChange[], revert?: boolean): Promise<AppliedChange[]>;
  /** `baton setup`: plans and applies; returns the changes it applied. */
  setup(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
  /** `baton setup --revert`: plans with the record of originals and applies. */
  revert(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
}

export function setupRunner(writer: NativeConfigWriter, stateDirectory: string): SetupRunner {
  const originals = originalRecords(join(stateDirectory, 'originals'));
  const backupDir = join(stateDirectory, 'backups');
  const context = (base: NativeConfigContext): NativeConfigContext => ({
    ...base,
    original: (path) => originals.read(path),
  });
  const apply = (changes: readonly NativeConfigChange[], revert = false) =>
    applyNativeConfigChanges(changes, { backupDir, originals, revert });
  return {
    originals,
    context,
    plan: (base) => writer.plan(context(base)),
    planRevert: (base) => writer.planRevert(context(base)),
    apply,
    async setup(base) {
      const changes = await writer.plan(context(base));
      await apply(changes);
      return changes;
    },
    async revert(base) {
      const changes = await writer.planRevert(context(base));
      await apply(changes, true);
      return changes;
    },
  };
}
