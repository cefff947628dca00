import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import type { Environment } from '../adapter/v2/spec.js';

/**
 * How long a command's pipes may stay open after its process has exited (and its process
 * group was stopped). Output already in a pipe is read well within this; only a process
 * that escaped the group — a helper in a new session (`setsid`) — can hold a pipe open
 * longer, for its whole life, and nothing it writes then is waited for.
 */
export const PIPE_GRACE_MS = 500;

interface Pipes {
  readonly stdin?: Writable | null;
  readonly stdout?: Readable | null;
  readonly stderr?: Readable | null;
}

/**
 * Closes a child's pipes `graceMs` from now unless they closed by themselves, so whoever
 * awaits the child's output is not held by a process that outlived it. The timer does not
 * keep the event loop alive.
 */
export function closePipesAfter(child: Pipes, graceMs: number = PIPE_GRACE_MS): void {
  setTimeout(() => {
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }, graceMs).unref();
}

export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the time limit or the signal ended the command. */
  readonly timedOut: boolean;
  /** Set when the command could not start at all (ENOENT, EACCES). */
  readonly spawnError: string | null;
}

export interface RunCommandOptions {
  readonly env?: Environment;
  readonly cwd?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Written to stdin; stdin is closed either way, so a CLI waiting for input cannot hang. */
  readonly input?: string;
  /** Output kept per stream; a chatty command cannot exhaust memory. */
  readonly maxBuffer?: number;
  /** How long the pipes may stay open after the command exits; default `PIPE_GRACE_MS`. */
  readonly pipeGraceMs?: number;
}

/**
 * Runs a short command (a `--version`, an auth status) in its own process group, and kills
 * the whole group at the time limit, so a child that a hung CLI spawned cannot keep the
 * pipes open and hang doctor. A helper that left the group (`setsid`) is out of reach of the
 * kill: once the command has exited, its pipes get a short grace and are then closed, so the
 * result never waits for such a helper.
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const subprocess = execa(file, args, {
    env: options.env as Record<string, string | undefined> | undefined,
    extendEnv: options.env === undefined,
    cwd: options.cwd,
    input: options.input ?? '',
    detached: true,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: options.maxBuffer ?? 1024 * 1024,
    encoding: 'utf8',
  });
  let timedOut = false;
  const killGroup = () => {
    timedOut = true;
    if (subprocess.pid !== undefined) {
      try {
        process.kill(-subprocess.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  subprocess.once('exit', () => closePipesAfter(subprocess, options.pipeGraceMs));
  const timer = setTimeout(killGroup, options.timeoutMs);
  options.signal?.addEventListener('abort', killGroup, { once: true });
  try {
    const result = await subprocess;
    const code = (result as { code?: string }).code;
    const spawnError =
      result.failed && result.exitCode === undefined && !timedOut && code !== undefined
        ? `${code}: ${result.shortMessage ?? ''}`.trim()
        : null;
    return {
      exitCode: result.exitCode ?? null,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut,
      spawnError,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', killGroup);
  }
}
