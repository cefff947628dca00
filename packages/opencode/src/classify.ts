/**
 * Failure classes of OpenCode 1.18, from its own words. A run that fails prints one
 * `error` event whose `error` is one of OpenCode's named errors (`{name, data}`):
 *
 * - `APIError`: a provider request failed. `data` has `message` (the provider's error
 *   message), `statusCode` when there was a response, `isRetryable` (the AI SDK's rule: 408,
 *   409, 429 and 5xx), `responseHeaders` (all of them, lower-case, `retry-after` included),
 *   `responseBody` (the raw text) and `metadata.url`. Without a response: "Cannot connect to
 *   API: …" (nothing listening, DNS), "Connection reset by server", "Provider response
 *   headers timed out after …ms" (`provider.options.headerTimeout`), "Response decompression
 *   failed", "Provider finish_reason: network_error"; these are all retryable. An in-stream
 *   `insufficient_quota` reads "Quota exceeded. Check your plan and billing details."
 * - `ProviderAuthError`: the provider's SDK found no API key (`data.providerID`, `message`).
 * - `ContextOverflowError` (a 413, `context_length_exceeded`, or an overflow message),
 *   `MessageOutputLengthError`, `ContentFilterError`, `StructuredOutputError`,
 *   `MessageAbortedError`: the request or the answer, not the infrastructure.
 * - `UnknownError`: anything else, e.g. "Model not found: …" or, for an undeclared model,
 *   "Unexpected server error. Check server logs for details."
 *
 * The event comes after OpenCode's own retries: it retries a retryable `APIError`, any 5xx
 * and any message naming a rate limit, overload or network failure five times (six
 * requests), waiting `retry-after-ms`, else `retry-after` (seconds or an HTTP date), else 2 s
 * doubling (capped at 30 s only when the response had no headers). Nothing in its config
 * turns that off, and nothing is printed while it waits.
 */
import type { ErrorKind, FailureClass } from '@baton/core';

type Json = Record<string, unknown>;

/** A classified OpenCode failure: the fields of a stage failure. */
export interface OpenCodeFailure {
  readonly message: string;
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly failureClass: FailureClass;
  readonly retryAfterMs: number | null;
}

/** The parts of a failure that `failure()` does not derive. */
type Classified = Omit<OpenCodeFailure, 'message' | 'retryable'>;

function classified(
  failureClass: FailureClass,
  kind: ErrorKind,
  status: number | null,
  retryAfterMs: number | null = null,
): Classified {
  return { failureClass, kind, status, retryAfterMs };
}

/** Worth another attempt on OpenCode itself: a rate limit after its delay, a transient error. */
export function failure(message: string, parts: Classified): OpenCodeFailure {
  const retryable = parts.failureClass === 'rate_limited' || parts.failureClass === 'transient';
  return { message, ...parts, retryable };
}

/**
 * Plan, credit and billing limits, in the words of OpenAI (`insufficient_quota`, "exceeded
 * your current quota"), OpenCode's stream parser ("Quota exceeded"), Anthropic ("credit
 * balance is too low", `billing_error`), OpenRouter ("requires more credits") and OpenCode's
 * own gateway (`FreeUsageLimitError`, `GoUsageLimitError`). Waiting minutes does not help.
 */
const QUOTA =
  /insufficient_quota|exceeded your current quota|quota exceeded|billing_error|check your plan and billing|credit balance is too low|insufficient (?:credits|balance|funds)|requires more credits|out of credits|payment required|usage limit|FreeUsageLimitError|GoUsageLimitError/i;

const RATE_LIMIT = /rate.?limit|too many requests|too_many_requests/i;

/** The connection was never made: the gateway is down or unreachable, after OpenCode's retries. */
const UNREACHABLE =
  /cannot connect to api|unable to connect|connection ?refused|econnrefused|enotfound|eai_again|getaddrinfo|failedtoopensocket/i;

/** The connection was made but broke or stalled: worth a bounded retry. */
const NETWORK =
  /connection reset|econnreset|etimedout|socket hang up|fetch failed|failed to fetch|network[-_\s]?error|connection (?:error|lost|closed)|headers timed out|decompression failed|terminated|timed? ?out\b/i;

/**
 * A provider's words for a busy or failing server. Not "server error" alone: OpenCode's own
 * "Unexpected server error. Check server logs for details." names its embedded server,
 * e.g. for a model no provider declares.
 */
const SERVER_BUSY =
  /overloaded|service unavailable|internal server error|bad gateway|gateway timeout/i;

