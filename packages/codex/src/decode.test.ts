import { readFileSync } from 'node:fs';
import { type ProcessExit, type RuntimeEvent, UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createCodexDecoder } from './decode.js';

function fixture(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

function exit(overrides: Partial<ProcessExit> = {}): ProcessExit {
  return { exitCode: 0, signal: null, stderrTail: '', resultFiles: {}, ...overrides };
}

interface DecodeOptions {
  readonly resumeSessionId?: string;
  readonly env?: Record<string, string>;
  readonly now?: number;
}

function decode(text: string, end: ProcessExit, options: DecodeOptions = {}) {
  const { now, ...request } = options;
  const decoder = createCodexDecoder(request, now === undefined ? {} : { now: () => now });
  const events: RuntimeEvent[] = [];
  for (const line of text.split('\n')) events.push(...decoder.push(line));
  return { events, outcome: decoder.finish(end) };
}

describe('createCodexDecoder over captured codex 0.169.0 output', () => {
  it('decodes a plain answer', () => {
    const { events, outcome } = decode(fixture('codex-0.169.0-exec-json-simple.jsonl'), exit());
    expect(events).toEqual([
      { type: 'session', sessionId: '01a1ffe5-7184-7220-8660-b0531b834ce8' },
      {
        type: 'warning',
        message:
          'Model metadata for `stub-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.',
      },
      { type: 'text', text: 'Hello from stub' },
      {
        type: 'usage',
        usage: {
          known: true,
          inputTokens: 11,
          cachedInputTokens: 0,
          outputTokens: 7,
          reasoningTokens: 0,
          totalTokens: 18,
          costUsd: null,
        },
      },
      { type: 'result', text: 'Hello from stub' },
    ]);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from stub',
      sessionId: '01a1ffe5-7184-7220-8660-b0531b834ce8',
      usage: {
        known: true,
        inputTokens: 11,
        cachedInputTokens: 0,
        outputTokens: 7,
        reasoningTokens: 0,
        totalTokens: 18,
        costUsd: null,
      },
      error: null,
    });
  });

  it('decodes a command Codex ran as tool use, started then completed', () => {
    const { events, outcome } = decode(fixture('codex-0.169.0-exec-json-toolcall.jsonl'), exit());
    const tools = events.filter((event) => event.type === 'tool-use');
    expect(tools).toEqual([
      {
        type: 'tool-use',
        name: 'command_execution',
        id: 'item_1',
        status: 'started',
        input: { command: "/bin/bash -lc 'echo stub-tool-ok'" },
        output: null,
      },
      {
        type: 'tool-use',
        name: 'command_execution',
        id: 'item_1',
        status: 'completed',
        input: { command: "/bin/bash -lc 'echo stub-tool-ok'" },
        output: "pyenv: cannot rehash: ~/.pyenv/shims isn't writable\nstub-tool-ok\n",
      },
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('Hello from stub');
    expect(outcome.usage.inputTokens).toBe(16);
    expect(outcome.usage.outputTokens).toBe(10);
  });

  it('takes the run’s usage from Codex’s running total: several model requests, cached and reasoning tokens', () => {
    // Two requests (a tool call, then the answer): 1200 + 1500 input, 300 + 1100 cached,
    // 40 + 25 output, 16 + 9 reasoning, as the scripted server reported them.
    const { events, outcome } = decode(
      fixture('codex-0.169.0-exec-json-multi-request-usage.jsonl'),
      exit(),
    );
    const usage = {
      known: true,
      inputTokens: 2700,
      cachedInputTokens: 1400,
      outputTokens: 65,
      reasoningTokens: 25,
      totalTokens: 2765,
      costUsd: null,
    };
    expect(events.filter((event) => event.type === 'usage')).toEqual([{ type: 'usage', usage }]);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Done after the tool.',
      usage,
    });
  });

  it('fails a connection error as unavailable: nothing listens at base_url', () => {
    const { events, outcome } = decode(
      fixture('codex-0.169.0-exec-json-connection-failed.txt'),
      exit({ exitCode: 1 }),
    );
    expect(events.filter((event) => event.type === 'warning')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'error')).toEqual([
      {
        type: 'error',
        message: 'Connection failed: error sending request',
        kind: 'network',
        status: null,
        fatal: false,
      },
      {
        type: 'error',
        message: 'Connection failed: error sending request',
        kind: 'network',
        status: null,
        fatal: true,
      },
    ]);
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: '01a1ffe8-46c0-7832-810f-3ce14e70f22c',
      usage: UNKNOWN_USAGE,
      error: {
        message: 'Connection failed: error sending request',
        kind: 'network',
        status: null,
        retryable: false,
        failureClass: 'unavailable',
        retryAfterMs: null,
      },
    });
  });

  it.each([
    [
      'codex-0.169.0-exec-json-http-401.jsonl',
      'unexpected status 401 Unauthorized: scripted 401, url: http://127.0.0.1:18401/v1/responses',
      { kind: 'auth', status: 401, retryable: false, failureClass: 'auth' },
    ],
    [
      'codex-0.169.0-exec-json-http-403.jsonl',
      'unexpected status 403 Forbidden: You are not allowed to use this model, url: http://127.0.0.1:35959/v1/responses, request id: req_000008',
      { kind: 'auth', status: 403, retryable: false, failureClass: 'auth' },
    ],
    [
      'codex-0.169.0-exec-json-http-500.jsonl',
      'We’re currently experiencing high demand, which may cause temporary errors.',
      { kind: 'server', status: 500, retryable: true, failureClass: 'transient' },
    ],
    [
      'codex-0.169.0-exec-json-http-503-overloaded.jsonl',
      'Selected model is at capacity. Please try a different model.',
      { kind: 'server', status: 503, retryable: true, failureClass: 'transient' },
    ],
    [
      'codex-0.169.0-exec-json-http-429.jsonl',
      'exceeded retry limit, last status: 429 Too Many Requests',
      { kind: 'rate-limit', status: 429, retryable: true, failureClass: 'rate_limited' },
    ],
    [
      'codex-0.169.0-exec-json-usage-limit-no-reset.jsonl',
      'You’ve hit your usage limit. Try again later.',
      { kind: 'rate-limit', status: null, retryable: false, failureClass: 'quota_exhausted' },
    ],
    [
      'codex-0.169.0-exec-json-quota-exceeded.jsonl',
      'Quota exceeded. Check your plan and billing details.',
      { kind: 'rate-limit', status: null, retryable: false, failureClass: 'quota_exhausted' },
    ],
    [
      'codex-0.169.0-exec-json-usage-not-included.jsonl',
      'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.',
      { kind: 'rate-limit', status: null, retryable: false, failureClass: 'quota_exhausted' },
    ],
    [
      'codex-0.169.0-exec-json-http-402.jsonl',
      'unexpected status 402 Payment Required: Your credit balance is too low, url: http://127.0.0.1:35959/v1/responses, request id: req_000009',
      { kind: 'rate-limit', status: 402, retryable: false, failureClass: 'quota_exhausted' },
    ],
    [
      'codex-0.169.0-exec-json-http-400.jsonl',
      'scripted 400',
      { kind: 'model', status: null, retryable: false, failureClass: 'task' },
    ],
  ] as const)('fails %s with the exact class', (name, message, expected) => {
    const { outcome } = decode(fixture(name), exit({ exitCode: 1 }));
    expect(outcome.status).toBe('failed');
    expect(outcome.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.error).toEqual({ message, ...expected, retryAfterMs: null });
  });

  it('fails Codex’s usage limit as quota_exhausted, waiting until the printed reset (same day)', () => {
    // Recorded with TZ=UTC at 11:25 on 2026-12-03, resets_at 90 minutes later: Codex prints
    // "12:55 PM" and drops the seconds, so the limit may hold until 12:56.
    const { events, outcome } = decode(
      fixture('codex-0.169.0-exec-json-usage-limit.jsonl'),
      exit({ exitCode: 1 }),
      { env: { TZ: 'UTC' }, now: Date.UTC(2026, 11, 3, 11, 25, 0) },
    );
    const message =
      'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 12:55 PM.';
    expect(events[0]).toEqual({ type: 'session', sessionId: outcome.sessionId });
    expect(outcome).toMatchObject({ status: 'failed', finalText: null, usage: UNKNOWN_USAGE });
    expect(outcome.error).toEqual({
      message,
      kind: 'rate-limit',
      status: null,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: 91 * 60_000,
    });
  });

  it('reads a reset on a later day, in the time zone Codex printed it in', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-usage-limit-reset-date.jsonl'),
      exit({ exitCode: 1 }),
      { env: { TZ: 'UTC' }, now: Date.UTC(2026, 11, 3, 11, 25, 0) },
    );
    expect(outcome.error).toMatchObject({
      message:
        'You’ve hit your usage limit. Visit https://chatgpt.com/settings/usage to purchase more credits or try again at Dec 6th, 2026 11:25 AM.',
      failureClass: 'quota_exhausted',
      retryAfterMs: 3 * 86_400_000 + 60_000,
    });
    // The same words from a Codex running in Kolkata (UTC+5:30) name an instant 5.5 h earlier.
    const kolkata = decode(
      fixture('codex-0.169.0-exec-json-usage-limit-reset-date.jsonl'),
      exit({ exitCode: 1 }),
      { env: { TZ: 'Asia/Kolkata' }, now: Date.UTC(2026, 11, 3, 11, 25, 0) },
    );
    expect(kolkata.outcome.error?.retryAfterMs).toBe(3 * 86_400_000 + 60_000 - 5.5 * 3_600_000);
  });

  it('fails a rate limit inside the stream as rate_limited, with the delay the server stated', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-stream-rate-limit.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.error).toEqual({
      message:
        'rate limit exceeded: Rate limit reached for stub-model on tokens per min (TPM): Limit 30000, Used 30000, Requested 120. Please try again in 2.5s.',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: 2500,
    });
  });

  it('reports reconnect notices as non-fatal errors and fails on turn.failed', () => {
    const { events, outcome } = decode(
      fixture('codex-0.169.0-exec-json-http-502-retries.jsonl'),
      exit({ exitCode: 1 }),
    );
    const errors = events.filter((event) => event.type === 'error');
    expect(
      errors.map((event) => [
        event.type === 'error' && event.fatal,
        event.type === 'error' && event.status,
      ]),
    ).toEqual([
      [false, 502],
      [false, 502],
      [false, 502],
      [true, 502],
    ]);
    expect(outcome.error).toMatchObject({
      kind: 'server',
      status: 502,
      retryable: true,
      failureClass: 'transient',
    });
  });

  it('reports no usage for a resumed session, whose counts include the earlier run', () => {
    const first = decode(fixture('codex-0.169.0-exec-json-resume-first.jsonl'), exit());
    expect(first.outcome.usage).toMatchObject({ inputTokens: 100, outputTokens: 10 });
    const sessionId = first.outcome.sessionId!;
    // Codex's total after the resumed run is both runs' (100 + 200 in, 10 + 20 out).
    expect(fixture('codex-0.169.0-exec-json-resume.jsonl')).toContain(
      '"input_tokens":300,"cached_input_tokens":70,"cache_write_input_tokens":0,"output_tokens":30',
    );
    const { events, outcome } = decode(fixture('codex-0.169.0-exec-json-resume.jsonl'), exit(), {
      resumeSessionId: sessionId,
    });
    expect(events[0]).toEqual({ type: 'session', sessionId });
    expect(outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Second answer',
      sessionId,
      usage: UNKNOWN_USAGE,
    });
    expect(events).toContainEqual({
      type: 'warning',
      message: 'codex reports cumulative session usage on resume; usage of this run is unknown',
    });
  });

  it('fails a config error on stderr (legacy profile table) as unavailable, with the reason', () => {
    const { events, outcome } = decode(
      '',
      exit({ exitCode: 1, stderrTail: fixture('codex-0.169.0-exec-legacy-profile.stderr.txt') }),
    );
    expect(events).toEqual([]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(
      /^codex exited with code 1: Error loading config\.toml: --profile `baton-worker` cannot be used while <codex_home>\/config\.toml contains legacy/,
    );
    expect(outcome.error).toMatchObject({
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });
});

describe('resuming a thread Codex does not have', () => {
  it('says the session was not found, so the stage starts over rather than fails', () => {
    const { events, outcome } = decode(
      '',
      exit({
        exitCode: 1,
        stderrTail: fixture('codex-0.169.0-exec-json-resume-unknown-thread.stderr.txt'),
      }),
      { resumeSessionId: '01a1ffe5-7184-7220-8660-b0531b834ce8' },
    );
    expect(events).toEqual([]);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: {
        message:
          'codex exited with code 1: Error: thread/resume: thread/resume failed: no rollout found for thread id 01a1ffe5-7184-7220-8660-b0531b834ce8 (code -32600)',
        kind: 'unknown',
        retryable: false,
        failureClass: 'task',
        sessionNotFound: true,
      },
    });
  });

  it('does not say so for other failures on stderr', () => {
    const { outcome } = decode(
      '',
      exit({ exitCode: 1, stderrTail: fixture('codex-0.169.0-exec-legacy-profile.stderr.txt') }),
    );
    expect(outcome.error).not.toHaveProperty('sessionNotFound');
  });
});

