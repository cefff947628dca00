import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const helpers: ChildProcess[] = [];
afterEach(() => {
  for (const helper of helpers.splice(0)) helper.kill('SIGKILL');
});

/**
 * Makes a FIFO, plus a helper that opens it for writing after two seconds and closes it: a
 * reader that blocked on the FIFO is then released with no data, so a test of code that must
 * never wait on a FIFO fails instead of hanging when that code regresses.
 */
export function fifo(directory: string, name: string): string {
  const path = join(directory, name);
  const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  helpers.push(spawn('sh', ['-c', 'sleep 2; : > "$0"', path], { stdio: 'ignore' }));
  return path;
}
