import { readFileSync } from 'node:fs';
import { type ProcessExit, type RuntimeEvent, UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { apiError, createOpenCodeDecoder, errorKind } from './decode.js';

const VERSION = '1.18.33';

function fixture(name: string): string[] {
  return readFileSync(
    new URL(`./__fixtures__/opencode-${VERSION}-run-json-${name}.jsonl`, import.meta.url),
    'utf8',
  ).split('\n');
}

const exit = (exitCode: number | null, extra: Partial<ProcessExit> = {}): ProcessExit => ({
  exitCode,
  signal: null,
  stderrTail: '',
  resultFiles: {},
  ...extra,
});

function decode(lines: readonly string[], end: ProcessExit) {
  const decoder = createOpenCodeDecoder();
  const events: RuntimeEvent[] = [];
  for (const line of lines) events.push(...decoder.push(line));
  return { events, outcome: decoder.finish(end) };
}

const line = (event: Record<string, unknown>) =>
  JSON.stringify({ timestamp: 1, sessionID: 'ses_test', ...event });
const stepStart = line({ type: 'step_start', part: { type: 'step-start' } });
const text = (value: string) => line({ type: 'text', part: { type: 'text', text: value } });
const stepFinish = (reason: string, tokens: Record<string, unknown> = {}, cost = 0) =>
  line({
    type: 'step_finish',
    part: {
      type: 'step-finish',
      reason,
      tokens: {
        total: 0,
        input: 0,
        output: 0,
        reasoning: 0,
        cache: { read: 0, write: 0 },
        ...tokens,
      },
      cost,
    },
  });

describe('createOpenCodeDecoder on captured OpenCode 1.18.33 output', () => {
  it('decodes a plain answer', () => {
    const { events, outcome } = decode(fixture('simple'), exit(0));
    expect(events).toEqual([
      { type: 'session', sessionId: 'ses_e0014db6cffe1xqLRYbZabiLeT' },
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
          costUsd: 0,
        },
      },
    ]);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from stub',
      sessionId: 'ses_e0014db6cffe1xqLRYbZabiLeT',
      usage: {
        known: true,
        inputTokens: 11,
        cachedInputTokens: 0,
        outputTokens: 7,
        reasoningTokens: 0,
        totalTokens: 18,
        costUsd: 0,
      },
      error: null,
    });
  });

  it('decodes a bash tool call and sums usage over both steps', () => {
    const { events, outcome } = decode(fixture('toolcall'), exit(0));
    expect(events.filter((event) => event.type === 'tool-use')).toEqual([
      {
        type: 'tool-use',
        name: 'bash',
        id: 'call_24',
        status: 'completed',
        input: { command: 'echo hi', description: 'run' },
        output: 'hi\n',
      },
    ]);
    expect(events.filter((event) => event.type === 'session')).toHaveLength(1);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('Hello from stub');
    expect(outcome.sessionId).toBe('ses_e0012b785ffeXeEWiZPApDLs3f');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 16,
      cachedInputTokens: 0,
      outputTokens: 10,
      reasoningTokens: 0,
      totalTokens: 26,
      costUsd: 0,
    });
  });

  it('counts cache reads into inputTokens (OpenCode reports them apart)', () => {
    // The server reported prompt_tokens 11 with cached_tokens 4 per request; OpenCode
    // printed input 7 and cache.read 4 for each of the two steps.
    const { outcome } = decode(fixture('toolcall-cached'), exit(0));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 22,
      cachedInputTokens: 8,
      outputTokens: 14,
      reasoningTokens: 0,
      totalTokens: 36,
      costUsd: 0,
    });
    expect(outcome.finalText).toBe('Hello from stub');
  });

  it('fails an HTTP 401 as an auth error, not worth a retry', () => {
    const { events, outcome } = decode(fixture('http-401'), exit(1));
    expect(events).toEqual([
      { type: 'session', sessionId: 'ses_e0012afabffec2A7MPea0NvgAY' },
      {
        type: 'error',
        message: 'APIError: stub forced 401',
        kind: 'auth',
        status: 401,
        fatal: true,
      },
    ]);
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: 'ses_e0012afabffec2A7MPea0NvgAY',
      usage: UNKNOWN_USAGE,
      error: { message: 'APIError: stub forced 401', kind: 'auth', status: 401, retryable: false },
    });
  });

  it('fails an HTTP 500 (after OpenCode’s own retries) as a retryable server error', () => {
    const { outcome } = decode(fixture('http-500'), exit(1));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'APIError: stub forced 500',
      kind: 'server',
      status: 500,
      retryable: true,
    });
    expect(outcome.sessionId).toBe('ses_dffc3dd16ffexgx8QmpO970K4A');
  });

  it('fails an unreachable provider as a retryable network error', () => {
    const { outcome } = decode(fixture('connection-refused'), exit(1));
    expect(outcome.error).toEqual({
      message:
        'APIError: Cannot connect to API: Unable to connect. Is the computer able to access the url?',
      kind: 'network',
      status: null,
      retryable: true,
    });
  });

  it('fails an undeclared model with OpenCode’s generic error', () => {
    const { outcome } = decode(fixture('undeclared-model'), exit(1));
    expect(outcome.error).toEqual({
      message: 'Unexpected server error. Check server logs for details.',
      kind: 'unknown',
      status: null,
      retryable: false,
    });
  });

  it('fails a run OpenCode stopped after rejecting a permission, though it exited 0', () => {
    const { events, outcome } = decode(fixture('permission-rejected'), exit(0));
    expect(events.find((event) => event.type === 'tool-use')).toEqual({
      type: 'tool-use',
      name: 'bash',
      id: 'call_9',
      status: 'failed',
      input: { command: 'cat /etc/hostname > <scratch>/outside.txt', description: 'run' },
      output: 'The user rejected permission to use this specific tool call.',
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBeNull();
    expect(outcome.error).toEqual({
      message:
        'OpenCode refused a tool call and stopped (bash: The user rejected permission to use this specific tool call.)',
      kind: 'permission',
      status: null,
      retryable: false,
    });
    expect(outcome.usage.inputTokens).toBe(11);
  });
});

