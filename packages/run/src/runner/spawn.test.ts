import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { processRunning as alive, groupAlive, startWatchdog } from './process-group.js';
import { type ProcessOptions, runProcess } from './spawn.js';

/**
 * Shell words that wait until the helper just started with `setsid … &` (pid in `$!`) leads
 * its own session: until then it is still in the runtime's process group, and a group stop
 * racing it would kill it before it escapes. Leaves its pid in `$h`.
 */
const SESSION_READY = `h=$!; until [ "$(cut -d' ' -f6 /proc/$h/stat 2>/dev/null)" = "$h" ]; do sleep 0.01; done;`;

const started: number[] = [];

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

/** Runs `node -e code`; lines are collected, and any line `pid:<n>` is a process to watch. */
async function run(code: string, options: Partial<ProcessOptions> = {}) {
  const lines: string[] = [];
  const pids: number[] = [];
  const result = await runProcess({
    file: process.execPath,
    args: ['-e', code],
    env: { PATH: process.env.PATH ?? '' },
    cwd: process.cwd(),
    stdin: null,
    timeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    killGraceMs: 300,
    maxLineBytes: 1024,
    ...options,
    onStart(pid) {
      pids.push(pid);
      started.push(pid);
    },
    onLine(line) {
      lines.push(line);
      const match = /^pid:(\d+)$/.exec(line);
      if (match) {
        pids.push(Number(match[1]));
        started.push(Number(match[1]));
      }
    },
  });
  return { result, lines, pids };
}

const HANGING_CHILD = `
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
  console.log('pid:' + child.pid);
`;

