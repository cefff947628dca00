/**
 * Stopping a runtime means stopping everything it started: runtimes run in their own
 * process group (`detached`), and Baton signals the whole group — SIGTERM, then SIGKILL
 * after a grace period — so a helper a runtime spawned cannot outlive it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while any process of the group still runs. A zombie (dead, not yet reaped by its
 * parent — or never, under an init that does not reap) does not count: it runs nothing.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const members = runningGroupMembers(pgid);
  return members === null || members.length > 0;
}

/** `/proc/<pid>/stat` fields after the command name: state is [0], process group is [2]. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Pids of the group's processes that are not zombies, or `null` where `/proc` is not available. */
export function runningGroupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== null && fields[0] !== 'Z' && Number(fields[2]) === pgid)
      members.push(Number(entry));
  }
  return members;
}

/** True while the process exists and is not a zombie. */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return statFields(pid)?.[0] !== 'Z';
}

/**
 * SIGTERM to the group, SIGKILL to whatever is left after `graceMs`. Resolves once the
 * group is gone (or, if even SIGKILL did not clear it within a second, with `false`).
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!signalGroup(pgid, 'SIGTERM')) return true;
  if (await waitGone(pgid, graceMs)) return true;
  signalGroup(pgid, 'SIGKILL');
  return waitGone(pgid, 1000);
}

async function waitGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let delay = 5;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/**
 * A tiny guard process that stops a runtime's group if Baton itself dies without doing it
 * (`kill -9`, an out-of-memory kill): it waits on a pipe from Baton, and end-of-file
 * without the all-clear line means Baton is gone. It runs in its own group so a terminal's
 * Ctrl-C, which Baton handles, does not reach it.
 */
// (No \`--\` before the negative pid: dash's kill builtin rejects it.)
const WATCHDOG_SCRIPT = `trap '' INT HUP
if IFS= read -r line; then exit 0; fi
kill -TERM "-$1" 2>/dev/null || exit 0
i=0
while kill -0 "-$1" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt "$2" ]; then kill -KILL "-$1" 2>/dev/null; exit 0; fi
  sleep 0.1
done`;

export interface Watchdog {
  /** Tells the guard the group was stopped normally; resolves when the guard has exited. */
  release(): Promise<void>;
  /** Closes the pipe without the all-clear, exactly as Baton's death would (for tests). */
  abandon(): void;
}

export function startWatchdog(pgid: number, graceMs: number): Watchdog {
  let guard: ChildProcess;
  try {
    guard = spawn(
      '/bin/sh',
      ['-c', WATCHDOG_SCRIPT, 'baton-watchdog', String(pgid), String(Math.ceil(graceMs / 100))],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
  } catch {
    return { release: async () => {}, abandon: () => {} };
  }
  guard.on('error', () => {});
  guard.stdin?.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    if (guard.exitCode !== null || guard.signalCode !== null) resolve();
    guard.once('exit', () => resolve());
    guard.once('error', () => resolve());
  });
  guard.unref();
  return {
    async release() {
      guard.stdin?.end('done\n');
      await Promise.race([exited, sleep(1000)]);
    },
    abandon() {
      guard.stdin?.destroy();
    },
  };
}
