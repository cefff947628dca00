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

/**
 * Decodes the JSON lines the package's client prints: Chat Completions stream chunks as
 * LiteLLM sends them (`choices[].delta.content`, a final `usage` chunk), plus the client's
 * own `client.done` / `client.error` / `client.unparsed` records.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * OpenAI usage as LiteLLM reports it: `prompt_tokens` already includes cached tokens
 * (`prompt_tokens_details.cached_tokens`), `completion_tokens` includes reasoning
 * (`completion_tokens_details.reasoning_tokens`). No cost is reported in the body.
 */
export function usageFromOpenAi(usage: Record<string, unknown>): Usage {
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  const total = count(usage.total_tokens);
  const promptDetails = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completionDetails = isRecord(usage.completion_tokens_details)
    ? usage.completion_tokens_details
    : {};
  const cached = count(promptDetails.cached_tokens);
  const reasoning = count(completionDetails.reasoning_tokens);
  if ([input, output, total].every((value) => value === null)) return UNKNOWN_USAGE;
  return {
    known: true,
    inputTokens: input,
    cachedInputTokens: cached,
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: total ?? (input !== null && output !== null ? input + output : null),
    costUsd: null,
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** An HTTP status (or a client error code) → Baton's error kind. */
export function errorKind(status: number | null, code: string | null): ErrorKind {
  if (status !== null) {
    if (status === 401 || status === 403) return 'auth';
    if (status === 429) return 'rate-limit';
    if (status === 408) return 'timeout';
    if (status >= 500) return 'server';
    if (status === 400 || status === 404 || status === 422) return 'model';
    return 'unknown';
  }
  if (code !== null && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return 'network';
  return 'unknown';
}

const RETRYABLE_KINDS: readonly ErrorKind[] = ['rate-limit', 'server', 'network'];

function statusOf(value: unknown): number | null {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(number) && number >= 100 && number <= 599 ? number : null;
}

interface RecordedError {
  readonly message: string;
  readonly kind: ErrorKind;
  readonly status: number | null;
}

export function createLitellmDecoder(): OutputDecoder {
  const parts: string[] = [];
  let usage: Usage | null = null;
  let done = false;
  let finishReason: string | null = null;
  let error: RecordedError | null = null;

  const recordError = (
    message: string,
    status: number | null,
    code: string | null,
  ): RuntimeEvent => {
    const kind = errorKind(status, code);
    error ??= { message, kind, status };
    return { type: 'error', message, kind, status, fatal: true };
  };

  const chunkEvents = (chunk: Record<string, unknown>): RuntimeEvent[] => {
    const events: RuntimeEvent[] = [];
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const choice of choices) {
      if (!isRecord(choice)) continue;
      // Streams carry `delta` (a piece of the message being written); a non-streamed
      // completion carries the whole `message`.
      const delta = isRecord(choice.delta);
      const content = delta
        ? (choice.delta as Record<string, unknown>).content
        : isRecord(choice.message)
          ? choice.message.content
          : undefined;
      if (typeof content === 'string' && content !== '') {
        parts.push(content);
        events.push(
          delta ? { type: 'text', text: content, partial: true } : { type: 'text', text: content },
        );
      }
      if (typeof choice.finish_reason === 'string') {
        finishReason = choice.finish_reason;
        if (finishReason === 'length') {
          events.push({
            type: 'warning',
            message: 'the reply was cut off at the token limit (finish_reason: length)',
          });
        }
      }
    }
    if (isRecord(chunk.usage)) {
      const decoded = usageFromOpenAi(chunk.usage);
      if (decoded.known) {
        usage = decoded;
        events.push({ type: 'usage', usage: decoded });
      }
    }
    return events;
  };

  return {
    push(line: string): RuntimeEvent[] {
      const trimmed = line.trim();
      if (trimmed === '') return [];
      let record: unknown;
      try {
        record = JSON.parse(trimmed);
      } catch {
        return [
          {
            type: 'warning',
            message: `unreadable line from the LiteLLM client: ${trimmed.slice(0, 200)}`,
          },
        ];
      }
      if (!isRecord(record)) return [];
      switch (record.type) {
        case 'client.done':
          done = true;
          return [];
        case 'client.error': {
          const status = statusOf(record.status);
          const code = typeof record.code === 'string' ? record.code : null;
          const message =
            typeof record.message === 'string' ? record.message : 'the LiteLLM client failed';
          return [
            recordError(status === null ? message : `HTTP ${status}: ${message}`, status, code),
          ];
        }
        case 'client.unparsed':
          return [
            {
              type: 'warning',
              message: `the proxy sent an event that is not JSON: ${String(record.data).slice(0, 200)}`,
            },
          ];
      }
      // LiteLLM reports failures inside an open stream as a payload with an `error` object.
      if (isRecord(record.error) || typeof record.error === 'string') {
        const body = record.error;
        const message =
          typeof body === 'string'
            ? body
            : typeof body.message === 'string'
              ? body.message
              : JSON.stringify(body);
        const status = isRecord(body) ? statusOf(body.code ?? body.status) : null;
        return [
          recordError(status === null ? message : `HTTP ${status}: ${message}`, status, null),
        ];
      }
      if (Array.isArray(record.choices) || isRecord(record.usage)) return chunkEvents(record);
      return []; // Some other record: skipped, never fatal.
    },

    finish(exit: ProcessExit): StageOutcome {
      const text = parts.join('');
      const finalText = text === '' ? null : text;
      const failed = (
        message: string,
        kind: ErrorKind,
        status: number | null,
        retryable: boolean,
      ): StageOutcome => ({
        status: 'failed',
        finalText,
        sessionId: null,
        usage: usage ?? UNKNOWN_USAGE,
        error: {
          message,
          kind,
          status,
          retryable,
          failureClass: failureClassOf(kind, retryable),
          retryAfterMs: null,
        },
      });
      const stderr = exit.stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      if (error !== null) {
        return failed(
          error.message,
          error.kind,
          error.status,
          RETRYABLE_KINDS.includes(error.kind),
        );
      }
      if (exit.signal !== null || exit.exitCode === null) {
        return failed(
          `the LiteLLM client was stopped by ${exit.signal ?? 'an unknown signal'}`,
          'unknown',
          null,
          finalText === null,
        );
      }
      if (exit.exitCode !== 0) {
        return failed(
          `the LiteLLM client exited with ${exit.exitCode}${stderr ? `: ${stderr}` : ''}`,
          'unknown',
          null,
          finalText === null,
        );
      }
      if (!done && finishReason === null) {
        return failed(
          'the completion stream ended before it was complete (no finish_reason and no [DONE])',
          'network',
          null,
          true,
        );
      }
      if (finishReason === 'content_filter') {
        return failed(
          'the reply was blocked by a content filter (finish_reason: content_filter)',
          'model',
          null,
          false,
        );
      }
      if (finalText === null) {
        return failed('the model returned an empty reply', 'model', null, false);
      }
      return {
        status: 'succeeded',
        finalText,
        sessionId: null,
        usage: usage ?? UNKNOWN_USAGE,
        error: null,
      };
    },
  };
}
