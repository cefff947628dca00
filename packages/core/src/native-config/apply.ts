import { randomBytes, randomUUID } from 'node:crypto';
import { type BigIntStats, constants } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { BatonError } from '../errors.js';

/** What identifies one version of a file on disk, beyond its bytes. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
}

/** A file as Baton read it: its text (`null` when it did not exist) and its identity. */
export interface FileSnapshot {
  path: string;
  text: string | null;
  identity: FileIdentity | undefined;
}

export interface FileChange {
  path: string;
  /**
   * What the file held when Baton read it: its text, `null` for "must not exist", or a
   * {@link FileSnapshot}, which also pins its inode, size and modification time.
   */
  expectedBefore: string | FileSnapshot | null;
  /** The new content; `null` deletes the file. */
  after: string | null;
  /**
   * Permission bits for a file Baton creates (default `0o644`; use `0o600` for files that
   * hold secrets). An existing file keeps its own.
   */
  mode?: number;
  /** Create missing parent directories (default false: a missing directory is an error). */
  createDirectories?: boolean;
  /**
   * Where to keep a private copy (mode 0600) of the previous content: the first candidate
   * that is not inside a git work tree. When every candidate is inside one, nothing is written.
   */
  backupDir?: string | readonly string[];
  /** Age after which a lock file left by a crashed process is broken (default 30 s). */
  staleLockMs?: number;
}

export interface ApplyResult {
  /** False when the file already had the wanted content (nothing was written, not even its mtime). */
  changed: boolean;
  /** Where the previous content was saved, when a backup was asked for and made. */
  backupPath?: string;
}

/** Test seam: runs between the last check and the rename, where a racing writer would strike. */
export interface ApplyHooks {
  beforeCommit?: () => Promise<void> | void;
}

const DEFAULT_STALE_LOCK_MS = 30_000;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

interface Current {
  bytes: Buffer | null;
  identity: FileIdentity | undefined;
  nlink: bigint;
  owner: { uid: number; gid: number } | undefined;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a parent of it is not a directory',
  ENOENT: 'its directory does not exist',
  EISDIR: 'it is a directory',
  ELOOP: 'it is a symbolic link',
};

function fileSystemError(error: unknown, action: string, path: string): BatonError {
  if (BatonError.isInstance(error)) return error;
  const code = errorCode(error);
  const reason =
    (code && REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
  return new BatonError(
    'NATIVE_CONFIG',
    `Cannot ${action} ${path}: ${reason}. Nothing was changed.`,
    {
      // Not `code`: details are spread into the error's JSON, where `code` is Baton's own.
      details: { path, reason: 'file-system', systemCode: code },
      cause: error,
    },
  );
}

function changedError(path: string): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${path} changed since Baton read it (another program wrote to it). Nothing was written; rerun to start from its current content.`,
    { details: { path, reason: 'changed' } },
  );
}

function identityOf(stats: BigIntStats): FileIdentity {
  return {
    dev: stats.dev,
    ino: stats.ino,
    size: stats.size,
    mtimeNs: stats.mtimeNs,
    mode: Number(stats.mode & 0o7777n),
  };
}

function sameIdentity(left: FileIdentity | undefined, right: FileIdentity | undefined): boolean {
  if (left === undefined || right === undefined) return left === right;
  return (
    left.dev === right.dev &&
    left.ino === right.ino &&
    left.size === right.size &&
    left.mtimeNs === right.mtimeNs
  );
}

/** Reads the file, refusing symlinks and anything but a regular file. */
async function readCurrent(path: string): Promise<Current> {
  let stats: BigIntStats;
  try {
    stats = await lstat(path, { bigint: true });
  } catch (error) {
    // A parent that is a regular file means the file cannot exist; writing reports why.
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { bytes: null, identity: undefined, nlink: 0n, owner: undefined };
    throw fileSystemError(error, 'read', path);
  }
  if (stats.isSymbolicLink()) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} is a symbolic link; Baton does not write through symlinks. Run it against the link's target, or replace the link with a regular file. Nothing was changed.`,
      { details: { path, reason: 'symlink' } },
    );
  }
  if (!stats.isFile()) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} is not a regular file; Baton only writes regular files. Nothing was changed.`,
      {
        details: { path, reason: 'not-a-file' },
      },
    );
  }
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ENOENT')
      return { bytes: null, identity: undefined, nlink: 0n, owner: undefined };
    throw fileSystemError(error, 'read', path);
  }
  try {
    const opened = await handle.stat({ bigint: true });
    if (opened.ino !== stats.ino || opened.dev !== stats.dev) throw changedError(path);
    const bytes = await handle.readFile();
    const owner = { uid: Number(opened.uid), gid: Number(opened.gid) };
    return { bytes, identity: identityOf(opened), nlink: opened.nlink, owner };
  } finally {
    await handle.close();
  }
}

/** Reads a file for a later {@link applyFileChange}: its text and identity (`null` text when missing). */
export async function readFileSnapshot(path: string): Promise<FileSnapshot> {
  const absolute = resolve(path);
  const current = await readCurrent(absolute);
  if (current.bytes === null) return { path: absolute, text: null, identity: undefined };
  let text: string;
  try {
    // Keep a byte-order mark as text, so editors can put it back.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(current.bytes);
  } catch {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${absolute} is not valid UTF-8 text; Baton only edits UTF-8 config files. Nothing was changed.`,
      { details: { path: absolute, reason: 'encoding' } },
    );
  }
  return { path: absolute, text, identity: current.identity };
}

