import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessExit, RuntimeEvent, StageOutcome } from '@baton/core';
import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createClaudeCodeDecoder } from './decode.js';

function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, '__fixtures__', name), 'utf8');
}

function exit(exitCode: number | null, stderrTail = '', signal: string | null = null): ProcessExit {
  return { exitCode, signal, stderrTail, resultFiles: {} };
}

function decode(
  stdout: string,
  processExit: ProcessExit,
  options: Parameters<typeof createClaudeCodeDecoder>[0] = {},
): { events: RuntimeEvent[]; outcome: StageOutcome } {
  const decoder = createClaudeCodeDecoder(options);
  const events: RuntimeEvent[] = [];
  for (const line of stdout.split('\n')) events.push(...decoder.push(line));
  return { events, outcome: decoder.finish(processExit) };
}

/** What a refused connection fails with, whether or not Claude Code retried it first. */
const CONNECTION_REFUSED = {
  message: 'API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
  kind: 'network',
  status: null,
  retryable: false,
  failureClass: 'unavailable',
  retryAfterMs: null,
};

const ZERO_USAGE = {
  known: true,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
  costUsd: 0,
};

describe('the Claude Code 2.1.330 stream-json decoder on real output', () => {
  it('decodes a plain answer; the cost of a model Claude Code has no price for is unknown', () => {
    const { events, outcome } = decode(fixture('claude-2.1.330-stream-json-simple.jsonl'), exit(0));
    // The result says total_cost_usd 0.000184, but modelUsage marks "stub-model" with
    // costBasis "unknown": Claude Code priced it at its default model's rate, a guess.
    const usage = {
      known: true,
      inputTokens: 11,
      cachedInputTokens: 0,
      outputTokens: 7,
      reasoningTokens: 0,
      totalTokens: 18,
      costUsd: null,
    };
    expect(events).toEqual([
      { type: 'session', sessionId: '4cb922db-f10d-41ff-aeff-a5437125240f' },
      { type: 'text', text: 'Hello from stub' },
      { type: 'usage', usage },
      { type: 'result', text: 'Hello from stub' },
    ]);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from stub',
      sessionId: '4cb922db-f10d-41ff-aeff-a5437125240f',
      usage,
      error: null,
    });
  });

  it('decodes a tool call Claude Code ran (acceptEdits)', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-toolcall-accept-edits.jsonl'),
      exit(0),
    );
    const input = {
      command: 'touch made.txt && echo created',
      description: 'Run a scripted command',
    };
    expect(events.filter((event) => event.type === 'tool-use')).toEqual([
      {
        type: 'tool-use',
        name: 'Bash',
        id: 'toolu_000001',
        status: 'started',
        input,
        output: null,
      },
      {
        type: 'tool-use',
        name: 'Bash',
        id: 'toolu_000001',
        status: 'completed',
        input,
        output: 'created',
      },
    ]);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Created made.txt.',
      sessionId: '998c9888-4120-4e64-bc74-9d01a27b7663',
      usage: {
        known: true,
        inputTokens: 8329,
        outputTokens: 26,
        totalTokens: 8355,
        costUsd: null,
      },
    });
  });

  it('decodes a denied tool call as a warning and a failed tool use, and the stage still succeeds', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-toolcall-denied.jsonl'),
      exit(0),
    );
    const message =
      "touch in '<scratch>/ws/made3.txt' needs approval. The path is inside the working directories for this session ('<scratch>/ws'), and Claude Code asks before a shell command creates, changes or removes files there.";
    expect(events.filter((event) => event.type === 'warning')).toEqual([
      { type: 'warning', message: `Claude Code denied Bash: ${message}` },
    ]);
    expect(
      events
        .filter((event) => event.type === 'tool-use')
        .map((event) => event.type === 'tool-use' && [event.status, event.output]),
    ).toEqual([
      ['started', null],
      ['failed', message],
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('Hello from stub');
  });

  it('decodes HTTP 401 as an auth failure (subtype says success, is_error says no)', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-401.jsonl'),
      exit(1, fixture('claude-2.1.330-stream-json-http-401.stderr.txt')),
    );
    const message = 'Failed to authenticate. API Error: 401 Scripted error: HTTP 401';
    // The synthetic assistant message is not model text.
    expect(events.filter((event) => event.type === 'text')).toEqual([]);
    expect(events.filter((event) => event.type === 'error')).toEqual([
      { type: 'error', message, kind: 'auth', status: 401, fatal: true },
    ]);
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: 'f1ac17f4-c5ba-4e95-9be7-86c5a35b6146',
      usage: ZERO_USAGE,
      error: {
        message,
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
  });

  it('decodes the single-object --output-format json 401 the same way', () => {
    const { outcome } = decode(fixture('claude-2.1.330-json-http-401.json'), exit(1));
    expect(outcome).toMatchObject({
      status: 'failed',
      sessionId: '23673d4e-3db1-42a0-adc0-e08cc443a877',
      error: {
        message: 'Failed to authenticate. API Error: 401 stub forced 401',
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
      },
    });
  });

  it('decodes HTTP 500 after two retries: retry notices, then a retryable server error', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-500-retries.jsonl'),
      exit(1),
    );
    expect(events.filter((event) => event.type === 'error')).toEqual([
      {
        type: 'error',
        message: 'Claude Code retries after 500 server_error in 0.6 s (attempt 1 of 2)',
        kind: 'server',
        status: 500,
        fatal: false,
      },
      {
        type: 'error',
        message: 'Claude Code retries after 500 server_error in 1.2 s (attempt 2 of 2)',
        kind: 'server',
        status: 500,
        fatal: false,
      },
      {
        type: 'error',
        message:
          'API Error: 500 Scripted error: HTTP 500. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:<port>).',
        kind: 'server',
        status: 500,
        fatal: true,
      },
    ]);
    expect(outcome).toMatchObject({
      status: 'failed',
      // Claude Code's back-off between its own 5xx retries is no delay the server asked for.
      error: {
        kind: 'server',
        status: 500,
        retryable: true,
        failureClass: 'transient',
        retryAfterMs: null,
      },
    });
  });

  it('decodes a 500 that a retry recovered from as success', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-500-then-answer.jsonl'),
      exit(0),
    );
    expect(
      events
        .filter((event) => event.type === 'error')
        .map((event) => event.type === 'error' && event.fatal),
    ).toEqual([false]);
    expect(outcome).toMatchObject({ status: 'succeeded', finalText: 'Recovered.', error: null });
  });

  it.each([
    [
      'decodes HTTP 429 without retries (CLAUDE_CODE_MAX_RETRIES=0) as a rate limit with no stated delay',
      'claude-2.1.330-stream-json-http-429.jsonl',
      {
        message: 'API Error: Request rejected (429) · Scripted error: HTTP 429',
        kind: 'rate-limit',
        status: 429,
        retryable: true,
        failureClass: 'rate_limited',
        retryAfterMs: null,
      },
    ],
    [
      'decodes a refused connection as an unavailable runtime (nothing listens at base_url)',
      'claude-2.1.330-stream-json-connection-refused.jsonl',
      CONNECTION_REFUSED,
    ],
    [
      'decodes "Not logged in" as an auth error',
      'claude-2.1.330-stream-json-not-logged-in.jsonl',
      {
        message: 'Not logged in · Please run /login',
        kind: 'auth',
        status: null,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    ],
  ])('%s', (_name, file, error) => {
    const { outcome } = decode(fixture(file), exit(1));
    expect(outcome.error).toEqual(error);
  });

  it('decodes a resume of an unknown session from the result errors', () => {
    const { outcome } = decode(
      fixture('claude-2.1.330-stream-json-resume-unknown-session.jsonl'),
      exit(1, fixture('claude-2.1.330-stream-json-resume-unknown-session.stderr.txt')),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      sessionId: '11111111-2222-3333-4444-555555555555',
      error: {
        message: 'No conversation found with session ID: 11111111-2222-3333-4444-555555555555',
        kind: 'unknown',
        retryable: false,
        failureClass: 'task',
        sessionNotFound: true,
      },
    });
  });
});

