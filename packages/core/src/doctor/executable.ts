import {
  accessSync,
  closeSync,
  constants,
  openSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Environment } from '../adapter/v2/spec.js';

/**
 * Finds an executable the way a shell would: a name with a slash is a path (relative to
 * `cwd`), anything else is searched on `PATH`. Returns `null` when nothing executable is there.
 */
export function findExecutable(nameOrPath: string, env: Environment, cwd: string): string | null {
  if (nameOrPath.includes('/')) {
    const path = isAbsolute(nameOrPath) ? nameOrPath : resolve(cwd, nameOrPath);
    return isExecutableFile(path) ? path : null;
  }
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, nameOrPath);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ExecutableHead {
  /** The path after following symlinks. */
  readonly realPath: string;
  readonly size: number;
  /** The first bytes (up to 4 KiB). */
  readonly head: Buffer;
  readonly isElf: boolean;
}

/** Reads the start of an executable: enough to tell a native binary from a stub script. */
export function readExecutableHead(path: string): ExecutableHead {
  const realPath = realpathSync(path);
  const size = statSync(realPath).size;
  const head = Buffer.alloc(Math.min(size, 4096));
  const descriptor = openSync(realPath, 'r');
  try {
    readSync(descriptor, head, 0, head.length, 0);
  } finally {
    closeSync(descriptor);
  }
  const isElf =
    head.length >= 4 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF';
  return { realPath, size, head, isElf };
}
