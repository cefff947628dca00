/**
 * Which process drives a run. A run whose status says `running` but whose owner is gone
 * was stopped without closing it (`kill -9`, a crash, a power cut): it reads as interrupted.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** The process's start time from `/proc` (Linux), so a reused pid is not mistaken for it. */
  readonly start: string | null;
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields count from after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function processStartToken(pid: number): string | null {
  // Field 22 of /proc/<pid>/stat: start time in clock ticks since boot.
  return statFields(pid)?.[19] ?? null;
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: processStartToken(process.pid) };
}

export function isProcessAlive(identity: ProcessIdentity): boolean {
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(identity.pid);
  if (fields === null) return true;
  // A zombie is dead; a different start time means the pid now belongs to another process.
  if (fields[0] === 'Z') return false;
  return identity.start === null || fields[19] === identity.start;
}
