import {
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageFailure,
  type StageOutcome,
  type StageRequest,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';
import { type CodexFailure, classifyCodexError } from './classify.js';
import type { ResetClock } from './reset-time.js';

/** The message inside an OpenAI error body (`{"error":{"message":…}}`), which Codex prints raw for a 400. */
function readableMessage(message: string): string {
  const trimmed = message.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    const body = JSON.parse(trimmed) as {
      error?: { message?: unknown } | string;
      message?: unknown;
    };
    if (
      typeof body.error === 'object' &&
      body.error !== null &&
      typeof body.error.message === 'string'
    ) {
      return body.error.message;
    }
    if (typeof body.error === 'string') return body.error;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON after all: keep the text.
  }
  return trimmed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Codex's item types that are tool calls, with the name Baton reports for each. */
function toolName(item: Record<string, unknown>): string | null {
  switch (item.type) {
    case 'command_execution':
      return 'command_execution';
    case 'file_change':
      return 'file_change';
    case 'web_search':
      return 'web_search';
    case 'mcp_tool_call': {
      const server = text(item.server) ?? '?';
      const tool = text(item.tool) ?? '?';
      return `mcp:${server}/${tool}`;
    }
    case 'collab_tool_call':
      return `collab:${text(item.tool) ?? 'call'}`;
    default:
      return null;
  }
}

function toolInput(item: Record<string, unknown>): unknown {
  switch (item.type) {
    case 'command_execution':
      return { command: item.command ?? null };
    case 'file_change':
      return { changes: item.changes ?? [] };
    case 'web_search':
      return {
        query: item.query ?? null,
        ...(item.action === undefined ? {} : { action: item.action }),
      };
    case 'mcp_tool_call':
      return item.arguments ?? null;
    default: {
      const { id: _id, type: _type, status: _status, ...rest } = item;
      return rest;
    }
  }
}

function toolOutput(item: Record<string, unknown>): string | null {
  switch (item.type) {
    case 'command_execution':
      return text(item.aggregated_output);
    case 'mcp_tool_call': {
      if (isRecord(item.error) && typeof item.error.message === 'string') return item.error.message;
      if (item.result === undefined || item.result === null) return null;
      return typeof item.result === 'string' ? item.result : JSON.stringify(item.result);
    }
    default:
      return null;
  }
}

function toolStatus(
  item: Record<string, unknown>,
  phase: 'started' | 'completed',
): 'started' | 'completed' | 'failed' {
  if (phase === 'started') return 'started';
  const status = text(item.status);
  if (status === 'failed' || status === 'declined' || status === 'cancelled') return 'failed';
  if (
    item.type === 'command_execution' &&
    typeof item.exit_code === 'number' &&
    item.exit_code !== 0
  )
    return 'failed';
  if (item.type === 'mcp_tool_call' && isRecord(item.error)) return 'failed';
  return 'completed';
}

const MAX_STDERR_IN_MESSAGE = 600;

/** How a decoder tells the time, for usage-limit reset times; tests pass a fixed clock. */
export interface CodexDecoderOptions {
  readonly now?: () => number;
}

/**
 * Decodes `codex exec --json` (JSONL, one `ThreadEvent` per line) into Baton's events, and
 * the end of the run into a stage outcome. Lines that are not JSON (Codex prints its
 * warnings to stderr, but a wrapper may not) become warnings; unknown event and item types
 * are skipped.
 */
export function createCodexDecoder(
  request?: Pick<StageRequest, 'resumeSessionId'> & { readonly env?: StageRequest['env'] },
  options: CodexDecoderOptions = {},
): OutputDecoder {
  const resumed = request?.resumeSessionId !== undefined;
  const now = options.now ?? Date.now;
  // Codex prints a usage limit's reset time in the zone of its own process: `TZ` of the
  // stage's environment, else this machine's.
  const timeZone = request?.env?.TZ;
  const clock = (): ResetClock => ({ now: now(), ...(timeZone === undefined ? {} : { timeZone }) });
  let sessionId: string | null = null;
  let lastMessage: string | null = null;
  let turnCompleted = false;
  let failure: { message: string; classified: CodexFailure } | null = null;
  let lastError: string | null = null;
  let usage: Usage = UNKNOWN_USAGE;
  let sawOutput = false;
  let unparsed = 0;

  const onItem = (
    phase: 'started' | 'updated' | 'completed',
    item: Record<string, unknown>,
  ): RuntimeEvent[] => {
    if (item.type === 'agent_message') {
      if (phase !== 'completed') return [];
      const message = text(item.text);
      if (message === null) return [];
      lastMessage = message;
      return [{ type: 'text', text: message }];
    }
    if (item.type === 'error') {
      // Codex reports non-fatal problems this way (unknown model metadata, websocket fallback).
      return phase === 'completed'
        ? [{ type: 'warning', message: text(item.message) ?? 'codex reported an error item' }]
        : [];
    }
    const name = toolName(item);
    if (name === null || phase === 'updated') return [];
    return [
      {
        type: 'tool-use',
        name,
        id: text(item.id),
        status: toolStatus(item, phase),
        input: toolInput(item),
        output: phase === 'completed' ? toolOutput(item) : null,
      },
    ];
  };

  const onUsage = (raw: unknown): RuntimeEvent[] => {
    if (!isRecord(raw)) return [];
    const input = count(raw.input_tokens);
    const cached = count(raw.cached_input_tokens);
    const output = count(raw.output_tokens);
    const reasoning = count(raw.reasoning_output_tokens);
    if (input === null && output === null) return [];
    if (resumed) {
      // The counts are the thread's running total, and a resumed thread's total includes
      // the earlier runs, which this decoder cannot subtract.
      return [
        {
          type: 'warning',
          message: 'codex reports cumulative session usage on resume; usage of this run is unknown',
        },
      ];
    }
    // Codex reports the thread's running total (every model request of every turn so far),
    // passing the Responses API's counts through: input includes the cached tokens, output
    // the reasoning ones. The latest total is the run's usage; adding totals would count
    // earlier requests twice.
    usage = {
      known: true,
      inputTokens: input,
      cachedInputTokens: cached,
      outputTokens: output,
      reasoningTokens: reasoning,
      totalTokens: input !== null && output !== null ? input + output : null,
      costUsd: null,
    };
    return [{ type: 'usage', usage }];
  };

  const onEvent = (event: Record<string, unknown>): RuntimeEvent[] => {
    switch (event.type) {
      case 'thread.started': {
        const id = text(event.thread_id);
        if (id === null) return [];
        sessionId = id;
        return [{ type: 'session', sessionId: id }];
      }
      case 'turn.started':
        failure = null;
        return [];
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        return isRecord(event.item)
          ? onItem(event.type.slice(5) as 'started' | 'updated' | 'completed', event.item)
          : [];
      case 'turn.completed': {
        turnCompleted = true;
        const events = onUsage(event.usage);
        if (lastMessage !== null) events.push({ type: 'result', text: lastMessage });
        return events;
      }
      case 'turn.failed': {
        const error = isRecord(event.error) ? text(event.error.message) : null;
        const raw = error ?? lastError ?? 'codex reported a failed turn without a message';
        const message = readableMessage(raw);
        const classified = classifyCodexError(raw, clock());
        failure = { message, classified };
        return [
          { type: 'error', message, kind: classified.kind, status: classified.status, fatal: true },
        ];
      }
      case 'error': {
        // A reconnect notice or the cause of the next `turn.failed`: fatal only if the turn fails.
        const raw = text(event.message) ?? 'codex reported an error';
        lastError = raw;
        const classified = classifyCodexError(raw, clock());
        return [
          {
            type: 'error',
            message: readableMessage(raw),
            kind: classified.kind,
            status: classified.status,
            fatal: false,
          },
        ];
      }
      default:
        return [];
    }
  };

  return {
    push(line) {
      const trimmed = line.trim();
      if (trimmed === '') return [];
      let event: unknown;
      try {
        event = JSON.parse(trimmed);
      } catch {
        unparsed += 1;
        return [
          {
            type: 'warning',
            message: `codex printed a line that is not JSON: ${trimmed.slice(0, 200)}`,
          },
        ];
      }
      if (!isRecord(event) || typeof event.type !== 'string') {
        return [
          {
            type: 'warning',
            message: `codex printed JSON that is not an event: ${trimmed.slice(0, 200)}`,
          },
        ];
      }
      sawOutput = true;
      return onEvent(event);
    },

    finish(exit: ProcessExit): StageOutcome {
      const base = { finalText: lastMessage, sessionId, usage };
      const failed = (error: StageFailure): StageOutcome => ({ ...base, status: 'failed', error });
      if (failure !== null) return failed({ message: failure.message, ...failure.classified });
      if (exit.signal !== null || exit.exitCode !== 0) {
        return failed(exitFailure(exit, sawOutput, clock()));
      }
      if (!turnCompleted) {
        if (sawOutput) {
          return failed({
            message: 'codex exited without completing its turn',
            ...TASK_FAILURE,
          });
        }
        // Codex never ran the task: a wrapper or a version that prints no `exec --json` events.
        return failed({
          message:
            unparsed > 0
              ? 'codex printed no JSON events (is it an old version without `exec --json`?)'
              : 'codex exited without printing any event',
          ...UNAVAILABLE,
        });
      }
      return { ...base, status: 'succeeded', error: null };
    },
  };
}

const TASK_FAILURE = {
  kind: 'unknown',
  status: null,
  retryable: false,
  failureClass: 'task',
  retryAfterMs: null,
} as const;

const UNAVAILABLE = {
  kind: 'unknown',
  status: null,
  retryable: false,
  failureClass: 'unavailable',
  retryAfterMs: null,
} as const;

/**
 * A non-zero exit or a signal without a `turn.failed`. An unknown thread to resume says so
 * (`sessionNotFound`). Otherwise Codex's own words on stderr decide
 * when they name a known failure; otherwise how it ended: a crash (a signal, or a panic's
 * exit code 101) is transient, an exit before any event means Codex could not start (its
 * config, its arguments: unavailable), and an exit after its turn began is the task's.
 */
function exitFailure(exit: ProcessExit, started: boolean, clock: ResetClock): StageFailure {
  const how =
    exit.signal !== null
      ? `was stopped by ${exit.signal}`
      : `exited with code ${exit.exitCode ?? 'unknown'}`;
  const detail = stderrMessage(exit.stderrTail.trim());
  const message = `codex ${how}${detail === '' ? '' : `: ${detail}`}`;
  // `exec resume <id>` of a thread this Codex home has no rollout for: the stage starts over.
  if (/\bno rollout found for thread id\b/.test(detail))
    return { message, ...TASK_FAILURE, sessionNotFound: true };
  const classified = detail === '' ? null : classifyCodexError(detail, clock);
  if (classified !== null && classified.kind !== 'unknown') return { message, ...classified };
  const crashed = exit.signal !== null || (exit.exitCode !== null && exit.exitCode >= 100);
  if (crashed) {
    return {
      message,
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    };
  }
  if (!started) return { message, ...UNAVAILABLE };
  return { message, ...TASK_FAILURE };
}

/** The useful part of Codex's stderr: its `Error: …` line and cause, without banners or backtraces. */
function stderrMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter(
      (line) =>
        line.trim() !== '' &&
        !line.startsWith('WARNING: proceeding, even though we could not create PATH aliases') &&
        line !== 'Reading additional input from stdin...' &&
        !/^\s*\d+: <unknown>$/.test(line) &&
        line !== 'Stack backtrace:',
    );
  const errorAt = lines.findIndex((line) => /^(?:Error|error)\b/.test(line.trim()));
  const relevant = errorAt === -1 ? lines : lines.slice(errorAt);
  const message = relevant.join(' ').replace(/\s+/g, ' ').trim();
  return message.length > MAX_STDERR_IN_MESSAGE
    ? `${message.slice(0, MAX_STDERR_IN_MESSAGE)}…`
    : message;
}
