/**
 * `baton doctor` shows what it knows as soon as it knows it: the stage table before any check
 * finishes, then each runtime's findings as its checks finish (a slow runtime last), with the
 * runtimes still being checked named on a terminal's status line; `--json` is one document.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLI_BIN,
  fakeExecutable,
  installFakeAdapter,
  tempProject,
} from '../test-support/project.js';

const ROUTED = `
[orchestrator]
runtime_backend = "alpha"

[orchestrator.runtime_profile.stages]
execute = "slow"
`;

/** A project where `slow --version` takes three seconds and `alpha --version` answers at once. */
function project(): string {
  const root = tempProject({ 'baton.toml': ROUTED });
  installFakeAdapter(root, 'alpha');
  installFakeAdapter(root, 'slow');
  fakeExecutable(root, 'fake-alpha', 'echo "fake-alpha 1.2.3"');
  fakeExecutable(root, 'fake-slow', 'sleep 3; echo "fake-slow 1.4.0"');
  return root;
}

/** Runs the built CLI (through `script` when `terminal`), noting when each piece of output came. */
function timed(
  root: string,
  args: readonly string[],
  terminal = false,
): Promise<{ status: number | null; chunks: { at: number; text: string }[]; text: string }> {
  const env = {
    PATH: `${join(root, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: root,
    XDG_CONFIG_HOME: join(root, 'xdg'),
    TERM: 'xterm',
  };
  const command = [process.execPath, CLI_BIN, ...args];
  const child = terminal
    ? spawn('script', ['-q', '-e', '-c', command.map((arg) => `'${arg}'`).join(' '), '/dev/null'], {
        cwd: root,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command[0]!, command.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = performance.now();
  const chunks: { at: number; text: string }[] = [];
  child.stdout!.on('data', (chunk) =>
    chunks.push({ at: performance.now() - started, text: String(chunk) }),
  );
  return new Promise((resolve) =>
    child.on('close', (status) =>
      resolve({ status, chunks, text: chunks.map((chunk) => chunk.text).join('') }),
    ),
  );
}

/** When the output first contained `text`, in ms after the start. */
function shownAt(chunks: readonly { at: number; text: string }[], text: string): number {
  let sofar = '';
  for (const chunk of chunks) {
    sofar += chunk.text;
    if (sofar.includes(text)) return chunk.at;
  }
  return Number.POSITIVE_INFINITY;
}

describe('baton doctor prints as it goes', () => {
  it('the stage table at once, the fast runtime next, the slow one when its check is done', async () => {
    const root = project();
    const result = await timed(root, ['doctor']);
    expect(result.status, result.text).toBe(0);
    const table = shownAt(result.chunks, 'STAGE');
    const fast = shownAt(result.chunks, 'Fake alpha 1.2.3');
    const slow = shownAt(result.chunks, 'Fake slow 1.4.0');
    // The slow runtime's version check takes three seconds; nothing else waits for it.
    expect(slow).toBeGreaterThan(2900);
    expect(table).toBeLessThan(slow - 2000);
    expect(fast).toBeLessThan(slow - 2000);
    const text = result.text;
    expect(text.indexOf('STAGE')).toBeLessThan(text.indexOf('Fake alpha'));
    expect(text.indexOf('Fake alpha')).toBeLessThan(text.indexOf('Fake slow'));
    expect(text.trimEnd().endsWith('All runtimes in use are ready.')).toBe(true);
    // No status line where there is no terminal.
    expect(text).not.toMatch(/[\r\u001b]|checking/);
  }, 60_000);

  it('on a terminal, names the runtimes still being checked until they are done', async () => {
    const root = project();
    const result = await timed(root, ['doctor'], true);
    expect(result.status, result.text).toBe(0);
    const waiting = shownAt(result.chunks, '… checking slow (');
    expect(waiting).toBeLessThan(shownAt(result.chunks, 'Fake slow 1.4.0'));
    // The status line is erased before the end: the last thing shown is the verdict.
    const plain = result.text.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toContain('\r\u001b[2K');
    expect(plain.trimEnd().endsWith('All runtimes in use are ready.')).toBe(true);
  }, 60_000);

  it('--json is still one document, after every check', async () => {
    const root = project();
    const result = await timed(root, ['doctor', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.text);
    expect(Object.keys(report)).toEqual([
      'ok',
      'stages',
      'backendProfile',
      'configFiles',
      'runtimes',
    ]);
    expect(report.runtimes.map((runtime: { id: string }) => runtime.id).sort()).toEqual([
      'alpha',
      'slow',
    ]);
  }, 60_000);
});