/** OpenCode's error names that say the request or the answer failed, not the infrastructure. */
const TASK_ERRORS: Readonly<Record<string, ErrorKind>> = {
  ContextOverflowError: 'model',
  MessageOutputLengthError: 'model',
  ContentFilterError: 'model',
  StructuredOutputError: 'model',
  MessageAbortedError: 'unknown',
};

/**
 * Classifies OpenCode's `error` object. `at` is the event's `timestamp` (ms), the clock an
 * HTTP-date `retry-after` is read against when the response carried no `date` header.
 */
export function classifyOpenCodeError(error: Json | null, at: number | null): OpenCodeFailure {
  const data = record(error?.data);
  const name = nonEmpty(error?.name);
  const detail = nonEmpty(data?.message) ?? nonEmpty(error?.message);
  const message =
    detail === null
      ? (name ?? 'OpenCode reported an error')
      : name !== null && name !== 'UnknownError'
        ? `${name}: ${detail}`
        : detail;
  const status =
    typeof data?.statusCode === 'number' && Number.isInteger(data.statusCode)
      ? data.statusCode
      : null;
  const body = typeof data?.responseBody === 'string' ? data.responseBody : '';
  const headers = record(data?.responseHeaders);
  const words = `${detail ?? ''}\n${body}`;
  const delay = retryAfterMs(headers, at);

  if (name === 'ProviderAuthError') return failure(message, classified('auth', 'auth', status));
  if (name !== null && name in TASK_ERRORS) {
    return failure(message, classified('task', TASK_ERRORS[name]!, status));
  }
  if (status !== null) return failure(message, classifyStatus(status, words, delay));
  return failure(message, classifyWords(words, data?.isRetryable === true, delay));
}

function classifyStatus(status: number, words: string, delay: number | null): Classified {
  // Quota words first: providers send them with 400, 403 or 429 as well as 402.
  if (status === 402 || QUOTA.test(words)) {
    return classified('quota_exhausted', 'rate-limit', status, delay);
  }
  if (status === 401 || status === 403) return classified('auth', 'auth', status);
  if (status === 429) return classified('rate_limited', 'rate-limit', status, delay);
  if (status === 408) return classified('transient', 'timeout', status, delay);
  if (status >= 500) return classified('transient', 'server', status, delay);
  return classified('task', 'model', status);
}

/** An error without an HTTP status: a network failure, or words naming the cause. */
export function classifyWords(words: string, retryable: boolean, delay: number | null): Classified {
  if (QUOTA.test(words)) return classified('quota_exhausted', 'rate-limit', null, delay);
  if (RATE_LIMIT.test(words)) return classified('rate_limited', 'rate-limit', null, delay);
  if (UNREACHABLE.test(words)) return classified('unavailable', 'network', null);
  if (NETWORK.test(words)) return classified('transient', 'network', null);
  if (SERVER_BUSY.test(words)) return classified('transient', 'server', null);
  if (/\b(?:unauthorized|invalid api key|api key is missing|authentication)\b/i.test(words)) {
    return classified('auth', 'auth', null);
  }
  // OpenCode marks the error retryable for a reason its words above did not name.
  if (retryable) return classified('transient', 'unknown', null);
  return classified('task', 'unknown', null);
}

/**
 * The delay the response asked for, read as OpenCode reads it: `retry-after-ms`
 * (milliseconds), else `retry-after` in seconds or as an HTTP date (against the response's
 * own `date` header, else the event's time); `null` when neither says a usable delay.
 */
export function retryAfterMs(headers: Json | null, at: number | null): number | null {
  if (headers === null) return null;
  const milliseconds = numberOf(headers['retry-after-ms']);
  if (milliseconds !== null) return Math.ceil(milliseconds);
  const value = typeof headers['retry-after'] === 'string' ? headers['retry-after'].trim() : '';
  if (value === '') return null;
  const seconds = numberOf(value);
  if (seconds !== null) return Math.ceil(seconds * 1000);
  const until = Date.parse(value);
  const date = typeof headers.date === 'string' ? Date.parse(headers.date) : Number.NaN;
  const now = Number.isNaN(date) ? at : date;
  if (Number.isNaN(until) || now === null) return null;
  return until > now ? Math.ceil(until - now) : null;
}

/** A non-negative decimal number, as `Number.parseFloat` reads a header (leading digits). */
function numberOf(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\s*\d+(?:\.\d+)?/.test(value)) return null;
  const number = Number.parseFloat(value);
  return Number.isFinite(number) && number >= 0 ? number : null;
}

function record(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
