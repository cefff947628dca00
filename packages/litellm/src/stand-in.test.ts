/**
 * End to end: the adapter's real command (the package's HTTP client, run by Node) against
 * the LiteLLM stand-in proxy, decoded by the adapter's decoder.
 */
import { createServer } from 'node:net';
import type { StageRequest } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLitellmAdapter } from './litellm-adapter.js';
import { type LitellmStandIn, runCommandSpec, startLitellmStandIn } from './test-support/index.js';

const adapter = createLitellmAdapter();
let proxy: LitellmStandIn;

beforeAll(async () => {
  proxy = await startLitellmStandIn({
    masterKey: 'sk-master',
    reply: 'The interview is done: two open questions remain.',
    usage: { promptTokens: 120, completionTokens: 11, cachedTokens: 64, reasoningTokens: 3 },
  });
});

afterAll(async () => {
  await proxy.close();
});

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'interview',
    prompt: 'Interview the user about the export feature.',
    contract: 'You are the Architect. Ask before you assume.',
    cwd: process.cwd(),
    access: 'read-only',
    profile: null,
    settings: { baseUrl: `${proxy.url}/v1`, apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
    scratchDir: process.cwd(),
    env: { PATH: process.env.PATH ?? '', LITELLM_KEY: 'sk-master' },
    ...overrides,
  };
}

async function run(stageRequest: StageRequest, timeoutMs = 15_000) {
  return runCommandSpec(adapter.buildCommand(stageRequest), adapter.createDecoder(stageRequest), {
    baseEnv: stageRequest.env,
    timeoutMs,
  });
}

