import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessExit, RuntimeEvent, StageOutcome } from '@baton/core';
import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createClaudeCodeDecoder, errorKind, normaliseUsage, runCost } from './decode.js';

function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, '__fixtures__', name), 'utf8');
}

function exit(exitCode: number | null, stderrTail = '', signal: string | null = null): ProcessExit {
  return { exitCode, signal, stderrTail, resultFiles: {} };
}

function decode(
  stdout: string,
  processExit: ProcessExit,
): { events: RuntimeEvent[]; outcome: StageOutcome } {
  const decoder = createClaudeCodeDecoder();
  const events: RuntimeEvent[] = [];
  for (const line of stdout.split('\n')) events.push(...decoder.push(line));
  return { events, outcome: decoder.finish(processExit) };
}

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
  it('decodes a plain answer', () => {
    const { events, outcome } = decode(fixture('claude-2.1.330-stream-json-simple.jsonl'), exit(0));
    const usage = {
      known: true,
      inputTokens: 11,
      cachedInputTokens: 0,
      outputTokens: 7,
      reasoningTokens: 0,
      totalTokens: 18,
      costUsd: 0.00018399999999999997,
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
        costUsd: 0.033836,
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

  it('decodes HTTP 401 as a failed stage with an auth error (subtype says success, is_error says no)', () => {
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
      error: { message, kind: 'auth', status: 401, retryable: false },
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
      },
    });
  });

  it('decodes HTTP 429 as a retryable rate limit', () => {
    const { outcome } = decode(fixture('claude-2.1.330-stream-json-http-429.jsonl'), exit(1));
    expect(outcome.error).toEqual({
      message: 'API Error: Request rejected (429) · Scripted error: HTTP 429',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
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
        message: 'Claude Code retries after 500 server_error (attempt 1 of 2)',
        kind: 'server',
        status: 500,
        fatal: false,
      },
      {
        type: 'error',
        message: 'Claude Code retries after 500 server_error (attempt 2 of 2)',
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
      error: { kind: 'server', status: 500, retryable: true },
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

  it('decodes a refused connection as a retryable network error', () => {
    const { outcome } = decode(
      fixture('claude-2.1.330-stream-json-connection-refused.jsonl'),
      exit(1),
    );
    expect(outcome.error).toEqual({
      message:
        'API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
      kind: 'network',
      status: null,
      retryable: true,
    });
  });

  it('decodes "Not logged in" as an auth error', () => {
    const { outcome } = decode(fixture('claude-2.1.330-stream-json-not-logged-in.jsonl'), exit(1));
    expect(outcome.error).toEqual({
      message: 'Not logged in · Please run /login',
      kind: 'auth',
      status: null,
      retryable: false,
    });
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
      },
    });
  });
});

describe('resumed runs', () => {
  it("report this run's usage and cost, not the session's (total_cost_usd counts earlier runs)", () => {
    const first = decode(fixture('claude-2.1.330-stream-json-resume-first.jsonl'), exit(0)).outcome;
    expect(first.usage).toMatchObject({ inputTokens: 100, outputTokens: 5, costUsd: 0.0005 });
    const decoder = createClaudeCodeDecoder({ resumed: true });
    for (const line of fixture('claude-2.1.330-stream-json-resume-second.jsonl').split('\n'))
      decoder.push(line);
    expect(decoder.finish(exit(0))).toEqual({
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
        // The result says total_cost_usd 0.00122: both runs.
        costUsd: 0.0007199999999999999,
      },
      error: null,
    });
  });

  it('leave the cost unknown on resume when Claude Code gives no per-run cost', () => {
    const result = { total_cost_usd: 0.5, model_usage_since_last_result: {} };
    expect(runCost(result, true)).toBeNull();
    expect(runCost(result, false)).toBe(0.5);
    expect(
      runCost(
        {
          total_cost_usd: 0.5,
          model_usage_since_last_result: { a: { costUSD: 0.25 }, b: { costUSD: 0.125 } },
        },
        true,
      ),
    ).toBe(0.375);
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
    });
  });

  it('reports an option this version does not know, without retrying', () => {
    const { outcome } = decode('', exit(1, fixture('claude-2.1.330-unknown-option.stderr.txt')));
    expect(outcome.error).toMatchObject({ kind: 'unknown', retryable: false });
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
      },
    });
  });

  it('does not retry a run that stopped after it started working', () => {
    const init = fixture('claude-2.1.330-stream-json-simple.jsonl').split('\n')[0]!;
    const { outcome } = decode(init, exit(null, '', 'SIGKILL'));
    expect(outcome).toMatchObject({
      status: 'failed',
      sessionId: '4cb922db-f10d-41ff-aeff-a5437125240f',
      error: { message: 'Claude Code was stopped by SIGKILL before its result', retryable: false },
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

describe('normaliseUsage', () => {
  it('adds cache reads and writes to input, which Anthropic reports apart', () => {
    // Shape of a real result's usage with prompt caching (values chosen for the arithmetic).
    expect(
      normaliseUsage(
        {
          input_tokens: 12,
          cache_creation_input_tokens: 3000,
          cache_read_input_tokens: 15000,
          output_tokens: 400,
          output_tokens_details: { thinking_tokens: 250 },
        },
        0.0421,
      ),
    ).toEqual({
      known: true,
      inputTokens: 18012,
      cachedInputTokens: 15000,
      outputTokens: 400,
      reasoningTokens: 250,
      totalTokens: 18412,
      costUsd: 0.0421,
    });
  });

  it('says unknown when no counts were reported', () => {
    expect(normaliseUsage(undefined, undefined)).toEqual(UNKNOWN_USAGE);
    expect(normaliseUsage({ service_tier: 'standard' }, 0.5)).toEqual({
      ...UNKNOWN_USAGE,
      costUsd: 0.5,
    });
  });
});

describe('errorKind', () => {
  it('maps HTTP statuses', () => {
    expect(
      [401, 403, 429, 408, 500, 502, 529, 400, 404, 413].map((status) =>
        errorKind(status, null, ''),
      ),
    ).toEqual([
      'auth',
      'auth',
      'rate-limit',
      'timeout',
      'server',
      'server',
      'server',
      'model',
      'model',
      'model',
    ]);
  });

  it('maps Claude Code error codes and texts when there is no status', () => {
    expect(errorKind(null, 'connection_failed', '')).toBe('network');
    expect(errorKind(null, 'server_error', 'API Error: Connection refused (ECONNREFUSED)')).toBe(
      'network',
    );
    expect(errorKind(null, null, 'Request timed out')).toBe('timeout');
    expect(errorKind(null, 'authentication_failed', '')).toBe('auth');
    expect(errorKind(null, 'rate_limit', '')).toBe('rate-limit');
    expect(errorKind(null, 'server_error', '')).toBe('server');
    expect(errorKind(null, 'invalid_request', '')).toBe('model');
    expect(errorKind(null, null, 'something else')).toBe('unknown');
  });
});
