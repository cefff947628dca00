import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NativeConfigChange } from '../adapter/v1/spec.js';
import { BatonError } from '../errors.js';
import { applyNativeConfigChanges } from './apply-changes.js';
import { originalRecords } from './originals.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'native-config-originals-'));
});

afterEach(async () => {
  await chmod(root, 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('originalRecords', () => {
  it('keeps the first text recorded for a file, privately, until it is forgotten', async () => {
    const records = originalRecords(join(root, 'originals'));
    const path = join(root, 'settings.json');
    expect(await records.read(path)).toBeUndefined();
    await records.remember(path, '{}');
    // Reruns and other profiles' setups record what they saw; the first record stays.
    await records.remember(path, '{\n  "model": "x"\n}');
    expect(await records.read(path)).toBe('{}');
    const [file] = await readdir(join(root, 'originals'));
    expect(await modeOf(join(root, 'originals'))).toBe(0o700);
    expect(await modeOf(join(root, 'originals', file!))).toBe(0o600);
    await records.forget(path);
    expect(await records.read(path)).toBeUndefined();
  });

  it('records a file that disappeared since as absent, and never the other way round', async () => {
    const records = originalRecords(join(root, 'originals'));
    const path = join(root, 'c.toml');
    await records.remember(path, 'a = 1\n');
    await records.remember(path, null);
    expect(await records.read(path)).toBeNull();
    await records.remember(path, 'b = 2\n');
    expect(await records.read(path)).toBeNull();
  });

  it('puts the previous record back when asked (a setup that failed)', async () => {
    const records = originalRecords(join(root, 'originals'));
    const path = join(root, 'c.toml');
    const undoFirst = await records.remember(path, '');
    await undoFirst();
    expect(await records.read(path)).toBeUndefined();
    await records.remember(path, 'x = 1\n');
    const undoReplace = await records.remember(path, null);
    await undoReplace();
    expect(await records.read(path)).toBe('x = 1\n');
  });

  it('never keeps a record inside a git work tree, and reads from every candidate', async () => {
    const repository = join(root, 'repo');
    await mkdir(join(repository, '.git'), { recursive: true });
    const path = join(root, 'c.yaml');
    const refusing = originalRecords(join(repository, 'state'));
    const error = await refusing.remember(path, 'a: 1\n').catch((caught: unknown) => caught);
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).message).toMatch(
      /inside the git work tree .*Nothing was changed\.$/,
    );
    const records = originalRecords([join(repository, 'state'), join(root, 'private')]);
    await records.remember(path, 'a: 1\n');
    expect(await readdir(join(root, 'private'))).toHaveLength(1);
    expect(await originalRecords([join(root, 'elsewhere'), join(root, 'private')]).read(path)).toBe(
      'a: 1\n',
    );
  });

  it('treats a damaged record, or one for another path, as no record', async () => {
    const records = originalRecords(join(root, 'originals'));
    const path = join(root, 'c.json');
    await records.remember(path, '{}');
    const [file] = await readdir(join(root, 'originals'));
    await writeFile(join(root, 'originals', file!), '{"path": "/elsewhere", "text": "{}"}');
    expect(await records.read(path)).toBeUndefined();
    await writeFile(join(root, 'originals', file!), 'not json');
    expect(await records.read(path)).toBeUndefined();
  });
});

describe('applyNativeConfigChanges', () => {
  const change = (
    path: string,
    before: string | null,
    after: string | null,
  ): NativeConfigChange => ({
    path,
    before,
    after,
    ownedKeys: [],
  });

  it('records the originals of the files a setup changes, and a revert retires them', async () => {
    const records = originalRecords(join(root, 'originals'));
    const user = join(root, 'user.json');
    const created = join(root, 'created.json');
    await writeFile(user, '{}');
    await applyNativeConfigChanges(
      [change(user, '{}', '{\n  "a": 1\n}'), change(created, null, '{\n  "a": 1\n}\n')],
      { originals: records, backupDir: join(root, 'backups') },
    );
    expect(await records.read(user)).toBe('{}');
    expect(await records.read(created)).toBeNull();
    // A revert that leaves the file changed (the user added to it) keeps the record.
    await writeFile(user, '{\n  "a": 1,\n  "b": 2\n}');
    await applyNativeConfigChanges([change(user, '{\n  "a": 1,\n  "b": 2\n}', '{\n  "b": 2\n}')], {
      originals: records,
      revert: true,
    });
    expect(await records.read(user)).toBe('{}');
    await applyNativeConfigChanges(
      [change(user, '{\n  "b": 2\n}', '{}'), change(created, '{\n  "a": 1\n}\n', null)],
      { originals: records, revert: true },
    );
    expect(await readFile(user, 'utf8')).toBe('{}');
    expect(await records.read(user)).toBeUndefined();
    expect(await records.read(created)).toBeUndefined();
  });

  it('drops the records it made and puts files back when a later file is refused', async () => {
    const records = originalRecords(join(root, 'originals'));
    const first = join(root, 'first.toml');
    await writeFile(first, 'a = 1\n');
    await writeFile(join(root, 'blocker'), 'keep');
    const second = join(root, 'blocker', 'second.toml');
    const error = await applyNativeConfigChanges(
      [change(first, 'a = 1\n', 'a = 2\n'), change(second, null, 'b = 2\n')],
      { originals: records },
    ).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/The other file of this setup was put back as it was/);
    expect(await readFile(first, 'utf8')).toBe('a = 1\n');
    expect(await records.read(first)).toBeUndefined();
    expect(await records.read(second)).toBeUndefined();
  });

  it('records nothing when a file changed since it was read', async () => {
    const records = originalRecords(join(root, 'originals'));
    const path = join(root, 'c.toml');
    await writeFile(path, 'theirs = 1\n');
    await expect(
      applyNativeConfigChanges([change(path, 'a = 1\n', 'a = 2\n')], { originals: records }),
    ).rejects.toThrow(/changed since Baton read it/);
    expect(await records.read(path)).toBeUndefined();
  });
});
