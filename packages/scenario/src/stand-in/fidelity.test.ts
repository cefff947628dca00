/**
 * The stand-ins of `baton test --runtime fake` fail the way the real harnesses do. Each case
 * is a failure recorded from the real CLI (the adapter's `__fixtures__`) and the server reply
 * that produced it (the real-CLI failure tests script the same replies): the stand-in runs
 * against a scripted server giving that reply, and the adapter's own decoder must make of the
 * stand-in's output what it makes of the real output — the same kind, HTTP status, failure
 * class, retryability and retry delay — and, where the stand-in reproduces the harness's own
 * retries, make as many requests. Only the wording may differ. Hermes, never recorded here,
 * is held to its fixtures built from its source.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterRegistry, type StageFailure, type StageRequest } from '@baton/core';
import { runCommandSpec } from '@baton/core/testing';
import { type ErrorTurn, startModelServer } from '@baton/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { standInRegistry } from './registry.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const registry = new AdapterRegistry().discover([packageDirectory]);
const require = createRequire(import.meta.url);

const KEY_VARIABLE = 'BATON_FIDELITY_KEY';
const KEY = 'fidelity-key-8d21';
const MINUTE = 60_000;

/** The parts of a failure that decide what Baton does next: all but its wording. */
type Decided = Omit<StageFailure, 'message'>;

interface FidelityCase {
  /** The server's reply, in words. */
  readonly name: string;
  /** The real CLI's output for that reply, in the adapter's `__fixtures__`. */
  readonly fixture: string;
  /** The reply (made at the time the test runs); `unreachable`: nothing listens at the base URL. */
  readonly reply: ErrorTurn | 'unreachable' | ((now: number) => ErrorTurn);
  /** More of the stage's environment, as the fixture was recorded with. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * When the delay cannot be equal: `jitter` — the harness adds a random part, so both must
   * lie in the range; `until` — a wait until a reset time, relative to when it is decoded, so
   * the stand-in's must lie in the range computed now (the fixture's was recorded earlier).
   */
  readonly delay?:
    | { readonly jitter: readonly [number, number] }
    | { readonly until: (now: number) => readonly [number, number] };
}

interface Harness {
  /** The adapter's base-URL convention for a gateway, as `baton test` points it. */
  readonly baseUrl: (url: string) => string;
  /**
   * How many requests the real harness made for a reply, read from its output: the stand-in
   * must make as many. `null`: the stand-in does not reproduce the harness's own retries.
   */
  readonly requests: (output: string) => number | null;
  readonly cases: readonly FidelityCase[];
}

/** A usage limit's reset time, in seconds, `minutes` after `now`. */
const resetsAt = (now: number, minutes: number) => Math.floor(now / 1000) + minutes * 60;

/** Codex prints the reset to the minute: the delay runs to that minute's end. */
function untilReset(minutes: number) {
  return (now: number) => {
    const delay = resetsAt(now, minutes) * 1000 - now;
    return [delay - 2 * MINUTE, delay + MINUTE] as const;
  };
}

