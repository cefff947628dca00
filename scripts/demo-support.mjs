// What both demos (`pnpm demo`, `pnpm demo:scale`) start with: where things are in the
// repository, the terminal's colours, one-line failures, the build, and the pinned real CLIs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
export const batonBin = join(repo, 'packages/cli/bin/baton.js');
export const cliBin = join(repo, 'packages/real-cli-tests/node_modules/.bin');

// Passed on to baton, which colours its own output by the same rule.
const PASSED_ON = ['NO_COLOR', 'TERM', 'LANG'];
export const inherited = Object.fromEntries(
  PASSED_ON.filter((name) => process.env[name]).map((name) => [name, process.env[name]]),
);
const color = process.stdout.isTTY === true && !('NO_COLOR' in inherited);
const paint = (code) => (text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const red = paint('31');

/** A demo's way to stop: one line on stderr under its name, exit 2. */
export function failer(name) {
  return (message) => {
    process.stderr.write(`${red(`${name}:`)} ${message}\n`);
    process.exit(2);
  };
}

/**
 * Builds the packages unless `noBuild` (turbo replays its cache when nothing changed), then
 * checks that `built` files are there. Returns how long the build took (ms), or `null`.
 */
export function buildPackages({ noBuild, built, fail }) {
  const turbo = join(repo, 'node_modules/.bin/turbo');
  if (!existsSync(turbo)) fail('node_modules is missing: run pnpm install first.');
  let took = null;
  if (!noBuild) {
    process.stdout.write(dim('Building the packages (turbo; cached when unchanged)… '));
    const started = performance.now();
    const build = spawnSync(turbo, ['run', 'build', '--output-logs=errors-only'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
    });
    if (build.status !== 0) {
      process.stdout.write('\n');
      process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
      fail(`the build failed (turbo run build, exit ${build.status ?? build.signal}).`);
    }
    took = performance.now() - started;
  }
  for (const file of built) {
    if (!existsSync(join(repo, file))) fail(`${file} is missing: build first (pnpm build).`);
  }
  return took;
}

/** The pinned real CLIs pnpm install placed, by the names given; fails if one is missing. */
export function realClis(names, fail) {
  const binaries = Object.fromEntries(
    Object.entries(names).map(([name, binary]) => [name, join(cliBin, binary)]),
  );
  for (const [name, path] of Object.entries(binaries)) {
    if (!existsSync(path)) fail(`${name} is not installed at ${path}: run pnpm install.`);
  }
  return binaries;
}
