/**
 * Names a failed Claude Code run: its failure class, error kind and retry delay, from what
 * Claude Code 2.1.330 itself prints. Every rule quotes real output (fixtures
 * `claude-2.1.330-stream-json-*`, against the scripted server) or the typed fields its
 * stream-json documents:
 * - an API error ends the run with an assistant message `is_api_error_message: true` and a
 *   `result` (`is_error: true`, `subtype: "success"`) that carry `api_error_status` (the HTTP
 *   status), `api_error_type` (Anthropic's error type: `rate_limit_error`, `billing_error`,
 *   …), `api_error` (Claude Code's typed kind: `usage_limit_reached`, `connection_failed`, …;
 *   new values appear over time) and, on the assistant message, `error` (a category:
 *   `rate_limit`, `billing_error`, `authentication_failed`, `server_error`, …);
 * - a plan limit: "You've hit your 5-hour limit · resets 1:29pm (UTC)", `api_error:
 *   "usage_limit_reached"`, and `api_error_params.rate_limit_info.resetsAt` (unix seconds);
 * - exhausted API credit (a 400): "Credit balance is too low", `error: "billing_error"`;
 * - a 429 without a plan limit: "API Error: Request rejected (429) · <server message>",
 *   after Claude Code's own retries, each announced by a `system/api_retry` event whose
 *   `retry_delay_ms` honours the server's `retry-after` (plus up to 25% jitter) when it is
 *   at most 60 s; a longer `retry-after` fails at once and is printed nowhere;
 * - nothing listening: "API Error: Connection refused … (ECONNREFUSED)", `api_error:
 *   "connection_failed"`, after the same retries.
 */
import type { ErrorKind, FailureClass } from '@baton/core';

/** What a decoder knows about the API error that ended a run. */
export interface ApiErrorReport {
  /** Claude Code's words: the `result` text, else the synthetic assistant message's. */
  readonly message: string;
  /** `api_error_status`. */
  readonly status: number | null;
  /** `api_error_type`: Anthropic's error type from the response body. */
  readonly errorType: string | null;
  /** `api_error`: Claude Code's typed kind of the error. */
  readonly apiError: string | null;
  /** `error` on the synthetic assistant message: Claude Code's category of the error. */
  readonly category: string | null;
  /** `retry_delay_ms` of the last `system/api_retry` announced for a 429 in this run. */
  readonly retryDelayMs: number | null;
  /** How long until a plan limit resets, from `rate_limit_info.resetsAt`. */
  readonly resetInMs: number | null;
}

export interface Classification {
  readonly failureClass: FailureClass;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
}

export function classification(
  failureClass: FailureClass,
  kind: ErrorKind,
  retryAfterMs: number | null = null,
): Classification {
  // Worth another attempt on Claude Code itself: a rate limit after its delay, a transient error.
  const retryable = failureClass === 'rate_limited' || failureClass === 'transient';
  return { failureClass, kind, retryable, retryAfterMs };
}