describe('createCodexDecoder edge cases', () => {
  it('fails exit 0 without a completed turn', () => {
    const { outcome } = decode(
      '{"type":"thread.started","thread_id":"t1"}\n{"type":"turn.started"}',
      exit(),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      sessionId: 't1',
      error: {
        message: 'codex exited without completing its turn',
        kind: 'unknown',
        retryable: false,
        failureClass: 'task',
      },
    });
  });

  it('fails a turn.failed even when codex exits 0', () => {
    const { outcome } = decode(
      '{"type":"turn.failed","error":{"message":"unexpected status 403 Forbidden: no"}}',
      exit(),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'auth', status: 403, failureClass: 'auth' });
  });

  it('fails a nonzero exit after a completed turn', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-simple.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBe('Hello from stub');
    expect(outcome.error).toMatchObject({
      message: 'codex exited with code 1',
      failureClass: 'task',
    });
  });

  it('treats a crash as transient, and an exit before any event as unavailable', () => {
    expect(decode('', exit({ exitCode: null, signal: 'SIGSEGV' })).outcome.error).toEqual({
      message: 'codex was stopped by SIGSEGV',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    expect(
      decode('', exit({ exitCode: 101, stderrTail: "thread 'main' panicked at x" })).outcome.error,
    ).toMatchObject({ retryable: true, failureClass: 'transient' });
    expect(
      decode(
        '{"type":"thread.started","thread_id":"t"}',
        exit({ exitCode: null, signal: 'SIGKILL' }),
      ).outcome.error,
    ).toMatchObject({ retryable: true, failureClass: 'transient' });
    expect(
      decode('', exit({ exitCode: 2, stderrTail: "error: unexpected argument '--nope' found" }))
        .outcome.error,
    ).toMatchObject({ retryable: false, failureClass: 'unavailable' });
    // Codex's own words on stderr win over how it ended.
    expect(
      decode('', exit({ exitCode: 1, stderrTail: 'Error: Missing environment variable: `KEY`.' }))
        .outcome.error,
    ).toMatchObject({ kind: 'auth', failureClass: 'auth' });
  });

  it('names the reason when codex printed nothing at all: it never ran the task', () => {
    expect(decode('', exit()).outcome.error).toMatchObject({
      message: 'codex exited without printing any event',
      failureClass: 'unavailable',
    });
    expect(decode('Hello there', exit()).outcome.error).toMatchObject({
      message: 'codex printed no JSON events (is it an old version without `exec --json`?)',
      failureClass: 'unavailable',
    });
  });

  it('skips unknown events and items, and survives bad JSON', () => {
    const decoder = createCodexDecoder();
    expect(decoder.push('{"type":"something.new","x":1}')).toEqual([]);
    expect(
      decoder.push('{"type":"item.completed","item":{"id":"i","type":"reasoning","text":"hmm"}}'),
    ).toEqual([]);
    expect(
      decoder.push('{"type":"item.updated","item":{"id":"i","type":"todo_list","items":[]}}'),
    ).toEqual([]);
    expect(decoder.push('{"type":"item.completed","item":null}')).toEqual([]);
    expect(decoder.push('{"type":"thread.started","thread_id":42}')).toEqual([]);
    expect(decoder.push('[1,2]')).toEqual([
      { type: 'warning', message: 'codex printed JSON that is not an event: [1,2]' },
    ]);
    expect(
      decoder.push('{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"cut'),
    ).toEqual([
      {
        type: 'warning',
        message:
          'codex printed a line that is not JSON: {"type":"item.completed","item":{"id":"i","type":"agent_message","text":"cut',
      },
    ]);
    expect(decoder.push('   ')).toEqual([]);
  });

  it('takes the last agent message as the final text and the latest running total as usage', () => {
    // Each turn.completed carries the thread's total so far: adding them would count the
    // first turn twice.
    const lines = [
      '{"type":"thread.started","thread_id":"t"}',
      '{"type":"item.completed","item":{"id":"a","type":"agent_message","text":"first"}}',
      '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":40,"output_tokens":20,"reasoning_output_tokens":5}}',
      '{"type":"item.completed","item":{"id":"b","type":"agent_message","text":"second"}}',
      '{"type":"turn.completed","usage":{"input_tokens":110,"cached_input_tokens":40,"output_tokens":22,"reasoning_output_tokens":5}}',
    ].join('\n');
    const { outcome } = decode(lines, exit());
    expect(outcome.finalText).toBe('second');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 110,
      cachedInputTokens: 40,
      outputTokens: 22,
      reasoningTokens: 5,
      totalTokens: 132,
      costUsd: null,
    });
  });

  it('keeps counts Codex leaves out unknown, never zero', () => {
    const { outcome } = decode(
      '{"type":"turn.completed","usage":{"input_tokens":12,"output_tokens":3}}',
      exit(),
    );
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 12,
      cachedInputTokens: null,
      outputTokens: 3,
      reasoningTokens: null,
      totalTokens: 15,
      costUsd: null,
    });
  });

  it('maps file changes, MCP calls and web searches to tool use', () => {
    const decoder = createCodexDecoder();
    expect(
      decoder.push(
        '{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"a.txt","kind":"add"}],"status":"completed"}}',
      ),
    ).toEqual([
      {
        type: 'tool-use',
        name: 'file_change',
        id: 'f',
        status: 'completed',
        input: { changes: [{ path: 'a.txt', kind: 'add' }] },
        output: null,
      },
    ]);
    expect(
      decoder.push(
        '{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":null,"error":{"message":"boom"},"status":"failed"}}',
      ),
    ).toEqual([
      {
        type: 'tool-use',
        name: 'mcp:docs/search',
        id: 'm',
        status: 'failed',
        input: { q: 'x' },
        output: 'boom',
      },
    ]);
    expect(
      decoder.push(
        '{"type":"item.started","item":{"id":"w","type":"web_search","query":"vitest"}}',
      ),
    ).toEqual([
      {
        type: 'tool-use',
        name: 'web_search',
        id: 'w',
        status: 'started',
        input: { query: 'vitest' },
        output: null,
      },
    ]);
    expect(
      decoder.push(
        '{"type":"item.completed","item":{"id":"c","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}',
      )[0],
    ).toMatchObject({ status: 'failed', output: '' });
  });
});