const HARNESSES: Readonly<Record<string, Harness>> = {
  codex: {
    baseUrl: (url) => `${url}/v1`,
    // Baton's command gives Codex no retries of its own (the 502 fixture was recorded with
    // two, which Baton's does not set).
    requests: () => 1,
    cases: [
      { name: '401', fixture: 'codex-0.169.0-exec-json-http-401.jsonl', reply: e(401) },
      {
        name: '402',
        fixture: 'codex-0.169.0-exec-json-http-402.jsonl',
        reply: e(402, { message: 'Your credit balance is too low' }),
      },
      {
        name: '403',
        fixture: 'codex-0.169.0-exec-json-http-403.jsonl',
        reply: e(403, { message: 'You are not allowed to use this model' }),
      },
      {
        name: '400',
        fixture: 'codex-0.169.0-exec-json-http-400.jsonl',
        reply: e(400, { message: 'scripted 400', type: 'x' }),
      },
      {
        name: '429 with retry-after (Codex does not show it)',
        fixture: 'codex-0.169.0-exec-json-http-429.jsonl',
        reply: e(429, { message: 'Slow down', headers: { 'retry-after': '2' } }),
      },
      {
        name: '429 insufficient_quota',
        fixture: 'codex-0.169.0-exec-json-quota-exceeded.jsonl',
        reply: e(429, {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          fields: { code: 'insufficient_quota' },
        }),
      },
      {
        name: '429 usage_not_included',
        fixture: 'codex-0.169.0-exec-json-usage-not-included.jsonl',
        reply: e(429, { type: 'usage_not_included' }),
      },
      {
        name: '429 usage_limit_reached without a reset time',
        fixture: 'codex-0.169.0-exec-json-usage-limit-no-reset.jsonl',
        reply: e(429, { type: 'usage_limit_reached' }),
      },
      {
        name: '429 usage_limit_reached on a plus plan, resetting in 90 minutes',
        fixture: 'codex-0.169.0-exec-json-usage-limit.jsonl',
        reply: (now) =>
          e(429, {
            message: 'The usage limit has been reached',
            type: 'usage_limit_reached',
            fields: { plan_type: 'plus', resets_at: resetsAt(now, 90) },
          }),
        // Printed in Codex's local time: a zone with a half-hour offset.
        env: { TZ: 'Asia/Kolkata' },
        delay: { until: untilReset(90) },
      },
      {
        name: '429 usage_limit_reached on a pro plan, resetting in three days',
        fixture: 'codex-0.169.0-exec-json-usage-limit-reset-date.jsonl',
        reply: (now) =>
          e(429, {
            type: 'usage_limit_reached',
            fields: { plan_type: 'pro', resets_at: resetsAt(now, 3 * 24 * 60) },
          }),
        env: { TZ: 'UTC' },
        delay: { until: untilReset(3 * 24 * 60) },
      },
      {
        name: 'a rate limit inside the stream, "try again in 2.5s"',
        fixture: 'codex-0.169.0-exec-json-stream-rate-limit.jsonl',
        reply: e(429, {
          message:
            'Rate limit reached for stub-model on tokens per min (TPM): Limit 30000, Used 30000, Requested 120. Please try again in 2.5s.',
          inStream: true,
        }),
      },
      { name: '500', fixture: 'codex-0.169.0-exec-json-http-500.jsonl', reply: e(500) },
      { name: '502', fixture: 'codex-0.169.0-exec-json-http-502-retries.jsonl', reply: e(502) },
      {
        name: '503 server_is_overloaded',
        fixture: 'codex-0.169.0-exec-json-http-503-overloaded.jsonl',
        reply: e(503, { fields: { code: 'server_is_overloaded' } }),
      },
      {
        name: 'nothing listening',
        fixture: 'codex-0.169.0-exec-json-connection-failed.txt',
        reply: 'unreachable',
      },
    ],
  },
  'claude-code': {
    baseUrl: (url) => url,
    // The first request, then each retry Claude Code announced.
    requests: (output) => 1 + (output.match(/"subtype":"api_retry"/g) ?? []).length,
    cases: [
      {
        name: '401',
        fixture: 'claude-2.1.330-stream-json-http-401.jsonl',
        reply: e(401),
        env: { CLAUDE_CODE_MAX_RETRIES: '0' },
      },
      {
        name: '402',
        fixture: 'claude-2.1.330-stream-json-http-402-billing.jsonl',
        reply: e(402, { message: 'Your account has a billing problem.' }),
      },
      {
        name: '403',
        fixture: 'claude-2.1.330-stream-json-http-403.jsonl',
        reply: e(403, {
          message: 'Your API key does not have permission to use the specified resource.',
        }),
      },
      {
        name: '400 "credit balance is too low"',
        fixture: 'claude-2.1.330-stream-json-credit-balance-too-low.jsonl',
        reply: e(400, {
          message:
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        }),
      },
      {
        name: '429, without Claude Code retries',
        fixture: 'claude-2.1.330-stream-json-http-429.jsonl',
        reply: e(429),
        env: { CLAUDE_CODE_MAX_RETRIES: '0' },
      },
      {
        name: '429 with retry-after: 2, retried twice by Claude Code',
        fixture: 'claude-2.1.330-stream-json-http-429-retry-after.jsonl',
        reply: e(429, { headers: { 'retry-after': '2' } }),
        // The stated 2 s, plus Claude Code's jitter of up to a quarter.
        delay: { jitter: [2000, 2500] },
      },
      {
        name: '429 with retry-after: 600, which Claude Code does not wait for',
        fixture: 'claude-2.1.330-stream-json-http-429-retry-after-too-long.jsonl',
        reply: e(429, { headers: { 'retry-after': '600' } }),
      },
      {
        name: '500, retried twice by Claude Code',
        fixture: 'claude-2.1.330-stream-json-http-500-retries.jsonl',
        reply: e(500),
      },
      {
        name: '529 overloaded, retried twice by Claude Code',
        fixture: 'claude-2.1.330-stream-json-http-529-overloaded.jsonl',
        reply: e(529, { message: 'Overloaded' }),
      },
      {
        name: 'nothing listening, retried twice by Claude Code',
        fixture: 'claude-2.1.330-stream-json-connection-refused-retries.jsonl',
        reply: 'unreachable',
      },
    ],
  },
  opencode: {
    baseUrl: (url) => `${url}/v1`,
    // OpenCode retries a 429 or 5xx five times by itself, silently; the stand-in asks once.
    requests: () => null,
    cases: [
      { name: '401', fixture: 'opencode-1.18.33-run-json-http-401.jsonl', reply: e(401) },
      {
        name: '402',
        fixture: 'opencode-1.18.33-run-json-http-402.jsonl',
        reply: e(402, { message: 'Insufficient credits' }),
      },
      { name: '403', fixture: 'opencode-1.18.33-run-json-http-403.jsonl', reply: e(403) },
      {
        name: '429 with retry-after: 1',
        fixture: 'opencode-1.18.33-run-json-http-429-retry-after.jsonl',
        reply: e(429, { headers: { 'retry-after': '1' } }),
      },
      {
        name: '429 insufficient_quota with retry-after-ms: 0',
        fixture: 'opencode-1.18.33-run-json-http-429-insufficient-quota.jsonl',
        reply: e(429, {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          fields: { code: 'insufficient_quota' },
          headers: { 'retry-after-ms': '0' },
        }),
      },
      { name: '500', fixture: 'opencode-1.18.33-run-json-http-500.jsonl', reply: e(500) },
      {
        name: '400 context_length_exceeded',
        fixture: 'opencode-1.18.33-run-json-context-overflow.jsonl',
        reply: e(400, {
          message: "This model's maximum context length is 128000 tokens.",
          fields: { code: 'context_length_exceeded' },
        }),
      },
      {
        name: 'nothing listening',
        fixture: 'opencode-1.18.33-run-json-connection-refused.jsonl',
        reply: 'unreachable',
      },
    ],
  },
};

