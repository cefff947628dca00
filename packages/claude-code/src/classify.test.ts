/**
 * The rules of `classifyApiError` for what the fixtures do not show: Claude Code's typed
 * `api_error` kinds and categories, as its stream-json schema documents them (2.1.330), and
 * the older wording of a plan limit. The observed cases are in decode.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type ApiErrorReport, classifyApiError, classifyStderr } from './classify.js';

function report(fields: Partial<ApiErrorReport>): ApiErrorReport {
  return {
    message: 'API Error',
    status: null,
    errorType: null,
    apiError: null,
    category: null,
    retryDelayMs: null,
    resetInMs: null,
    ...fields,
  };
}

const classOf = (fields: Partial<ApiErrorReport>) => classifyApiError(report(fields)).failureClass;

describe('classifyApiError', () => {
  it('names plan limits, credits and billing quota_exhausted, with the reset as the delay', () => {
    for (const apiError of [
      'usage_limit_reached',
      'model_requires_usage_credits',
      'long_context_credits_required',
      'consent_unanswered',
      'no_allowed_fallback',
    ]) {
      expect(classOf({ status: 429, apiError }), apiError).toBe('quota_exhausted');
    }
    expect(classOf({ category: 'billing_error' })).toBe('quota_exhausted');
    expect(classOf({ status: 400, errorType: 'billing_error' })).toBe('quota_exhausted');
    // Claude Code 1.0's wording of a plan limit, still matched by its words.
    expect(classOf({ message: 'Claude AI usage limit reached|1753077600' })).toBe(
      'quota_exhausted',
    );
    expect(
      classOf({
        status: 429,
        message: 'API Error: Request rejected (429) · spend limit reached · resets Dec 4',
      }),
    ).toBe('quota_exhausted');
    expect(
      classifyApiError(
        report({ apiError: 'usage_limit_reached', resetInMs: 5000, retryDelayMs: 900 }),
      ),
    ).toEqual({
      failureClass: 'quota_exhausted',
      kind: 'rate-limit',
      retryable: false,
      retryAfterMs: 5000,
    });
  });

  it('names refused or unusable credentials auth', () => {
    for (const apiError of [
      'provider_credentials',
      'gateway_signin_required',
      'gateway_session_expired',
      'api_key_auth_disabled',
      'org_disabled_credential',
      'invalid_credential_header',
    ]) {
      expect(classOf({ apiError }), apiError).toBe('auth');
    }
    expect(classOf({ category: 'cloud_credential_error' })).toBe('auth');
    expect(classOf({ message: 'OAuth token has expired. Please run /login' })).toBe('auth');
  });

  it("names a 429 rate_limited, with Claude Code's announced delay", () => {
    expect(classifyApiError(report({ status: 429, retryDelayMs: 2019 }))).toEqual({
      failureClass: 'rate_limited',
      kind: 'rate-limit',
      retryable: true,
      retryAfterMs: 2019,
    });
    expect(classOf({ category: 'rate_limit' })).toBe('rate_limited');
  });

  it('names a host that cannot be reached or trusted unavailable, a lost connection transient', () => {
    for (const apiError of [
      'tls_untrusted_ca',
      'tls_cert_signature_failure',
      'claude_code_version_too_old',
    ]) {
      expect(classOf({ apiError }), apiError).toBe('unavailable');
    }
    expect(
      classOf({
        apiError: 'connection_failed',
        message: 'API Error: Unable to connect to API (ENOTFOUND)',
      }),
    ).toBe('unavailable');
    expect(
      classOf({
        apiError: 'connection_failed',
        message: 'API Error: Connection error (ECONNRESET)',
      }),
    ).toBe('transient');
    for (const apiError of ['no_response', 'stream_idle_timeout', 'computer_slept']) {
      expect(classOf({ apiError }), apiError).toBe('transient');
    }
    expect(classifyApiError(report({ message: 'API Error: Request timed out.' }))).toMatchObject({
      failureClass: 'transient',
      kind: 'timeout',
    });
  });

  it('names 5xx and 408 transient, other 4xx and refusals of the request task', () => {
    expect(classOf({ status: 500 })).toBe('transient');
    expect(classOf({ status: 503 })).toBe('transient');
    expect(classOf({ status: 408 })).toBe('transient');
    expect(classOf({ status: 400, message: 'Prompt is too long' })).toBe('task');
    expect(classOf({ status: 404, category: 'model_not_found' })).toBe('task');
    expect(classOf({ apiError: 'dlp_request_denied', category: 'invalid_request' })).toBe('task');
    expect(classOf({ apiError: 'max_output_tokens', category: 'max_output_tokens' })).toBe('task');
    expect(classOf({ message: 'something else' })).toBe('task');
  });
});

describe('classifyStderr', () => {
  it('leaves stderr it does not know alone', () => {
    expect(classifyStderr('Aborted (core dumped)')).toBeNull();
    expect(classifyStderr('')).toBeNull();
  });

  it('names a missing native binary unavailable', () => {
    expect(classifyStderr('Error: claude native binary not installed.')).toMatchObject({
      failureClass: 'unavailable',
      retryable: false,
    });
  });
});
