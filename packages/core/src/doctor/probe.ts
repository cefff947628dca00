import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  CheckResult,
  CommandSpec,
  DoctorContext,
  ErrorKind,
  OutputDecoder,
  StageRequest,
} from '../adapter/v2/spec.js';
import { runCommand } from './process.js';

/** The prompt of every probe: tiny, so the reply costs a handful of tokens. */
export const PROBE_PROMPT = 'Reply with the single word: ready';

export interface ProbeOptions {
  readonly context: DoctorContext;
  /** Builds the probe's command for a read-only request in a throw-away directory. */
  readonly buildCommand: (request: StageRequest) => CommandSpec;
  readonly createDecoder: (request: StageRequest) => OutputDecoder;
  /** How the command reads in messages (`opencode run`). */
  readonly label: string;
  readonly timeoutMs: number;
  /** What to do about a failure of this kind. */
  readonly remediation: (kind: ErrorKind) => string;
}

/**
 * One tiny real invocation of a runtime, decoded exactly like a stage: healthy only when
 * the model really answered. An error reply (auth, network, model, server) is a failure
 * named by its kind, never a pass because the process happened to start.
 */
export async function runProbe(options: ProbeOptions): Promise<CheckResult> {
  const { context } = options;
  const directory = mkdtempSync(join(tmpdir(), 'baton-probe-'));
  try {
    const request: StageRequest = {
      stage: context.stages[0] ?? 'interview',
      prompt: PROBE_PROMPT,
      contract: '',
      cwd: directory,
      access: 'read-only',
      profile: context.profile,
      settings: context.settings,
      scratchDir: directory,
      env: context.env,
    };
    let command: CommandSpec;
    try {
      command = options.buildCommand(request);
    } catch (error) {
      return { status: 'fail', summary: error instanceof Error ? error.message : String(error) };
    }
    for (const [path, content] of Object.entries(command.inputFiles ?? {}))
      writeFileSync(path, content);
    const started = performance.now();
    const run = await runCommand(command.file, command.args, {
      env: { ...context.env, ...command.env },
      cwd: command.cwd,
      timeoutMs: options.timeoutMs,
      signal: context.signal,
      input: command.stdin ?? '',
      maxBuffer: 8 * 1024 * 1024,
    });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (run.timedOut) {
      return {
        status: 'fail',
        summary: `\`${options.label}\` did not finish within ${options.timeoutMs / 1000}s`,
        remediation: options.remediation('timeout'),
      };
    }
    if (run.spawnError !== null) {
      return {
        status: 'fail',
        summary: `cannot start ${command.file}: ${run.spawnError}`,
        remediation: options.remediation('unknown'),
      };
    }
    const decoder = options.createDecoder(request);
    for (const line of run.stdout.split('\n')) decoder.push(line);
    const outcome = decoder.finish({
      exitCode: run.exitCode,
      signal: null,
      stderrTail: run.stderr.slice(-4000),
      resultFiles: {},
    });
    if (outcome.status === 'succeeded') {
      const reply = (outcome.finalText ?? '').trim().slice(0, 80);
      return {
        status: 'pass',
        summary: `a real \`${options.label}\` answered ${JSON.stringify(reply)} in ${seconds}s`,
      };
    }
    const error = outcome.error ?? {
      kind: 'unknown' as const,
      message: 'failed without an error message',
    };
    return {
      status: 'fail',
      summary: `${error.kind} error: ${error.message}`,
      remediation: options.remediation(error.kind),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
