import {
  type ErrorKind,
  failureClassOf,
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';

/** What Gemini CLI reported wrong, normalised. */
export interface ClassifiedError {
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
}

/** Exit codes of headless Gemini CLI (`FatalError` subclasses and docs/cli/headless.md). */
export const EXIT_CODES = {
  auth: 41,
  input: 42,
  sandbox: 44,
  config: 52,
  turnLimit: 53,
  toolExecution: 54,
  untrustedWorkspace: 55,
  cancelled: 130,
} as const;

const DOCUMENTED_EXITS: ReadonlySet<number> = new Set(Object.values(EXIT_CODES));

/** Google API status names as Gemini CLI prints them (`[API Error: … (Status: RESOURCE_EXHAUSTED)]`). */
const GOOGLE_STATUS: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function classifyStatus(status: number): ClassifiedError {
  if (status === 401 || status === 403) return { kind: 'auth', status, retryable: false };
  if (status === 429) return { kind: 'rate-limit', status, retryable: true };
  if (status === 408 || status === 504) return { kind: 'timeout', status, retryable: true };
  if (status >= 500) return { kind: 'server', status, retryable: true };
  return { kind: 'model', status, retryable: false };
}

/**
 * Names a failure from what Gemini CLI says about it: the `type` of a `result` event's error
 * (the error's class name, such as `FatalAuthenticationError`) and its message.
 */
export function classifyGeminiError(type: string | null, message: string): ClassifiedError {
  switch (type) {
    case 'FatalAuthenticationError':
      return { kind: 'auth', status: null, retryable: false };
    case 'FatalSandboxError':
    case 'FatalUntrustedWorkspaceError':
      return { kind: 'permission', status: null, retryable: false };
    case 'FatalCancellationError':
    case 'FatalTurnLimitedError':
    case 'FatalInputError':
    case 'FatalConfigError':
    case 'FatalToolExecutionError':
      return { kind: 'unknown', status: null, retryable: false };
  }
  const text = message.toLowerCase();
  // A daily or plan quota does not come back within a retry's backoff.
  if (/daily quota|quota limit|reached your daily/.test(text))
    return { kind: 'rate-limit', status: 429, retryable: false };
  const status = statusIn(message);
  // The Gemini API answers a bad key with 400 INVALID_ARGUMENT, so the words come first.
  if (
    /api key not valid|invalid api key|please set an auth method|must specify the gemini_api_key|not logged in|login required/.test(
      text,
    )
  )
    return { kind: 'auth', status, retryable: false };
  if (status !== null) return classifyStatus(status);
  if (/rate limit|too many requests/.test(text))
    return { kind: 'rate-limit', status: 429, retryable: true };
  if (/timed out|timeout|deadline/.test(text))
    return { kind: 'timeout', status: null, retryable: true };
  if (/econnrefused|enotfound|econnreset|eai_again|fetch failed|socket hang up|network/.test(text))
    return { kind: 'network', status: null, retryable: true };
  if (/overloaded|high demand|service unavailable/.test(text))
    return { kind: 'server', status: null, retryable: true };
  if (
    /model .*not found|is not found for api version|context window|token count|exceeds the maximum/.test(
      text,
    )
  )
    return { kind: 'model', status: null, retryable: false };
  if (/permission denied|not permitted|sandbox/.test(text))
    return { kind: 'permission', status: null, retryable: false };
  return { kind: 'unknown', status: null, retryable: false };
}

function statusIn(message: string): number | null {
  const named = /\(Status: ([A-Z_]+)\)|"status"\s*:\s*"([A-Z_]+)"/.exec(message);
  const name = named?.[1] ?? named?.[2];
  if (name !== undefined && GOOGLE_STATUS[name] !== undefined) return GOOGLE_STATUS[name];
  const numeric = /(?:got status|status(?: code)?|"code")\s*:?\s*(\d{3})\b/i.exec(message);
  if (!numeric) return null;
  const status = Number(numeric[1]);
  return status >= 400 && status <= 599 ? status : null;
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

/**
 * The `stats` of a `result` event in Baton's terms. Gemini CLI sums every model the run
 * used: `input_tokens` is the prompt tokens, cached ones included (`cached` is that
 * subset, `input` the rest); `output_tokens` is the candidates' tokens, which exclude
 * thinking; `total_tokens` adds thinking and tool-use prompt tokens, so it may exceed
 * input plus output. Thinking tokens are not reported on their own.
 */
export function usageFromStats(stats: unknown): Usage | null {
  if (!isRecord(stats)) return null;
  const input = count(stats.input_tokens);
  const output = count(stats.output_tokens);
  if (input === null && output === null) return null;
  const total = count(stats.total_tokens);
  return {
    known: true,
    inputTokens: input,
    cachedInputTokens: count(stats.cached),
    outputTokens: output,
    reasoningTokens: null,
    totalTokens: total ?? (input !== null && output !== null ? input + output : null),
    costUsd: null,
  };
}

const MAX_STDERR_IN_MESSAGE = 600;

/**
 * Decodes `gemini --output-format stream-json` (JSONL: `init`, `message`, `tool_use`,
 * `tool_result`, `error`, `result`) into Baton's events, and the end of the run into a
 * stage outcome. The model's text arrives as deltas; it is reported as one `text` event per
 * message, when a tool call or the result closes it. The answer is the last message.
 */
export function createGeminiDecoder(): OutputDecoder {
  let sessionId: string | null = null;
  let message = '';
  let lastMessage: string | null = null;
  let usage: Usage = UNKNOWN_USAGE;
  let result:
    | { status: 'success' }
    | { status: 'error'; message: string; classified: ClassifiedError }
    | null = null;
  let lastError: string | null = null;
  let sawEvent = false;
  let unparsed = 0;
  const tools = new Map<string, { name: string; input: unknown }>();

  const closeMessage = (): RuntimeEvent[] => {
    if (message.trim() === '') {
      message = '';
      return [];
    }
    const closed = message;
    message = '';
    lastMessage = closed;
    return [{ type: 'text', text: closed }];
  };

  const onEvent = (event: Record<string, unknown>): RuntimeEvent[] => {
    switch (event.type) {
      case 'init': {
        const id = text(event.session_id);
        if (id === null) return [];
        sessionId = id;
        return [{ type: 'session', sessionId: id }];
      }
      case 'message': {
        // The user message echoes the whole prompt; only the model's text is output.
        if (event.role !== 'assistant') return [];
        message += text(event.content) ?? '';
        return [];
      }
      case 'tool_use': {
        const id = text(event.tool_id);
        const name = text(event.tool_name) ?? 'unknown';
        const input = event.parameters ?? null;
        if (id !== null) tools.set(id, { name, input });
        return [
          ...closeMessage(),
          { type: 'tool-use', name, id, status: 'started', input, output: null },
        ];
      }
      case 'tool_result': {
        const id = text(event.tool_id);
        const started = id === null ? undefined : tools.get(id);
        const error = isRecord(event.error) ? text(event.error.message) : null;
        return [
          {
            type: 'tool-use',
            name: started?.name ?? 'unknown',
            id,
            status: event.status === 'success' ? 'completed' : 'failed',
            input: started?.input ?? null,
            output: text(event.output) ?? error,
          },
        ];
      }
      case 'error': {
        const reported = text(event.message) ?? 'gemini reported an error';
        if (event.severity !== 'error') return [{ type: 'warning', message: reported }];
        // Fatal only when the run then ends in failure: the result event decides.
        lastError = reported;
        const classified = classifyGeminiError(null, reported);
        return [
          {
            type: 'error',
            message: reported,
            kind: classified.kind,
            status: classified.status,
            fatal: false,
          },
        ];
      }
      case 'result': {
        const events = closeMessage();
        const reported = usageFromStats(event.stats);
        if (reported !== null) {
          usage = reported;
          events.push({ type: 'usage', usage });
        }
        if (event.status === 'success') {
          result = { status: 'success' };
          if (lastMessage !== null) events.push({ type: 'result', text: lastMessage });
          return events;
        }
        const error = isRecord(event.error) ? event.error : {};
        const failure =
          text(error.message) ?? lastError ?? 'gemini reported a failed run without a message';
        const classified = classifyGeminiError(text(error.type), failure);
        result = { status: 'error', message: failure, classified };
        events.push({
          type: 'error',
          message: failure,
          kind: classified.kind,
          status: classified.status,
          fatal: true,
        });
        return events;
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
            message: `gemini printed a line that is not JSON: ${trimmed.slice(0, 200)}`,
          },
        ];
      }
      if (!isRecord(event) || typeof event.type !== 'string') {
        return [
          {
            type: 'warning',
            message: `gemini printed JSON that is not an event: ${trimmed.slice(0, 200)}`,
          },
        ];
      }
      sawEvent = true;
      return onEvent(event);
    },

    finish(exit: ProcessExit): StageOutcome {
      // Text after the last boundary belongs to a run cut short; it is still the answer so far.
      if (message.trim() !== '') lastMessage = message;
      const base = { finalText: lastMessage, sessionId, usage };
      const ended = result;
      if (ended?.status === 'error') {
        return {
          ...base,
          status: 'failed',
          error: {
            message: ended.message,
            ...ended.classified,
            failureClass: failureClassOf(ended.classified.kind, ended.classified.retryable),
            retryAfterMs: null,
          },
        };
      }
      if (exit.signal !== null || exit.exitCode !== 0) {
        const how =
          exit.signal !== null
            ? `was stopped by ${exit.signal}`
            : `exited with code ${exit.exitCode ?? 'unknown'}`;
        const detail = stderrMessage(exit.stderrTail);
        const classified = classifyExit(exit.exitCode, detail);
        // A crash before any event is worth another try; a documented exit code is not.
        const crashed =
          exit.signal !== null || (exit.exitCode !== null && !DOCUMENTED_EXITS.has(exit.exitCode));
        return {
          ...base,
          status: 'failed',
          error: {
            message: `gemini ${how}${detail === '' ? '' : `: ${detail}`}`,
            kind: classified.kind,
            status: classified.status,
            retryable: classified.kind === 'unknown' ? crashed && !sawEvent : classified.retryable,
            failureClass: failureClassOf(
              classified.kind,
              classified.kind === 'unknown' ? crashed && !sawEvent : classified.retryable,
            ),
            retryAfterMs: null,
          },
        };
      }
      if (ended === null) {
        const message = sawEvent
          ? 'gemini exited without a result event'
          : unparsed > 0
            ? 'gemini printed no JSON events (is it a version without --output-format stream-json?)'
            : 'gemini exited without printing any event';
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

/** Headless Gemini CLI's documented exit codes first, then what stderr says. */
function classifyExit(exitCode: number | null, stderr: string): ClassifiedError {
  if (exitCode === EXIT_CODES.auth) return { kind: 'auth', status: null, retryable: false };
  if (exitCode === EXIT_CODES.sandbox || exitCode === EXIT_CODES.untrustedWorkspace)
    return { kind: 'permission', status: null, retryable: false };
  const classified = stderr === '' ? null : classifyGeminiError(null, stderr);
  return classified ?? { kind: 'unknown', status: null, retryable: false };
}

/** The useful part of stderr, on one line and bounded. */
function stderrMessage(stderr: string): string {
  const message = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
    .replace(/\s+/g, ' ');
  // The tail: Gemini CLI prints its error last, after any warnings.
  return message.length > MAX_STDERR_IN_MESSAGE
    ? `…${message.slice(-MAX_STDERR_IN_MESSAGE)}`
    : message;
}
