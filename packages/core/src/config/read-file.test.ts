import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fifo } from '../test-support/fifo.js';
import { tempDirectory } from '../test-support/temp.js';
import { MAX_CONFIG_FILE_BYTES, readTextFile } from './read-file.js';

describe('readTextFile', () => {
  it('reads a regular file', () => {
    const root = tempDirectory();
    writeFileSync(join(root, 'a.md'), 'Review strictly.\n');
    expect(readTextFile(join(root, 'a.md'))).toEqual({ ok: true, text: 'Review strictly.\n' });
  });

  it('refuses a FIFO at once, without waiting for a writer', () => {
    const path = fifo(tempDirectory(), 'pipe');
    expect(readTextFile(path)).toEqual({
      ok: false,
      kind: 'unreadable',
      reason: 'is a named pipe (FIFO), not a regular file',
    });
  });

  it('refuses /dev/zero without reading it', () => {
    expect(existsSync('/dev/zero')).toBe(true);
    expect(readTextFile('/dev/zero')).toEqual({
      ok: false,
      kind: 'unreadable',
      reason: 'is a character device, not a regular file',
    });
  });

  it('refuses a directory, a missing file and a dangling symbolic link, saying which', () => {
    const root = tempDirectory();
    mkdirSync(join(root, 'folder'));
    symlinkSync(join(root, 'nowhere'), join(root, 'link'));
    expect(readTextFile(join(root, 'folder'))).toMatchObject({
      ok: false,
      reason: 'is a directory, not a regular file',
    });
    expect(readTextFile(join(root, 'missing'))).toMatchObject({
      ok: false,
      reason: 'does not exist',
    });
    expect(readTextFile(join(root, 'link'))).toMatchObject({
      ok: false,
      reason: 'is a symbolic link to nothing',
    });
  });

  it('follows a symbolic link to a regular file', () => {
    const root = tempDirectory();
    writeFileSync(join(root, 'real.md'), 'text');
    symlinkSync(join(root, 'real.md'), join(root, 'link.md'));
    expect(readTextFile(join(root, 'link.md'))).toEqual({ ok: true, text: 'text' });
  });

  it('accepts a file of exactly the limit and refuses one byte more', () => {
    const root = tempDirectory();
    writeFileSync(join(root, 'limit'), 'x'.repeat(MAX_CONFIG_FILE_BYTES));
    writeFileSync(join(root, 'over'), 'x'.repeat(MAX_CONFIG_FILE_BYTES + 1));
    const atLimit = readTextFile(join(root, 'limit'));
    expect(atLimit.ok && atLimit.text.length).toBe(MAX_CONFIG_FILE_BYTES);
    expect(readTextFile(join(root, 'over'))).toEqual({
      ok: false,
      kind: 'unreadable',
      reason: 'is larger than 256 KiB, the limit for a file named by configuration',
    });
  });

  it('reads files whose size stat does not report, still within the limit', () => {
    // Files under /proc report size 0 but have content.
    const read = readTextFile('/proc/self/status');
    expect(read.ok && read.text).toMatch(/^Name:/);
  });

  it('refuses bytes that are not UTF-8, with where', () => {
    const root = tempDirectory();
    writeFileSync(join(root, 'latin1.md'), Buffer.from('line one\ncaf\xe9\n', 'latin1'));
    expect(readTextFile(join(root, 'latin1.md'))).toEqual({
      ok: false,
      kind: 'encoding',
      reason:
        'is not valid UTF-8: byte 0xE9 at offset 12 (line 2, column 4); save the file as UTF-8',
      line: 2,
      column: 4,
    });
  });
});
