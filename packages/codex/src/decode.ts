import {
  type ErrorKind,
  failureClassOf,
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  type StageRequest,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';

/** What Codex reported wrong, normalised. */
export interface ClassifiedError {
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
}

/**
 * Names a failure from the message Codex prints for it (`turn.failed.error.message`, an
 * `error` event, or stderr). Codex 0.169 words them as `unexpected status 401 Unauthorized:
 * …`, `exceeded retry limit, last status: 429 …`, `Connection failed: …`; a 500 becomes
 * "We're currently experiencing high demand…" and a 400 is the bare response body.
 */
export function classifyCodexError(message: string): ClassifiedError {
  const status = statusIn(message);
  if (status !== null) return classifyStatus(status);
  const text = message.toLowerCase();
  if (
    /missing environment variable|not logged in|unauthorized|invalid api key|incorrect api key|authentication|token (?:expired|revoked)|refresh token|log ?in again/.test(
      text,
    )
  ) {
    return { kind: 'auth', status: null, retryable: false };
  }
  if (/currently experiencing high demand/.test(text))
    return { kind: 'server', status: 500, retryable: true };
  if (/quota exceeded|usage limit|upgrade to plus|to use codex with your chatgpt plan/.test(text)) {
    // A plan or billing limit: retrying within minutes does not help.
    return { kind: 'rate-limit', status: null, retryable: false };
  }
  if (/rate limit|too many requests/.test(text))
    return { kind: 'rate-limit', status: 429, retryable: true };
  if (
    /connection failed|error sending request|stream disconnected|reconnecting|waiting for network|error while reading the server response|dns error|connection refused|connection reset|timed out|timeout|network/.test(
      text,
    )
  ) {
    return { kind: 'network', status: null, retryable: true };
  }
  if (
    /context window|model .*(?:not found|does not exist|not supported)|invalid_request_error|invalid request|"error"\s*:/.test(
      text,
    )
  ) {
    return { kind: 'model', status: null, retryable: false };
  }
  if (/sandbox|permission denied|not permitted|operation not permitted|approval/.test(text)) {
    return { kind: 'permission', status: null, retryable: false };
  }
  return { kind: 'unknown', status: null, retryable: false };
}

function statusIn(message: string): number | null {
  const match = /(?:unexpected status|last status:?|status(?: code)?:?)\s*(\d{3})\b/i.exec(message);
  if (!match) return null;
  const status = Number(match[1]);
  return status >= 400 && status <= 599 ? status : null;
}

export function classifyStatus(status: number): ClassifiedError {
  if (status === 401 || status === 403) return { kind: 'auth', status, retryable: false };
  if (status === 429) return { kind: 'rate-limit', status, retryable: true };
  if (status === 408) return { kind: 'timeout', status, retryable: true };
  if (status >= 500) return { kind: 'server', status, retryable: true };
  return { kind: 'model', status, retryable: false };
}

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

function sum(left: number | null, right: number | null): number | null {
  if (left === null) return right;
  if (right === null) return left;
  return left + right;
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

/**
 * Decodes `codex exec --json` (JSONL, one `ThreadEvent` per line) into Baton's events, and
 * the end of the run into a stage outcome. Lines that are not JSON (Codex prints its
 * warnings to stderr, but a wrapper may not) become warnings; unknown event and item types
 * are skipped.
 */
export function createCodexDecoder(request?: Pick<StageRequest, 'resumeSessionId'>): OutputDecoder {
  const resumed = request?.resumeSessionId !== undefined;
  let sessionId: string | null = null;
  let lastMessage: string | null = null;
  let turnCompleted = false;
  let failure: { message: string; classified: ClassifiedError } | null = null;
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
      // On `exec resume` Codex 0.169 reports the whole session's tokens, earlier runs
      // included; they are not this run's usage.
      return [
        {
          type: 'warning',
          message: 'codex reports cumulative session usage on resume; usage of this run is unknown',
        },
      ];
    }
    // Codex passes the Responses API counts through: input_tokens includes the cached ones,
    // output_tokens includes the reasoning ones. A run of several turns adds up.
    const previous = usage;
    usage = {
      known: true,
      inputTokens: sum(previous.inputTokens, input),
      cachedInputTokens: sum(previous.cachedInputTokens, cached),
      outputTokens: sum(previous.outputTokens, output),
      reasoningTokens: sum(previous.reasoningTokens, reasoning),
      totalTokens: sum(
        previous.totalTokens,
        input !== null && output !== null ? input + output : null,
      ),
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
        const classified = classifyCodexError(raw);
        failure = { message, classified };
        return [
          { type: 'error', message, kind: classified.kind, status: classified.status, fatal: true },
        ];
      }
      case 'error': {
        // A reconnect notice or the cause of the next `turn.failed`: fatal only if the turn fails.
        const raw = text(event.message) ?? 'codex reported an error';
        lastError = raw;
        const classified = classifyCodexError(raw);
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
      if (failure !== null) {
        return {
          ...base,
          status: 'failed',
          error: {
            message: failure.message,
            ...failure.classified,
            failureClass: failureClassOf(failure.classified.kind, failure.classified.retryable),
            retryAfterMs: null,
          },
        };
      }
      const stderr = exit.stderrTail.trim();
      if (exit.signal !== null || exit.exitCode !== 0) {
        const how =
          exit.signal !== null
            ? `was stopped by ${exit.signal}`
            : `exited with code ${exit.exitCode ?? 'unknown'}`;
        const detail = stderrMessage(stderr);
        const message = `codex ${how}${detail === '' ? '' : `: ${detail}`}`;
        const classified = detail === '' ? null : classifyCodexError(detail);
        // A crash (a signal, or a panic's exit code 101) before any output is worth another
        // try; exit 1 or 2 is Codex refusing the request or its config, which a retry repeats.
        const crashed = exit.signal !== null || (exit.exitCode !== null && exit.exitCode >= 100);
        const known = classified !== null && classified.kind !== 'unknown' ? classified : null;
        return {
          ...base,
          status: 'failed',
          error: {
            message,
            kind: known?.kind ?? 'unknown',
            status: known?.status ?? null,
            retryable: known?.retryable ?? (crashed && !sawOutput),
            failureClass: failureClassOf(
              known?.kind ?? 'unknown',
              known?.retryable ?? (crashed && !sawOutput),
            ),
            retryAfterMs: null,
          },
        };
      }
      if (!turnCompleted) {
        const message = sawOutput
          ? 'codex exited without completing its turn'
          : unparsed > 0
            ? 'codex printed no JSON events (is it an old version without `exec --json`?)'
            : 'codex exited without printing any event';
        return {
          ...base,
          status: 'failed',
          error: {
            message,
            kind: 'unknown',
            status: null,
            retryable: false,
            failureClass: 'task',
            retryAfterMs: null,
          },
        };
      }
      return { ...base, status: 'succeeded', error: null };
    },
  };
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
