/**
 * The failure classes of the OpenCode adapter, from the real pinned `opencode` 1.18.33: the
 * scripted server answers with the status, headers and body behind each failure, OpenCode
 * words it in its `error` event, and the decoder must name the class and the delay from that
 * event alone. OpenCode retries a 429 (and a 5xx) five times by itself, waiting what the
 * response asks: a `retry-after` of 1 s keeps those cases to about five seconds, and
 * `retry-after-ms: 0` where the delay is not the point. The 5xx case lives in the runs test;
 * an unreachable gateway costs 90 s of OpenCode's back-off and is decoded from its fixture.
 */
import type { StageFailure } from '@baton/core';
import { createOpencodeAdapter } from '@baton/opencode';
import type { ErrorTurn, ScriptTurn } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import {
  chatRequests,
  createSandbox,
  KEY,
  runStage,
  type StageRun,
  stageRequest,
  stageRequestFor,
} from './support.js';

const adapter = createOpencodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

/** Runs one stage against `model`, scripted with `turns`. */
async function run(model: string, turns: ScriptTurn[]): Promise<StageRun> {
  server().script({ model }, turns);
  return runStage(adapter, stageRequestFor(sandbox(), server().url, model));
}

/** Runs a stage whose every model request gets `turn`; returns its failure. */
async function failWith(model: string, turn: ErrorTurn): Promise<StageFailure> {
  const stage = await run(model, [turn]);
  expect(stage.timedOut).toBe(false);
  expect(stage.exitCode).toBe(1);
  expect(stage.outcome.status).toBe('failed');
  // The session was announced before the failure: a stage can name it in the journal.
  expect(stage.events[0]).toEqual({ type: 'session', sessionId: stage.outcome.sessionId });
  expect(stage.events.filter((event) => event.type === 'error')).toHaveLength(1);
  return stage.outcome.error!;
}

describe('opencode 1.18.33: rate limits', () => {
  it('a 429 with retry-after: OpenCode waits it out five times, then the stage is rate_limited with that delay', async () => {
    const started = Date.now();
    const error = await failWith('rate-model', {
      error: { status: 429, headers: { 'retry-after': '1' } },
    });
    expect(error).toEqual({
      message: 'APIError: Scripted error: HTTP 429',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: 1000,
    });
    expect(chatRequests(server(), 'rate-model').map((entry) => entry.status)).toEqual([
      429, 429, 429, 429, 429, 429,
    ]);
    // Five waits of the stated second, before the stage failed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
  });

  it('a 429 that clears within OpenCode’s own retries never reaches Baton', async () => {
    const stage = await run('recovering-model', [
      { error: { status: 429, headers: { 'retry-after': '1' } }, times: 2 },
      { text: 'Recovered.' },
    ]);
    expect(stage.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Recovered.',
      error: null,
    });
    expect(stage.events.some((event) => event.type === 'error')).toBe(false);
    expect(chatRequests(server(), 'recovering-model').map((entry) => entry.status)).toEqual([
      429, 429, 200,
    ]);
  });
});

describe('opencode 1.18.33: quotas, credits and billing are quota_exhausted', () => {
  it('a 429 insufficient_quota, though OpenCode retries it like any 429', async () => {
    const error = await failWith('quota-model', {
      error: {
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        fields: { code: 'insufficient_quota' },
        // Spares the test OpenCode's minute of back-off; the class does not depend on it.
        headers: { 'retry-after-ms': '0' },
      },
    });
    expect(error).toEqual({
      message:
        'APIError: You exceeded your current quota, please check your plan and billing details.',
      kind: 'rate-limit',
      status: 429,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: 0,
    });
    expect(chatRequests(server(), 'quota-model')).toHaveLength(6);
  });

  it('a 402, which OpenCode does not retry', async () => {
    const error = await failWith('credits-model', {
      error: { status: 402, message: 'Insufficient credits' },
    });
    expect(error).toEqual({
      message: 'APIError: Insufficient credits',
      kind: 'rate-limit',
      status: 402,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
    expect(chatRequests(server(), 'credits-model')).toHaveLength(1);
  });

  it('Anthropic’s "credit balance is too low", a 400', async () => {
    const error = await failWith('balance-model', {
      error: {
        status: 400,
        message:
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      },
    });
    expect(error).toMatchObject({ status: 400, failureClass: 'quota_exhausted', retryable: false });
    expect(chatRequests(server(), 'balance-model')).toHaveLength(1);
  });
});

describe('opencode 1.18.33: credentials are auth', () => {
  it('a 403', async () => {
    const error = await failWith('forbidden-model', { error: { status: 403 } });
    expect(error).toEqual({
      message: 'APIError: Scripted error: HTTP 403',
      kind: 'auth',
      status: 403,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
    expect(chatRequests(server(), 'forbidden-model')).toHaveLength(1);
  });

  it('a provider whose SDK finds no API key (ProviderAuthError): no request is made', async () => {
    sandbox().writeUserConfig({
      provider: {
        keyless: {
          npm: '@ai-sdk/anthropic',
          options: { baseURL: `${server().url}/v1` },
          models: { 'keyless-model': { name: 'keyless-model' } },
        },
      },
    });
    const before = server().requests.length;
    const stage = await runStage(adapter, {
      ...stageRequest(sandbox(), server().url),
      settings: { binary: requireCli('opencode'), model: 'keyless/keyless-model' },
    });
    expect(stage.exitCode).toBe(1);
    expect(stage.outcome.error).toEqual({
      message:
        "ProviderAuthError: Anthropic API key is missing. Pass it using the 'apiKey' parameter or the ANTHROPIC_API_KEY environment variable.",
      kind: 'auth',
      status: null,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
    expect(server().requests.length).toBe(before);
  });
});

describe('opencode 1.18.33: the request itself is the task’s', () => {
  it('a context overflow: OpenCode compacts, fails again, and the stage fails as task', async () => {
    server().script({ model: 'overflow-model' }, [
      {
        error: {
          status: 400,
          message: "This model's maximum context length is 128000 tokens.",
          fields: { code: 'context_length_exceeded' },
        },
      },
    ]);
    const stage = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'overflow-model'),
    );
    expect(stage.exitCode).toBe(1);
    expect(stage.outcome.error).toEqual({
      message: "ContextOverflowError: This model's maximum context length is 128000 tokens.",
      kind: 'model',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });
});
