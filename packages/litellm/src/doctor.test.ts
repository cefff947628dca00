import { createServer } from 'node:net';
import type { Environment, RuntimeSettings } from '@baton/core';
import { type RuntimeReport, runChecks } from '@baton/core/doctor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLitellmAdapter } from './litellm-adapter.js';
import {
  type LitellmStandIn,
  type LitellmStandInOptions,
  startLitellmStandIn,
} from './test-support/index.js';

const started: LitellmStandIn[] = [];
let proxy: LitellmStandIn;

async function standIn(options: LitellmStandInOptions = {}): Promise<LitellmStandIn> {
  const server = await startLitellmStandIn({ masterKey: 'sk-master', ...options });
  started.push(server);
  return server;
}

beforeAll(async () => {
  proxy = await standIn();
});

afterAll(async () => {
  await Promise.all(started.map((server) => server.close()));
});

interface DoctorOptions {
  settings?: RuntimeSettings;
  env?: Environment;
  profile?: string | null;
  probe?: boolean;
  timeoutMs?: number;
}

function doctor(options: DoctorOptions = {}): Promise<RuntimeReport> {
  return runChecks({
    adapter: createLitellmAdapter(),
    probe: options.probe ?? false,
    timeoutMs: options.timeoutMs ?? 15_000,
    probeTimeoutMs: 30_000,
    context: {
      settings: options.settings ?? {
        baseUrl: proxy.url,
        apiKeyEnv: 'LITELLM_KEY',
        model: 'coder',
      },
      profile: options.profile ?? null,
      env: { LITELLM_KEY: 'sk-master', ...options.env },
      cwd: process.cwd(),
      stages: ['interview'],
    },
  });
}

