/**
 * Runs one stage on one runtime: the adapter builds the command, the runner writes its
 * input files, starts it, feeds its output to the adapter's decoder line by line, and
 * decides the outcome from the decoder and what it saw itself (a timeout, an interrupt, a
 * fatal error the decoder reported but then called success).
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  type CommandSpec,
  type ErrorKind,
  type FailureClass,
  failureClassOf,
  type OutputDecoder,
  type ProcessExit,
  type RuntimeAdapter,
  type RuntimeEvent,
  type StageOutcome,
  type StageRequest,
  UNKNOWN_USAGE,
} from '@baton/core';
import type { StageError } from '../engine/types.js';
import { type Redactor, secretsOfEnv } from '../redact.js';
import { DEPTH_VARIABLE } from './environment.js';
import { type ProcessResult, runProcess } from './spawn.js';

/** Result files larger than this are cut; a usage report is a few hundred bytes. */
const MAX_RESULT_FILE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_KINDS: readonly ErrorKind[] = ['rate-limit', 'server', 'network'];

export interface StageLimits {
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly killGraceMs: number;
  readonly maxLineBytes: number;
}

export interface StageStart {
  readonly pid: number;
  /** The command line as it may be recorded: executable first, secrets redacted. */
  readonly argv: readonly string[];
  /** Names (never values) of the variables the adapter set. */
  readonly envNames: readonly string[];
  /** The run's redactor plus this command's secrets; use it for everything recorded about the stage. */
  readonly redactor: Redactor;
}

export interface StageRunInput {
  readonly adapter: RuntimeAdapter;
  /** The request; `request.env` is the environment the runtime inherits (markers included). */
  readonly request: StageRequest;
  readonly redactor: Redactor;
  readonly limits: StageLimits;
  readonly signal?: AbortSignal;
  onStart?(start: StageStart): void;
  onEvent?(event: RuntimeEvent): void;
}

/** A failed attempt as the runner judged it: the decoder's failure, or one the runner saw itself. */
export interface AttemptFailure extends StageError {
  readonly status: number | null;
  readonly failureClass: FailureClass;
  /** How long the harness or server asked to wait, in ms; `null`: not said. */
  readonly retryAfterMs: number | null;
  /** The native budget cap that stopped the stage, if one did. */
  readonly limitReached?: 'cost' | 'turns';
  /** The harness did not know the session it was asked to continue. */
  readonly sessionNotFound?: boolean;
}

export interface StageOutcomeWithError extends Omit<StageOutcome, 'error'> {
  readonly error: AttemptFailure | null;
}

export interface StageRunResult {
  readonly outcome: StageOutcomeWithError;
  /** `null` when no process was started (the command could not be built, an input file could not be written). */
  readonly process: ProcessResult | null;
  readonly argv: readonly string[] | null;
  readonly interrupted: boolean;
  /** The run's redactor plus the secrets of this command (its env values, its secret args). */
  readonly redactor: Redactor;
}

