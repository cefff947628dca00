import {
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';
import { classifyLitellmError, type LitellmError, type LitellmFailure } from './classify.js';

/**
 * Decodes the JSON lines the package's client prints: Chat Completions stream chunks as
 * LiteLLM sends them (`choices[].delta.content`, a final `usage` chunk), plus the client's
 * own `client.response` / `client.done` / `client.error` / `client.unparsed` records.
 *
 * Each streamed delta is a `text` event marked `partial` (the live view shows the reply as it
 * grows, the journal keeps it as one message); the stage's final text is every delta joined,
 * whole. A completion that was not streamed is one whole `text` event.
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
 * (`completion_tokens_details.reasoning_tokens`). `usage.cost` is the proxy's price of the
 * call in USD, which it adds to a stream's usage chunk when the proxy's
 * `litellm_settings.include_cost_in_streaming_usage` is on.
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
  const cost = count(usage.cost);
  if ([input, output, total, cost].every((value) => value === null)) return UNKNOWN_USAGE;
  return {
    known: true,
    inputTokens: input,
    cachedInputTokens: cached,
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: total ?? (input !== null && output !== null ? input + output : null),
    costUsd: cost,
  };
}

/** The proxy's `x-litellm-response-cost` header (USD), when it is a number. */
export function headerCost(headers: unknown): number | null {
  if (!isRecord(headers)) return null;
  const value = headers['x-litellm-response-cost'];
  if (typeof value !== 'string' || value.trim() === '') return null;
  const cost = Number(value);
  return Number.isFinite(cost) && cost >= 0 ? cost : null;
}

function statusOf(value: unknown): number | null {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(number) && number >= 100 && number <= 599 ? number : null;
}

interface RecordedError extends LitellmFailure {
  readonly message: string;
}

const SETUP_CODES = new Set(['NO_BASE_URL', 'NO_API_KEY', 'USAGE']);

/** The client's `client.error` record as a `LitellmError` (records before `phase` included). */
function clientError(record: Record<string, unknown>): LitellmError {
  const status = statusOf(record.status);
  const code = typeof record.code === 'string' ? record.code : null;
  const message = typeof record.message === 'string' ? record.message : 'the LiteLLM client failed';
  const phase =
    record.phase === 'setup' ||
    record.phase === 'connect' ||
    record.phase === 'response' ||
    record.phase === 'stream'
      ? record.phase
      : code !== null && SETUP_CODES.has(code)
        ? 'setup'
        : message.startsWith('cannot reach ')
          ? 'connect'
          : status !== null
            ? 'response'
            : null;
  const headers: Record<string, string> = {};
  if (isRecord(record.headers)) {
    for (const [name, value] of Object.entries(record.headers)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
  }
  const delay = record.retryAfterMs;
  return {
    status,
    code,
    phase,
    message,
    errorType: typeof record.errorType === 'string' ? record.errorType : null,
    retryAfterMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? delay : null,
    headers,
  };
}

const CRASHED: LitellmFailure = {
  kind: 'unknown',
  status: null,
  retryable: true,
  failureClass: 'transient',
  retryAfterMs: null,
};
const TASK: LitellmFailure = {
  kind: 'model',
  status: null,
  retryable: false,
  failureClass: 'task',
  retryAfterMs: null,
};

export function createLitellmDecoder(): OutputDecoder {
  const parts: string[] = [];
  let usage: Usage | null = null;
  // The `x-litellm-response-cost` header: the proxy's price of a call it did not stream.
  let responseCost: number | null = null;
  let done = false;
  let finishReason: string | null = null;
  let error: RecordedError | null = null;

  const recordError = (failed: LitellmError): RuntimeEvent => {
    const message =
      failed.status === null ? failed.message : `HTTP ${failed.status}: ${failed.message}`;
    const classified = classifyLitellmError(failed);
    error ??= { message, ...classified };
    return { type: 'error', message, kind: classified.kind, status: failed.status, fatal: true };
  };
  const withResponseCost = (decoded: Usage): Usage =>
    decoded.costUsd === null && responseCost !== null
      ? { ...decoded, costUsd: responseCost }
      : decoded;

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
        usage = withResponseCost(decoded);
        events.push({ type: 'usage', usage });
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
        case 'client.response':
          responseCost = headerCost(record.headers);
          return [];
        case 'client.done':
          done = true;
          return [];
        case 'client.error':
          return [recordError(clientError(record))];
        case 'client.unparsed':
          return [
            {
              type: 'warning',
              message: `the proxy sent an event that is not JSON: ${String(record.data).slice(0, 200)}`,
            },
          ];
      }
      // LiteLLM reports failures inside an open stream as a payload with an `error` object
      // (`ProxyException.to_dict()`: `message`, `type`, `param`, `code` as a status string).
      if (isRecord(record.error) || typeof record.error === 'string') {
        const body = record.error;
        const message =
          typeof body === 'string'
            ? body
            : typeof body.message === 'string'
              ? body.message
              : JSON.stringify(body);
        const type = isRecord(body) && typeof body.type === 'string' ? body.type : null;
        return [
          recordError({
            status: isRecord(body) ? statusOf(body.code ?? body.status) : null,
            code: null,
            phase: 'stream',
            message,
            errorType: type === 'None' ? null : type,
            retryAfterMs: null,
            headers: {},
          }),
        ];
      }
      if (Array.isArray(record.choices) || isRecord(record.usage)) return chunkEvents(record);
      return []; // Some other record: skipped, never fatal.
    },

    finish(exit: ProcessExit): StageOutcome {
      const text = parts.join('');
      const finalText = text === '' ? null : text;
      const spent =
        usage ??
        (responseCost === null
          ? UNKNOWN_USAGE
          : withResponseCost({ ...UNKNOWN_USAGE, known: true }));
      const failed = (message: string, why: LitellmFailure): StageOutcome => ({
        status: 'failed',
        finalText,
        sessionId: null,
        usage: spent,
        error: { message, ...why },
      });
      const stderr = exit.stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      if (error !== null) {
        const { message, ...why } = error;
        return failed(message, why);
      }
      if (exit.signal !== null || exit.exitCode === null) {
        return failed(
          `the LiteLLM client was stopped by ${exit.signal ?? 'an unknown signal'}`,
          CRASHED,
        );
      }
      if (exit.exitCode !== 0) {
        // The client reports every failure it knows as a `client.error`: this is a crash.
        return failed(
          `the LiteLLM client exited with ${exit.exitCode}${stderr ? `: ${stderr}` : ''}`,
          finalText === null ? CRASHED : { ...TASK, kind: 'unknown' },
        );
      }
      if (!done && finishReason === null) {
        return failed(
          'the completion stream ended before it was complete (no finish_reason and no [DONE])',
          { ...CRASHED, kind: 'network' },
        );
      }
      if (finishReason === 'content_filter') {
        return failed(
          'the reply was blocked by a content filter (finish_reason: content_filter)',
          TASK,
        );
      }
      if (finalText === null) return failed('the model returned an empty reply', TASK);
      return { status: 'succeeded', finalText, sessionId: null, usage: spent, error: null };
    },
  };
}
