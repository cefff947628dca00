import type { ErrorKind, FailureClass } from '@baton/core';
import { statedDelayMs } from '@baton/core';

/** What went wrong with a request to the proxy, normalised: a stage failure but its message. */
export interface LitellmFailure {
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly failureClass: FailureClass;
  readonly retryAfterMs: number | null;
}

/** A failed request as the client reported it (`client.error`) or as the stream carried it. */
export interface LitellmError {
  readonly status: number | null;
  /** A Node system error code for a request that got no answer (`ECONNREFUSED`, …). */
  readonly code: string | null;
  /** Where it failed: before an answer (`connect`), in it (`response`, `stream`), or in setup. */
  readonly phase: 'setup' | 'connect' | 'response' | 'stream' | null;
  readonly message: string;
  /** LiteLLM's `error.type` (`budget_exceeded`, `auth_error`, `expired_key`, …). */
  readonly errorType: string | null;
  /** The delay the `retry-after` header asked for, as the client read it. */
  readonly retryAfterMs: number | null;
  /** The rate-limit headers the client kept (`x-ratelimit-reset-requests`, …). */
  readonly headers: Readonly<Record<string, string>>;
}

function failure(
  failureClass: FailureClass,
  kind: ErrorKind,
  status: number | null,
  retryAfterMs: number | null = null,
): LitellmFailure {
  // Worth another attempt on the proxy itself: a rate limit after its delay, a transient error.
  const retryable = failureClass === 'rate_limited' || failureClass === 'transient';
  return { kind, status, retryable, failureClass, retryAfterMs };
}

// LiteLLM's budget errors, whatever status carries them: `BudgetExceededError` ("Budget has
// been exceeded! Current cost: …, Max budget: …", a 400 of type `budget_exceeded`), a virtual
// key's "exceeded budget for model=…", the older auth-time "ExceededTokenBudget" /
// "ExceededBudget" details, and the max-budget limiter's 429 "Max budget limit reached.".
const BUDGET =
  /budget has been exceeded|exceeded budget|exceededtokenbudget|exceededbudget|exceeded_budget|max budget limit reached|crossed spend|over budget/;
// Credits and billing upstream, passed through by the proxy.
const BILLING =
  /insufficient_quota|exceeded your current quota|insufficient credits|credit balance|payment required|billing hard limit|out of credits/;
// LiteLLM's `ProxyErrorTypes` for a key that may not do this: auth, expired, no access.
const AUTH_TYPES = new Set([
  'auth_error',
  'expired_key',
  'token_not_found_in_db',
  'key_model_access_denied',
  'team_model_access_denied',
  'user_model_access_denied',
  'org_model_access_denied',
  'team_member_permission_error',
]);
// A connection that was never made: nothing listens, no such host, no route. The client
// makes one request; Baton moves on to the next runtime at once.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Classifies a failed request by what the proxy answered. LiteLLM maps every failure onto an
 * OpenAI-style status and an `{"error":{"message","type","param","code"}}` body
 * (`ProxyException`): `AuthenticationError` 401, `PermissionDeniedError` 403,
 * `NotFoundError` 404, `BadRequestError` / `ContextWindowExceededError` /
 * `ContentPolicyViolationError` 400, `UnprocessableEntityError` 422, `Timeout` 408,
 * `RateLimitError` and "No deployments available" 429 (its router's cooldown: "Try again in 5
 * seconds"), the rate limiter's 429 with a `retry-after` header, `InternalServerError` 500,
 * `ServiceUnavailableError` 503, and `BudgetExceededError` as type `budget_exceeded`.
 */
export function classifyLitellmError(error: LitellmError): LitellmFailure {
  const text = error.message.toLowerCase();
  const type = (error.errorType ?? '').toLowerCase();
  const { status } = error;

  if (error.phase === 'setup') {
    // The client refused to start: no key in the named variable, no URL, a bad argument.
    return error.code === 'NO_API_KEY'
      ? failure('auth', 'auth', null)
      : failure('unavailable', 'unknown', null);
  }
  if (type === 'budget_exceeded' || BUDGET.test(text)) {
    return failure('quota_exhausted', 'rate-limit', status);
  }
  if (status === 402 || BILLING.test(text)) return failure('quota_exhausted', 'rate-limit', status);
  if (status === 401 || status === 403 || AUTH_TYPES.has(type)) {
    return failure('auth', 'auth', status);
  }
  if (status === 429) return failure('rate_limited', 'rate-limit', status, delayOf(error));
  if (status === 408) return failure('transient', 'timeout', status);
  if (status !== null && status >= 500) return failure('transient', 'server', status);
  if (status !== null && status >= 400) return failure('task', 'model', status);
  if (error.code !== null) {
    if (error.phase === 'connect' && UNREACHABLE_CODES.has(error.code)) {
      return failure('unavailable', 'network', null);
    }
    if (error.code.startsWith('E') || error.code.startsWith('UND_ERR')) {
      return failure('transient', 'network', null);
    }
  }
  if (/rate limit|too many requests/.test(text)) {
    return failure('rate_limited', 'rate-limit', null, delayOf(error));
  }
  return failure('task', 'unknown', status);
}

/**
 * The delay to wait before the next try: the `retry-after` header the client read, else the
 * words of the message ("Try again in 5 seconds", the router's cooldown), else the
 * `x-ratelimit-reset-*` headers when they are OpenAI-style durations (`1s`, `6m0s`; LiteLLM
 * passes the provider's on).
 */
function delayOf(error: LitellmError): number | null {
  if (error.retryAfterMs !== null) return error.retryAfterMs;
  const stated = statedDelayMs(error.message);
  if (stated !== null) return stated;
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => durationMs(error.headers[name] ?? ''))
    .filter((value): value is number => value !== null);
  return resets.length > 0 ? Math.max(...resets) : null;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `6m0s`, `1.5s`, `20ms` (OpenAI's rate-limit reset format); `null` for anything else. */
export function durationMs(value: string): number | null {
  const trimmed = value.trim();
  if (!/^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/.test(trimmed)) return null;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return Math.ceil(total);
}