describe('resumed runs', () => {
  it("report this run's usage and cost, not the session's (total_cost_usd counts earlier runs)", () => {
    const first = decode(
      fixture('claude-2.1.330-stream-json-resume-priced-first.jsonl'),
      exit(0),
    ).outcome;
    // claude-sonnet-4-5 at list price: 100 × $3/M + 5 × $15/M.
    expect(first.usage).toMatchObject({ inputTokens: 100, outputTokens: 5, costUsd: 0.000375 });
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-resume-priced-second.jsonl'),
      exit(0),
      { resumed: true },
    );
    expect(events[0]).toEqual({ type: 'session', sessionId: first.sessionId });
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Second answer.',
      sessionId: first.sessionId,
      usage: {
        known: true,
        inputTokens: 150,
        cachedInputTokens: 0,
        outputTokens: 6,
        reasoningTokens: 0,
        totalTokens: 156,
        // The result says total_cost_usd 0.000915: both runs.
        costUsd: 0.00054,
      },
      error: null,
    });
  });

  it('leave the cost unknown when Claude Code priced the model by guess, resumed or not', () => {
    const second = decode(fixture('claude-2.1.330-stream-json-resume-second.jsonl'), exit(0), {
      resumed: true,
    }).outcome;
    expect(second.usage).toMatchObject({ inputTokens: 150, outputTokens: 6, costUsd: null });
  });
});