/**
 * Hermes is not installed here and was never recorded: its fixtures are built from its
 * documentation and source (`chat -Q` as Baton runs it), so its stand-in is held to those.
 */
const HERMES: Harness = {
  baseUrl: (url) => `${url}/v1`,
  // Hermes retries a 429, a 5xx or a broken connection by itself; the stand-in asks once.
  requests: () => null,
  cases: [
    {
      name: '401',
      fixture: 'hermes-0.21.3-chat-q-http-401.json',
      reply: e(401, { message: 'Invalid API key provided' }),
    },
    {
      name: '402',
      fixture: 'hermes-0.21.3-chat-q-http-402-billing.json',
      reply: e(402, {
        message: 'Insufficient credits. Add more using https://openrouter.ai/settings/credits',
      }),
    },
    {
      name: '429 "try again in 20s"',
      fixture: 'hermes-0.21.3-chat-q-http-429-retries.json',
      reply: e(429, { message: 'Rate limit reached for requests. Please try again in 20s.' }),
    },
    {
      name: '429 insufficient_quota',
      fixture: 'hermes-0.21.3-chat-q-insufficient-quota.json',
      reply: e(429, {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        fields: { code: 'insufficient_quota' },
      }),
    },
    {
      name: '500',
      fixture: 'hermes-0.21.3-chat-q-http-500-retries.json',
      reply: e(500, { message: 'Internal server error' }),
    },
    {
      name: '529 overloaded',
      fixture: 'hermes-0.21.3-chat-q-http-529-overloaded.json',
      reply: e(529, { message: 'Overloaded' }),
    },
    {
      name: 'nothing listening',
      fixture: 'hermes-0.21.3-chat-q-connection-error.json',
      reply: 'unreachable',
    },
  ],
};

