/**
 * `pnpm demo` (scripts/demo.mjs), the README's main job, run as users run it — minus the
 * build, which `pnpm test` has just done: the deliver mission on the real harnesses against
 * the scripted server, ending with the stage → runtime → result → tokens table.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRoleContract, type Stage } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcess } from './support.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const DEMO = join(repo, 'scripts', 'demo.mjs');

let temp: string;

/** The table's last column: the role, and the start of the hash of the built-in contract. */
const delivered = (stage: Stage) => {
  const contract = renderRoleContract(stage, { contracts: {} });
  return `${contract.role} ✓ ${contract.sha256.slice(0, 12)}`;
};

beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'baton-demo-test-'));
});

afterEach(() => {
  rmSync(temp, { recursive: true, force: true });
});

describe('pnpm demo', () => {
  it('runs the deliver mission on the real harnesses and ends with the table and the journal', async () => {
    const result = await runProcess(process.execPath, [DEMO, '--no-build'], {
      cwd: repo,
      // The demo keeps its project under the temp directory: this test's, removed afterwards.
      env: {
        PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
        HOME: temp,
        TMPDIR: temp,
      },
      timeoutMs: 100_000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);

    // baton run's own progress, streamed live (stderr is not a terminal: one line per stage event).
    expect(result.stderr.split('\n').filter((line) => line.startsWith('✔ '))).toEqual([
      // The demo's models have no [pricing] and the runtimes price none of them.
      expect.stringMatching(/^✔ interview · codex · [\d.]+s · [\d,]+ tokens · cost unknown$/),
      expect.stringMatching(
        /^✔ execute · opencode · [\d.]+s · [\d,]+ tokens · (cost unknown|\$[\d.]+) · 1 tool call$/,
      ),
      expect.stringMatching(
        /^✔ evaluate · claude-code · [\d.]+s · [\d,]+ tokens · cost unknown · 1 tool call · verdict PASS$/,
      ),
      expect.stringMatching(
        /^✔ reflect · litellm · [\d.]+s · [\d,]+ tokens · (cost unknown|\$[\d.]+)$/,
      ),
    ]);

    const lines = result.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('STAGE'));
    expect(lines[header]).toMatch(/^STAGE +RUNTIME +RESULT +TOKENS +CONTRACT ON THE WIRE$/);
    const rows = lines
      .slice(header + 1, header + 5)
      .map((line) => line.split(/ {2,}/).map((cell) => cell.trim()));
    expect(rows).toEqual([
      [
        'interview',
        'codex',
        'succeeded',
        expect.stringMatching(/^[1-9][\d,]*$/),
        delivered('interview'),
      ],
      [
        'execute',
        'opencode',
        'succeeded',
        expect.stringMatching(/^[1-9][\d,]*$/),
        delivered('execute'),
      ],
      [
        'evaluate',
        'claude-code',
        'succeeded · verdict PASS',
        expect.stringMatching(/^[1-9][\d,]*$/),
        delivered('evaluate'),
      ],
      [
        'reflect',
        'litellm',
        'succeeded',
        expect.stringMatching(/^[1-9][\d,]*$/),
        delivered('reflect'),
      ],
    ]);

    const journal = /^ {2}journal +(\S+)$/m.exec(result.stdout)?.[1];
    expect(journal).toBeDefined();
    expect(journal!.startsWith(temp)).toBe(true);
    expect(existsSync(journal!)).toBe(true);
    expect(result.stdout).toMatch(/^Run \d{8}-\d{6}-[0-9a-f]{6} succeeded in [\d.]+s$/m);
    const made = join(dirname(dirname(journal!)), 'hello.txt');
    expect(readFileSync(made, 'utf8')).toBe('hello from baton\n');
    // It says where it left its files, and how to remove them.
    const left = /^The demo's files are in (\S+) \(/m.exec(result.stdout)?.[1];
    expect(left).toBeDefined();
    expect(journal!.startsWith(left!)).toBe(true);
    expect(result.stdout).toContain(`Remove them with: rm -rf ${left}`);
  }, 150_000);
});