describe('runProcess', () => {
  it('delivers stdin, streams stdout lines and reports the exit', async () => {
    const { result, lines } = await run(
      `let input = ''; process.stdin.on('data', (d) => input += d); process.stdin.on('end', () => { console.log('got ' + input.length); console.log('é✓'); process.stderr.write('warn\\n'); process.exit(3); });`,
      { stdin: 'x'.repeat(300_000) },
    );
    expect(lines).toEqual(['got 300000', 'é✓']);
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      stoppedBy: null,
      spawnError: null,
      stderrTail: 'warn\n',
      stdoutLines: 2,
    });
  });

  it('stops a hung runtime and the child it spawned at the wall-clock timeout', async () => {
    const { result, pids } = await run(
      `${HANGING_CHILD} process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`,
      {
        timeoutMs: 800,
      },
    );
    expect(result.stoppedBy).toBe('timeout');
    expect(result.signal).toBe('SIGKILL');
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(groupAlive(pids[0]!)).toBe(false);
    expect(result.durationMs).toBeGreaterThanOrEqual(800);
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('stops a runtime that goes silent at the idle timeout', async () => {
    const { result, lines } = await run(`console.log('hello'); setInterval(() => {}, 1000);`, {
      idleTimeoutMs: 400,
    });
    expect(lines).toEqual(['hello']);
    expect(result.stoppedBy).toBe('idle-timeout');
    expect(result.signal).toBe('SIGTERM');
  });

  it('keeps a chatty runtime alive past the idle timeout', async () => {
    const { result, lines } = await run(
      `let n = 0; const t = setInterval(() => { console.log('tick ' + n++); if (n === 8) { clearInterval(t); } }, 100);`,
      { idleTimeoutMs: 400 },
    );
    expect(result.stoppedBy).toBeNull();
    expect(lines).toHaveLength(8);
  });

  it('stops the group when the run is interrupted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 400);
    const { result, pids } = await run(`${HANGING_CHILD} setInterval(() => {}, 1000);`, {
      signal: controller.signal,
    });
    expect(result.stoppedBy).toBe('interrupt');
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('leaves no process behind when the runtime exits but its child does not', async () => {
    const { result, pids } = await run(`${HANGING_CHILD} setTimeout(() => process.exit(0), 100);`);
    expect(result.exitCode).toBe(0);
    expect(result.stoppedBy).toBeNull();
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('does not wait for a helper in a new session that holds stdout after the runtime exits', async () => {
    const started = performance.now();
    // A real shell runtime: its helper escapes the group (setsid) and inherits stdout.
    const lines: string[] = [];
    const result = await runProcess({
      file: '/bin/sh',
      args: ['-c', 'setsid sleep 25 & ' + SESSION_READY + ' echo "pid:$h"; echo done'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: process.cwd(),
      stdin: null,
      timeoutMs: 20_000,
      idleTimeoutMs: 20_000,
      killGraceMs: 300,
      maxLineBytes: 1024,
      onLine(line) {
        lines.push(line);
      },
    });
    const elapsed = performance.now() - started;
    const helper = Number(/^pid:(\d+)$/.exec(lines[0] ?? '')?.[1]);
    try {
      expect(lines).toEqual([`pid:${helper}`, 'done']);
      expect(result).toMatchObject({ exitCode: 0, stoppedBy: null, spawnError: null });
      // The helper lives 25 s and still runs: the stage did not wait for it.
      expect(alive(helper)).toBe(true);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      try {
        process.kill(-helper, 'SIGKILL');
      } catch {}
    }
  }, 40_000);

  it('outlives no timeout when a runtime that hangs has a helper in a new session holding stdout', async () => {
    const lines: string[] = [];
    const result = await runProcess({
      file: '/bin/sh',
      args: ['-c', 'setsid sleep 25 & ' + SESSION_READY + ' echo "pid:$h"; sleep 25'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: process.cwd(),
      stdin: null,
      timeoutMs: 500,
      idleTimeoutMs: 20_000,
      killGraceMs: 300,
      maxLineBytes: 1024,
      onLine(line) {
        lines.push(line);
      },
    });
    const helper = Number(/^pid:(\d+)$/.exec(lines[0] ?? '')?.[1]);
    try {
      expect(result.stoppedBy).toBe('timeout');
      expect(alive(helper)).toBe(true);
      // The timeout, the kill grace and the pipe grace, not the helper's 25 s.
      expect(result.durationMs).toBeLessThan(5_000);
    } finally {
      try {
        process.kill(-helper, 'SIGKILL');
      } catch {}
    }
  }, 40_000);

  it('reports an executable that cannot start', async () => {
    const result = await runProcess({
      file: '/nonexistent/runtime',
      args: [],
      env: {},
      cwd: process.cwd(),
      stdin: 'prompt',
      timeoutMs: 1000,
      idleTimeoutMs: 1000,
      killGraceMs: 100,
      maxLineBytes: 1024,
      onLine() {},
    });
    expect(result.pid).toBeNull();
    expect(result.spawnError).toBe('ENOENT: cannot start /nonexistent/runtime');
  });
});

describe('watchdog', () => {
  it('stops the group when the process that started it goes away without the all-clear', async () => {
    const group = spawn(process.execPath, ['-e', `${HANGING_CHILD} setInterval(() => {}, 1000);`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(group.pid!);
    const childPid = await new Promise<number>((resolve) =>
      group.stdout!.once('data', (data: Buffer) =>
        resolve(Number(/pid:(\d+)/.exec(String(data))![1])),
      ),
    );
    started.push(childPid);
    const watchdog = startWatchdog(group.pid!, 300);
    await sleep(100);
    expect(groupAlive(group.pid!)).toBe(true);
    watchdog.abandon();
    expect(await waitUntil(() => !alive(childPid) && !groupAlive(group.pid!))).toBe(true);
  });

  it('does nothing after the all-clear', async () => {
    const group = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
    });
    started.push(group.pid!);
    const watchdog = startWatchdog(group.pid!, 300);
    await watchdog.release();
    await sleep(300);
    expect(alive(group.pid!)).toBe(true);
  });
});

describe('runProcess when the caller cannot track the process', () => {
  it('stops the process group and reports the failure', async () => {
    const pids: number[] = [];
    await expect(
      runProcess({
        file: process.execPath,
        args: ['-e', 'setInterval(() => console.log("busy"), 10)'],
        env: { PATH: process.env.PATH ?? '' },
        cwd: process.cwd(),
        stdin: null,
        timeoutMs: 10_000,
        idleTimeoutMs: 10_000,
        killGraceMs: 300,
        maxLineBytes: 1024,
        onStart(pid) {
          pids.push(pid);
          started.push(pid);
          throw new Error('journal is read-only');
        },
        onLine() {},
      }),
    ).rejects.toThrow('journal is read-only');
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(false);
  });
});
