/**
 * Child processes for tests that need more than one process: plain `node` running the
 * workspace's TypeScript sources (see source-hooks.mjs), with a script given inline.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const HOOKS = new URL('./source-hooks.mjs', import.meta.url).href;

/** Starts `node` on an inline ES module; `args` reach it as `process.argv.slice(1)`. */
export function spawnSource(script: string, args: readonly string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      HOOKS,
      '--disable-warning=ExperimentalWarning',
      '--input-type=module',
      '-e',
      script,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** A module of this package's sources, as an import specifier for an inline script. */
export function sourceModule(relativeToSrc: string): string {
  return JSON.stringify(new URL(`../${relativeToSrc}`, import.meta.url).href);
}

/** Waits for the child to exit 0, and gives its stdout; its stderr goes into the error. */
export function completion(child: ChildProcess): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}
