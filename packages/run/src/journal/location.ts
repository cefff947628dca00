import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Environment, findProjectFile } from '@baton/core';

export const JOURNAL_DIRECTORY = '.baton';
export const JOURNAL_FILE = 'journal.db';

/** The journal of a project: `.baton/journal.db` next to its `baton.toml`. */
export function journalPath(projectRoot: string): string {
  return join(projectRoot, JOURNAL_DIRECTORY, JOURNAL_FILE);
}

/**
 * The project's directory without loading (and validating) its config, for commands that
 * only read the journal: `--config FILE` or `BATON_CONFIG` name the file, else the nearest
 * `baton.toml`, else the working directory — the same rule the config loader uses.
 */
export function locateProjectRoot(options: {
  readonly cwd: string;
  readonly env: Environment;
  readonly configFile?: string | undefined;
}): string {
  const explicit = options.configFile ?? (options.env.BATON_CONFIG || undefined);
  if (explicit !== undefined) return dirname(resolve(options.cwd, explicit));
  const found = findProjectFile(options.cwd);
  return found !== undefined ? dirname(found) : resolve(options.cwd);
}

/** Creates `.baton/` (private) with a `.gitignore`, so the journal never lands in a commit. */
export function ensureJournalDirectory(projectRoot: string): string {
  const directory = join(projectRoot, JOURNAL_DIRECTORY);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const ignore = join(directory, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n', { mode: 0o600 });
  return directory;
}