describe('createOpenCodeDecoder on edge cases', () => {
  it('takes the final text from the last step that had text', () => {
    const { outcome } = decode(
      [
        stepStart,
        text('Let me look.'),
        stepFinish('tool-calls'),
        stepStart,
        text('All '),
        text('done.'),
        stepFinish('stop'),
      ],
      exit(0),
    );
    expect(outcome.finalText).toBe('All done.');
    expect(outcome.status).toBe('succeeded');
  });

  it('keeps the earlier text when the last step has none', () => {
    const { outcome } = decode(
      [stepStart, text('Answer.'), stepFinish('tool-calls'), stepStart, stepFinish('stop')],
      exit(0),
    );
    expect(outcome).toMatchObject({ status: 'succeeded', finalText: 'Answer.' });
  });

  it('counts reasoning into outputTokens and cache writes into inputTokens; sums cost', () => {
    const { outcome } = decode(
      [
        stepStart,
        stepFinish(
          'tool-calls',
          { input: 100, output: 20, reasoning: 30, cache: { read: 50, write: 10 } },
          0.25,
        ),
        stepStart,
        text('ok'),
        stepFinish(
          'stop',
          { input: 5, output: 1, reasoning: 0, cache: { read: 160, write: 0 } },
          0.5,
        ),
      ],
      exit(0),
    );
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 325,
      cachedInputTokens: 210,
      outputTokens: 51,
      reasoningTokens: 30,
      totalTokens: 376,
      costUsd: 0.75,
    });
  });

  it('fails on an error event even when the exit code is 0', () => {
    const error = line({
      type: 'error',
      error: {
        name: 'APIError',
        data: { message: 'Too Many Requests', statusCode: 429, isRetryable: true },
      },
    });
    const { outcome } = decode([stepStart, error], exit(0));
    expect(outcome.error).toEqual({
      message: 'APIError: Too Many Requests',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
    });
  });

  it('keeps the first error when several arrive', () => {
    const first = line({
      type: 'error',
      error: { name: 'ProviderAuthError', data: { message: 'bad key' } },
    });
    const second = line({
      type: 'error',
      error: { name: 'UnknownError', data: { message: 'later' } },
    });
    const { outcome } = decode([first, second], exit(1));
    expect(outcome.error).toEqual({
      message: 'ProviderAuthError: bad key',
      kind: 'auth',
      status: null,
      retryable: false,
    });
  });

  it('fails a crash before any output as retryable, with the end of stderr', () => {
    const { outcome } = decode(
      [],
      exit(1, { stderrTail: "Error: opencode-ai's postinstall script was not run.\n\nRun it.\n" }),
    );
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: null,
      usage: UNKNOWN_USAGE,
      error: {
        message:
          "opencode exited with 1: Error: opencode-ai's postinstall script was not run. Run it.",
        kind: 'unknown',
        status: null,
        retryable: true,
      },
    });
  });

  it('fails a non-zero exit after output as not retryable', () => {
    const { outcome } = decode(
      [stepStart],
      exit(1, { stderrTail: '\u001b[91mError\u001b[0m: boom' }),
    );
    expect(outcome.error).toEqual({
      message: 'opencode exited with 1: Error: boom',
      kind: 'unknown',
      status: null,
      retryable: false,
    });
  });

  it('fails a run killed by a signal', () => {
    const { outcome } = decode([stepStart, text('partial')], exit(null, { signal: 'SIGKILL' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'unknown', retryable: false });
    expect(outcome.error?.message).toBe('opencode was stopped by SIGKILL');
    expect(outcome.finalText).toBe('partial');
  });

  it('fails a clean exit that never finished a step', () => {
    const { outcome } = decode([stepStart, text('half')], exit(0));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('opencode exited without finishing a model step');
    const empty = decode([], exit(0, { stderrTail: 'agent "x" not found' }));
    expect(empty.outcome.error?.message).toBe(
      'opencode exited without finishing a model step: agent "x" not found',
    );
  });

  it('fails a run that stopped asking for tools without a refusal', () => {
    const { outcome } = decode([stepStart, stepFinish('tool-calls')], exit(0));
    expect(outcome.error).toEqual({
      message: 'opencode stopped after a step that asked for tools, without an answer',
      kind: 'unknown',
      status: null,
      retryable: false,
    });
  });

  it('fails an answer cut at the output limit', () => {
    const { outcome } = decode([stepStart, text('half an ans'), stepFinish('length')], exit(0));
    expect(outcome.error?.kind).toBe('model');
    expect(outcome.status).toBe('failed');
  });

  it('succeeds when the model answers after a refused tool call', () => {
    const refused = line({
      type: 'tool_use',
      part: {
        tool: 'edit',
        callID: 'c1',
        state: {
          status: 'error',
          input: {},
          error: 'The user rejected permission to use this specific tool call.',
        },
      },
    });
    const { outcome } = decode(
      [
        stepStart,
        refused,
        stepFinish('tool-calls'),
        stepStart,
        text('I could not edit.'),
        stepFinish('stop'),
      ],
      exit(0),
    );
    expect(outcome).toMatchObject({ status: 'succeeded', finalText: 'I could not edit.' });
  });

  it('skips reasoning, unknown event types and odd lines; warns about non-JSON', () => {
    const decoder = createOpenCodeDecoder();
    expect(decoder.push(line({ type: 'reasoning', part: { text: 'thinking…' } }))).toEqual([
      { type: 'session', sessionId: 'ses_test' },
    ]);
    expect(decoder.push(line({ type: 'done', reason: 'idle' }))).toEqual([]);
    expect(decoder.push('')).toEqual([]);
    expect(decoder.push('[1,2]')).toEqual([
      { type: 'warning', message: 'OpenCode printed JSON that is not an event: [1,2]' },
    ]);
    const [warning] = decoder.push(`{ broken ${'y'.repeat(500)}`);
    expect(warning?.type).toBe('warning');
    expect((warning as { message: string }).message).toHaveLength(
      'OpenCode printed a line that is not JSON: '.length + 201,
    );
    expect(decoder.push(text('after all that'))).toEqual([
      { type: 'text', text: 'after all that' },
    ]);
  });

  it('reports a tool still running as started', () => {
    const decoder = createOpenCodeDecoder();
    expect(
      decoder.push(
        line({
          type: 'tool_use',
          part: { tool: 'task', state: { status: 'running', input: { a: 1 } } },
        }),
      ),
    ).toEqual([
      { type: 'session', sessionId: 'ses_test' },
      {
        type: 'tool-use',
        name: 'task',
        id: null,
        status: 'started',
        input: { a: 1 },
        output: null,
      },
    ]);
  });
});

