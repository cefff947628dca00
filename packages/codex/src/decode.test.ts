import { readFileSync } from 'node:fs';
import type { ProcessExit, RuntimeEvent } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { classifyCodexError, createCodexDecoder } from './decode.js';

function fixture(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

function exit(overrides: Partial<ProcessExit> = {}): ProcessExit {
  return { exitCode: 0, signal: null, stderrTail: '', resultFiles: {}, ...overrides };
}

function decode(text: string, end: ProcessExit, resumeSessionId?: string) {
  const decoder = createCodexDecoder(resumeSessionId === undefined ? {} : { resumeSessionId });
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

  it('fails a connection error as network, retryable; stderr lines mixed in become warnings', () => {
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
      usage: {
        known: false,
        inputTokens: null,
        cachedInputTokens: null,
        outputTokens: null,
        reasoningTokens: null,
        totalTokens: null,
        costUsd: null,
      },
      error: {
        message: 'Connection failed: error sending request',
        kind: 'network',
        status: null,
        retryable: true,
      },
    });
  });

  it('fails HTTP 401 as auth, not retryable', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-http-401.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message:
        'unexpected status 401 Unauthorized: scripted 401, url: http://127.0.0.1:18401/v1/responses',
      kind: 'auth',
      status: 401,
      retryable: false,
    });
  });

  it('fails HTTP 500 ("high demand") as server, retryable', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-http-500.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.error).toEqual({
      message: 'We’re currently experiencing high demand, which may cause temporary errors.',
      kind: 'server',
      status: 500,
      retryable: true,
    });
  });

  it('fails HTTP 429 as rate-limit, retryable', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-http-429.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.error).toEqual({
      message: 'exceeded retry limit, last status: 429 Too Many Requests',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
    });
  });

  it('fails HTTP 400 as a model error with the message from the bare body', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-http-400.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.error).toEqual({
      message: 'scripted 400',
      kind: 'model',
      status: null,
      retryable: false,
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
    expect(outcome.error).toMatchObject({ kind: 'server', status: 502, retryable: true });
  });

  it('reports no usage for a resumed session, whose counts include earlier runs', () => {
    const { events, outcome } = decode(
      fixture('codex-0.169.0-exec-json-resume.jsonl'),
      exit(),
      '01a20008-3232-7292-a6cc-4181d447f74c',
    );
    expect(outcome.status).toBe('succeeded');
    expect(outcome.sessionId).toBe('01a20008-3232-7292-a6cc-4181d447f74c');
    expect(outcome.usage.known).toBe(false);
    expect(events).toContainEqual({
      type: 'warning',
      message: 'codex reports cumulative session usage on resume; usage of this run is unknown',
    });
  });

  it('fails a config error on stderr (legacy profile table) with the reason', () => {
    const { events, outcome } = decode(
      '',
      exit({ exitCode: 1, stderrTail: fixture('codex-0.169.0-exec-legacy-profile.stderr.txt') }),
    );
    expect(events).toEqual([]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(
      /^codex exited with code 1: Error loading config\.toml: --profile `baton-worker` cannot be used while <codex_home>\/config\.toml contains legacy/,
    );
    expect(outcome.error).toMatchObject({ kind: 'unknown', status: null, retryable: false });
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
      },
    });
  });

  it('fails a turn.failed even when codex exits 0', () => {
    const { outcome } = decode(
      '{"type":"turn.failed","error":{"message":"unexpected status 403 Forbidden: no"}}',
      exit(),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'auth', status: 403 });
  });

  it('fails a nonzero exit after a completed turn', () => {
    const { outcome } = decode(
      fixture('codex-0.169.0-exec-json-simple.jsonl'),
      exit({ exitCode: 1 }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBe('Hello from stub');
  });

  it('treats a crash before any output as retryable', () => {
    expect(decode('', exit({ exitCode: null, signal: 'SIGSEGV' })).outcome.error).toEqual({
      message: 'codex was stopped by SIGSEGV',
      kind: 'unknown',
      status: null,
      retryable: true,
    });
    expect(
      decode('', exit({ exitCode: 101, stderrTail: "thread 'main' panicked at x" })).outcome.error
        ?.retryable,
    ).toBe(true);
    expect(
      decode('', exit({ exitCode: 2, stderrTail: "error: unexpected argument '--nope' found" }))
        .outcome.error?.retryable,
    ).toBe(false);
  });

  it('names the reason when codex printed nothing at all', () => {
    expect(decode('', exit()).outcome.error?.message).toBe(
      'codex exited without printing any event',
    );
    expect(decode('Hello there', exit()).outcome.error?.message).toBe(
      'codex printed no JSON events (is it an old version without `exec --json`?)',
    );
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

  it('takes the last agent message as the final text and adds up usage of several turns', () => {
    const lines = [
      '{"type":"thread.started","thread_id":"t"}',
      '{"type":"item.completed","item":{"id":"a","type":"agent_message","text":"first"}}',
      '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":40,"output_tokens":20,"reasoning_output_tokens":5}}',
      '{"type":"item.completed","item":{"id":"b","type":"agent_message","text":"second"}}',
      '{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":0,"output_tokens":2}}',
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

describe('classifyCodexError', () => {
  it.each([
    ['unexpected status 401 Unauthorized: x', 'auth', 401, false],
    ['unexpected status 403 Forbidden: x', 'auth', 403, false],
    ['exceeded retry limit, last status: 429 Too Many Requests', 'rate-limit', 429, true],
    ['unexpected status 503 Service Unavailable: x', 'server', 503, true],
    ['unexpected status 404 Not Found: x', 'model', 404, false],
    [
      'We’re currently experiencing high demand, which may cause temporary errors.',
      'server',
      500,
      true,
    ],
    ['Missing environment variable: `GATEWAY_KEY`.', 'auth', null, false],
    ['Connection failed: error sending request', 'network', null, true],
    [
      'Reconnecting... waiting for network (Connection failed: error sending request)',
      'network',
      null,
      true,
    ],
    ['stream disconnected before completion: idle timeout', 'network', null, true],
    ['Quota exceeded. Check your plan and billing details.', 'rate-limit', null, false],
    ["You've hit your usage limit. Try again later.", 'rate-limit', null, false],
    [
      "Codex ran out of room in the model's context window. Start a new conversation.",
      'model',
      null,
      false,
    ],
    ['{"error":{"message":"bad","type":"invalid_request_error"}}', 'model', null, false],
    ['something else entirely', 'unknown', null, false],
  ] as const)('%s → %s', (message, kind, status, retryable) => {
    expect(classifyCodexError(message)).toEqual({ kind, status, retryable });
  });
});
