import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import type { Environment } from '../adapter/v1/spec.js';

export const PROJECT_FILE_NAME = 'baton.toml';

/** The project's `baton.toml`: in `cwd` or its nearest parent, or `undefined`. */
export function findProjectFile(cwd: string): string | undefined {
  let directory = resolve(cwd);
  const { root } = parse(directory);
  for (;;) {
    const candidate = join(directory, PROJECT_FILE_NAME);
    if (isFile(candidate)) return candidate;
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

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export { existsSync };
