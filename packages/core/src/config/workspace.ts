/**
 * The workspace: the project Baton works in. Stages run there, and its `.baton` folder holds
 * the journal, so `baton runs` in the project shows the project's runs whichever
 * configuration file a run used (`--config` picks only the configuration). It is the folder
 * named by `--workspace`, else the nearest folder at or above the current directory that
 * holds a `baton.toml` or a `.git` (a repository's root, or a project inside one), else the
 * current directory.
 */
import { dirname, join, parse, resolve } from 'node:path';
import { entryExists, PROJECT_FILE_NAME } from './discover.js';

/** What marks a project's root folder. */
const PROJECT_MARKERS = [PROJECT_FILE_NAME, '.git'] as const;

export interface WorkspaceOptions {
  /** The current directory. */
  readonly cwd: string;
  /** `--workspace DIR`, relative to `cwd` or absolute. */
  readonly workspace?: string | undefined;
}

/** The workspace's absolute path. */
export function locateWorkspace(options: WorkspaceOptions): string {
  if (options.workspace !== undefined) return resolve(options.cwd, options.workspace);
  return findProjectRoot(options.cwd) ?? resolve(options.cwd);
}

/** The nearest folder at or above `cwd` holding a `baton.toml` or a `.git`, if any. */
export function findProjectRoot(cwd: string): string | undefined {
  let directory = resolve(cwd);
  const { root } = parse(directory);
  for (;;) {
    if (PROJECT_MARKERS.some((marker) => entryExists(join(directory, marker)))) return directory;
    if (directory === root) return undefined;
    directory = dirname(directory);
  }
}