export async function runStage(input: StageRunInput): Promise<StageRunResult> {
  const { adapter, request } = input;
  // A runtime Baton could not even start cannot run this stage now: another runtime may.
  const failedBeforeStart = (
    message: string,
    kind: StageError['kind'] = 'unknown',
    redactor = input.redactor,
  ): StageRunResult => ({
    outcome: failure(message, kind, false, 'unavailable'),
    process: null,
    argv: null,
    interrupted: false,
    redactor,
  });

  let spec: CommandSpec;
  try {
    spec = adapter.buildCommand(request);
    checkSpec(spec);
  } catch (error) {
    return failedBeforeStart(
      `the ${adapter.identity.id} adapter could not build the command: ${messageOf(error)}`,
    );
  }
  const redactor = input.redactor.with([...secretsOfEnv(spec.env), ...(spec.secretArgs ?? [])]);
  try {
    writeInputFiles(spec, request.scratchDir);
  } catch (error) {
    return failedBeforeStart(messageOf(error), 'unknown', redactor);
  }
  let decoder: OutputDecoder;
  try {
    decoder = adapter.createDecoder(request);
  } catch (error) {
    return failedBeforeStart(
      `the ${adapter.identity.id} adapter could not create its decoder: ${messageOf(error)}`,
      'unknown',
      redactor,
    );
  }

  const argv = redactor.argv([spec.file, ...spec.args], spec.secretArgs);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env))
    if (value !== undefined) env[name] = value;
  Object.assign(env, spec.env);
  // The adapter may add variables, never remove Baton's markers (the recursion guard depends on them).
  for (const name of [DEPTH_VARIABLE, 'BATON_RUN_ID', 'BATON_STAGE']) {
    const value = request.env[name];
    if (value !== undefined) env[name] = value;
  }

  let fatal: (RuntimeEvent & { type: 'error' }) | null = null;
  const emit = (events: readonly RuntimeEvent[]) => {
    for (const event of events) {
      if (event.type === 'error' && event.fatal && fatal === null) fatal = event;
      input.onEvent?.(event);
    }
  };

  const result = await runProcess({
    file: spec.file,
    args: spec.args,
    env,
    cwd: spec.cwd,
    stdin: spec.stdin,
    timeoutMs: input.limits.timeoutMs,
    idleTimeoutMs: input.limits.idleTimeoutMs,
    killGraceMs: input.limits.killGraceMs,
    maxLineBytes: input.limits.maxLineBytes,
    signal: input.signal,
    onStart: (pid) =>
      input.onStart?.({ pid, argv, envNames: Object.keys(spec.env).sort(), redactor }),
    onLine(line, truncated) {
      let events: RuntimeEvent[];
      try {
        events = decoder.push(line);
      } catch (error) {
        events = [
          { type: 'warning', message: `the decoder could not read a line: ${messageOf(error)}` },
        ];
      }
      if (truncated) {
        events = [
          {
            type: 'warning',
            message: `an output line longer than ${input.limits.maxLineBytes} bytes was cut`,
          },
          ...events,
        ];
      }
      emit(events);
    },
  });

  const base = { process: result, argv, redactor };
  if (result.spawnError !== null) {
    return {
      ...base,
      outcome: failure(result.spawnError, 'spawn', false, 'unavailable'),
      interrupted: false,
    };
  }
  if (result.stoppedBy === 'interrupt') {
    return {
      ...base,
      outcome: failure('interrupted', 'interrupted', false, 'task'),
      interrupted: true,
    };
  }

  const exit: ProcessExit = {
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: result.stderrTail,
    resultFiles: readResultFiles(spec),
  };
  let decoded: StageOutcome;
  try {
    decoded = decoder.finish(exit);
  } catch (error) {
    decoded = {
      status: 'failed',
      finalText: null,
      sessionId: null,
      usage: UNKNOWN_USAGE,
      error: {
        message: `the decoder failed: ${messageOf(error)}`,
        kind: 'unknown',
        status: null,
        retryable: false,
        failureClass: 'task',
        retryAfterMs: null,
      },
    };
  }
  return { ...base, outcome: judge(decoded, result, fatal, input.limits), interrupted: false };
}