function e(status: number, error: Omit<ErrorTurn['error'], 'status'> = {}): ErrorTurn {
  return { error: { status, ...error } };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function stageRequest(baseUrl: string, env: Readonly<Record<string, string>> = {}): StageRequest {
  const root = mkdtempSync(join(tmpdir(), 'baton-fidelity-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  for (const folder of ['workspace', 'home', 'scratch']) mkdirSync(join(root, folder));
  return {
    stage: 'execute',
    prompt: 'You are running the execute stage. Say hello.',
    contract: 'You are the Builder. (stage: execute)',
    cwd: join(root, 'workspace'),
    access: 'workspace-write',
    profile: null,
    settings: { baseUrl, apiKeyEnv: KEY_VARIABLE, model: 'fidelity-model' },
    scratchDir: join(root, 'scratch'),
    env: {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: join(root, 'home'),
      [KEY_VARIABLE]: KEY,
      ...env,
    },
  };
}

/** What the adapter's decoder makes of the real CLI's recorded output (it exited 1). */
async function realFailure(runtime: string, fixture: string, request: StageRequest) {
  const adapter = await registry.load(runtime);
  const directory = dirname(require.resolve(`@baton/${runtime}/package.json`));
  const text = readFileSync(join(directory, 'src', '__fixtures__', fixture), 'utf8');
  // Hermes's fixtures hold a whole run: its stdout, stderr and exit code.
  const run: { stdout: string; stderr: string; exitCode: number } = fixture.endsWith('.json')
    ? JSON.parse(text)
    : { stdout: text, stderr: '', exitCode: 1 };
  const output = run.stdout;
  const decoder = adapter.createDecoder(request);
  for (const line of output.split('\n')) decoder.push(line);
  const outcome = decoder.finish({
    exitCode: run.exitCode,
    signal: null,
    stderrTail: run.stderr,
    resultFiles: {},
  });
  expect(outcome.status).toBe('failed');
  return { failure: outcome.error!, output };
}

/** What the adapter's decoder makes of its stand-in's output, given the same reply. */
async function standInFailure(
  runtime: string,
  harness: Harness,
  testCase: FidelityCase,
  now: number,
) {
  const server = await startModelServer({ apiKey: KEY });
  const { reply } = testCase;
  if (reply === 'unreachable') await server.close();
  else {
    server.script({}, [typeof reply === 'function' ? reply(now) : reply]);
    cleanups.push(() => server.close());
  }
  const request = stageRequest(harness.baseUrl(server.url), testCase.env);
  const standIn = await (await standInRegistry(registry, [runtime])).load(runtime);
  const run = await runCommandSpec(standIn.buildCommand(request), standIn.createDecoder(request), {
    baseEnv: request.env,
    timeoutMs: 30_000,
  });
  expect(run.timedOut).toBe(false);
  expect([run.exitCode, run.outcome.status]).toEqual([1, 'failed']);
  const requests = reply === 'unreachable' ? null : server.requests.length;
  return { failure: run.outcome.error!, request, requests };
}

function decided(failure: StageFailure): Decided {
  const { message: _message, ...rest } = failure;
  return rest;
}

for (const [runtime, harness, against] of [
  ...Object.entries(HARNESSES).map(([id, harness]) => [id, harness, `the real ${id}`] as const),
  ['hermes', HERMES, "Hermes's documented output"] as const,
]) {
  describe(`the ${runtime} stand-in fails as ${against} does`, () => {
    for (const testCase of harness.cases) {
      it(`${testCase.name} (${testCase.fixture})`, async () => {
        const now = Date.now();
        const { failure, request, requests } = await standInFailure(
          runtime,
          harness,
          testCase,
          now,
        );
        const { failure: real, output } = await realFailure(runtime, testCase.fixture, request);
        const recorded = harness.requests(output);
        if (requests !== null && recorded !== null) expect(requests).toBe(recorded);
        const delay = testCase.delay;
        if (delay === undefined) {
          expect(decided(failure)).toEqual(decided(real));
          return;
        }
        expect({ ...decided(failure), retryAfterMs: null }).toEqual({
          ...decided(real),
          retryAfterMs: null,
        });
        if ('jitter' in delay) {
          const [least, most] = delay.jitter;
          for (const stated of [failure.retryAfterMs, real.retryAfterMs]) {
            expect(stated).toBeGreaterThanOrEqual(least);
            expect(stated).toBeLessThanOrEqual(most);
          }
        } else {
          const [least, most] = delay.until(now);
          expect(failure.retryAfterMs).toBeGreaterThanOrEqual(least);
          expect(failure.retryAfterMs).toBeLessThanOrEqual(most);
          // The real output names its own reset, recorded earlier: a delay is read from it too.
          expect(real.retryAfterMs).toEqual(expect.any(Number));
        }
      });
    }
  });
}

/**
 * A stage that succeeds: the stand-in counts the scripted tokens and, like each real harness
 * against a scripted server (a model none of them has a price for), knows no cost — so Baton
 * prices the attempt by `[pricing]` on the stand-in as it does on the real CLI.
 */
const SUCCESSES: readonly (readonly [runtime: string, fixture: string | null])[] = [
  ['codex', 'codex-0.169.0-exec-json-simple.jsonl'],
  ['claude-code', 'claude-2.1.330-stream-json-simple.jsonl'],
  ['opencode', 'opencode-1.18.33-run-json-simple.jsonl'],
  // Hermes 0.21's chat writes no usage report (unknown cost too); its stand-in writes one.
  ['hermes', null],
];

describe('a stand-in reports usage as its harness does', () => {
  for (const [runtime, fixture] of SUCCESSES) {
    it(`${runtime}: the scripted tokens, and a cost it does not know${fixture === null ? '' : ` (${fixture})`}`, async () => {
      const server = await startModelServer({ apiKey: KEY });
      cleanups.push(() => server.close());
      server.script({}, [
        { text: 'Hello.', usage: { inputTokens: 1200, outputTokens: 80, cachedInputTokens: 200 } },
      ]);
      const harness = runtime === 'hermes' ? HERMES : HARNESSES[runtime]!;
      const request = stageRequest(harness.baseUrl(server.url));
      const standIn = await (await standInRegistry(registry, [runtime])).load(runtime);
      const run = await runCommandSpec(
        standIn.buildCommand(request),
        standIn.createDecoder(request),
        { baseEnv: request.env, timeoutMs: 30_000 },
      );
      expect(run.outcome.status).toBe('succeeded');
      expect(run.outcome.usage).toMatchObject({
        known: true,
        inputTokens: 1200,
        cachedInputTokens: 200,
        outputTokens: 80,
        costUsd: null,
      });
      if (fixture === null) return;
      const adapter = await registry.load(runtime);
      const directory = dirname(require.resolve(`@baton/${runtime}/package.json`));
      const decoder = adapter.createDecoder(request);
      const output = readFileSync(join(directory, 'src', '__fixtures__', fixture), 'utf8');
      for (const line of output.split('\n')) decoder.push(line);
      const real = decoder.finish({ exitCode: 0, signal: null, stderrTail: '', resultFiles: {} });
      expect(real.status).toBe('succeeded');
      expect([real.usage?.known, real.usage?.costUsd]).toEqual([true, null]);
    });
  }
});
