/**
 * `@baton/cli` as a library: the built package exports the programmatic API of
 * `@baton/run/api` (the same functions, so a program gets one Baton, not two) and the error
 * type its failures carry, and importing it starts no command.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the built @baton/cli exports the API of @baton/run/api and BatonError, and runs nothing on import', () => {
  // Run from the package itself, so `@baton/cli` resolves to its built exports (self-reference).
  const script = `
    const cli = await import('@baton/cli');
    const api = await import('@baton/run/api');
    const core = await import('@baton/core');
    const names = ['runMission', 'resumeRun', 'listRuns', 'readEvents', 'readRun', 'replayRun'];
    console.log(JSON.stringify({
      api: names.filter((name) => typeof cli[name] === 'function' && cli[name] === api[name]),
      errors: cli.BatonError === core.BatonError && cli.ERROR_CODES === core.ERROR_CODES,
    }));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageDirectory,
    encoding: 'utf8',
    env: { PATH: dirname(process.execPath) },
    timeout: 30_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split('\n')).toEqual([
    JSON.stringify({
      api: ['runMission', 'resumeRun', 'listRuns', 'readEvents', 'readRun', 'replayRun'],
      errors: true,
    }),
  ]);
});
