/**
 * How the real pinned `claude` 2.1.330 fails, and what the adapter makes of it: each
 * failure the scripted server can cause, decoded into its failure class and retry delay,
 * with the time Claude Code itself spends on it bounded.
 */
import { createClaudeCodeAdapter } from '@baton/claude-code';
import { startModelServer } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import {
  claudeGatewayToken,
  createSandbox,
  KEY,
  KEY_VARIABLE,
  messageRequests,
  runStage,
  stageRequest,
} from './support.js';

const adapter = createClaudeCodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function retryNotices(run: Awaited<ReturnType<typeof runStage>>) {
  return run.json.filter((event) => event.type === 'system' && event.subtype === 'api_retry');
}

describe('claude 2.1.330 failures, classified', () => {
  it('429 with retry-after: 2 → Claude Code waits ≥ 2 s itself, then rate_limited with its delay; waiting that long and running again succeeds', async () => {
    server().script({ model: 'limited-model' }, [
      { error: { status: 429, headers: { 'retry-after': '2' } }, times: 2 },
      { text: 'Recovered after the rate limit.' },
    ]);
    // One retry of its own (a lower inherited limit is kept), and an inherited retry
    // watchdog, which would retry for hours, switched off by the adapter.
    const env = { ...sandbox().env, CLAUDE_CODE_MAX_RETRIES: '1', CLAUDE_CODE_RETRY_WATCHDOG: '1' };
    const request = stageRequest(sandbox(), server().url, { model: 'limited-model', env });
    const first = await runStage(adapter, request);
    expect(first.command.env).toMatchObject({
      CLAUDE_CODE_MAX_RETRIES: '1',
      CLAUDE_CODE_RETRY_WATCHDOG: '0',
    });
    expect(messageRequests(server(), 'limited-model').length).toBe(2);
    const [notice] = retryNotices(first);
    expect(notice).toMatchObject({ attempt: 1, max_retries: 1, error_status: 429 });
    const announced = notice!.retry_delay_ms as number;
    // retry-after 2 s, plus Claude Code's jitter of up to 25%.
    expect(announced).toBeGreaterThanOrEqual(2000);
    expect(announced).toBeLessThanOrEqual(2500);
    expect(first.durationMs).toBeGreaterThanOrEqual(2000);
    expect(first.outcome).toMatchObject({
      status: 'failed',
      error: {
        message: 'API Error: Request rejected (429) · Scripted error: HTTP 429',
        kind: 'rate-limit',
        status: 429,
        retryable: true,
        failureClass: 'rate_limited',
        retryAfterMs: announced,
      },
    });

    // What Baton's policy does with it: wait the stated delay, run the stage again.
    const waitedFrom = performance.now();
    await new Promise((resolve) => setTimeout(resolve, first.outcome.error!.retryAfterMs!));
    const second = await runStage(adapter, request);
    expect(performance.now() - waitedFrom).toBeGreaterThanOrEqual(2000);
    expect(second.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Recovered after the rate limit.',
    });
    expect(messageRequests(server(), 'limited-model').length).toBe(3);
  });

  it('429 with retry-after: 600 → rate_limited at once: Claude Code waits for no retry-after over 60 s, and prints none', async () => {
    server().script({ model: 'long-limit-model' }, [
      { error: { status: 429, headers: { 'retry-after': '600' } } },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'long-limit-model' }),
    );
    expect(run.command.env.CLAUDE_CODE_MAX_RETRIES).toBe('2');
    expect(messageRequests(server(), 'long-limit-model').length).toBe(1);
    expect(retryNotices(run)).toEqual([]);
    expect(run.durationMs).toBeLessThan(15_000);
    expect(run.outcome.error).toMatchObject({
      failureClass: 'rate_limited',
      retryable: true,
      retryAfterMs: null,
    });
  });

  it('a plan usage limit behind a Claude gateway → quota_exhausted, the delay to its reset', async () => {
    const token = claudeGatewayToken();
    const gateway = await startModelServer({ apiKey: token });
    try {
      const resetsAt = Math.floor(Date.now() / 1000) + 7200;
      gateway.script({ model: 'plan-model' }, [
        {
          error: {
            status: 429,
            message: "This request would exceed your account's rate limit. Please try again later.",
            headers: {
              'anthropic-ratelimit-unified-status': 'rejected',
              'anthropic-ratelimit-unified-reset': String(resetsAt),
              'anthropic-ratelimit-unified-representative-claim': 'five_hour',
            },
          },
        },
      ]);
      const run = await runStage(
        adapter,
        stageRequest(sandbox(), gateway.url, {
          model: 'plan-model',
          env: { ...sandbox().env, [KEY_VARIABLE]: token },
        }),
      );
      const result = run.json.find((event) => event.type === 'result')!;
      expect(result).toMatchObject({ api_error: 'usage_limit_reached', api_error_status: 429 });
      expect(run.outcome.error).toMatchObject({
        message: expect.stringMatching(/^You've hit your 5-hour limit · resets /),
        kind: 'rate-limit',
        status: 429,
        retryable: false,
        failureClass: 'quota_exhausted',
      });
      const delay = run.outcome.error!.retryAfterMs!;
      expect(delay).toBeGreaterThan(7200_000 - 60_000);
      expect(delay).toBeLessThanOrEqual(7200_000);
    } finally {
      await gateway.close();
    }
  });

  it('"Credit balance is too low" (400) → quota_exhausted, without retries', async () => {
    server().script({ model: 'broke-model' }, [
      {
        error: {
          status: 400,
          message:
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        },
      },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'broke-model' }),
    );
    expect(messageRequests(server(), 'broke-model').length).toBe(1);
    expect(run.outcome.error).toEqual({
      message: 'Credit balance is too low',
      kind: 'rate-limit',
      status: 400,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
  });

  it('403 → auth, without retries', async () => {
    server().script({ model: 'forbidden-model' }, [{ error: { status: 403 } }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'forbidden-model' }),
    );
    expect(messageRequests(server(), 'forbidden-model').length).toBe(1);
    expect(run.outcome.error).toMatchObject({
      status: 403,
      failureClass: 'auth',
      retryable: false,
    });
  });

  it('nothing listening at base_url → unavailable after two quick retries', async () => {
    const closed = await startModelServer();
    const url = closed.url;
    await closed.close();
    const run = await runStage(adapter, stageRequest(sandbox(), url, { model: 'any-model' }));
    expect(retryNotices(run)).toHaveLength(2);
    expect(run.durationMs).toBeLessThan(15_000);
    expect(run.outcome.error).toEqual({
      message:
        'API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
      kind: 'network',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });
});