describe('LiteLLM adapter against the stand-in proxy', () => {
  it('streams a completion end to end with the contract as the system message', async () => {
    const before = proxy.requests.length;
    const { outcome, events, exitCode } = await run(request());
    expect(exitCode).toBe(0);
    // The stand-in streams; without include_cost_in_streaming_usage a stream has no cost.
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'The interview is done: two open questions remain.',
      sessionId: null,
      usage: {
        known: true,
        inputTokens: 120,
        cachedInputTokens: 64,
        outputTokens: 11,
        reasoningTokens: 3,
        totalTokens: 131,
        costUsd: null,
      },
      error: null,
    });
    const texts = events.filter((event) => event.type === 'text');
    expect(texts.map((event) => (event as { text: string }).text).join('')).toBe(
      'The interview is done: two open questions remain.',
    );
    expect(texts.every((event) => (event as { partial?: boolean }).partial === true)).toBe(true);
    const sent = proxy.requests.slice(before);
    expect(sent.map((entry) => `${entry.method} ${entry.path}`)).toEqual([
      'POST /v1/chat/completions',
    ]);
    expect(sent[0]!.headers.authorization).toBe('Bearer sk-master');
    expect(JSON.parse(sent[0]!.body)).toEqual({
      model: 'coder',
      messages: [
        { role: 'system', content: 'You are the Architect. Ask before you assume.' },
        { role: 'user', content: 'Interview the user about the export feature.' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends the profile alias as the model', async () => {
    const before = proxy.requests.length;
    const { outcome } = await run(request({ profile: 'worker' }));
    expect(outcome.status).toBe('succeeded');
    expect(JSON.parse(proxy.requests[before]!.body).model).toBe('baton-worker');
  });

  it('delivers a 300 kB prompt whole', async () => {
    const before = proxy.requests.length;
    const prompt = `Goal: ${'z'.repeat(300_000)}`;
    const { outcome } = await run(request({ prompt }));
    expect(outcome.status).toBe('succeeded');
    expect(JSON.parse(proxy.requests[before]!.body).messages[1].content).toBe(prompt);
  });

  it('reports a rejected key as auth', async () => {
    const { outcome, exitCode } = await run(request({ env: { LITELLM_KEY: 'sk-wrong' } }));
    expect(exitCode).toBe(1);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message:
        'HTTP 401: Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
      kind: 'auth',
      status: 401,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
  });

  it.each([
    ['fail-429', 'rate_limited', 'rate-limit', 429, 5000],
    ['rate-limited-key', 'rate_limited', 'rate-limit', 429, 60_000],
    ['stream-fail-429', 'rate_limited', 'rate-limit', 429, 20_000],
    ['budget-exceeded', 'quota_exhausted', 'rate-limit', 400, null],
    ['fail-500', 'transient', 'server', 500, null],
    ['fail-503', 'transient', 'server', 503, null],
    ['unknown-model', 'task', 'model', 400, null],
  ] as const)('reports model %s as %s', async (model, failureClass, kind, status, retryAfterMs) => {
    const { outcome } = await run(request({ model }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      failureClass,
      kind,
      status,
      retryAfterMs,
      retryable: failureClass === 'rate_limited' || failureClass === 'transient',
    });
  });

  it('reports an error inside an open stream', async () => {
    const { outcome, exitCode } = await run(request({ model: 'mid-stream-error' }));
    expect(exitCode).toBe(0);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      failureClass: 'rate_limited',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
    });
  });

  it('fails a truncated stream as transient', async () => {
    const { outcome } = await run(request({ model: 'truncate' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      failureClass: 'transient',
      kind: 'network',
      retryable: true,
    });
  });

  it('fails an empty reply as the task', async () => {
    const { outcome } = await run(request({ model: 'empty' }));
    expect(outcome.error).toMatchObject({
      failureClass: 'task',
      kind: 'model',
      message: 'the model returned an empty reply',
    });
  });

  it('reports a proxy nobody listens for as unavailable', async () => {
    const port = await freePort();
    const { outcome } = await run(
      request({ settings: { baseUrl: `http://127.0.0.1:${port}`, model: 'coder' } }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      failureClass: 'unavailable',
      kind: 'network',
      status: null,
      retryable: false,
    });
    expect(outcome.error?.message).toContain(
      `cannot reach http://127.0.0.1:${port}/v1/chat/completions`,
    );
  });

  it('fails clearly without base_url (unavailable) or with an unset key variable (auth)', async () => {
    const noUrl = await run(request({ settings: { model: 'coder' } }));
    expect(noUrl.outcome.error?.message).toBe(
      'no proxy URL: set base_url under [runtimes.litellm] in baton.toml',
    );
    expect(noUrl.outcome.error?.failureClass).toBe('unavailable');
    const noKey = await run(request({ env: { PATH: process.env.PATH ?? '' } }));
    expect(noKey.outcome.error?.message).toBe(
      'the environment variable LITELLM_KEY (api_key_env) is not set',
    );
    expect(noKey.outcome.error).toMatchObject({ failureClass: 'auth', retryable: false });
  });

  it("sends the stage's effort as reasoning_effort", async () => {
    for (const effort of adapter.capabilities.efforts) {
      const before = proxy.requests.length;
      const { outcome } = await run(request({ effort }));
      expect(outcome.status).toBe('succeeded');
      expect(JSON.parse(proxy.requests[before]!.body).reasoning_effort).toBe(effort);
    }
    const before = proxy.requests.length;
    await run(request());
    expect(JSON.parse(proxy.requests[before]!.body)).not.toHaveProperty('reasoning_effort');
  });

  it('reads the cost a proxy with include_cost_in_streaming_usage puts in the usage chunk', async () => {
    const priced = await startLitellmStandIn({
      masterKey: 'sk-master',
      reply: 'Priced.',
      cost: 0.00125,
      includeCostInStreamingUsage: true,
    });
    try {
      const { outcome } = await run(
        request({
          settings: { baseUrl: `${priced.url}/v1`, apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
        }),
      );
      expect(outcome.status).toBe('succeeded');
      expect(outcome.usage.costUsd).toBe(0.00125);
      expect(outcome.usage.inputTokens).toBe(42);
    } finally {
      await priced.close();
    }
  });

  it('stops a hanging proxy call at the time limit', async () => {
    const started = Date.now();
    const { outcome, timedOut } = await run(request({ model: 'hang' }), 1_500);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(timedOut).toBe(true);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('the LiteLLM client was stopped by SIGKILL');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
