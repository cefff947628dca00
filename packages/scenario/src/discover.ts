/**
 * Finds scenario files: every `*.baton-test.toml` under the given directories (default: the
 * current one), plus files named explicitly. Dependency, VCS and Baton's own folders are
 * skipped; the order is stable (sorted by path), so reports and receipts are too.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { BatonError } from '@baton/core';
import { SCENARIO_SUFFIX } from './load.js';

const SKIPPED = new Set(['node_modules', '.git', '.baton', '.hg', '.svn']);
/** Deeper than any project keeps its tests; a bound against a symlink loop. */
const MAX_DEPTH = 32;

export function discoverScenarios(paths: readonly string[], cwd: string): string[] {
  const found = new Set<string>();
  for (const given of paths.length === 0 ? ['.'] : paths) {
    const path = resolve(cwd, given);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new BatonError('USAGE', `test: ${given}: no such file or directory.`, {
        details: { path },
      });
    }
    if (isDirectory) walk(path, 0, found);
    else found.add(path);
  }
  return [...found].sort();
}

function walk(directory: string, depth: number, found: Set<string>): void {
  if (depth > MAX_DEPTH) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return; // Unreadable folders hold no scenarios we could run.
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED.has(entry.name)) walk(path, depth + 1, found);
    } else if (entry.isFile() && entry.name.endsWith(SCENARIO_SUFFIX)) {
      found.add(path);
    }
  }
}

/** The suite a scenario belongs to: its directory, relative to where `baton test` runs. */
export function suiteOf(file: string, cwd: string): string {
  const directory = relative(cwd, resolve(file, '..'));
  return directory === '' ? '.' : directory.split(sep).join('/');
}
