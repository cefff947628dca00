/**
 * The runtime executables a run uses, as they were when it started: path, version and a
 * fingerprint (size, mtime, inode of the real file). Checked again before every stage, so
 * a runtime upgraded or replaced under a running mission is detected, not silently used.
 */
import { realpathSync, statSync } from 'node:fs';
import type { AdapterIdentity, Environment, RuntimeSettings } from '@baton/core';
import { executableFor } from '@baton/core/doctor';

export interface BinaryRecord {
  readonly runtimeId: string;
  /** What the settings or identity ask for (`codex`, `/opt/codex/bin/codex`). */
  readonly wanted: string | null;
  /** The executable found, or `null` for a runtime without one (reached over HTTP). */
  readonly path: string | null;
  readonly realPath: string | null;
  readonly version: string | null;
  readonly size: number | null;
  readonly mtimeMs: number | null;
  readonly inode: number | null;
}

export function fingerprintBinary(options: {
  readonly runtimeId: string;
  readonly identity: AdapterIdentity;
  readonly settings: RuntimeSettings;
  readonly env: Environment;
  readonly cwd: string;
  readonly version: string | null;
}): BinaryRecord {
  const empty = { realPath: null, size: null, mtimeMs: null, inode: null };
  if (options.settings.binary === undefined && options.identity.binary === null) {
    return {
      runtimeId: options.runtimeId,
      wanted: null,
      path: null,
      version: options.version,
      ...empty,
    };
  }
  const { wanted, path } = executableFor(options.identity, options);
  if (path === null)
    return { runtimeId: options.runtimeId, wanted, path: null, version: options.version, ...empty };
  return { runtimeId: options.runtimeId, wanted, path, version: options.version, ...statOf(path) };
}

function statOf(path: string): Pick<BinaryRecord, 'realPath' | 'size' | 'mtimeMs' | 'inode'> {
  try {
    const realPath = realpathSync(path);
    const stat = statSync(realPath);
    return { realPath, size: stat.size, mtimeMs: stat.mtimeMs, inode: stat.ino };
  } catch {
    return { realPath: null, size: null, mtimeMs: null, inode: null };
  }
}

/** Says how the executable changed since `record` was taken, or `null` when it did not. */
export function binaryChange(record: BinaryRecord): string | null {
  if (record.path === null) return null;
  const now = statOf(record.path);
  if (now.realPath === null) return `${record.path} is gone`;
  if (now.realPath !== record.realPath)
    return `${record.path} now points to ${now.realPath} (was ${record.realPath})`;
  const changed: string[] = [];
  if (now.size !== record.size) changed.push(`size ${record.size} → ${now.size}`);
  if (now.mtimeMs !== record.mtimeMs) changed.push('modification time');
  if (now.inode !== record.inode) changed.push('inode');
  return changed.length === 0
    ? null
    : `${record.realPath} changed since the run started (${changed.join(', ')})`;
}
