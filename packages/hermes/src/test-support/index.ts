/**
 * Test support for the Hermes adapter, reusable by anyone testing against Hermes without
 * installing it: a stand-in `hermes` executable built from the documented interface, and
 * (re-exported from `@baton/core/testing`) the runner that executes a `CommandSpec` the
 * way Baton's runner does.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const STAND_IN_SCRIPT = fileURLToPath(new URL('./hermes-stand-in.mjs', import.meta.url));

/**
 * Writes an executable `hermes` into `binDir` that runs the stand-in with the current Node.
 * Put `binDir` and `dirname(process.execPath)` on the child's PATH.
 */
export function installHermesStandIn(binDir: string): string {
  const path = join(binDir, 'hermes');
  writeFileSync(
    path,
    `#!/usr/bin/env node\nimport(${JSON.stringify(pathToFileURL(STAND_IN_SCRIPT).href)});\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** A PATH with the stand-in's directory first and this Node's directory next. */
export function standInPath(binDir: string, rest = '/usr/bin:/bin'): string {
  return [binDir, dirname(process.execPath), rest].join(':');
}

export { type RunSpecOptions, runCommandSpec, type SpecRun } from '@baton/core/testing';
