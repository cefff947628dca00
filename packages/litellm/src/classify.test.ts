import { statedDelayMs } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { classifyLitellmError, durationMs, type LitellmError } from './classify.js';

function error(overrides: Partial<LitellmError>): LitellmError {
  return {
    status: null,
    code: null,
    phase: 'response',
    message: '',
    errorType: null,
    retryAfterMs: null,
    headers: {},
    ...overrides,
  };
}

describe('classifyLitellmError', () => {
  it.each([
    // LiteLLM's budget errors, whatever status carries them.
    [
      { status: 400, errorType: 'budget_exceeded', message: 'Budget has been exceeded!' },
      'quota_exhausted',
    ],
    [
      {
        status: 400,
        errorType: 'budget_exceeded',
        message: 'LiteLLM Virtual Key: 9769f3f6, key_alias: None, exceeded budget for model=gpt-4o',
      },
      'quota_exhausted',
    ],
    [
      {
        status: 401,
        message:
          'Authentication Error, ExceededTokenBudget: Current spend for token: 7.2e-05; Max Budget for Token: 2e-07',
      },
      'quota_exhausted',
    ],
    [{ status: 429, message: 'Max budget limit reached.' }, 'quota_exhausted'],
    [{ status: 400, message: 'ExceededBudget: Crossed spend within team' }, 'quota_exhausted'],
    // Upstream credit and billing errors passed through.
    [{ status: 402, message: 'Payment required' }, 'quota_exhausted'],
    [
      {
        status: 429,
        message:
          'litellm.RateLimitError: You exceeded your current quota, please check your plan and billing details.',
      },
      'quota_exhausted',
    ],
    // Keys that may not do this.
    [
      { status: 401, errorType: 'auth_error', message: 'Invalid proxy server token passed.' },
      'auth',
    ],
    [{ status: 403, message: 'forbidden' }, 'auth'],
    [
      { status: 401, errorType: 'expired_key', message: 'Authentication Error - Expired Key.' },
      'auth',
    ],
    [
      {
        status: 401,
        errorType: 'key_model_access_denied',
        message: 'key not allowed to access model. This key can only access models=[…]',
      },
      'auth',
    ],
    [{ phase: 'setup', code: 'NO_API_KEY', message: 'the variable is not set' }, 'auth'],
    [{ phase: 'setup', code: 'NO_BASE_URL', message: 'no proxy URL' }, 'unavailable'],
    // Throttles and outages.
    [{ status: 429, message: 'Rate limit exceeded for api_key: x' }, 'rate_limited'],
    [{ status: 408, message: 'litellm.Timeout: Request timed out' }, 'transient'],
    [{ status: 500, message: 'litellm.InternalServerError' }, 'transient'],
    [{ status: 503, message: 'litellm.ServiceUnavailableError' }, 'transient'],
    // The request itself.
    [{ status: 400, message: 'litellm.ContextWindowExceededError: prompt is too long' }, 'task'],
    [{ status: 400, message: 'Invalid model name passed in model=x.' }, 'task'],
    [{ status: 404, message: 'litellm.NotFoundError' }, 'task'],
    [{ status: 422, message: 'Unprocessable Entity' }, 'task'],
    // No answer at all.
    [{ phase: 'connect', code: 'ECONNREFUSED', message: 'cannot reach' }, 'unavailable'],
    [{ phase: 'connect', code: 'ENOTFOUND', message: 'cannot reach' }, 'unavailable'],
    [{ phase: 'connect', code: 'UND_ERR_CONNECT_TIMEOUT', message: 'cannot reach' }, 'unavailable'],
    [{ phase: 'connect', code: 'ECONNRESET', message: 'cannot reach' }, 'transient'],
    [{ phase: 'connect', code: 'UND_ERR_HEADERS_TIMEOUT', message: 'cannot reach' }, 'transient'],
    [
      { phase: 'stream', code: 'UND_ERR_SOCKET', message: 'the response stream broke' },
      'transient',
    ],
    [{ phase: null, status: null, message: 'something odd' }, 'task'],
  ] as const)('%o → %s', (fields, failureClass) => {
    expect(classifyLitellmError(error(fields)).failureClass).toBe(failureClass);
  });

  it('takes the retry-after header first, then the words, then an OpenAI-style reset header', () => {
    expect(
      classifyLitellmError(
        error({ status: 429, retryAfterMs: 60_000, message: 'Try again in 5 seconds.' }),
      ).retryAfterMs,
    ).toBe(60_000);
    expect(
      classifyLitellmError(error({ status: 429, message: 'Try again in 5 seconds.' })).retryAfterMs,
    ).toBe(5000);
    expect(
      classifyLitellmError(
        error({
          status: 429,
          message: 'Rate limit',
          headers: { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' },
        }),
      ).retryAfterMs,
    ).toBe(360_000);
    // A bare number may be a time or a count of seconds: not guessed.
    expect(
      classifyLitellmError(
        error({
          status: 429,
          message: 'Rate limit',
          headers: { 'x-ratelimit-reset-requests': '12' },
        }),
      ).retryAfterMs,
    ).toBeNull();
  });

  it('is retryable on the proxy again only for a rate limit or a transient failure', () => {
    expect(classifyLitellmError(error({ status: 429 })).retryable).toBe(true);
    expect(classifyLitellmError(error({ status: 502 })).retryable).toBe(true);
    expect(classifyLitellmError(error({ status: 401 })).retryable).toBe(false);
    expect(
      classifyLitellmError(error({ status: 400, errorType: 'budget_exceeded' })).retryable,
    ).toBe(false);
  });
});

describe('durationMs and statedDelayMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['1.5s', 1500],
    ['20ms', 20],
    ['12', null],
    ['soon', null],
  ] as const)('duration %s → %s', (value, ms) => {
    expect(durationMs(value)).toBe(ms);
  });

  it.each([
    ['No deployments available for selected model, Try again in 5 seconds.', 5000],
    ['Rate limit reached for requests. Please try again in 20s.', 20_000],
    ['Please try again in 1m30s.', 90_000],
    ['retry after 2 minutes', 120_000],
    ['Rate limit exceeded. Limit resets at: 2026-12-03 11:52:00 UTC', null],
  ] as const)('%s → %s', (message, ms) => {
    expect(statedDelayMs(message)).toBe(ms);
  });
});
