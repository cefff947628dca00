/**
 * Runs a `CommandSpec` the way Baton's runner does — argument array, env laid over a base
 * environment, input files written first, stdin written and closed, stdout decoded line by
 * line, result files read at the end, the whole process group killed at the time limit —
 * so an adapter's tests can drive its real command end to end against a real or stand-in
 * runtime without the run engine.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommandSpec, OutputDecoder, RuntimeEvent, StageOutcome } from '../adapter/v2/spec.js';

export interface SpecRun {
  readonly outcome: StageOutcome;
  readonly events: RuntimeEvent[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export interface RunSpecOptions {
  /** The environment the spec's `env` is laid over (the runtime's inherited environment). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
}

/** Runs a CommandSpec to its end, feeding stdout to the decoder line by line. */
export async function runCommandSpec(
  spec: CommandSpec,
  decoder: OutputDecoder,
  options: RunSpecOptions,
): Promise<SpecRun> {
  const started = performance.now();
  for (const [path, content] of Object.entries(spec.inputFiles ?? {})) writeFileSync(path, content);
  const child = spawn(spec.file, [...spec.args], {
    cwd: spec.cwd,
    env: { ...options.baseEnv, ...spec.env } as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }, options.timeoutMs);
  child.stdin.on('error', () => {
    // A runtime that exits without reading stdin closes the pipe; that is its business.
  });
  child.stdin.end(spec.stdin ?? '');
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-16_000);
  });
  const events: RuntimeEvent[] = [];
  const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  const exited = new Promise<{ code: number | null; signal: string | null; error?: Error }>(
    (resolve) => {
      child.on('error', (error) => resolve({ code: null, signal: null, error }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    },
  );
  for await (const line of lines) events.push(...decoder.push(line));
  const { code, signal, error } = await exited;
  clearTimeout(timer);
  const resultFiles: Record<string, string | null> = {};
  for (const [name, path] of Object.entries(spec.resultFiles ?? {})) {
    try {
      resultFiles[name] = readFileSync(path, 'utf8');
    } catch {
      resultFiles[name] = null;
    }
  }
  const outcome = decoder.finish({
    exitCode: code,
    signal,
    stderrTail: error ? `${stderr}\n${error.message}` : stderr,
    resultFiles,
  });
  return {
    outcome,
    events,
    exitCode: code,
    signal,
    stderr,
    durationMs: Math.round(performance.now() - started),
    timedOut,
  };
}
