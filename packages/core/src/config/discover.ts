import { existsSync, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import type { Environment } from '../adapter/v1/spec.js';

export const PROJECT_FILE_NAME = 'baton.toml';

/**
 * The project's `baton.toml`: in `cwd` or its nearest parent, or `undefined`. Whatever bears
 * the name counts, even a directory or a FIFO: reading it then reports the problem, where
 * skipping it would silently pick up a parent's file instead.
 */
export function findProjectFile(cwd: string): string | undefined {
  let directory = resolve(cwd);
  const { root } = parse(directory);
  for (;;) {
    const candidate = join(directory, PROJECT_FILE_NAME);
    if (entryExists(candidate)) return candidate;
    if (directory === root) return undefined;
    directory = dirname(directory);
  }
}

/** `$XDG_CONFIG_HOME/baton/config.toml`, defaulting to `~/.config/baton/config.toml`. */
export function userConfigPath(env: Environment): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== ''
      ? env.XDG_CONFIG_HOME
      : join(env.HOME && env.HOME !== '' ? env.HOME : homedir(), '.config');
  return join(base, 'baton', 'config.toml');
}

/** Whether anything (a file, a directory, a dangling symbolic link, …) has this name. */
export function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export { existsSync };
