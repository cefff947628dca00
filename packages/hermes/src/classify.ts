import type { ErrorKind, FailureClass } from '@baton/core';
import { statedDelayMs } from '@baton/core';

/** What Hermes reported wrong, normalised: the fields of a stage failure but its message. */
export interface HermesFailure {
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly failureClass: FailureClass;
  readonly retryAfterMs: number | null;
  readonly limitReached?: 'cost' | 'turns';
  readonly sessionNotFound?: boolean;
}

function failure(
  failureClass: FailureClass,
  kind: ErrorKind,
  status: number | null,
  retryAfterMs: number | null = null,
): HermesFailure {
  // Worth another attempt on Hermes itself: a rate limit after its delay, a transient error.
  const retryable = failureClass === 'rate_limited' || failureClass === 'transient';
  return { kind, status, retryable, failureClass, retryAfterMs };
}

// The phrases Hermes's own error classifier (`agent/error_classifier.py`) sorts provider
// errors by. Baton sorts the message Hermes prints by the same words, so a failure lands in
// the class Hermes itself gave it.
const BILLING =
  /insufficient credits|insufficient_quota|insufficient balance|credit balance|credits exhausted|credits have been exhausted|no usable credits|top up your credits|payment required|billing hard limit|exceeded your current quota|account is deactivated|plan does not include|out of funds|balance_depleted|not available on the free tier|spending limit|key limit exceeded|billing or credits exhausted/;
const USAGE_LIMIT = /usage limit|quota|limit exceeded/;
const USAGE_LIMIT_TRANSIENT =
  /try again|retry|resets at|reset in|wait|requests remaining|periodic|window/;
const OVERLOADED = /overloaded|at capacity|over capacity/;
const RATE_LIMIT =
  /rate limit|rate_limit|too many requests|throttled|requests per minute|tokens per minute|requests per day|try again in|please retry after|resource_exhausted/;
const AUTH =
  /invalid api key|invalid_api_key|incorrect api key|authentication|unauthori[sz]ed|forbidden|invalid token|token expired|token revoked|access denied|no auth credentials|hermes isn't configured yet|no api keys or providers found/;
// A connection never made: `openai.APIConnectionError` prints "Connection error."; Hermes
// replaces a DNS failure with its own "can't reach the model provider" sentence.
const UNREACHABLE =
  /connection error|connection refused|econnrefused|can't reach the model provider|name or service not known|temporary failure in name resolution|getaddrinfo|network is unreachable|failed to establish a new connection|nodename nor servname/;
const TRANSPORT =
  /timed out|timeout|server disconnected|peer closed connection|connection reset|connection was closed|network connection lost|unexpected eof|incomplete chunked read|stream connection keeps dropping|ssl|tls/;
const SERVER =
  /internal server error|bad gateway|service unavailable|service temporarily unavailable|gateway timeout|upstream error|provider returned error|html error page/;
const TASK =
  /context length exceeded|context window|maximum context|too many tokens|prompt is too long|max_tokens exceeds|payload too large|request entity too large|cannot compress further|model not found|model_not_found|does not exist|no such model|unknown model|unsupported model|invalid model|is not a valid model|safety filter|content_filter|violates .*usage policies|unsupported parameter|unknown parameter/;

/**
 * Names a failed Hermes run from the words Hermes 0.21 prints for it. With `chat -Q` the run's
 * final response carries the failure (the conversation loop returns the error as
 * `final_response`), so the text to classify is the answer lines together with stderr:
 * - provider errors, as `AIAgent._summarize_api_error` words them: `HTTP <status>: <the
 *   error body's message>` for a request the provider rejected (401, 402, 403, 400, 404 …),
 *   and `API call failed after <n> retries: <the same summary>` once Hermes spent its own
 *   retries on a 429, a 5xx or a broken connection (`Connection error.`);
 * - `Billing or credits exhausted: …` for a credit failure Hermes gave up on;
 * - `Context length exceeded …`, `Request payload too large …` for a request that cannot fit;
 * - startup refusals: "It looks like Hermes isn't configured yet -- no API keys or providers
 *   found." (no credentials), "Refusing this startup model override in non-interactive mode"
 *   (a model Hermes wants confirmed), a missing profile.
 * `null` when the words name no known cause.
 */
export function classifyHermesFailure(message: string): HermesFailure | null {
  const text = message.toLowerCase();
  const status = statusIn(message);

  if (
    /refusing this startup model override|named profile home does not exist|profile .* does not exist|modulenotfounderror|importerror|partially-updated install/.test(
      text,
    )
  ) {
    // The runtime cannot run as set up here: another runtime may, retrying this one will not.
    return failure('unavailable', 'unknown', null);
  }
  if (status === 402) {
    // Hermes's own reading of a 402: a usage limit that resets is a rate limit, the rest billing.
    if (USAGE_LIMIT.test(text) && USAGE_LIMIT_TRANSIENT.test(text)) {
      return failure('rate_limited', 'rate-limit', status, statedDelayMs(message));
    }
    return failure('quota_exhausted', 'rate-limit', status);
  }
  if (BILLING.test(text)) return failure('quota_exhausted', 'rate-limit', status);
  if (status !== null) return classifyStatus(status, text, message);

  if (USAGE_LIMIT.test(text) && !RATE_LIMIT.test(text)) {
    return USAGE_LIMIT_TRANSIENT.test(text)
      ? failure('rate_limited', 'rate-limit', null, statedDelayMs(message))
      : failure('quota_exhausted', 'rate-limit', null);
  }
  if (OVERLOADED.test(text)) return failure('transient', 'server', null);
  if (RATE_LIMIT.test(text))
    return failure('rate_limited', 'rate-limit', null, statedDelayMs(message));
  if (AUTH.test(text)) return failure('auth', 'auth', null);
  if (TASK.test(text)) return failure('task', 'model', null);
  // Hermes prints these only after its own retries: the provider stayed out of reach.
  if (UNREACHABLE.test(text)) return failure('unavailable', 'network', null);
  if (TRANSPORT.test(text)) return failure('transient', 'network', null);
  if (SERVER.test(text)) return failure('transient', 'server', null);
  if (/approval|permission denied|not permitted|outside hermes_write_safe_root/.test(text)) {
    return failure('task', 'permission', null);
  }
  // The session asked for is gone: the engine restarts the stage instead of going on in it.
  if (/session not found/.test(text))
    return { ...failure('task', 'unknown', null), sessionNotFound: true };
  return null;
}

function classifyStatus(status: number, text: string, message: string): HermesFailure {
  if (status === 401 || status === 403) return failure('auth', 'auth', status);
  if (status === 429) {
    // Some providers answer a server-wide overload with 429 (Hermes checks the same words).
    if (OVERLOADED.test(text)) return failure('transient', 'server', status);
    return failure('rate_limited', 'rate-limit', status, statedDelayMs(message));
  }
  if (status === 408) return failure('transient', 'timeout', status);
  if (status >= 500) return failure('transient', 'server', status);
  if (status === 413) return failure('task', 'model', status);
  return failure('task', 'model', status);
}

/**
 * The HTTP status in Hermes's words: `HTTP 429: …` (its summary prefix), `(HTTP 401)`, and the
 * OpenAI SDK's own `Error code: 401 - {…}`.
 */
export function statusIn(message: string): number | null {
  const match = /(?:\bHTTP\s*|error code:?\s*|status(?: code)?:?\s*)([1-5]\d\d)\b/i.exec(message);
  if (!match) return null;
  const status = Number(match[1]);
  return status >= 400 && status <= 599 ? status : null;
}