describe('failures reported only on stderr', () => {
  it('explains the root refusal of bypassPermissions', () => {
    const { outcome } = decode(
      '',
      exit(1, fixture('claude-2.1.330-root-bypass-permissions.stderr.txt')),
    );
    expect(outcome.error).toEqual({
      message:
        '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons. Claude Code refuses access "full" (--permission-mode bypassPermissions) as root: run Baton as a non-root user, or set IS_SANDBOX=1 in its environment if this machine is a disposable sandbox.',
      kind: 'permission',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });

  it('names the missing profile settings file', () => {
    const { outcome } = decode(
      '',
      exit(1, fixture('claude-2.1.330-settings-not-found.stderr.txt')),
    );
    expect(outcome.error).toEqual({
      message:
        "Claude Code cannot find the backend profile's settings file <scratch>/ws/missing.settings.json: run `baton setup claude-code`.",
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });

  it('reports an option this version does not know, without retrying', () => {
    const { outcome } = decode('', exit(1, fixture('claude-2.1.330-unknown-option.stderr.txt')));
    expect(outcome.error).toMatchObject({
      kind: 'unknown',
      retryable: false,
      failureClass: 'unavailable',
    });
    expect(outcome.error?.message).toMatch(
      /^error: unknown option '--bogus-flag' — this Claude Code version/,
    );
  });

  it('treats a crash before any output as retryable, and leaves diagnostic noise out of the message', () => {
    const { outcome } = decode(
      '',
      exit(134, '[claude-code:unrecognized_model] {"model":"x"}\nAborted (core dumped)\n'),
    );
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: null,
      usage: UNKNOWN_USAGE,
      error: {
        message: 'Claude Code exited with code 134 before any output: Aborted (core dumped)',
        kind: 'unknown',
        status: null,
        retryable: true,
        failureClass: 'transient',
        retryAfterMs: null,
      },
    });
  });

  it('does not retry a run that stopped after it started working', () => {
    const init = fixture('claude-2.1.330-stream-json-simple.jsonl').split('\n')[0]!;
    const { outcome } = decode(init, exit(null, '', 'SIGKILL'));
    expect(outcome).toMatchObject({
      status: 'failed',
      sessionId: '4cb922db-f10d-41ff-aeff-a5437125240f',
      error: {
        message: 'Claude Code was stopped by SIGKILL before its result',
        retryable: false,
        failureClass: 'task',
      },
    });
  });

  it('fails exit 0 without a result', () => {
    const { outcome } = decode('', exit(0));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('Claude Code exited with code 0 without any output');
  });

  it('fails a success result when the process then exits nonzero', () => {
    const { outcome } = decode(fixture('claude-2.1.330-stream-json-simple.jsonl'), exit(1, 'boom'));
    expect(outcome).toMatchObject({
      status: 'failed',
      usage: { known: true, inputTokens: 11 },
      error: {
        message: 'Claude Code exited with code 1 after reporting success: boom',
        retryable: false,
        failureClass: 'task',
      },
    });
  });
});

describe('odd lines', () => {
  it('skips unknown event types silently and non-JSON with a warning', () => {
    const decoder = createClaudeCodeDecoder();
    expect(decoder.push('{"type":"stream_event","event":{"type":"ping"}}')).toEqual([]);
    expect(decoder.push('{"type":"rate_limit_event","rate_limit_info":{}}')).toEqual([]);
    expect(decoder.push('[1,2]')).toEqual([]);
    expect(decoder.push('   ')).toEqual([]);
    expect(decoder.push('Warning: something odd')).toEqual([
      {
        type: 'warning',
        message: 'skipped a line of Claude Code output that is not JSON: "Warning: something odd"',
      },
    ]);
    const long = decoder.push(`{${'x'.repeat(1_000_000)}`);
    expect(long).toHaveLength(1);
    expect(long[0]!.type === 'warning' && long[0]!.message.length).toBeLessThan(300);
  });

  it('survives malformed shapes of known events', () => {
    const decoder = createClaudeCodeDecoder();
    for (const line of [
      '{"type":"assistant"}',
      '{"type":"assistant","message":{"content":"not an array"}}',
      '{"type":"assistant","message":{"content":[null,1,{"type":"tool_use"}]}}',
      '{"type":"user","message":{"content":[{"type":"tool_result","content":[{"type":"text","text":"a"},{"type":"image"}]}]}}',
      '{"type":"system","subtype":"api_retry"}',
      '{"type":"result","usage":"nope"}',
    ]) {
      expect(() => decoder.push(line)).not.toThrow();
    }
    const outcome = decoder.finish(exit(0));
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: null,
      sessionId: null,
      usage: UNKNOWN_USAGE,
      error: null,
    });
  });

  it('matches tool results to their tool use by id, and gives unknown ids the name "unknown"', () => {
    const decoder = createClaudeCodeDecoder();
    decoder.push(
      '{"type":"assistant","parent_tool_use_id":null,"message":{"content":[{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"a"}}]}}',
    );
    expect(
      decoder.push(
        '{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"line 1"}]},{"type":"tool_result","tool_use_id":"t9","content":"x","is_error":true}]}}',
      ),
    ).toEqual([
      {
        type: 'tool-use',
        name: 'Read',
        id: 't1',
        status: 'completed',
        input: { file_path: 'a' },
        output: 'line 1',
      },
      { type: 'tool-use', name: 'unknown', id: 't9', status: 'failed', input: null, output: 'x' },
    ]);
  });

  it('keeps sub-task text out of the main text but reports its tool uses', () => {
    const decoder = createClaudeCodeDecoder();
    expect(
      decoder.push(
        '{"type":"assistant","parent_tool_use_id":"task_1","message":{"content":[{"type":"text","text":"inner"},{"type":"tool_use","id":"t2","name":"Grep","input":{}}]}}',
      ),
    ).toEqual([
      { type: 'tool-use', name: 'Grep', id: 't2', status: 'started', input: {}, output: null },
    ]);
  });
});