function isSnapshot(value: FileChange['expectedBefore']): value is FileSnapshot {
  return typeof value === 'object' && value !== null;
}

function matches(current: Current, expected: string | null): boolean {
  if (expected === null || current.bytes === null)
    return expected === null && current.bytes === null;
  return current.bytes.equals(Buffer.from(expected, 'utf8'));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

interface LockInfo {
  pid?: number;
  host?: string;
  token?: string;
}

async function readLock(lockPath: string): Promise<{ info: LockInfo; ageMs: number } | undefined> {
  try {
    const [content, stats] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    let info: LockInfo = {};
    try {
      info = JSON.parse(content) as LockInfo;
    } catch {
      // A lock being written right now has no content yet; only its age can make it stale.
    }
    return { info, ageMs: Date.now() - stats.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function busyError(path: string, lockPath: string, info: LockInfo): BatonError {
  const holder =
    info.pid === undefined
      ? 'another process'
      : `process ${info.pid}${info.host ? ` on ${info.host}` : ''}`;
  return new BatonError(
    'NATIVE_CONFIG',
    `${path} is busy: ${holder} is changing it (lock ${lockPath}). Nothing was written; try again when it has finished. If no such process is running, delete the lock file.`,
    { details: { path, lockPath, reason: 'busy', pid: info.pid } },
  );
}

/**
 * Takes `<name>.baton.lock` beside the file (created with O_EXCL). A lock whose holder is a
 * dead process on this host, or which is older than `staleMs`, is broken once: it is first
 * renamed aside, so two processes breaking the same stale lock cannot both win.
 */
async function acquireLock(path: string, staleMs: number): Promise<() => Promise<void>> {
  const lockPath = `${path}.baton.lock`;
  const token = randomUUID();
  const host = hostname();
  for (let attempt = 0; ; attempt += 1) {
    let handle: FileHandle;
    try {
      handle = await open(lockPath, CREATE_FLAGS, 0o600);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST')
        throw fileSystemError(error, 'create a lock file for', path);
      const held = await readLock(lockPath);
      if (held === undefined && attempt < 2) continue;
      const info = held?.info ?? {};
      const dead = info.host === host && info.pid !== undefined && !isAlive(info.pid);
      if (attempt === 0 && held !== undefined && (dead || held.ageMs > staleMs)) {
        await breakStaleLock(lockPath, info);
        continue;
      }
      throw busyError(path, lockPath, info);
    }
    try {
      await handle.writeFile(
        JSON.stringify({ pid: process.pid, host, token, createdAt: new Date().toISOString() }),
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    return async () => {
      const held = await readLock(lockPath).catch(() => undefined);
      if (held?.info.token === token) await rm(lockPath, { force: true });
    };
  }
}

async function breakStaleLock(lockPath: string, judged: LockInfo): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== undefined && moved.info.token !== judged.token) {
    // Another process replaced the stale lock between our look and the rename: put it back.
    await link(aside, lockPath).catch(() => undefined);
    await rm(aside, { force: true });
    throw busyError(lockPath.replace(/\.baton\.lock$/, ''), lockPath, moved.info);
  }
  await rm(aside, { force: true });
}

/** The git work tree holding `directory` (which may not exist yet), if any. */
export async function findGitWorkTree(directory: string): Promise<string | undefined> {
  let existing = resolve(directory);
  for (;;) {
    try {
      existing = await realpath(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  for (let current = existing; ; current = dirname(current)) {
    try {
      await lstat(join(current, '.git'));
      return current;
    } catch {
      // not here; look further up
    }
    if (dirname(current) === current) return undefined;
  }
}

async function writeBackup(
  candidates: readonly string[],
  path: string,
  bytes: Buffer,
): Promise<string> {
  const refused: string[] = [];
  for (const candidate of candidates) {
    const directory = resolve(candidate);
    const workTree = await findGitWorkTree(directory);
    if (workTree !== undefined) {
      refused.push(`${directory} (inside the git work tree ${workTree})`);
      continue;
    }
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw fileSystemError(error, 'create the backup directory', directory);
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const backupPath = join(
      directory,
      `${basename(path)}.${stamp}.${randomBytes(4).toString('hex')}.bak`,
    );
    let handle: FileHandle | undefined;
    try {
      handle = await open(backupPath, CREATE_FLAGS, 0o600);
      await handle.writeFile(bytes);
      await handle.chmod(0o600);
      await handle.sync();
    } catch (error) {
      await handle?.close();
      handle = undefined;
      await rm(backupPath, { force: true });
      throw fileSystemError(error, 'write a backup of', path);
    } finally {
      await handle?.close();
    }
    return backupPath;
  }
  throw new BatonError(
    'NATIVE_CONFIG',
    `Baton will not put a backup of ${path} in ${refused.join(', ')}: backups hold private settings and must never land where they could be committed. Choose a backup directory outside any git repository. Nothing was changed.`,
    { details: { path, refused } },
  );
}

async function ensureDirectory(directory: string, create: boolean, path: string): Promise<void> {
  try {
    const stats = await stat(directory);
    if (!stats.isDirectory()) {
      throw new BatonError(
        'NATIVE_CONFIG',
        `Cannot write ${path}: ${directory} is not a directory. Nothing was changed.`,
        {
          details: { path, directory },
        },
      );
    }
  } catch (error) {
    if (BatonError.isInstance(error)) throw error;
    if (errorCode(error) !== 'ENOENT' || !create) throw fileSystemError(error, 'write', path);
    try {
      await mkdir(directory, { recursive: true });
    } catch (mkdirError) {
      throw fileSystemError(mkdirError, 'create the directory for', path);
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself has happened.
  } finally {
    await handle?.close();
  }
}

async function writeTemp(
  directory: string,
  name: string,
  content: string,
  mode: number,
  owner?: { uid: number; gid: number },
): Promise<string> {
  const tempPath = join(
    directory,
    `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.baton-tmp`,
  );
  const handle = await open(tempPath, CREATE_FLAGS, mode);
  try {
    await handle.writeFile(content, 'utf8');
    // The umask may have narrowed the mode given to open(); set it exactly.
    await handle.chmod(mode);
    if (owner !== undefined) await handle.chown(owner.uid, owner.gid).catch(() => undefined);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tempPath, { force: true });
    throw error;
  }
  await handle.close();
  return tempPath;
}

/**
 * Writes one file safely: refuses symlinks and non-regular files, checks the file still holds
 * what Baton read (bytes, and identity for a snapshot) before and again right before the
 * rename, writes a temp file beside it (O_EXCL, fsync, the original's mode), renames it over
 * the target and fsyncs the directory, all under an exclusive `<name>.baton.lock`. Writing
 * content the file already has does nothing. Every failure leaves the file as it was and
 * removes the temp file.
 */
export function applyFileChange(change: FileChange): Promise<ApplyResult> {
  return applyFileChangeWithHooks(change, {});
}

/** {@link applyFileChange} with test hooks. */
export async function applyFileChangeWithHooks(
  change: FileChange,
  hooks: ApplyHooks,
): Promise<ApplyResult> {
  const path = resolve(change.path);
  const directory = dirname(path);
  const name = basename(path);
  const snapshot = isSnapshot(change.expectedBefore) ? change.expectedBefore : undefined;
  const expected =
    snapshot === undefined ? (change.expectedBefore as string | null) : snapshot.text;
  const check = (current: Current): void => {
    if (!matches(current, expected)) throw changedError(path);
    if (snapshot !== undefined && !sameIdentity(current.identity, snapshot.identity))
      throw changedError(path);
  };

  const first = await readCurrent(path);
  check(first);
  if (matches(first, change.after)) return { changed: false };
  if (first.nlink > 1n) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} has ${first.nlink} hard links; replacing it would silently detach the other names from the new content. Make it a single file (or edit it by hand). Nothing was changed.`,
      { details: { path, reason: 'hard-links' } },
    );
  }
  if (first.bytes === null)
    await ensureDirectory(directory, change.createDirectories ?? false, path);

  const release = await acquireLock(path, change.staleLockMs ?? DEFAULT_STALE_LOCK_MS);
  let tempPath: string | undefined;
  try {
    const locked = await readCurrent(path);
    check(locked);
    if (matches(locked, change.after)) return { changed: false };
    let backupPath: string | undefined;
    if (change.backupDir !== undefined && locked.bytes !== null) {
      const candidates =
        typeof change.backupDir === 'string' ? [change.backupDir] : change.backupDir;
      backupPath = await writeBackup(candidates, path, locked.bytes);
    }
    if (change.after !== null) {
      const mode = locked.identity?.mode ?? change.mode ?? 0o644;
      // Only root can give the new file the original's owner; others own what they write.
      const owner = process.getuid?.() === 0 ? locked.owner : undefined;
      try {
        tempPath = await writeTemp(directory, name, change.after, mode, owner);
      } catch (error) {
        throw fileSystemError(error, 'write', path);
      }
    }
    await hooks.beforeCommit?.();
    const final = await readCurrent(path);
    check(final);
    if (!sameIdentity(final.identity, locked.identity)) throw changedError(path);
    try {
      if (tempPath === undefined) await unlink(path);
      else if (locked.bytes === null) await commitNew(tempPath, path);
      else await rename(tempPath, path);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') throw changedError(path);
      throw fileSystemError(error, change.after === null ? 'delete' : 'write', path);
    }
    tempPath = undefined;
    await syncDirectory(directory);
    return backupPath === undefined ? { changed: true } : { changed: true, backupPath };
  } finally {
    if (tempPath !== undefined) await rm(tempPath, { force: true });
    await release();
  }
}

/** Puts a new file in place only if nothing appeared there meanwhile (link fails on EEXIST). */
async function commitNew(tempPath: string, path: string): Promise<void> {
  try {
    await link(tempPath, path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') throw error;
    // File systems without hard links: the lock and the check just before still protect us.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
      await rename(tempPath, path);
      return;
    }
    throw error;
  }
  await unlink(tempPath);
}