const statuses = (report: RuntimeReport) => report.checks.map((check) => [check.id, check.status]);
function check(report: RuntimeReport, id: string) {
  const found = report.checks.find((entry) => entry.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

describe('LiteLLM doctor against the stand-in proxy', () => {
  it('passes against a healthy proxy and reports its version', async () => {
    const report = await doctor();
    expect(report.status).toBe('pass');
    expect(report.version).toBe('1.79.3');
    expect(statuses(report)).toEqual([
      ['base-url', 'pass'],
      ['liveliness', 'pass'],
      ['version', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['model', 'pass'],
    ]);
    expect(check(report, 'auth').summary).toBe(
      'key from $LITELLM_KEY accepted; 2 model name(s) available',
    );
    expect(check(report, 'version').summary).toBe(
      'LiteLLM 1.79.3 ready (healthy; tested: >=1.40.0 <2.0.0)',
    );
  });

  it('passes the probe with one tiny real completion through the client', async () => {
    const before = proxy.requests.length;
    const report = await doctor({ probe: true });
    expect(check(report, 'probe').status).toBe('pass');
    expect(check(report, 'probe').summary).toMatch(/^completion in \d+ ms: "pong"$/);
    const chat = proxy.requests.slice(before).filter((request) => request.method === 'POST');
    expect(chat).toHaveLength(1);
    expect(JSON.parse(chat[0]!.body)).toEqual({
      model: 'coder',
      messages: [{ role: 'user', content: 'Reply with the single word: pong' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 8,
    });
  });

  it('fails without base_url and skips the rest', async () => {
    const report = await doctor({ settings: {}, probe: true });
    expect(report.status).toBe('fail');
    expect(check(report, 'base-url')).toMatchObject({
      status: 'fail',
      summary: 'no base_url configured: LiteLLM is reached over HTTP only',
    });
    expect(
      statuses(report)
        .slice(1)
        .every(([, status]) => status === 'skip'),
    ).toBe(true);
  });

  it('fails a base_url that is not a URL', async () => {
    const report = await doctor({ settings: { baseUrl: 'localhost 4000' } });
    expect(check(report, 'base-url').status).toBe('fail');
  });

  it('fails a rejected key, and a missing key variable', async () => {
    const wrong = await doctor({ env: { LITELLM_KEY: 'sk-wrong' } });
    expect(check(wrong, 'auth').status).toBe('fail');
    expect(check(wrong, 'auth').summary).toMatch(
      /^key rejected: \$LITELLM_KEY got 401 from \/v1\/models: Authentication Error, Invalid proxy server token passed/,
    );
    expect(JSON.stringify(wrong)).not.toContain('sk-wrong');
    const unset = await doctor({ env: { LITELLM_KEY: '' } });
    expect(check(unset, 'auth')).toMatchObject({
      status: 'fail',
      summary: '$LITELLM_KEY (api_key_env) is not set',
    });
    const keyless = await doctor({ settings: { baseUrl: proxy.url, model: 'coder' } });
    expect(check(keyless, 'auth').summary).toBe(
      'the proxy requires a key (401 from /v1/models): Authentication Error, No api key passed in.',
    );
  });

  it('fails an unreachable port', async () => {
    const port = await freePort();
    const report = await doctor({
      settings: { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'coder' },
    });
    expect(check(report, 'liveliness')).toMatchObject({
      status: 'fail',
      summary: `cannot reach http://127.0.0.1:${port}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
    expect(report.status).toBe('fail');
  });

  it('bounds a hanging proxy by the request time limit', async () => {
    const hung = await standIn({ hang: true });
    const startedAt = Date.now();
    const report = await doctor({ settings: { baseUrl: hung.url, model: 'coder' } });
    expect(Date.now() - startedAt).toBeLessThan(12_000);
    expect(check(report, 'liveliness')).toMatchObject({
      status: 'fail',
      summary: `cannot reach ${hung.url}: TIMEOUT (no answer within 5s)`,
    });
  });

  it('bounds a hanging proxy by the doctor time limit too', async () => {
    const hung = await standIn({ hang: true });
    const report = await doctor({
      settings: { baseUrl: hung.url, model: 'coder' },
      timeoutMs: 1_000,
    });
    expect(check(report, 'liveliness')).toMatchObject({
      status: 'fail',
      summary: 'did not finish within 1s',
    });
  });

  it('fails a proxy that is shutting down or not ready', async () => {
    const down = await standIn({ shuttingDown: true });
    const report = await doctor({
      settings: { baseUrl: down.url, apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
    });
    expect(check(report, 'liveliness').summary).toBe(
      'the proxy is shutting down (503 from /health/liveliness)',
    );
    const unready = await standIn({ notReady: true });
    const notReady = await doctor({
      settings: { baseUrl: unready.url, apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
    });
    expect(check(notReady, 'version').summary).toBe(
      'the proxy is not ready (503 from /health/readiness)',
    );
  });

  it('warns outside the tested version range', async () => {
    const old = await standIn({ version: '1.35.2' });
    const report = await doctor({
      settings: { baseUrl: old.url, apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
    });
    expect(report.version).toBe('1.35.2');
    expect(check(report, 'version')).toMatchObject({
      status: 'warn',
      summary: 'LiteLLM 1.35.2 is outside the tested range >=1.40.0 <2.0.0',
    });
  });

  it('checks the profile alias when a backend profile is configured', async () => {
    const served = await doctor({ profile: 'worker' });
    expect(check(served, 'profile')).toMatchObject({
      status: 'pass',
      summary: 'model alias baton-worker is served by the proxy',
    });
    expect(check(served, 'model').status).toBe('skip');
    const missing = await standIn({ models: ['coder'] });
    const report = await doctor({
      profile: 'worker',
      settings: { baseUrl: missing.url, apiKeyEnv: 'LITELLM_KEY' },
    });
    expect(check(report, 'profile')).toMatchObject({
      status: 'fail',
      summary: "model alias baton-worker is not in the proxy's model list (coder)",
      remediation:
        "Add a model_list entry with model_name: baton-worker to the proxy's config.yaml and restart the proxy.",
    });
  });

  it('fails without any model, and warns about a model the proxy does not list', async () => {
    const none = await doctor({ settings: { baseUrl: proxy.url, apiKeyEnv: 'LITELLM_KEY' } });
    expect(check(none, 'model')).toMatchObject({
      status: 'fail',
      summary: 'no model configured: a chat completion needs a model_name',
    });
    const unlisted = await doctor({
      settings: { baseUrl: proxy.url, apiKeyEnv: 'LITELLM_KEY', model: 'openai/gpt-x' },
    });
    expect(check(unlisted, 'model').status).toBe('warn');
  });

  it.each([
    ['fail-401', 'auth'],
    ['fail-429', 'rate-limit'],
    ['fail-500', 'server'],
    ['not-served', 'model'],
    ['empty', 'model'],
  ])('fails the probe for model %s (%s)', async (model, kind) => {
    const report = await doctor({
      probe: true,
      settings: { baseUrl: proxy.url, apiKeyEnv: 'LITELLM_KEY', model },
    });
    const probe = check(report, 'probe');
    expect(probe.status).toBe('fail');
    expect(probe.summary.startsWith(`probe failed (${kind}): `)).toBe(true);
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
