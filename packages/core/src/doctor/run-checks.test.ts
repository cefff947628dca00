import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../adapter/v2/spec.js';
import { fakeAdapter } from '../test-support/fake-adapter.js';
import { SESSION_READY } from '../test-support/session-helper.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { binaryCheck, versionCheck } from './checks.js';
import { runChecks } from './run-checks.js';

const identity = {
  id: 'tool',
  aliases: [],
  displayName: 'Tool',
  binary: 'tool',
  testedVersions: '>=1.2.0 <1.3.0',
  contractChannel: 'stdin',
};

function adapterWith(checks: readonly DoctorCheck[]) {
  return fakeAdapter(identity, checks);
}

const standardChecks = [
  binaryCheck({
    identity,
    installHint: 'npm install -g tool',
    detectPlaceholder: (head) =>
      !head.isElf && head.size < 1024 && head.head.toString('utf8').includes('postinstall')
        ? 'its postinstall did not run'
        : null,
  }),
  versionCheck({ identity }),
];

/** A folder on PATH holding one executable `tool` with the given shell script body. */
function pathWithTool(script: string | null): { PATH: string; directory: string } {
  const directory = tempDirectory();
  if (script !== null) {
    writeTree(directory, { tool: `#!/bin/sh\n${script}\n` });
    chmodSync(join(directory, 'tool'), 0o755);
  }
  return { PATH: `${directory}:/usr/bin:/bin`, directory };
}

async function doctor(
  script: string | null,
  options: { timeoutMs?: number; checks?: readonly DoctorCheck[] } = {},
) {
  const { PATH, directory } = pathWithTool(script);
  const report = await runChecks({
    adapter: adapterWith(options.checks ?? standardChecks),
    probe: false,
    timeoutMs: options.timeoutMs ?? 5_000,
    context: { settings: {}, profile: null, env: { PATH }, cwd: directory, stages: ['execute'] },
  });
  return { report, directory };
}

/** True while the process runs; a zombie (killed, waiting to be reaped) counts as gone. */
/** Kills a helper that made itself a session (and group) leader with `setsid`. */
function killSession(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runChecks with real executables', () => {
  it('passes a present binary with a version inside the tested range', async () => {
    const { report, directory } = await doctor('echo "tool 1.2.7 (build 5)"');
    expect(report.status).toBe('pass');
    expect(report.version).toBe('1.2.7');
    expect(report.checks.map((check) => [check.id, check.status, check.summary])).toEqual([
      ['binary', 'pass', `found ${join(directory, 'tool')}`],
      ['version', 'pass', 'version 1.2.7 (tested: >=1.2.0 <1.3.0)'],
    ]);
  });

  it('warns outside the tested range, without failing', async () => {
    const { report } = await doctor('echo "tool 2.0.1"');
    expect(report.status).toBe('warn');
    expect(report.checks[1]).toMatchObject({
      status: 'warn',
      summary: 'version 2.0.1 is outside the tested range >=1.2.0 <1.3.0',
    });
  });

  it('fails a missing binary and skips what depends on it', async () => {
    const { report } = await doctor(null);
    expect(report.status).toBe('fail');
    expect(report.checks).toEqual([
      expect.objectContaining({
        id: 'binary',
        status: 'fail',
        summary: 'tool not found on PATH',
        remediation: 'npm install -g tool',
      }),
      expect.objectContaining({
        id: 'version',
        status: 'skip',
        summary: 'skipped: binary did not pass',
      }),
    ]);
  });

  it('fails an uninstalled placeholder stub', async () => {
    const { report, directory } = await doctor(
      'echo "Error: the postinstall script was not run" >&2; exit 1',
    );
    expect(report.checks[0]).toMatchObject({
      status: 'fail',
      summary: `${join(directory, 'tool')} is a placeholder: its postinstall did not run`,
    });
  });

  it('fails a version it cannot parse, quoting the output', async () => {
    const { report } = await doctor('echo "hello there"');
    expect(report.checks[1]).toMatchObject({
      status: 'fail',
      summary: 'cannot read a version in the output of `tool --version`: "hello there"',
    });
  });

  it('fails a --version that exits non-zero', async () => {
    const { report } = await doctor('echo "boom" >&2; exit 3');
    expect(report.checks[1]).toMatchObject({
      status: 'fail',
      summary: '`tool --version` exited with 3: boom',
    });
  });

  it('stops a --version that never returns, with every process it started', async () => {
    const pidDirectory = tempDirectory();
    const pidFile = join(pidDirectory, 'grandchild.pid');
    // The tool starts a grandchild that inherits stdout, then hangs itself.
    const { report } = await doctor(`sleep 300 & echo $! > ${pidFile}; sleep 300`, {
      timeoutMs: 1_000,
    });
    expect(report.checks[1]).toMatchObject({
      id: 'version',
      status: 'fail',
      summary: 'did not finish within 1s',
    });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processAlive(grandchild)).toBe(false);
  });

  it('reports the version at once when the tool leaves a helper in a new session holding stdout', async () => {
    const pidDirectory = tempDirectory();
    const pidFile = join(pidDirectory, 'helper.pid');
    // The helper escapes the process group (setsid) and inherits stdout for its whole life.
    const started = performance.now();
    const { report } = await doctor(
      `setsid sleep 25 & ${SESSION_READY} echo $h > ${pidFile}; echo "tool 1.2.7"`,
      {
        timeoutMs: 20_000,
      },
    );
    const elapsed = performance.now() - started;
    const helper = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(report.checks[1]).toMatchObject({
        id: 'version',
        status: 'pass',
        summary: 'version 1.2.7 (tested: >=1.2.0 <1.3.0)',
      });
      // The helper still runs: doctor did not wait for it (it lives 25 s).
      expect(processAlive(helper)).toBe(true);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      killSession(helper);
    }
  }, 40_000);

  it('runs independent checks concurrently and bounds each by its time limit', async () => {
    const slow = (id: string): DoctorCheck => ({
      id,
      run: () =>
        new Promise((resolve) => setTimeout(() => resolve({ status: 'pass', summary: id }), 400)),
    });
    const hang: DoctorCheck = { id: 'hang', run: () => new Promise(() => {}) };
    const started = performance.now();
    const { report } = await doctor(null, {
      checks: [slow('a'), slow('b'), slow('c'), hang],
      timeoutMs: 800,
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(2_000);
    expect(report.checks.map((check) => check.status)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(report.checks[3]!.summary).toBe('did not finish within 0.8s');
  });

  it('reports a crashing check as a failure instead of crashing doctor', async () => {
    const crash: DoctorCheck = {
      id: 'crash',
      run: async () => {
        throw new Error('kaboom');
      },
    };
    const { report } = await doctor(null, { checks: [crash] });
    expect(report.checks[0]).toMatchObject({ status: 'fail', summary: 'check crashed: kaboom' });
  });
});