/** The outcome's error of a failed fixture run (exit 1, as every one of them exited). */
function failure(name: string, options: Parameters<typeof createClaudeCodeDecoder>[0] = {}) {
  const { outcome } = decode(fixture(name), exit(1), options);
  expect(outcome.status).toBe('failed');
  return outcome.error!;
}

describe('failure classes, from what claude 2.1.330 printed against the scripted server', () => {
  it('429 with retry-after: 2 → rate_limited after its own two retries, with the delay it announced', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-429-retry-after.jsonl'),
      exit(1),
    );
    // Each retry waited retry-after plus Claude Code's jitter (up to 25%).
    expect(events.filter((event) => event.type === 'error' && !event.fatal)).toEqual([
      {
        type: 'error',
        message: 'Claude Code retries after 429 rate_limit in 2.1 s (attempt 1 of 2)',
        kind: 'rate-limit',
        status: 429,
        fatal: false,
      },
      {
        type: 'error',
        message: 'Claude Code retries after 429 rate_limit in 2.0 s (attempt 2 of 2)',
        kind: 'rate-limit',
        status: 429,
        fatal: false,
      },
    ]);
    expect(outcome.error).toEqual({
      message: 'API Error: Request rejected (429) · Scripted error: HTTP 429',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: 2019,
    });
  });

  it('429 with retry-after: 600 → rate_limited at once, the delay unknown (Claude Code neither waits nor prints it)', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-429-retry-after-too-long.jsonl'),
      exit(1),
    );
    expect(events.filter((event) => event.type === 'error' && !event.fatal)).toEqual([]);
    expect(outcome.error).toMatchObject({
      failureClass: 'rate_limited',
      retryable: true,
      retryAfterMs: null,
    });
  });

  it('takes the reset from rate_limit_event too, and the clock when no timestamp says when', () => {
    const lines = fixture('claude-2.1.330-stream-json-usage-limit.jsonl')
      .split('\n')
      .map((line) => {
        if (!line.includes('"is_api_error_message":true')) return line;
        const event = JSON.parse(line);
        delete event.api_error_params;
        delete event.timestamp;
        return JSON.stringify(event);
      })
      .join('\n');
    const { outcome } = decode(lines, exit(1), { now: () => 1_796_304_824_000 - 60_000 });
    expect(outcome.error).toMatchObject({ failureClass: 'quota_exhausted', retryAfterMs: 60_000 });
    // A reset already past says nothing about how long to wait.
    const late = decode(lines, exit(1), { now: () => 1_796_304_824_000 + 1 }).outcome;
    expect(late.error).toMatchObject({ failureClass: 'quota_exhausted', retryAfterMs: null });
  });

  it.each([
    [
      'a plan limit ("You\'ve hit your 5-hour limit") → quota_exhausted, with the time to its reset',
      'claude-2.1.330-stream-json-usage-limit.jsonl',
      {
        message: "You've hit your 5-hour limit · resets 1:33pm (UTC)",
        kind: 'rate-limit',
        status: 429,
        retryable: false,
        failureClass: 'quota_exhausted',
        // rate_limit_info.resetsAt 1796304824 (s) − the message's timestamp 11:33:46.558Z.
        retryAfterMs: 7_197_442,
      },
    ],
    [
      '"Credit balance is too low" (a 400 from the API) → quota_exhausted',
      'claude-2.1.330-stream-json-credit-balance-too-low.jsonl',
      {
        message: 'Credit balance is too low',
        kind: 'rate-limit',
        status: 400,
        retryable: false,
        failureClass: 'quota_exhausted',
        retryAfterMs: null,
      },
    ],
    [
      'a 403 → auth',
      'claude-2.1.330-stream-json-http-403.jsonl',
      {
        message:
          'Failed to authenticate. API Error: 403 Your API key does not have permission to use the specified resource.',
        kind: 'auth',
        status: 403,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    ],
    [
      'a refused connection after two retries → unavailable, its back-off no stated delay',
      'claude-2.1.330-stream-json-connection-refused-retries.jsonl',
      CONNECTION_REFUSED,
    ],
    [
      '--max-turns reached → task (the run stopped on its own terms), its turn cap named',
      'claude-2.1.330-stream-json-max-turns.jsonl',
      {
        message: 'Reached maximum number of turns (1)',
        kind: 'unknown',
        status: null,
        retryable: false,
        failureClass: 'task',
        retryAfterMs: null,
        limitReached: 'turns',
      },
    ],
  ])('%s', (_name, file, error) => {
    expect(failure(file)).toEqual(error);
  });

  it.each([
    [
      'a 402 billing_error → quota_exhausted',
      'claude-2.1.330-stream-json-http-402-billing.jsonl',
      {
        message: 'API Error: 402 Your account has a billing problem.',
        status: 402,
        failureClass: 'quota_exhausted',
      },
    ],
    [
      'a 529 overloaded after two retries → transient',
      'claude-2.1.330-stream-json-http-529-overloaded.jsonl',
      {
        kind: 'server',
        status: 529,
        retryable: true,
        failureClass: 'transient',
        retryAfterMs: null,
      },
    ],
    [
      '--max-budget-usd reached → task, its cost cap named',
      'claude-2.1.330-stream-json-max-budget-usd.jsonl',
      {
        message: 'Reached maximum budget ($0.0005)',
        failureClass: 'task',
        retryable: false,
        limitReached: 'cost',
      },
    ],
  ])('%s', (_name, file, error) => {
    expect(failure(file)).toMatchObject(error);
  });

  it('forgets retries and API errors a later answer recovered from', () => {
    const decoder = createClaudeCodeDecoder();
    decoder.push(
      '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":2,"retry_delay_ms":2500,"error_status":429,"error":"rate_limit"}',
    );
    decoder.push(
      '{"type":"assistant","parent_tool_use_id":null,"message":{"content":[{"type":"text","text":"Working."}]}}',
    );
    decoder.push(
      '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"api_error_type":"rate_limit_error","result":"API Error: Request rejected (429)"}',
    );
    expect(decoder.finish(exit(1)).error).toMatchObject({
      failureClass: 'rate_limited',
      retryAfterMs: null,
    });
  });

  it('classifies an API error that ended the run without a result', () => {
    const decoder = createClaudeCodeDecoder();
    decoder.push(
      '{"type":"assistant","is_api_error_message":true,"error":"billing_error","message":{"content":[{"type":"text","text":"Credit balance is too low"}]}}',
    );
    expect(decoder.finish(exit(1)).error).toMatchObject({
      message: 'Credit balance is too low',
      failureClass: 'quota_exhausted',
    });
  });
});

