/**
 * `pnpm demo:scale` (scripts/demo-scale.mjs) as users run it, minus the build: a throwaway
 * PostgreSQL, two workers with different runtimes on the real CLIs, the deliver mission on
 * the pool — and nothing left behind: no folder of its own, no database, no process.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcess } from './support.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const DEMO = join(repo, 'scripts', 'demo-scale.mjs');

let temp: string;

beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'baton-demo-scale-test-'));
  // As root, PostgreSQL runs as the postgres user, who must reach its folder in here.
  chmodSync(temp, 0o755);
});

afterEach(() => {
  rmSync(temp, { recursive: true, force: true });
});

describe('pnpm demo:scale', () => {
  it('runs the mission across two workers with different runtimes, then cleans up', async () => {
    const result = await runProcess(process.execPath, [DEMO, '--no-build'], {
      cwd: repo,
      env: {
        PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
        HOME: temp,
        TMPDIR: temp,
      },
      timeoutMs: 200_000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('STAGE'));
    expect(lines[header]).toMatch(/^STAGE +RUNTIME +WORKER +RESULT +TOKENS$/);
    const rows = lines
      .slice(header + 1, header + 5)
      .map((line) => line.split(/ {2,}/).map((cell) => cell.trim()));
    expect(rows).toEqual([
      [
        'interview',
        'codex',
        expect.stringMatching(/^laptop-[ab]$/),
        'succeeded',
        expect.any(String),
      ],
      ['execute', 'opencode', 'laptop-b', 'succeeded', expect.any(String)],
      ['evaluate', 'claude-code', 'laptop-a', 'succeeded', expect.any(String)],
      ['reflect', 'codex', expect.stringMatching(/^laptop-[ab]$/), 'succeeded', expect.any(String)],
    ]);
    expect(result.stdout).toMatch(
      /hello\.txt on the run's branch baton\/\d{8}-\d{6}-[0-9a-f]{6}: "hello from baton\\n"/,
    );
    // Nothing of the demo's own is left: its folder, the database's, their processes.
    expect(
      readdirSync(temp).filter(
        (name) => name.startsWith('baton-demo-scale-') || name.startsWith('baton-pg-'),
      ),
    ).toEqual([]);
    const processes = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(processes.split('\n').filter((line) => line.includes(temp))).toEqual([]);
  }, 240_000);
});
