/**
 * The failure classes of the Codex adapter, from the real pinned `codex` 0.169.0: the
 * scripted server answers with the body or stream event behind each failure (Codex's usage
 * limit is a 429 whose error says `usage_limit_reached`), Codex words it, and the decoder
 * must name the class and the delay from those words alone. Codex makes one request each
 * (Baton's provider has no retries), so every case is quick.
 */
import { createCodexAdapter } from '@baton/codex';
import type { StageFailure } from '@baton/core';
import type { ErrorTurn } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, runStage, stageRequest } from './support.js';

const adapter = createCodexAdapter();
const server = useModelServer({ apiKey: KEY, models: ['stub-model'] });
const sandbox = useSandbox(createSandbox);

/** Runs one stage whose only model request gets `turn`; returns its failure. */
async function failWith(
  model: string,
  turn: ErrorTurn,
  env: Record<string, string> = {},
): Promise<{ error: StageFailure; stdout: string }> {
  server().script({ model }, [turn]);
  const request = stageRequest(sandbox(), `${server().url}/v1`, { model });
  const run = await runStage(adapter, { ...request, env: { ...request.env, ...env } });
  expect(run.timedOut).toBe(false);
  expect(run.exit.exitCode).toBe(1);
  expect(run.outcome.status).toBe('failed');
  // The session was announced before the failure: a stage can name it in the journal.
  expect(run.events[0]).toEqual({ type: 'session', sessionId: run.outcome.sessionId });
  expect(server().requests.filter((entry) => entry.model === model)).toHaveLength(1);
  return { error: run.outcome.error!, stdout: run.stdout };
}

const MINUTE = 60_000;

describe('codex 0.169.0: usage limits and quotas are quota_exhausted', () => {
  it('its usage limit (429 usage_limit_reached): quota_exhausted, waiting until the printed reset', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 90 * 60;
    const started = Date.now();
    // A zone with a half-hour offset: the reset is printed in Codex's local time, and read
    // back in the same zone.
    const { error } = await failWith(
      'usage-limit-model',
      {
        error: {
          status: 429,
          message: 'The usage limit has been reached',
          type: 'usage_limit_reached',
          fields: { plan_type: 'plus', resets_at: resetsAt },
        },
      },
      { TZ: 'Asia/Kolkata' },
    );
    expect(error).toMatchObject({
      kind: 'rate-limit',
      status: null,
      retryable: false,
      failureClass: 'quota_exhausted',
    });
    expect(error.message).toMatch(
      /^You’ve hit your usage limit\. Upgrade to Pro \(https:\/\/chatgpt\.com\/explore\/pro\), visit https:\/\/chatgpt\.com\/settings\/usage to purchase more credits or try again at (?:[A-Z][a-z]{2} \d{1,2}(?:st|nd|rd|th), \d{4} )?\d{1,2}:\d{2} [AP]M\.$/,
    );
    // Codex prints the minute; the delay runs to that minute's end.
    const untilReset = resetsAt * 1000 - started;
    expect(error.retryAfterMs).toBeGreaterThan(untilReset - 2 * MINUTE);
    expect(error.retryAfterMs).toBeLessThanOrEqual(untilReset + MINUTE);
  });

  it('its usage limit without a reset time: quota_exhausted, no delay', async () => {
    const { error } = await failWith('usage-limit-later-model', {
      error: { status: 429, type: 'usage_limit_reached' },
    });
    expect(error).toEqual({
      message: 'You’ve hit your usage limit. Try again later.',
      kind: 'rate-limit',
      status: null,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
  });

  it('insufficient_quota and usage_not_included, and a 402', async () => {
    const quota = await failWith('quota-model', {
      error: {
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        fields: { code: 'insufficient_quota' },
      },
    });
    expect(quota.error).toMatchObject({
      message: 'Quota exceeded. Check your plan and billing details.',
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
    const plan = await failWith('plan-model', {
      error: { status: 429, type: 'usage_not_included' },
    });
    expect(plan.error).toMatchObject({
      message:
        'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.',
      failureClass: 'quota_exhausted',
    });
    const billing = await failWith('billing-model', {
      error: { status: 402, message: 'Your credit balance is too low' },
    });
    expect(billing.error).toMatchObject({
      status: 402,
      failureClass: 'quota_exhausted',
    });
    expect(billing.error.message).toMatch(
      /^unexpected status 402 Payment Required: Your credit balance is too low\b/,
    );
  });
});

describe('codex 0.169.0: rate limits are rate_limited', () => {
  it('a rate limit inside the stream: the delay the server stated', async () => {
    const { error } = await failWith('stream-limit-model', {
      error: {
        status: 429,
        message: 'Rate limit reached for stream-limit-model. Please try again in 2.5s.',
        inStream: true,
      },
    });
    expect(error).toEqual({
      message:
        'rate limit exceeded: Rate limit reached for stream-limit-model. Please try again in 2.5s.',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: 2500,
    });
  });

  it('an HTTP 429 with retry-after: rate_limited, but Codex does not show the header', async () => {
    const { error, stdout } = await failWith('http-limit-model', {
      error: { status: 429, message: 'Slow down', headers: { 'retry-after': '2' } },
    });
    expect(error).toEqual({
      message: expect.stringMatching(
        /^exceeded retry limit, last status: 429 Too Many Requests, request id: req_\d{6}$/,
      ),
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: null,
    });
    expect(stdout).not.toMatch(/retry-after|\b2 ?s\b|Slow down/i);
  });
});

describe('codex 0.169.0: other failures', () => {
  it('403: auth', async () => {
    const { error } = await failWith('forbidden-model', {
      error: { status: 403, message: 'You are not allowed to use this model' },
    });
    expect(error).toMatchObject({
      kind: 'auth',
      status: 403,
      retryable: false,
      failureClass: 'auth',
    });
  });

  it('503 server_is_overloaded: transient', async () => {
    const { error } = await failWith('overloaded-model', {
      error: { status: 503, fields: { code: 'server_is_overloaded' } },
    });
    expect(error).toEqual({
      message: 'Selected model is at capacity. Please try a different model.',
      kind: 'server',
      status: 503,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
  });

  it('a context window exceeded inside the stream: task', async () => {
    const { error } = await failWith('context-model', {
      error: {
        status: 400,
        message: 'Your input exceeds the context window of this model.',
        inStream: true,
        fields: { code: 'context_length_exceeded' },
      },
    });
    expect(error).toMatchObject({ kind: 'model', retryable: false, failureClass: 'task' });
    expect(error.message).toMatch(/^Codex ran out of room in the model's context window\./);
  });
});
