/**
 * What each file held before Baton first changed it, so that a revert can give back exactly
 * that: a file Baton created is deleted, and in a file that was there, only the tables,
 * objects and mappings Baton created go — the user's stay, empty ones included.
 *
 * The file itself cannot always say: JSON holds no comment Baton could mark its objects
 * with, and `"agent": {}` filled by Baton reads the same as `"agent"` created by Baton. So
 * `baton setup` keeps a copy of the file's original text beside its backups (one small JSON
 * file per path, mode 0600, in a 0700 directory, never inside a git work tree: it is a
 * backup and may hold private settings). The first setup that changes a file records it;
 * reruns and setups of other profiles keep that record, so it stays the text from before
 * Baton's first change whatever runs in between. A file that disappeared since is recorded
 * anew as absent. Revert retires the record once the file is deleted or back to that text.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BatonError } from '../errors.js';
import { findGitWorkTree } from './apply.js';

export interface OriginalRecords {
  /**
   * The file's text before Baton first changed it; `null` when Baton created it; `undefined`
   * when there is no record (a file Baton has not changed, or changed before it kept records).
   */
  read(path: string): Promise<string | null | undefined>;
  /**
   * Records `before` (`null`: the file does not exist) as what `path` held before Baton's
   * first change, unless a record exists; a record of a file that has since disappeared is
   * replaced. Returns a function that puts the previous record back (for a setup that failed).
   */
  remember(path: string, before: string | null): Promise<() => Promise<void>>;
  /** Drops the record, once a revert has given the file back. */
  forget(path: string): Promise<void>;
}

interface RecordFile {
  path: string;
  text: string | null;
}

function recordName(path: string): string {
  return `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`;
}

async function readRecord(file: string, path: string): Promise<RecordFile | undefined> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(content) as Partial<RecordFile>;
    // A record for another path (a hash collision) or a damaged one is no record.
    if (record.path !== path || (record.text !== null && typeof record.text !== 'string'))
      return undefined;
    return { path, text: record.text };
  } catch {
    return undefined;
  }
}

async function writeRecord(directory: string, record: RecordFile): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const target = join(directory, recordName(record.path));
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
    await handle.chmod(0o600);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, target);
}

/**
 * The records kept in the first of `directories` that is not inside a git work tree (read
 * from any of them, first first). When every one is inside a work tree, recording refuses,
 * as backups do.
 */
export function originalRecords(directories: string | readonly string[]): OriginalRecords {
  const candidates = (typeof directories === 'string' ? [directories] : directories).map(
    (directory) => resolve(directory),
  );
  const find = async (path: string) => {
    for (const directory of candidates) {
      const record = await readRecord(join(directory, recordName(path)), path);
      if (record !== undefined) return { directory, record };
    }
    return undefined;
  };
  const writable = async (path: string): Promise<string> => {
    const refused: string[] = [];
    for (const directory of candidates) {
      const workTree = await findGitWorkTree(directory);
      if (workTree === undefined) return directory;
      refused.push(`${directory} (inside the git work tree ${workTree})`);
    }
    throw new BatonError(
      'NATIVE_CONFIG',
      `Baton will not keep the original of ${path} in ${refused.join(', ')}: it may hold private settings and must never land where it could be committed. Choose a state directory outside any git repository. Nothing was changed.`,
      { details: { path, refused } },
    );
  };
  const forget = async (path: string) => {
    await Promise.all(
      candidates.map((directory) => rm(join(directory, recordName(path)), { force: true })),
    );
  };
  return {
    async read(path) {
      return (await find(resolve(path)))?.record.text;
    },
    async remember(path, before) {
      const absolute = resolve(path);
      const existing = await find(absolute);
      if (existing !== undefined && (before !== null || existing.record.text === null)) {
        return async () => undefined;
      }
      const directory = await writable(absolute);
      try {
        await writeRecord(directory, { path: absolute, text: before });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new BatonError(
          'NATIVE_CONFIG',
          `Cannot keep the original of ${absolute} in ${directory}: ${reason}. Nothing was changed.`,
          { details: { path: absolute, directory }, cause: error },
        );
      }
      if (existing !== undefined && existing.directory !== directory) {
        await rm(join(existing.directory, recordName(absolute)), { force: true });
      }
      return async () => {
        await forget(absolute);
        if (existing !== undefined) await writeRecord(existing.directory, existing.record);
      };
    },
    async forget(path) {
      await forget(resolve(path));
    },
  };
}