describe('usage and cost, from what claude 2.1.330 printed', () => {
  it('sums a tool call and an answer, cache reads included in the input, at list price', () => {
    const { events, outcome } = decode(
      fixture('claude-2.1.330-stream-json-multi-turn-cost.jsonl'),
      exit(0),
    );
    // Scripted: 1200 input (1000 cached) + 20 output, then 1500 input (1200 cached) + 30 output.
    // claude-sonnet-4-5: 200 + 300 input × $3/M, 2200 cache reads × $0.30/M, 50 output × $15/M.
    const usage = {
      known: true,
      inputTokens: 2700,
      cachedInputTokens: 2200,
      outputTokens: 50,
      reasoningTokens: 0,
      totalTokens: 2750,
      costUsd: 0.0029100000000000003,
    };
    expect(outcome).toMatchObject({ status: 'succeeded', finalText: 'Done.', usage });
    expect(events.filter((event) => event.type === 'usage')).toEqual([{ type: 'usage', usage }]);
    const result = JSON.parse(
      fixture('claude-2.1.330-stream-json-multi-turn-cost.jsonl')
        .split('\n')
        .find((line) => line.includes('"type":"result"'))!,
    );
    expect(outcome.usage.costUsd).toBe(result.total_cost_usd);
  });

  it("counts the last request of a run stopped by --max-budget-usd, which the result's usage leaves out", () => {
    const { outcome } = decode(fixture('claude-2.1.330-stream-json-max-budget-usd.jsonl'), exit(1));
    // result.usage says 100 / 10; the two requests were 100 + 150 in, 10 + 10 out.
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 250,
      cachedInputTokens: 0,
      outputTokens: 20,
      reasoningTokens: 0,
      totalTokens: 270,
      costUsd: 0.0010500000000000002,
    });
  });

  it('states a failed request as nothing spent', () => {
    const { outcome } = decode(
      fixture('claude-2.1.330-stream-json-http-429-retry-after.jsonl'),
      exit(1),
    );
    expect(outcome.usage).toEqual(ZERO_USAGE);
  });
});