/** The runner's own view, applied over the decoder's: a failure it saw is never success. */
function judge(
  decoded: StageOutcome,
  result: ProcessResult,
  fatal: (RuntimeEvent & { type: 'error' }) | null,
  limits: StageLimits,
): StageOutcomeWithError {
  const keep = { finalText: decoded.finalText, sessionId: decoded.sessionId, usage: decoded.usage };
  if (result.stoppedBy === 'timeout' || result.stoppedBy === 'idle-timeout') {
    const message =
      result.stoppedBy === 'timeout'
        ? `stopped at the wall-clock timeout (${formatMs(limits.timeoutMs)}) with its whole process group`
        : `stopped after ${formatMs(limits.idleTimeoutMs)} without output (idle timeout) with its whole process group`;
    return {
      ...keep,
      status: 'failed',
      error: {
        message,
        kind: 'timeout',
        status: null,
        retryable: false,
        failureClass: 'timeout',
        retryAfterMs: null,
      },
    };
  }
  // A crash by a signal before any output is the textbook transient failure.
  const crashed = result.signal !== null && result.stdoutLines === 0;
  if (decoded.status === 'failed') {
    const error = decoded.error ?? {
      message: 'the runtime reported a failure',
      kind: 'unknown' as const,
      status: null,
      retryable: false,
      failureClass: 'task' as const,
      retryAfterMs: null,
    };
    return {
      ...keep,
      status: 'failed',
      error: {
        message: error.message,
        kind: error.kind,
        status: error.status,
        retryable: error.retryable || crashed,
        failureClass: crashed && error.failureClass === 'task' ? 'transient' : error.failureClass,
        retryAfterMs: error.retryAfterMs,
        ...(error.limitReached === undefined ? {} : { limitReached: error.limitReached }),
        ...(error.sessionNotFound === true ? { sessionNotFound: true } : {}),
      },
    };
  }
  if (fatal !== null) {
    const error = fatal as RuntimeEvent & { type: 'error' };
    const retryable = RETRYABLE_KINDS.includes(error.kind);
    return {
      ...keep,
      status: 'failed',
      error: {
        message: `the runtime reported an error: ${error.message}`,
        kind: error.kind,
        status: error.status,
        retryable,
        failureClass: failureClassOf(error.kind, retryable),
        retryAfterMs: null,
      },
    };
  }
  if (result.exitCode !== 0) {
    const how =
      result.exitCode === null
        ? `was killed by ${result.signal ?? 'a signal'}`
        : `exited with code ${result.exitCode}`;
    return {
      ...keep,
      status: 'failed',
      error: {
        message: `the runtime ${how} although its output reported success`,
        kind: 'unknown',
        status: null,
        retryable: crashed,
        failureClass: crashed ? 'transient' : 'task',
        retryAfterMs: null,
      },
    };
  }
  return { ...keep, status: 'succeeded', error: null };
}

function failure(
  message: string,
  kind: StageError['kind'],
  retryable: boolean,
  failureClass: FailureClass,
): StageOutcomeWithError {
  return {
    status: 'failed',
    finalText: null,
    sessionId: null,
    usage: UNKNOWN_USAGE,
    error: { message, kind, status: null, retryable, failureClass, retryAfterMs: null },
  };
}

function checkSpec(spec: CommandSpec): void {
  if (typeof spec?.file !== 'string' || spec.file === '')
    throw new Error('the command has no executable');
  if (!Array.isArray(spec.args) || spec.args.some((arg) => typeof arg !== 'string')) {
    throw new Error('the arguments are not an array of strings');
  }
  if (typeof spec.cwd !== 'string' || spec.cwd === '')
    throw new Error('the command has no working directory');
  if (spec.stdin !== null && typeof spec.stdin !== 'string')
    throw new Error('stdin is neither text nor null');
}

function writeInputFiles(spec: CommandSpec, scratchDir: string): void {
  for (const [path, content] of Object.entries(spec.inputFiles ?? {})) {
    const inside = relative(scratchDir, resolve(scratchDir, path));
    if (!isAbsolute(path) || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new Error(
        `the adapter asked to write ${path}, outside its scratch directory ${scratchDir}`,
      );
    }
    writeFileSync(path, content, { mode: 0o600 });
  }
}

function readResultFiles(spec: CommandSpec): Record<string, string | null> {
  const files: Record<string, string | null> = {};
  for (const [name, path] of Object.entries(spec.resultFiles ?? {})) {
    try {
      const descriptor = openSync(path, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(fstatSync(descriptor).size, MAX_RESULT_FILE_BYTES));
        let length = 0;
        while (length < buffer.length) {
          const read = readSync(descriptor, buffer, length, buffer.length - length, null);
          if (read === 0) break;
          length += read;
        }
        files[name] = buffer.subarray(0, length).toString('utf8');
      } finally {
        closeSync(descriptor);
      }
    } catch {
      files[name] = null;
    }
  }
  return files;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
