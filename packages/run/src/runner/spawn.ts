/**
 * Runs one runtime process: argv array, prompt on stdin, stdout streamed line by line (never
 * buffered whole), a wall-clock and an idle timeout, and the whole process group stopped
 * when the process ends, times out or the run is interrupted — nothing it started survives.
 * A helper that left the group (`setsid`) cannot hold the stage open either: once the
 * process has exited and its group is stopped, its pipes get a short grace, then are closed.
 */
import { closePipesAfter } from '@baton/core/doctor';
import { execa } from 'execa';
import { LineSplitter, TailBuffer } from './lines.js';
import { startWatchdog, stopGroup } from './process-group.js';

export type StopReason = 'timeout' | 'idle-timeout' | 'interrupt';

export interface ProcessOptions {
  readonly file: string;
  readonly args: readonly string[];
  /** The complete environment of the process (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Written to stdin, which is then closed; `null` closes it at once. */
  readonly stdin: string | null;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Between SIGTERM and SIGKILL when stopping the group. */
  readonly killGraceMs: number;
  readonly maxLineBytes: number;
  readonly stderrTailBytes?: number;
  /** How long the pipes may stay open after the process exits; default `PIPE_GRACE_MS`. */
  readonly pipeGraceMs?: number;
  readonly signal?: AbortSignal;
  /** Stops the group if this process dies without doing it (default on). */
  readonly watchdog?: boolean;
  onStart?(pid: number): void;
  onLine(line: string, truncated: boolean): void;
}

export interface ProcessResult {
  readonly pid: number | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  readonly stoppedBy: StopReason | null;
  /** Why the process could not start (`ENOENT: …`), or `null`. */
  readonly spawnError: string | null;
  readonly durationMs: number;
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
}

export async function runProcess(options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const tail = new TailBuffer(options.stderrTailBytes ?? 8192);
  const base = { stdoutBytes: 0, stdoutLines: 0 };
  if (options.signal?.aborted) {
    return {
      ...base,
      pid: null,
      exitCode: null,
      signal: null,
      stderrTail: '',
      stoppedBy: 'interrupt',
      spawnError: null,
      durationMs: 0,
    };
  }

  const child = execa(options.file, options.args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: false,
    encoding: 'buffer',
  });
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    const code = (result as { code?: string }).code ?? 'spawn failed';
    return {
      ...base,
      pid: null,
      exitCode: null,
      signal: null,
      stderrTail: '',
      stoppedBy: null,
      spawnError: `${code}: cannot start ${options.file}`,
      durationMs: Math.round(performance.now() - started),
    };
  }
  const watchdog = options.watchdog === false ? null : startWatchdog(pid, options.killGraceMs);
  try {
    options.onStart?.(pid);
  } catch (error) {
    // Whoever asked for the process cannot track it (e.g. the journal failed): stop it now.
    await stopGroup(pid, options.killGraceMs);
    child.stdout?.resume();
    child.stderr?.resume();
    child.stdin?.destroy();
    await child;
    await watchdog?.release();
    throw error;
  }

  let stdoutBytes = 0;
  let stdoutLines = 0;
  let lastActivity = performance.now();
  let stoppedBy: StopReason | null = null;
  let exited = false;
  let stopping: Promise<boolean> | null = null;
  let handlerError: unknown = null;
  const stop = (reason: StopReason | null) => {
    if (reason !== null && stoppedBy === null && !exited) stoppedBy = reason;
    stopping ??= stopGroup(pid, options.killGraceMs);
  };

  const splitter = new LineSplitter(options.maxLineBytes, (line, truncated) => {
    stdoutLines += 1;
    options.onLine(line, truncated);
  });
  child.stdout?.on('data', (chunk: Uint8Array) => {
    lastActivity = performance.now();
    stdoutBytes += chunk.length;
    if (handlerError !== null) return;
    try {
      splitter.push(chunk);
    } catch (error) {
      // The consumer of the output failed (e.g. the journal became unwritable): stop the
      // runtime rather than let it run unrecorded, and report the failure to the caller.
      handlerError = error;
      stop('interrupt');
    }
  });
  child.stderr?.on('data', (chunk: Uint8Array) => {
    lastActivity = performance.now();
    tail.push(chunk);
  });
  // A runtime that exits without reading its stdin makes the write fail with EPIPE: not an error of the run.
  child.stdin?.on('error', () => {});
  child.stdin?.end(options.stdin ?? '');

  const wallTimer = setTimeout(() => stop('timeout'), options.timeoutMs);
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (delay: number) => {
    idleTimer = setTimeout(
      () => {
        const silent = performance.now() - lastActivity;
        if (silent >= options.idleTimeoutMs) stop('idle-timeout');
        else armIdle(options.idleTimeoutMs - silent);
      },
      Math.max(1, delay),
    );
  };
  armIdle(options.idleTimeoutMs);
  const onAbort = () => stop('interrupt');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  child.once('exit', () => {
    exited = true;
    clearTimeout(wallTimer);
    clearTimeout(idleTimer);
    // Whatever the runtime left behind in its group goes with it; whatever escaped the
    // group may not hold its output pipes open.
    stop(null);
    void stopping?.then(() => closePipesAfter(child, options.pipeGraceMs));
  });

  try {
    const result = await child;
    if (handlerError === null) {
      try {
        splitter.end();
      } catch (error) {
        handlerError = error;
      }
    }
    await (stopping ?? stopGroup(pid, options.killGraceMs));
    if (handlerError !== null) throw handlerError;
    return {
      pid,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stderrTail: tail.toString(),
      stoppedBy,
      spawnError: null,
      durationMs: Math.round(performance.now() - started),
      stdoutBytes,
      stdoutLines,
    };
  } finally {
    clearTimeout(wallTimer);
    clearTimeout(idleTimer);
    options.signal?.removeEventListener('abort', onAbort);
    await watchdog?.release();
  }
}
