import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import {
  applyFileChange,
  applyFileChangeWithHooks,
  findGitWorkTree,
  readFileSnapshot,
} from './apply.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'native-config-apply-'));
});

afterEach(async () => {
  await chmod(root, 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('applyFileChange', () => {
  it('creates a file with the requested mode, whatever the umask', async () => {
    const path = join(root, 'secret.env');
    const previous = process.umask(0o077);
    try {
      expect(
        await applyFileChange({ path, expectedBefore: null, after: 'KEY=1\n', mode: 0o600 }),
      ).toEqual({
        changed: true,
      });
      expect(await modeOf(path)).toBe(0o600);
      await applyFileChange({
        path: join(root, 'plain.toml'),
        expectedBefore: null,
        after: 'a = 1\n',
      });
      expect(await modeOf(join(root, 'plain.toml'))).toBe(0o644);
    } finally {
      process.umask(previous);
    }
    expect(await readFile(path, 'utf8')).toBe('KEY=1\n');
    expect((await readdir(root)).sort()).toEqual(['plain.toml', 'secret.env']);
  });

  it('creates parent directories only when asked', async () => {
    const path = join(root, 'a', 'b', 'config.toml');
    const error = await rejection(
      applyFileChange({ path, expectedBefore: null, after: 'x = 1\n' }),
    );
    expect(error.message).toBe(
      `Cannot write ${path}: its directory does not exist. Nothing was changed.`,
    );
    await applyFileChange({
      path,
      expectedBefore: null,
      after: 'x = 1\n',
      createDirectories: true,
    });
    expect(await readFile(path, 'utf8')).toBe('x = 1\n');
  });

  it('replaces a file atomically, keeping its mode', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    await chmod(path, 0o640);
    const before = await stat(path);
    await applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' });
    const after = await stat(path);
    expect(await readFile(path, 'utf8')).toBe('a = 2\n');
    expect(after.mode & 0o777).toBe(0o640);
    expect(after.ino).not.toBe(before.ino);
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'keeps the owner of a file it replaces (root only)',
    async () => {
      const path = join(root, 'config.toml');
      await writeFile(path, 'a = 1\n');
      await chown(path, 4321, 4322);
      await applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' });
      const after = await stat(path);
      expect([after.uid, after.gid]).toEqual([4321, 4322]);
    },
  );

  it('writes nothing when the content is already there: bytes and mtime unchanged', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const past = new Date('2020-01-02T03:04:05Z');
    await utimes(path, past, past);
    const before = await stat(path);
    expect(await applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 1\n' })).toEqual({
      changed: false,
    });
    const after = await stat(path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it('detects a file changed since it was read, by bytes or by identity', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const snapshot = await readFileSnapshot(path);
    expect(snapshot.text).toBe('a = 1\n');
    const stale = await rejection(
      applyFileChange({ path, expectedBefore: 'a = 0\n', after: 'a = 2\n' }),
    );
    expect(stale.message).toBe(
      `${path} changed since Baton read it (another program wrote to it). Nothing was written; rerun to start from its current content.`,
    );
    // Same bytes, but a different file now: an editor saved it again (new inode).
    await rm(path);
    await writeFile(path, 'a = 1\n');
    await expect(
      applyFileChange({ path, expectedBefore: snapshot, after: 'a = 2\n' }),
    ).rejects.toThrow(/changed since Baton read it/);
    expect(await readFile(path, 'utf8')).toBe('a = 1\n');
    const missing = await rejection(
      applyFileChange({ path: join(root, 'gone'), expectedBefore: 'x', after: 'y' }),
    );
    expect(missing.details).toMatchObject({ reason: 'changed' });
  });

  it('reads snapshots as UTF-8, keeping a byte-order mark and refusing other encodings', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, '\uFEFFa = "é"\n');
    expect((await readFileSnapshot(path)).text).toBe('\uFEFFa = "é"\n');
    expect(await readFileSnapshot(join(root, 'missing'))).toEqual({
      path: join(root, 'missing'),
      text: null,
      identity: undefined,
    });
    await writeFile(path, Buffer.from([0x61, 0x20, 0x3d, 0x20, 0xff, 0x0a]));
    await expect(readFileSnapshot(path)).rejects.toThrow(`${path} is not valid UTF-8 text`);
  });

  it('detects a write that lands between the last read and the rename, and cleans up', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const error = await rejection(
      applyFileChangeWithHooks(
        { path, expectedBefore: 'a = 1\n', after: 'a = 2\n' },
        { beforeCommit: () => writeFile(path, 'a = 3\n') },
      ),
    );
    expect(error.details).toMatchObject({ reason: 'changed' });
    expect(await readFile(path, 'utf8')).toBe('a = 3\n');
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it('refuses to create a file that appeared meanwhile', async () => {
    const path = join(root, 'new.toml');
    await expect(
      applyFileChangeWithHooks(
        { path, expectedBefore: null, after: 'mine\n' },
        { beforeCommit: () => writeFile(path, 'theirs\n') },
      ),
    ).rejects.toThrow(/changed since Baton read it/);
    expect(await readFile(path, 'utf8')).toBe('theirs\n');
    expect(await readdir(root)).toEqual(['new.toml']);
  });

  it('refuses symlinks, directories and hard-linked files', async () => {
    const target = join(root, 'real.toml');
    await writeFile(target, 'a = 1\n');
    const linkPath = join(root, 'link.toml');
    await symlink(target, linkPath);
    const error = await rejection(
      applyFileChange({ path: linkPath, expectedBefore: 'a = 1\n', after: 'a = 2\n' }),
    );
    expect(error.message).toBe(
      `${linkPath} is a symbolic link; Baton does not write through symlinks. Run it against the link's target, or replace the link with a regular file. Nothing was changed.`,
    );
    expect(await readFile(target, 'utf8')).toBe('a = 1\n');
    expect((await lstat(linkPath)).isSymbolicLink()).toBe(true);

    await mkdir(join(root, 'dir'));
    await expect(
      applyFileChange({ path: join(root, 'dir'), expectedBefore: '', after: 'x' }),
    ).rejects.toThrow(/is not a regular file/);
    await link(target, join(root, 'hard.toml'));
    await expect(
      applyFileChange({ path: target, expectedBefore: 'a = 1\n', after: 'a = 2\n' }),
    ).rejects.toThrow(/has 2 hard links/);
    expect(await readFile(target, 'utf8')).toBe('a = 1\n');
  });

  it('deletes a file, and treats deleting a missing file as done', async () => {
    const path = join(root, 'agent.md');
    await writeFile(path, 'x');
    expect(await applyFileChange({ path, expectedBefore: 'x', after: null })).toEqual({
      changed: true,
    });
    expect(await readdir(root)).toEqual([]);
    expect(await applyFileChange({ path, expectedBefore: null, after: null })).toEqual({
      changed: false,
    });
  });

  it('lets exactly one of several racing writers win, with a clear error for the others', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'n = 0\n');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) =>
        applyFileChange({ path, expectedBefore: 'n = 0\n', after: `n = ${index + 1}\n` }),
      ),
    );
    const winners = results.flatMap((result, index) =>
      result.status === 'fulfilled' ? [index + 1] : [],
    );
    expect(winners).toHaveLength(1);
    expect(await readFile(path, 'utf8')).toBe(`n = ${winners[0]}\n`);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(BatonError.isInstance(result.reason)).toBe(true);
        expect(result.reason.message).toMatch(
          /is busy: (process \d+ on \S+|another process) is changing it|changed since Baton read it/,
        );
      }
    }
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it('honours a lock held by another live process and breaks it once that process is gone', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const lockPath = `${path}.baton.lock`;
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         fs.writeFileSync(process.argv[1], JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), token: 'other' }), { flag: 'wx' });
         process.stdout.write('locked\\n');
         setInterval(() => {}, 1000);`,
        lockPath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(holder.stdout!, 'data');
    const busy = await rejection(
      applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' }),
    );
    expect(busy.message).toContain(`is busy: process ${holder.pid} on`);
    expect(busy.details).toMatchObject({ reason: 'busy', pid: holder.pid, lockPath });
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(await applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' })).toEqual({
      changed: true,
    });
    expect(await readFile(path, 'utf8')).toBe('a = 2\n');
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it('breaks a lock older than the stale age even without a readable owner', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const lockPath = `${path}.baton.lock`;
    await writeFile(lockPath, '');
    await expect(
      applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' }),
    ).rejects.toThrow(/is busy/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    await applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' });
    expect(await readdir(root)).toEqual(['config.toml']);
  });

  it('fails clearly where it cannot write, losing nothing', async () => {
    // Tests may run as root, where a read-only mode does not stop writes; a path whose
    // parent is a regular file cannot be written by anyone, so that case always runs.
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, 'keep');
    const path = join(blocker, 'config.toml');
    const error = await rejection(applyFileChange({ path, expectedBefore: null, after: 'x' }));
    expect(error.message).toBe(
      `Cannot write ${path}: ${blocker} is not a directory. Nothing was changed.`,
    );
    await expect(
      applyFileChange({
        path: join(blocker, 'sub', 'c.toml'),
        expectedBefore: null,
        after: 'x',
        createDirectories: true,
      }),
    ).rejects.toThrow(
      /^Cannot (write|create the directory for) .*: a parent of it is not a directory\. Nothing was changed\.$/,
    );
    expect(await readFile(blocker, 'utf8')).toBe('keep');
    // The system's error code must not shadow Baton's in `--json` output.
    const nested = join(blocker, 'sub', 'c.toml');
    const systemError = await rejection(
      applyFileChange({ path: nested, expectedBefore: null, after: 'x', createDirectories: true }),
    );
    expect(systemError.toJSON()).toMatchObject({
      code: 'NATIVE_CONFIG',
      reason: 'file-system',
      systemCode: 'ENOTDIR',
    });
  });

  it.skipIf(process.getuid?.() === 0)(
    'fails clearly in a read-only directory (non-root only)',
    async () => {
      const directory = join(root, 'ro');
      await mkdir(directory);
      const path = join(directory, 'config.toml');
      await writeFile(path, 'a = 1\n');
      await chmod(directory, 0o555);
      try {
        const error = await rejection(
          applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n' }),
        );
        expect(error.message).toBe(
          `Cannot create a lock file for ${path}: permission denied. Nothing was changed.`,
        );
        expect(await readdir(directory)).toEqual(['config.toml']);
        expect(await readFile(path, 'utf8')).toBe('a = 1\n');
      } finally {
        await chmod(directory, 0o755);
      }
    },
  );
});

describe('backups', () => {
  it('keeps a private copy outside any git work tree', async () => {
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const result = await applyFileChange({
      path,
      expectedBefore: 'a = 1\n',
      after: 'a = 2\n',
      backupDir: join(root, 'backups'),
    });
    expect(result.backupPath).toMatch(/backups\/config\.toml\.[0-9T-]+Z\.[0-9a-f]{8}\.bak$/);
    expect(await readFile(result.backupPath!, 'utf8')).toBe('a = 1\n');
    expect(await modeOf(result.backupPath!)).toBe(0o600);
    expect(await modeOf(join(root, 'backups'))).toBe(0o700);
  });

  it('refuses a backup directory inside a git work tree and writes nothing', async () => {
    const repository = join(root, 'repo');
    await mkdir(join(repository, '.git'), { recursive: true });
    const path = join(root, 'config.toml');
    await writeFile(path, 'a = 1\n');
    const inside = join(repository, 'deep', 'backups');
    expect(await findGitWorkTree(inside)).toBe(repository);
    const error = await rejection(
      applyFileChange({ path, expectedBefore: 'a = 1\n', after: 'a = 2\n', backupDir: inside }),
    );
    expect(error.message).toBe(
      `Baton will not put a backup of ${path} in ${inside} (inside the git work tree ${repository}): backups hold private settings and must never land where they could be committed. Choose a backup directory outside any git repository. Nothing was changed.`,
    );
    expect(await readFile(path, 'utf8')).toBe('a = 1\n');
    await expect(stat(join(repository, 'deep'))).rejects.toThrow();

    const outside = join(root, 'private');
    const result = await applyFileChange({
      path,
      expectedBefore: 'a = 1\n',
      after: 'a = 2\n',
      backupDir: [inside, outside],
    });
    expect(result.backupPath?.startsWith(`${outside}/`)).toBe(true);
  });
});
