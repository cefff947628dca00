import type { ErrorKind, FailureClass } from '@baton/core';
import { statedDelayMs } from '@baton/core';
import { type ResetClock, resetDelayMs } from './reset-time.js';

/** What Codex reported wrong, normalised: the fields of a stage failure but its message. */
export interface CodexFailure {
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly failureClass: FailureClass;
  readonly retryAfterMs: number | null;
}

function failure(
  failureClass: FailureClass,
  kind: ErrorKind,
  status: number | null,
  retryAfterMs: number | null = null,
): CodexFailure {
  // Worth another attempt on Codex itself: a rate limit after its delay, a transient error.
  const retryable = failureClass === 'rate_limited' || failureClass === 'transient';
  return { kind, status, retryable, failureClass, retryAfterMs };
}

/**
 * Names a failure from the words Codex 0.169 prints for it (`turn.failed.error.message`, an
 * `error` event, or stderr). Each rule quotes the message `codex-rs` builds for one error
 * (`CodexErr`'s display strings), as seen against the scripted server:
 * - a 429 whose body says `usage_limit_reached`: "You’ve hit your usage limit. … try again at
 *   3:04 PM." (wording by plan; `resets_at` printed in local time);
 * - `insufficient_quota`: "Quota exceeded. Check your plan and billing details.";
 * - `usage_not_included`: "To use Codex with your ChatGPT plan, upgrade to Plus: …";
 * - any other 429: "exceeded retry limit, last status: 429 Too Many Requests" (the
 *   `retry-after` header is not shown);
 * - a rate limit inside the stream: "rate limit exceeded: … Please try again in 2.5s.";
 * - 500: "We’re currently experiencing high demand, …"; a 503 `server_is_overloaded`:
 *   "Selected model is at capacity. Please try a different model.";
 * - other statuses: "unexpected status 401 Unauthorized: <body message>, url: …";
 * - 400: the bare response body; nothing listening: "Connection failed: error sending request".
 */
export function classifyCodexError(message: string, clock: ResetClock): CodexFailure {
  const text = message.toLowerCase();

  // Plan, credit and billing limits: waiting minutes does not help, another runtime may.
  if (
    /you(?:'|’)ve hit your usage limit|quota exceeded|to use codex with your chatgpt plan|out of credits|you hit your spend cap|insufficient_quota|usage_not_included/.test(
      text,
    )
  ) {
    return failure(
      'quota_exhausted',
      'rate-limit',
      statusIn(message),
      resetDelayMs(message, clock),
    );
  }
  // Cloudflare's regional block is a 403 that no key fixes.
  if (/access blocked by cloudflare/.test(text)) return failure('unavailable', 'network', 403);

  const status = statusIn(message);
  if (status !== null) return classifyStatus(status, message);

  if (
    /missing environment variable|not logged in|unauthorized|invalid api key|incorrect api key|authentication|credential expired|token (?:expired|revoked)|refresh token|log ?in again|sign in again/.test(
      text,
    )
  ) {
    return failure('auth', 'auth', null);
  }
  if (/rate limit|too many requests/.test(text))
    return failure('rate_limited', 'rate-limit', 429, statedDelayMs(message));
  if (/currently experiencing high demand/.test(text)) return failure('transient', 'server', 500);
  if (/selected model is at capacity/.test(text)) return failure('transient', 'server', 503);
  // The connection was never made: the gateway is down or unreachable. Codex has already
  // spent its own (bounded) retries.
  if (/connection failed|error sending request|dns error|connection refused/.test(text)) {
    return failure('unavailable', 'network', null);
  }
  if (
    /stream disconnected|reconnecting|waiting for network|error while reading the server response|connection reset|timed out|timeout|network/.test(
      text,
    )
  ) {
    return failure('transient', 'network', null);
  }
  if (
    /context window|model .*(?:not found|does not exist|not supported)|invalid_request_error|invalid request|"error"\s*:/.test(
      text,
    )
  ) {
    return failure('task', 'model', null);
  }
  if (/sandbox|permission denied|not permitted|operation not permitted|approval/.test(text)) {
    return failure('task', 'permission', null);
  }
  return failure('task', 'unknown', null);
}

function statusIn(message: string): number | null {
  const match = /(?:unexpected status|last status:?|status(?: code)?:?)\s*(\d{3})\b/i.exec(message);
  if (!match) return null;
  const status = Number(match[1]);
  return status >= 400 && status <= 599 ? status : null;
}

function classifyStatus(status: number, message: string): CodexFailure {
  if (status === 401 || status === 403) return failure('auth', 'auth', status);
  if (status === 402) return failure('quota_exhausted', 'rate-limit', status);
  if (status === 429) return failure('rate_limited', 'rate-limit', status, statedDelayMs(message));
  if (status === 408) return failure('transient', 'timeout', status);
  if (status >= 500) return failure('transient', 'server', status);
  return failure('task', 'model', status);
}
