import { readFileSync } from 'node:fs';
import { type ProcessExit, type RuntimeEvent, UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createOpenCodeDecoder } from './decode.js';

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

function decode(lines: readonly string[], end: ProcessExit, maxTurns?: number) {
  const decoder = createOpenCodeDecoder(maxTurns === undefined ? {} : { budget: { maxTurns } });
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
          // OpenCode prints cost 0 for a model it has no price for: unknown, not free.
          costUsd: null,
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
        costUsd: null,
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
      costUsd: null,
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
      costUsd: null,
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
      error: {
        message: 'APIError: stub forced 401',
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
  });

  it('fails an HTTP 500 (after OpenCode’s own retries) as transient', () => {
    const { outcome } = decode(fixture('http-500'), exit(1));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'APIError: stub forced 500',
      kind: 'server',
      status: 500,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    expect(outcome.sessionId).toBe('ses_dffc3dd16ffexgx8QmpO970K4A');
  });

  it('fails an unreachable provider (after 90 s of OpenCode’s retries) as unavailable', () => {
    const { outcome } = decode(fixture('connection-refused'), exit(1));
    expect(outcome.error).toEqual({
      message:
        'APIError: Cannot connect to API: Unable to connect. Is the computer able to access the url?',
      kind: 'network',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });

  it('fails an undeclared model with OpenCode’s generic error, as the task’s', () => {
    const { outcome } = decode(fixture('undeclared-model'), exit(1));
    expect(outcome.error).toEqual({
      message: 'Unexpected server error. Check server logs for details.',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('fails a 429 with retry-after (after five retries OpenCode waited out) as rate_limited, with its delay', () => {
    const { events, outcome } = decode(fixture('http-429-retry-after'), exit(1));
    expect(events[0]).toEqual({ type: 'session', sessionId: 'ses_dc44c615effeO21qggPX75MWzR' });
    expect(outcome.error).toEqual({
      message: 'APIError: Scripted error: HTTP 429',
      kind: 'rate-limit',
      status: 429,
      retryable: true,
      failureClass: 'rate_limited',
      retryAfterMs: 1000,
    });
  });

  it('fails a 429 insufficient_quota as quota_exhausted, though OpenCode retried it', () => {
    const { outcome } = decode(fixture('http-429-insufficient-quota'), exit(1));
    expect(outcome.error).toEqual({
      message:
        'APIError: You exceeded your current quota, please check your plan and billing details.',
      kind: 'rate-limit',
      status: 429,
      retryable: false,
      failureClass: 'quota_exhausted',
      // The recording's server sent retry-after-ms: 0 to spare a minute of back-off.
      retryAfterMs: 0,
    });
  });

  it('fails a 402 (not retried) as quota_exhausted', () => {
    const { outcome } = decode(fixture('http-402'), exit(1));
    expect(outcome.error).toEqual({
      message: 'APIError: Insufficient credits',
      kind: 'rate-limit',
      status: 402,
      retryable: false,
      failureClass: 'quota_exhausted',
      retryAfterMs: null,
    });
  });

  it('fails a 403 as auth', () => {
    const { outcome } = decode(fixture('http-403'), exit(1));
    expect(outcome.error).toEqual({
      message: 'APIError: Scripted error: HTTP 403',
      kind: 'auth',
      status: 403,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
  });

  it('fails a provider without an API key (ProviderAuthError, no request made) as auth', () => {
    const { events, outcome } = decode(fixture('provider-auth-missing-key'), exit(1));
    expect(events[0]).toEqual({ type: 'session', sessionId: 'ses_dc44a5654ffevHBkCqSiJE2EiB' });
    expect(outcome.error).toEqual({
      message:
        "ProviderAuthError: Anthropic API key is missing. Pass it using the 'apiKey' parameter or the ANTHROPIC_API_KEY environment variable.",
      kind: 'auth',
      status: null,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
  });

  it('fails a context overflow (reported twice: OpenCode compacts and tries again) as the task’s', () => {
    const { events, outcome } = decode(fixture('context-overflow'), exit(1));
    expect(events.filter((event) => event.type === 'error')).toHaveLength(2);
    expect(outcome.error).toEqual({
      message: "ContextOverflowError: This model's maximum context length is 128000 tokens.",
      kind: 'model',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('succeeds after OpenCode absorbed two 429s itself (nothing of them is printed)', () => {
    const { events, outcome } = decode(fixture('http-429-recovered'), exit(0));
    expect(events.some((event) => event.type === 'error')).toBe(false);
    expect(outcome).toMatchObject({ status: 'succeeded', finalText: 'Recovered.', error: null });
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
      failureClass: 'task',
      retryAfterMs: null,
    });
    expect(outcome.usage.inputTokens).toBe(11);
  });
});

describe('usage and cost over steps, on captured OpenCode 1.18.33 output', () => {
  it('sums each step’s own counts, adding back the cache reads and reasoning OpenCode splits out', () => {
    // Scripted: 100 in (40 cached) / 30 out (10 reasoning), then 150 in (90 cached) / 20 out
    // (5 reasoning). OpenCode printed input 60 + 60, cache.read 40 + 90, output 20 + 15.
    const { events, outcome } = decode(fixture('multi-step-usage'), exit(0));
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 250,
      cachedInputTokens: 130,
      outputTokens: 50,
      reasoningTokens: 15,
      totalTokens: 300,
      costUsd: null,
    });
    // A running total after each step.
    expect(
      events.flatMap((event) => (event.type === 'usage' ? [event.usage.inputTokens] : [])),
    ).toEqual([100, 250]);
  });

  it('sums the cost OpenCode prices each step at, when the model has a price', () => {
    // The model's cost in the user's config: 2 USD per million input, 8 output, 0.5 cache
    // read. OpenCode printed cost 0.164 and 0.181 for the two steps.
    const { outcome } = decode(fixture('multi-step-priced'), exit(0));
    expect(outcome.usage).toMatchObject({
      inputTokens: 250_000,
      cachedInputTokens: 130_000,
      outputTokens: 5000,
      reasoningTokens: 1500,
      totalTokens: 255_000,
    });
    expect(outcome.usage.costUsd).toBeCloseTo(0.345, 10);
  });

  it('counts only a resumed run’s own steps: OpenCode prints no session totals', () => {
    const first = decode(fixture('resume-first'), exit(0));
    const second = decode(fixture('resume-second'), exit(0));
    expect(second.outcome.sessionId).toBe(first.outcome.sessionId);
    expect(first.outcome.usage).toMatchObject({ inputTokens: 200, outputTokens: 5 });
    expect(second.outcome.usage).toMatchObject({ inputTokens: 300, outputTokens: 9 });
    expect(second.events[0]).toEqual({ type: 'session', sessionId: first.outcome.sessionId });
  });
});

describe('the turn budget, on captured OpenCode 1.18.33 output', () => {
  it('fails a run that reached its step limit as the task’s, keeping the summary as final text', () => {
    const { outcome } = decode(fixture('turn-limit'), exit(0), 2);
    expect(outcome).toMatchObject({
      status: 'failed',
      finalText: 'Reached the step limit. Done so far: echoed one.',
      error: {
        message:
          "OpenCode reached the stage's turn limit (2 steps) and was told to stop and sum up",
        kind: 'unknown',
        retryable: false,
        failureClass: 'task',
        retryAfterMs: null,
        limitReached: 'turns',
      },
    });
  });

  it('lets the same output succeed when no limit was set, or a higher one', () => {
    expect(decode(fixture('turn-limit'), exit(0)).outcome.status).toBe('succeeded');
    expect(decode(fixture('turn-limit'), exit(0), 3).outcome.status).toBe('succeeded');
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

  it('knows the cost once any step had a price, and not while every step cost 0', () => {
    const unpriced = decode(
      [
        stepStart,
        stepFinish('tool-calls', { input: 5 }),
        stepStart,
        text('ok'),
        stepFinish('stop'),
      ],
      exit(0),
    );
    expect(unpriced.outcome.usage.costUsd).toBeNull();
    const mixed = decode(
      [
        stepStart,
        stepFinish('tool-calls', {}, 0),
        stepStart,
        text('ok'),
        stepFinish('stop', {}, 0.02),
      ],
      exit(0),
    );
    expect(mixed.outcome.usage.costUsd).toBe(0.02);
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
      failureClass: 'rate_limited',
      retryAfterMs: null,
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
      failureClass: 'auth',
      retryAfterMs: null,
    });
  });

  it('fails an exit before any output as unavailable: OpenCode could not start here', () => {
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
        retryable: false,
        failureClass: 'unavailable',
        retryAfterMs: null,
      },
    });
  });

  it('says a session to continue was not found, from what 1.18.33 prints on stderr', () => {
    const stderrTail = readFileSync(
      new URL(
        `./__fixtures__/opencode-${VERSION}-run-json-resume-unknown-session.stderr.txt`,
        import.meta.url,
      ),
      'utf8',
    );
    const { outcome } = decode([], exit(1, { stderrTail }));
    expect(outcome.error).toEqual({
      message: 'opencode exited with 1: Error: Session not found',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
      sessionNotFound: true,
    });
  });

  it('fails a non-zero exit after output as the task’s', () => {
    const { outcome } = decode(
      [stepStart],
      exit(1, { stderrTail: '\u001b[91mError\u001b[0m: boom' }),
    );
    expect(outcome.error).toEqual({
      message: 'opencode exited with 1: Error: boom',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('lets stderr that names a network failure decide a bare non-zero exit', () => {
    const { outcome } = decode([stepStart], exit(1, { stderrTail: 'Error: socket hang up\n' }));
    expect(outcome.error).toMatchObject({
      kind: 'network',
      retryable: true,
      failureClass: 'transient',
    });
  });

  it('fails a run killed by a signal as a crash worth another attempt', () => {
    const { outcome } = decode([stepStart, text('partial')], exit(null, { signal: 'SIGKILL' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'opencode was stopped by SIGKILL',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    expect(outcome.finalText).toBe('partial');
  });

  it('fails a clean exit that never finished a step: the task’s once it began, else unavailable', () => {
    const { outcome } = decode([stepStart, text('half')], exit(0));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      message: 'opencode exited without finishing a model step',
      failureClass: 'task',
    });
    const empty = decode([], exit(0, { stderrTail: 'agent "x" not found' }));
    expect(empty.outcome.error).toMatchObject({
      message: 'opencode exited without finishing a model step: agent "x" not found',
      failureClass: 'unavailable',
      retryable: false,
    });
  });

  it('fails a run that stopped asking for tools without a refusal', () => {
    const { outcome } = decode([stepStart, stepFinish('tool-calls')], exit(0));
    expect(outcome.error).toEqual({
      message: 'opencode stopped after a step that asked for tools, without an answer',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('fails an answer cut at the output limit, or stopped by a content filter, as the task’s', () => {
    const { outcome } = decode([stepStart, text('half an ans'), stepFinish('length')], exit(0));
    expect(outcome.error).toMatchObject({ kind: 'model', failureClass: 'task' });
    expect(outcome.status).toBe('failed');
    const filtered = decode([stepStart, stepFinish('content-filter')], exit(0));
    expect(filtered.outcome.error).toMatchObject({
      message: "the provider's content filter stopped the answer",
      failureClass: 'task',
    });
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
