import { describe, expect, it } from 'vitest';
import { classifyOpenCodeError, retryAfterMs } from './classify.js';

/** An `APIError` as OpenCode 1.18.33 prints it in its `error` event. */
function apiError(data: Record<string, unknown>) {
  return { name: 'APIError', data: { isRetryable: false, ...data } };
}

const AT = Date.parse('2026-12-03T11:39:24Z');

describe('classifyOpenCodeError: statuses', () => {
  it.each([
    [401, 'auth', 'auth'],
    [403, 'auth', 'auth'],
    [402, 'quota_exhausted', 'rate-limit'],
    [429, 'rate_limited', 'rate-limit'],
    [408, 'transient', 'timeout'],
    [500, 'transient', 'server'],
    [502, 'transient', 'server'],
    [503, 'transient', 'server'],
    [529, 'transient', 'server'],
    [400, 'task', 'model'],
    [404, 'task', 'model'],
    [422, 'task', 'model'],
  ] as const)('HTTP %i is %s', (status, failureClass, kind) => {
    const failure = classifyOpenCodeError(
      apiError({ message: 'Scripted error', statusCode: status }),
      AT,
    );
    expect(failure).toMatchObject({ status, failureClass, kind });
    expect(failure.retryable).toBe(failureClass === 'rate_limited' || failureClass === 'transient');
  });

  it('names quota and billing by their words, whatever the status', () => {
    const cases: Array<[number, string, string]> = [
      [429, 'Rate limit reached', '{"error":{"code":"insufficient_quota"}}'],
      [
        400,
        'Your credit balance is too low to access the Anthropic API.',
        '{"type":"error","error":{"type":"invalid_request_error"}}',
      ],
      [403, 'This request requires more credits', ''],
      [429, 'Usage limit reached', '{"type":"error","error":{"type":"GoUsageLimitError"}}'],
      [401, 'Free usage exceeded', '{"error":{"type":"FreeUsageLimitError"}}'],
    ];
    for (const [status, message, responseBody] of cases) {
      expect(
        classifyOpenCodeError(apiError({ message, statusCode: status, responseBody }), AT),
        message,
      ).toMatchObject({ failureClass: 'quota_exhausted', kind: 'rate-limit', retryable: false });
    }
  });

  it('keeps a quota’s stated delay: OpenCode Go sends the seconds until its reset as retry-after', () => {
    const failure = classifyOpenCodeError(
      apiError({
        message: 'Usage limit reached',
        statusCode: 429,
        responseHeaders: { 'retry-after': '5400' },
        responseBody: '{"type":"error","error":{"type":"GoUsageLimitError"}}',
      }),
      AT,
    );
    expect(failure).toMatchObject({ failureClass: 'quota_exhausted', retryAfterMs: 5_400_000 });
  });
});

describe('classifyOpenCodeError: without a status', () => {
  it.each([
    [
      'Cannot connect to API: Unable to connect. Is the computer able to access the url?',
      'unavailable',
      'network',
    ],
    ['Cannot connect to API: getaddrinfo ENOTFOUND gateway.invalid', 'unavailable', 'network'],
    ['Connection reset by server', 'transient', 'network'],
    ['Provider response headers timed out after 60000ms', 'transient', 'network'],
    ['Response decompression failed', 'transient', 'network'],
    ['Provider finish_reason: network_error', 'transient', 'network'],
    ['Provider is overloaded', 'transient', 'server'],
    ['Quota exceeded. Check your plan and billing details.', 'quota_exhausted', 'rate-limit'],
    ['Too Many Requests', 'rate_limited', 'rate-limit'],
    ['Invalid prompt.', 'task', 'unknown'],
  ] as const)('"%s" is %s', (message, failureClass, kind) => {
    expect(classifyOpenCodeError(apiError({ message }), AT)).toMatchObject({
      status: null,
      failureClass,
      kind,
    });
  });

  it('takes an error OpenCode marks retryable for an unnamed reason as transient', () => {
    expect(
      classifyOpenCodeError(apiError({ message: 'Server error.', isRetryable: true }), AT),
    ).toMatchObject({ failureClass: 'transient', retryable: true });
  });

  it('names OpenCode’s own errors', () => {
    expect(
      classifyOpenCodeError(
        { name: 'ProviderAuthError', data: { providerID: 'x', message: 'no key' } },
        AT,
      ),
    ).toEqual({
      message: 'ProviderAuthError: no key',
      kind: 'auth',
      status: null,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
    for (const name of [
      'ContextOverflowError',
      'MessageOutputLengthError',
      'ContentFilterError',
      'StructuredOutputError',
      'MessageAbortedError',
    ]) {
      expect(classifyOpenCodeError({ name, data: { message: 'x' } }, AT), name).toMatchObject({
        failureClass: 'task',
        retryable: false,
      });
    }
    expect(
      classifyOpenCodeError(
        { name: 'UnknownError', data: { message: 'Model not found: a/b.' } },
        AT,
      ),
    ).toMatchObject({ message: 'Model not found: a/b.', failureClass: 'task', kind: 'unknown' });
  });

  it('reads an error without data', () => {
    expect(classifyOpenCodeError({ name: 'MessageAbortedError' }, AT)).toMatchObject({
      message: 'MessageAbortedError',
      failureClass: 'task',
    });
    expect(classifyOpenCodeError(null, AT)).toMatchObject({
      message: 'OpenCode reported an error',
      failureClass: 'task',
    });
  });
});

describe('retryAfterMs, read as OpenCode reads it', () => {
  it('prefers retry-after-ms, then retry-after in seconds', () => {
    expect(retryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '9' }, AT)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': '2' }, AT)).toBe(2000);
    expect(retryAfterMs({ 'retry-after': '0.25' }, AT)).toBe(250);
    expect(retryAfterMs({ 'retry-after-ms': '0' }, AT)).toBe(0);
  });

  it('reads an HTTP date against the response’s date header, else the event’s time', () => {
    expect(
      retryAfterMs(
        { 'retry-after': 'Thu, 03 Dec 2026 11:40:00 GMT', date: 'Thu, 03 Dec 2026 11:39:30 GMT' },
        AT,
      ),
    ).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 03 Dec 2026 11:40:00 GMT' }, AT)).toBe(36_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 03 Dec 2026 11:40:00 GMT' }, null)).toBeNull();
  });

  it('says nothing for a past date, garbage, or no header', () => {
    expect(retryAfterMs({ 'retry-after': 'Thu, 03 Dec 2026 11:00:00 GMT' }, AT)).toBeNull();
    expect(retryAfterMs({ 'retry-after': 'soon' }, AT)).toBeNull();
    expect(retryAfterMs({ 'retry-after-ms': '-5' }, AT)).toBeNull();
    expect(retryAfterMs({ date: 'Thu, 03 Dec 2026 11:39:24 GMT' }, AT)).toBeNull();
    expect(retryAfterMs(null, AT)).toBeNull();
  });
});
