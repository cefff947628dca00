import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createLitellmDecoder, headerCost, usageFromOpenAi } from './decode.js';

const lines = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')
    .replace(/\n$/, '')
    .split('\n');

const CLEAN: ProcessExit = { exitCode: 0, signal: null, stderrTail: '', resultFiles: {} };

function decode(input: readonly string[], exit: ProcessExit = CLEAN) {
  const decoder = createLitellmDecoder();
  const events = input.flatMap((line) => decoder.push(line));
  return { events, outcome: decoder.finish(exit) };
}

describe('LiteLLM decoder', () => {
  it('streams the deltas as pieces of one message and reads the usage chunk', () => {
    const { events, outcome } = decode(lines('litellm-1.40-client-stream.jsonl'));
    const usage = {
      known: true,
      inputTokens: 58,
      cachedInputTokens: 32,
      outputTokens: 9,
      reasoningTokens: 2,
      totalTokens: 67,
      costUsd: null,
    };
    expect(events).toEqual([
      { type: 'text', text: 'The plan ', partial: true },
      { type: 'text', text: 'looks ', partial: true },
      { type: 'text', text: 'sound.', partial: true },
      { type: 'usage', usage },
    ]);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'The plan looks sound.',
      sessionId: null,
      usage,
      error: null,
    });
  });

  it('fails a stream that ended without finish_reason or [DONE]', () => {
    const { outcome } = decode(lines('litellm-1.40-client-truncated.jsonl'));
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBe('The plan looks ');
    expect(outcome.error).toEqual({
      message:
        'the completion stream ended before it was complete (no finish_reason and no [DONE])',
      kind: 'network',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
  });

  it.each([
    [
      'litellm-1.40-client-401.jsonl',
      'auth',
      'auth',
      401,
      null,
      'HTTP 401: Authentication Error, Invalid proxy server token passed.',
    ],
    [
      'litellm-1.40-client-429.jsonl',
      'rate_limited',
      'rate-limit',
      429,
      5000,
      'HTTP 429: No deployments available',
    ],
    [
      'litellm-1.40-client-connection-refused.jsonl',
      'unavailable',
      'network',
      null,
      null,
      'cannot reach http://127.0.0.1:4000',
    ],
    [
      'litellm-1.40-client-mid-stream-error.jsonl',
      'rate_limited',
      'rate-limit',
      429,
      null,
      'HTTP 429: litellm.RateLimitError',
    ],
    [
      'litellm-main-client-http-429-retry-after.jsonl',
      'rate_limited',
      'rate-limit',
      429,
      60_000,
      'HTTP 429: Rate limit exceeded for api_key',
    ],
    [
      'litellm-main-client-http-429-no-deployments.jsonl',
      'rate_limited',
      'rate-limit',
      429,
      5000,
      'HTTP 429: No deployments available for selected model, Try again in 5 seconds.',
    ],
    [
      'litellm-main-client-stream-first-chunk-429.jsonl',
      'rate_limited',
      'rate-limit',
      429,
      20_000,
      'HTTP 429: litellm.RateLimitError',
    ],
    [
      'litellm-main-client-budget-exceeded.jsonl',
      'quota_exhausted',
      'rate-limit',
      400,
      null,
      'HTTP 400: Budget has been exceeded! Current cost: 10.0042, Max budget: 10.0',
    ],
    [
      'litellm-main-client-http-503.jsonl',
      'transient',
      'server',
      503,
      null,
      'HTTP 503: litellm.ServiceUnavailableError',
    ],
    [
      'litellm-main-client-connection-refused.jsonl',
      'unavailable',
      'network',
      null,
      null,
      'cannot reach http://127.0.0.1:',
    ],
  ] as const)('fails %s as %s', (file, failureClass, kind, status, retryAfterMs, message) => {
    const { events, outcome } = decode(lines(file), {
      ...CLEAN,
      exitCode: file.includes('mid-stream') ? 0 : 1,
    });
    expect(events.filter((event) => event.type === 'error')).toEqual([
      { type: 'error', message: expect.stringContaining(message), kind, status, fatal: true },
    ]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: expect.stringContaining(message),
      kind,
      status,
      retryable: failureClass === 'rate_limited' || failureClass === 'transient',
      failureClass,
      retryAfterMs,
    });
  });

  it('reads the cost of a stream from its usage chunk (include_cost_in_streaming_usage)', () => {
    const { events, outcome } = decode(lines('litellm-main-client-stream-cost.jsonl'));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('The plan looks sound.');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 58,
      cachedInputTokens: 32,
      outputTokens: 9,
      reasoningTokens: 2,
      totalTokens: 67,
      costUsd: 0.000412,
    });
    expect(events.filter((event) => event.type === 'usage')).toHaveLength(1);
  });

  it('reads the cost of a call that was not streamed from x-litellm-response-cost', () => {
    const { outcome } = decode(lines('litellm-main-client-non-streamed-cost.jsonl'));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage.costUsd).toBe(0.000412);
    expect(outcome.usage.inputTokens).toBe(58);
  });

  it('keeps the cost unknown when the proxy sends none (a stream without the setting)', () => {
    expect(decode(lines('litellm-1.40-client-stream.jsonl')).outcome.usage.costUsd).toBeNull();
    const noUsage = decode([
      '{"type":"client.response","status":200,"headers":{"x-litellm-call-id":"c"}}',
      '{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]).outcome;
    expect(noUsage.usage).toEqual(UNKNOWN_USAGE);
  });

  it('keeps a cost the proxy stated even without token counts', () => {
    const { outcome } = decode([
      '{"type":"client.response","status":200,"headers":{"x-litellm-response-cost":"0.5"}}',
      '{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]);
    expect(outcome.usage).toEqual({ ...UNKNOWN_USAGE, known: true, costUsd: 0.5 });
  });

  it('marks every streamed delta partial and gives the whole reply as the final text', () => {
    const reply = Array.from({ length: 1500 }, (_, index) => `word${index}`).join(' ');
    const pieces = reply.match(/.{1,4}/gs) ?? [];
    const { events, outcome } = decode([
      ...pieces.map((piece) =>
        JSON.stringify({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] }),
      ),
      '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]);
    expect(outcome.finalText).toBe(reply);
    const texts = events.filter((event) => event.type === 'text');
    expect(texts).toHaveLength(pieces.length);
    expect(texts.every((event) => event.type === 'text' && event.partial === true)).toBe(true);
  });

  it('reads a non-streamed completion', () => {
    const { outcome } = decode(lines('litellm-1.40-client-non-streamed.jsonl'));
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'pong',
      sessionId: null,
      usage: {
        known: true,
        inputTokens: 14,
        cachedInputTokens: null,
        outputTokens: 1,
        reasoningTokens: null,
        totalTokens: 15,
        costUsd: null,
      },
      error: null,
    });
  });

  it('accepts a usage chunk whose choices carry an empty delta', () => {
    const { outcome } = decode([
      '{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}',
      '{"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}',
      '{"type":"client.done"}',
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage.totalTokens).toBe(4);
  });

  it('succeeds without a usage chunk, with usage unknown', () => {
    const { outcome } = decode([
      '{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage).toEqual(UNKNOWN_USAGE);
  });

  it('takes a completion that was not streamed as one whole message', () => {
    const whole = decode([
      '{"choices":[{"message":{"role":"assistant","content":"All of it."},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]);
    expect(whole.events[0]).toEqual({ type: 'text', text: 'All of it.' });
  });

  it('warns about a reply cut at the token limit, and fails a content-filtered or empty one', () => {
    const cut = decode([
      '{"choices":[{"delta":{"content":"abc"},"finish_reason":"length"}]}',
      '{"type":"client.done"}',
    ]);
    expect(cut.events).toContainEqual({
      type: 'warning',
      message: 'the reply was cut off at the token limit (finish_reason: length)',
    });
    expect(cut.outcome.status).toBe('succeeded');
    const filtered = decode([
      '{"choices":[{"delta":{},"finish_reason":"content_filter"}]}',
      '{"type":"client.done"}',
    ]);
    expect(filtered.outcome.error?.kind).toBe('model');
    const empty = decode([
      '{"choices":[{"delta":{},"finish_reason":"stop"}]}',
      '{"type":"client.done"}',
    ]);
    expect(empty.outcome.error).toEqual({
      message: 'the model returned an empty reply',
      kind: 'model',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
    expect(filtered.outcome.error?.failureClass).toBe('task');
  });

  it('skips unknown records and warns about unreadable lines without failing', () => {
    const decoder = createLitellmDecoder();
    expect(decoder.push('{"type":"something.new"}')).toEqual([]);
    expect(decoder.push('')).toEqual([]);
    expect(decoder.push('[1,2]')).toEqual([]);
    expect(decoder.push('not json {')).toEqual([
      { type: 'warning', message: 'unreadable line from the LiteLLM client: not json {' },
    ]);
    expect(decoder.push('{"type":"client.unparsed","data":"<html>"}')).toEqual([
      { type: 'warning', message: 'the proxy sent an event that is not JSON: <html>' },
    ]);
  });

  it('fails a client that crashed or was killed', () => {
    const crashed = decode([], { ...CLEAN, exitCode: 1, stderrTail: 'SyntaxError: oops\n' });
    expect(crashed.outcome.error).toEqual({
      message: 'the LiteLLM client exited with 1: SyntaxError: oops',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    const killed = decode(['{"choices":[{"delta":{"content":"a"}}]}'], {
      ...CLEAN,
      exitCode: null,
      signal: 'SIGKILL',
    });
    expect(killed.outcome.error).toEqual({
      message: 'the LiteLLM client was stopped by SIGKILL',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
  });
});

describe('headerCost', () => {
  it('reads a number of dollars, and nothing else', () => {
    expect(headerCost({ 'x-litellm-response-cost': '0.000412' })).toBe(0.000412);
    expect(headerCost({ 'x-litellm-response-cost': '0' })).toBe(0);
    expect(headerCost({ 'x-litellm-response-cost': 'None' })).toBeNull();
    expect(headerCost({ 'x-litellm-response-cost': '' })).toBeNull();
    expect(headerCost({ 'x-litellm-response-cost': '-1' })).toBeNull();
    expect(headerCost({})).toBeNull();
    expect(headerCost(null)).toBeNull();
  });
});

describe('usageFromOpenAi', () => {
  it('is unknown without counts', () => {
    expect(usageFromOpenAi({})).toEqual(UNKNOWN_USAGE);
  });
});
