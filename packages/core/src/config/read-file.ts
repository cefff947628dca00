/**
 * Reads a file named by configuration (a `baton.toml`, the user config, a contract file)
 * without trusting it. A repository's own `baton.toml` can name `/dev/zero`, a FIFO or a huge
 * file, and Baton runs in that repository on every command; so the path is opened without
 * blocking, checked with fstat on the open descriptor (no race with a swapped path), refused
 * unless it is a regular file, and read at most one byte past the size limit.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
} from 'node:fs';
import { decodeUtf8 } from './utf8.js';

/** The largest file configuration may name; far above any real config or contract. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

export type TextFileRead =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      /** Why, as a phrase that follows the file's name: `is a directory, not a regular file`. */
      readonly reason: string;
      /** `encoding` for bytes that are not UTF-8 (with where); `unreadable` otherwise. */
      readonly kind: 'unreadable' | 'encoding';
      readonly line?: number;
      readonly column?: number;
    };

// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. O_NOCTTY:
// naming a terminal must not make it ours. Neither exists on Windows, where neither applies.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export function readTextFile(path: string, maxBytes = MAX_CONFIG_FILE_BYTES): TextFileRead {
  let descriptor: number;
  try {
    descriptor = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, kind: 'unreadable', reason: describeOpenError(error, path) };
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      return {
        ok: false,
        kind: 'unreadable',
        reason: `is ${describeFileType(stats)}, not a regular file`,
      };
    }
    if (stats.size > maxBytes) return { ok: false, kind: 'unreadable', reason: tooLarge(maxBytes) };
    // Sized by fstat, but a file may grow meanwhile, and some (under /proc) report size 0.
    let buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const larger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      // One byte past the limit is enough to know; the rest is never read.
      if (length > maxBytes) return { ok: false, kind: 'unreadable', reason: tooLarge(maxBytes) };
    }
    const decoded = decodeUtf8(buffer.subarray(0, length));
    if (decoded.ok) return { ok: true, text: decoded.text };
    const byte = decoded.byte.toString(16).toUpperCase().padStart(2, '0');
    return {
      ok: false,
      kind: 'encoding',
      reason:
        `is not valid UTF-8: byte 0x${byte} at offset ${decoded.offset} ` +
        `(line ${decoded.line}, column ${decoded.column}); save the file as UTF-8`,
      line: decoded.line,
      column: decoded.column,
    };
  } catch (error) {
    return { ok: false, kind: 'unreadable', reason: describeOpenError(error, path) };
  } finally {
    closeSync(descriptor);
  }
}

function tooLarge(maxBytes: number): string {
  return `is larger than ${formatSize(maxBytes)}, the limit for a file named by configuration`;
}

function formatSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function describeFileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function describeOpenError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return isSymbolicLink(path) ? 'is a symbolic link to nothing' : 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return `cannot be read: permission denied (${code})`;
    // open(2) on a socket fails with ENXIO; on Windows a directory fails with EISDIR.
    case 'ENXIO':
      return 'is a socket or a device with nothing behind it, not a regular file';
    case 'EISDIR':
      return 'is a directory, not a regular file';
    case 'ELOOP':
      return 'is a symbolic link that loops';
    default:
      return `cannot be read (${code ?? String(error)})`;
  }
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