/** Plan limits, spend caps and credits: waiting minutes does not help, another runtime may. */
const QUOTA_API_ERRORS = new Set([
  'usage_limit_reached',
  'model_requires_usage_credits',
  'long_context_credits_required',
  // The model now runs on usage credits and nobody could confirm (or another model is barred).
  'consent_unanswered',
  'no_allowed_fallback',
]);
const QUOTA_TEXT =
  /you(?:'|’)ve hit your .*limit|usage limit reached|credit balance is too low|spend limit reached|out of (?:usage )?credits|usage credits (?:are )?required|usage is paused/i;

/** Credentials refused, missing or unusable. */
const AUTH_API_ERRORS = new Set([
  'provider_credentials',
  'gateway_signin_required',
  'gateway_session_expired',
  'api_key_auth_disabled',
  'org_disabled_credential',
  'invalid_credential_header',
  'stored_login_refused',
  'oauth_refresh_store_refused',
]);
const AUTH_TEXT =
  /not logged in|please run \/login|failed to authenticate|invalid api key|x-api-key|oauth token|token (?:has )?(?:expired|been revoked)/i;

/** The API host cannot be reached or trusted from here: another runtime may still work. */
const UNREACHABLE_API_ERRORS = new Set([
  'tls_untrusted_ca',
  'tls_cert_signature_failure',
  'network_edge_blocked',
  'claude_code_version_too_old',
]);
const NEVER_CONNECTED_TEXT =
  /ECONNREFUSED|connection refused|ENOTFOUND|EAI_AGAIN|getaddrinfo|EHOSTUNREACH|ENETUNREACH|unable to connect/i;

/** Claude Code gave up on a connection or a response that stalled: worth another try. */
const TRANSIENT_API_ERRORS = new Set([
  'connection_failed',
  'no_response',
  'stream_idle_timeout',
  'computer_slept',
]);
const NETWORK_TEXT =
  /ECONNRESET|EPIPE|socket hang up|connection error|connection reset|fetch failed|network error/i;
const TIMEOUT_TEXT = /timeout|timed out|ETIMEDOUT/i;

/** The class of the API error that ended a run, from its status, Claude Code's codes, then its words. */
export function classifyApiError(report: ApiErrorReport): Classification {
  const { status, errorType, apiError, category, message } = report;

  if (
    (apiError !== null && QUOTA_API_ERRORS.has(apiError)) ||
    category === 'billing_error' ||
    errorType === 'billing_error' ||
    status === 402 ||
    QUOTA_TEXT.test(message)
  ) {
    return classification('quota_exhausted', 'rate-limit', report.resetInMs);
  }
  if (
    status === 401 ||
    status === 403 ||
    category === 'authentication_failed' ||
    category === 'cloud_credential_error' ||
    errorType === 'authentication_error' ||
    errorType === 'permission_error' ||
    (apiError !== null && AUTH_API_ERRORS.has(apiError)) ||
    (status === null && AUTH_TEXT.test(message))
  ) {
    return classification('auth', 'auth');
  }
  if (status === 429 || category === 'rate_limit' || errorType === 'rate_limit_error') {
    return classification('rate_limited', 'rate-limit', report.retryDelayMs);
  }
  if (apiError !== null && UNREACHABLE_API_ERRORS.has(apiError)) {
    return classification('unavailable', 'network');
  }
  if (apiError === 'connection_failed' && NEVER_CONNECTED_TEXT.test(message)) {
    // Nothing answered at all, after Claude Code's own retries: the gateway is down or absent.
    return classification('unavailable', 'network');
  }
  if (status !== null && status >= 500) return classification('transient', 'server');
  if (status === 408) return classification('transient', 'timeout');
  if (status !== null && status >= 400) return classification('task', 'model');
  if (apiError !== null && TRANSIENT_API_ERRORS.has(apiError)) {
    return classification('transient', TIMEOUT_TEXT.test(message) ? 'timeout' : 'network');
  }
  if (
    category === 'server_error' ||
    category === 'overloaded' ||
    errorType === 'api_error' ||
    errorType === 'overloaded_error'
  ) {
    // A connection that could not be made comes as `server_error` too: it says so in words.
    if (NEVER_CONNECTED_TEXT.test(message)) return classification('unavailable', 'network');
    if (NETWORK_TEXT.test(message)) return classification('transient', 'network');
    if (TIMEOUT_TEXT.test(message)) return classification('transient', 'timeout');
    return classification('transient', 'server');
  }
  if (NEVER_CONNECTED_TEXT.test(message)) return classification('unavailable', 'network');
  if (NETWORK_TEXT.test(message)) return classification('transient', 'network');
  if (TIMEOUT_TEXT.test(message)) return classification('transient', 'timeout');
  if (category === 'invalid_request' || category === 'model_not_found') {
    return classification('task', 'model');
  }
  return classification('task', 'unknown');
}

/** A run that failed with nothing but stderr to say why, explained with what to do. */
export interface LocalFailure extends Classification {
  readonly message: string;
}

/**
 * Failures Claude Code reports only on stderr, before any request. Each keeps Claude Code
 * from running this stage here at all (as root, without its profile, as a version or an
 * install that cannot take Baton's command), so another runtime may: `unavailable`.
 */
export function classifyStderr(stderr: string): LocalFailure | null {
  const unavailable = (message: string, kind: ErrorKind): LocalFailure => ({
    message,
    ...classification('unavailable', kind),
  });
  if (/cannot be used with root\/sudo privileges/.test(stderr)) {
    return unavailable(
      `${stderr}. Claude Code refuses access "full" (--permission-mode bypassPermissions) as root: ` +
        'run Baton as a non-root user, or set IS_SANDBOX=1 in its environment if this machine is a disposable sandbox.',
      'permission',
    );
  }
  const missingSettings = /Settings file not found: (.+)/.exec(stderr);
  if (missingSettings) {
    return unavailable(
      `Claude Code cannot find the backend profile's settings file ${missingSettings[1]!.trim()}: run \`baton setup claude-code\`.`,
      'unknown',
    );
  }
  if (/unknown option|error: option/i.test(stderr)) {
    return unavailable(
      `${stderr} — this Claude Code version does not accept an argument Baton passes; run \`baton doctor\` to compare it with the tested versions.`,
      'unknown',
    );
  }
  if (/native binary not installed/.test(stderr)) {
    return unavailable(
      `${stderr} — the Claude Code package's postinstall did not run; rerun it or reinstall Claude Code.`,
      'unknown',
    );
  }
  return null;
}