describe('errorKind', () => {
  it('classifies by status first, then by name and message', () => {
    expect(errorKind(null, 401, '')).toBe('auth');
    expect(errorKind(null, 403, '')).toBe('auth');
    expect(errorKind(null, 429, '')).toBe('rate-limit');
    expect(errorKind(null, 408, '')).toBe('timeout');
    expect(errorKind(null, 503, '')).toBe('server');
    expect(errorKind(null, 404, '')).toBe('model');
    expect(errorKind(null, 400, '')).toBe('model');
    expect(errorKind('ContextOverflowError', null, '')).toBe('model');
    expect(errorKind('ProviderAuthError', null, '')).toBe('auth');
    expect(errorKind('APIError', null, 'fetch failed')).toBe('network');
    expect(errorKind('APIError', null, 'Rate limit reached')).toBe('rate-limit');
    expect(errorKind('APIError', null, 'request timed out')).toBe('timeout');
    expect(errorKind('UnknownError', null, 'who knows')).toBe('unknown');
  });

  it('reads an error without data', () => {
    expect(apiError({ name: 'MessageAbortedError' })).toEqual({
      message: 'MessageAbortedError',
      kind: 'unknown',
      status: null,
      retryable: false,
    });
    expect(apiError(null).message).toBe('OpenCode reported an error');
  });
});
