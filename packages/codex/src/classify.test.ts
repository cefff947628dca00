import { statedDelayMs } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { classifyCodexError } from './classify.js';

const CLOCK = { now: Date.UTC(2026, 11, 3, 11, 25, 0), timeZone: 'UTC' };

describe('classifyCodexError', () => {
  it.each([
    // Codex's own wording for each server answer (codex-rs `CodexErr` display strings).
    ['unexpected status 401 Unauthorized: x', 'auth', 'auth', 401],
    ['unexpected status 403 Forbidden: x', 'auth', 'auth', 403],
    ['Missing environment variable: `GATEWAY_KEY`.', 'auth', 'auth', null],
    ['Your ChatGPT credential expired. Reopen Codex to reconnect.', 'auth', 'auth', null],
    ['exceeded retry limit, last status: 429 Too Many Requests', 'rate_limited', 'rate-limit', 429],
    [
      'rate limit exceeded: Rate limit reached for gpt-5.5. Please try again in 20ms.',
      'rate_limited',
      'rate-limit',
      429,
    ],
    ['You’ve hit your usage limit. Try again later.', 'quota_exhausted', 'rate-limit', null],
    ["You've hit your usage limit. Try again later.", 'quota_exhausted', 'rate-limit', null],
    [
      'You’ve hit your usage limit for GPT-6-Astra. Switch to another model now, or try again later.',
      'quota_exhausted',
      'rate-limit',
      null,
    ],
    [
      'Your workspace is out of credits. Add credits to continue.',
      'quota_exhausted',
      'rate-limit',
      null,
    ],
    [
      'You hit your spend cap set in your workspace. Increase your spend cap to continue.',
      'quota_exhausted',
      'rate-limit',
      null,
    ],
    ['Quota exceeded. Check your plan and billing details.', 'quota_exhausted', 'rate-limit', null],
    [
      'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.',
      'quota_exhausted',
      'rate-limit',
      null,
    ],
    [
      '{"error":{"message":"Your credit balance is too low","type":"invalid_request_error","code":"insufficient_quota"}}',
      'quota_exhausted',
      'rate-limit',
      null,
    ],
    ['unexpected status 402 Payment Required: x', 'quota_exhausted', 'rate-limit', 402],
    [
      'We’re currently experiencing high demand, which may cause temporary errors.',
      'transient',
      'server',
      500,
    ],
    ['Selected model is at capacity. Please try a different model.', 'transient', 'server', 503],
    ['unexpected status 503 Service Unavailable: x', 'transient', 'server', 503],
    ['unexpected status 408 Request Timeout: x', 'transient', 'timeout', 408],
    [
      'stream disconnected before completion: idle timeout waiting for SSE',
      'transient',
      'network',
      null,
    ],
    ['Error while reading the server response: connection reset', 'transient', 'network', null],
    ['request timed out', 'transient', 'network', null],
    ['Connection failed: error sending request', 'unavailable', 'network', null],
    [
      'Access blocked by Cloudflare. This usually happens when connecting from a restricted region (status 403 Forbidden)',
      'unavailable',
      'network',
      403,
    ],
    ['unexpected status 404 Not Found: x', 'task', 'model', 404],
    ['The model `x` does not exist', 'task', 'model', null],
    [
      "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
      'task',
      'model',
      null,
    ],
    ['{"error":{"message":"bad","type":"invalid_request_error"}}', 'task', 'model', null],
    ['something else entirely', 'task', 'unknown', null],
  ] as const)('%s → %s', (message, failureClass, kind, status) => {
    const classified = classifyCodexError(message, CLOCK);
    expect(classified).toMatchObject({ failureClass, kind, status });
    expect(classified.retryable).toBe(
      failureClass === 'rate_limited' || failureClass === 'transient',
    );
  });

  it('takes the delay of a rate limit from its message, and the reset of a usage limit', () => {
    expect(
      classifyCodexError('rate limit exceeded: … Please try again in 1.5s.', CLOCK).retryAfterMs,
    ).toBe(1500);
    expect(
      classifyCodexError('exceeded retry limit, last status: 429 Too Many Requests', CLOCK)
        .retryAfterMs,
    ).toBeNull();
    expect(
      classifyCodexError('You’ve hit your usage limit. Try again at 11:59 AM.', CLOCK).retryAfterMs,
    ).toBe(35 * 60_000);
    expect(
      classifyCodexError('You’ve hit your usage limit. Try again later.', CLOCK).retryAfterMs,
    ).toBeNull();
  });
});

describe('statedDelayMs on Codex wordings', () => {
  it.each([
    ['Please try again in 2.5s.', 2500],
    ['Please try again in 20ms.', 20],
    ['Please try again in 1m30s.', 90_000],
    ['Please try again in 6m0s.', 360_000],
    ['please TRY AGAIN IN 3 seconds', 3000],
    ['try again in 1h2m', 3_720_000],
    ['try again in 0.0015s', 2],
  ])('%s → %d ms', (message, expected) => {
    expect(statedDelayMs(message)).toBe(expected);
  });

  it('is null without a stated delay', () => {
    expect(statedDelayMs('Please try again later.')).toBeNull();
    expect(statedDelayMs('exceeded retry limit, last status: 429')).toBeNull();
  });
});
