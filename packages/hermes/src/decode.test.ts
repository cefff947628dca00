import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createHermesDecoder, parseUsageReport, usageFromReport } from './decode.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const ANSWER_LINES = fixture('hermes-0.21-stdout-answer.txt').replace(/\n$/, '').split('\n');
const ANSWER = ANSWER_LINES.join('\n');

function exit(overrides: Partial<ProcessExit> = {}): ProcessExit {
  return { exitCode: 0, signal: null, stderrTail: '', resultFiles: { usage: null }, ...overrides };
}

function decode(lines: readonly string[], end: ProcessExit) {
  const decoder = createHermesDecoder();
  const events = lines.flatMap((line) => decoder.push(line));
  return { events, outcome: decoder.finish(end) };
}

describe('Hermes decoder', () => {
  it('turns each stdout line into text and the whole answer into the final text', () => {
    const { events, outcome } = decode(
      ANSWER_LINES,
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-completed.json') } }),
    );
    expect(events).toEqual(
      ANSWER_LINES.map((text, index) => ({
        type: 'text',
        text: index === 0 ? text : `\n${text}`,
        partial: true,
      })),
    );
    // The pieces joined as they are are the answer, whole: one message.
    expect(events.map((event) => (event as { text: string }).text).join('')).toBe(ANSWER);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe(ANSWER);
    expect(outcome.sessionId).toBe('20261121_141502_9f3c2a');
    expect(outcome.error).toBeNull();
  });

  it('normalises usage: cache reads join the input, auxiliary calls are added (the run of 3 API calls is already summed by Hermes)', () => {
    const { outcome } = decode(
      ANSWER_LINES,
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-completed.json') } }),
    );
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 4210 + 2048 + 310,
      cachedInputTokens: 2048,
      outputTokens: 512 + 14,
      reasoningTokens: 128,
      totalTokens: 7094,
      costUsd: expect.closeTo(0.0188, 10),
    });
  });

  it('reads the older report without auxiliary fields', () => {
    const { outcome } = decode(
      ['ok'],
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-legacy.json') } }),
    );
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 900,
      cachedInputTokens: 0,
      outputTokens: 60,
      reasoningTokens: 0,
      totalTokens: 960,
      costUsd: 0.0042,
    });
    expect(outcome.sessionId).toBe('20261001_080000_aa11bb');
  });

  it('keeps input_tokens as is when the report total shows cache reads are already inside', () => {
    expect(
      usageFromReport({
        input_tokens: 1000,
        cache_read_tokens: 400,
        output_tokens: 50,
        total_tokens: 1050,
      }),
    ).toEqual({
      known: true,
      inputTokens: 1000,
      cachedInputTokens: 400,
      outputTokens: 50,
      reasoningTokens: null,
      totalTokens: 1050,
      costUsd: null,
    });
  });

  it('reports usage as unknown when the report has no counts', () => {
    expect(usageFromReport({ session_id: 'x', completed: true })).toEqual(UNKNOWN_USAGE);
    expect(usageFromReport({ input_tokens: 'many' })).toEqual(UNKNOWN_USAGE);
  });

  it('fails a run whose report says failed, with the failure classified', () => {
    const { outcome } = decode(
      [],
      exit({
        exitCode: 1,
        stderrTail: 'hermes: agent failed',
        resultFiles: { usage: fixture('hermes-0.21-usage-failed.json') },
      }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message:
        "hermes exited with 1: Error code: 401 - {'error': {'message': 'No auth credentials found', 'code': 401}}",
      kind: 'auth',
      status: 401,
      retryable: false,
      failureClass: 'auth',
      retryAfterMs: null,
    });
    expect(outcome.usage.known).toBe(true);
    expect(outcome.usage.inputTokens).toBe(0);
  });

  it('fails a run that exits 0 while its report says failed', () => {
    const { outcome } = decode(
      ['I could not finish.'],
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-failed.json') } }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBe('I could not finish.');
    expect(outcome.error?.kind).toBe('auth');
    expect(outcome.error?.message).toBe(
      "Error code: 401 - {'error': {'message': 'No auth credentials found', 'code': 401}}",
    );
  });

  it('names the turn cap that stopped a capped run when its report says so', () => {
    const report = fixture('hermes-0.21-usage-partial.json');
    const capped = createHermesDecoder({ turnCapped: true });
    capped.push('half');
    const outcome = capped.finish(exit({ resultFiles: { usage: report } }));
    expect(outcome.error).toMatchObject({ failureClass: 'task', limitReached: 'turns' });
    // Without Baton's turn budget the same stop is the task's (Hermes's own agent.max_turns).
    expect(
      decode(['half'], exit({ resultFiles: { usage: report } })).outcome.error?.limitReached,
    ).toBeUndefined();
  });

  it('fails partial and interrupted runs even with exit 0', () => {
    const partial = decode(
      ['half'],
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-partial.json') } }),
    ).outcome;
    expect(partial.status).toBe('failed');
    expect(partial.error).toEqual({
      message: 'Hermes stopped partway (max_turns)',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
    expect(partial.sessionId).toBe('20261121_150000_0c0ffe');
    const interrupted = decode(
      ['x'],
      exit({ resultFiles: { usage: fixture('hermes-0.21-usage-interrupted.json') } }),
    ).outcome;
    expect(interrupted.status).toBe('failed');
    expect(interrupted.error?.message).toBe('Hermes reported the run as interrupted (interrupted)');
  });

  it('succeeds without a usage file, with usage unknown and the session id from stderr', () => {
    const { outcome } = decode(
      ANSWER_LINES,
      exit({ stderrTail: '\nsession_id: 20261121_160000_123abc\n' }),
    );
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: ANSWER,
      sessionId: '20261121_160000_123abc',
      usage: UNKNOWN_USAGE,
      error: null,
    });
  });

  it('treats a session_id line on stdout as session info, not answer text', () => {
    const { events, outcome } = decode(['Answer.', '', 'session_id: 20261121_1_x'], exit());
    expect(events).toEqual([
      { type: 'text', text: 'Answer.', partial: true },
      { type: 'text', text: '\n', partial: true },
      { type: 'session', sessionId: '20261121_1_x' },
    ]);
    expect(outcome.finalText).toBe('Answer.');
    expect(outcome.sessionId).toBe('20261121_1_x');
  });

  it('fails a nonzero exit even with an answer, and classifies stderr', () => {
    const { outcome } = decode(
      ['partial answer'],
      exit({ exitCode: 1, stderrTail: 'Error: Connection error.\n' }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'hermes exited with 1: partial answer',
      kind: 'network',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
  });

  it('calls an unexplained exit before any answer unavailable, and one after an answer the task', () => {
    const before = decode(
      [],
      exit({ exitCode: 1, stderrTail: 'Traceback (most recent call last):\nKeyError: x\n' }),
    ).outcome;
    expect(before.error).toEqual({
      message: 'hermes exited with 1: Traceback (most recent call last): | KeyError: x',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
      retryAfterMs: null,
    });
    const after = decode(['I changed two files.'], exit({ exitCode: 1 })).outcome;
    expect(after.error).toMatchObject({ failureClass: 'task', kind: 'unknown' });
    expect(after.error?.message).toBe('hermes exited with 1: I changed two files.');
  });

  it('explains a rejected command line instead of retrying it', () => {
    const { outcome } = decode(
      [],
      exit({
        exitCode: 2,
        stderrTail: 'usage: hermes [-h]\nhermes: error: unrecognized arguments: --source tool\n',
      }),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.retryable).toBe(false);
    expect(outcome.error?.failureClass).toBe('unavailable');
    expect(outcome.error?.message).toContain('hermes rejected its command line (exit 2)');
    expect(outcome.error?.message).toContain('unrecognized arguments: --source tool');
  });

  it('fails a kill by signal as a transient crash', () => {
    const { outcome } = decode(['started'], exit({ exitCode: null, signal: 'SIGKILL' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('hermes was stopped by SIGKILL');
    expect(outcome.error?.failureClass).toBe('transient');
  });

  it('fails an exit 0 without any answer', () => {
    const { outcome } = decode([], exit());
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'hermes exited 0 without a final response',
      kind: 'model',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('fails with a clear error when the usage report is unreadable', () => {
    for (const [text, reason] of [
      ['{"input_tokens": 12, "outp', 'not JSON'],
      ['', 'the file is empty'],
      ['[1, 2]', 'not a JSON object'],
    ] as const) {
      const { outcome } = decode(['answer'], exit({ resultFiles: { usage: text } }));
      expect(outcome.status).toBe('failed');
      expect(outcome.error?.message).toContain('usage report is unreadable');
      expect(outcome.error?.message).toContain(reason);
    }
  });

  it('strips terminal escape sequences from answer lines', () => {
    const { outcome } = decode(['\u001b[1mBold\u001b[0m answer\r'], exit());
    expect(outcome.finalText).toBe('Bold answer');
  });

  it('handles a missing usage entry in resultFiles like a missing file', () => {
    const { outcome } = decode(['fine'], {
      exitCode: 0,
      signal: null,
      stderrTail: '',
      resultFiles: {},
    });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage).toEqual(UNKNOWN_USAGE);
  });
});

describe('parseUsageReport', () => {
  it('distinguishes missing, unreadable and readable reports', () => {
    expect(parseUsageReport(null)).toEqual({ status: 'missing' });
    expect(parseUsageReport('{}')).toEqual({ status: 'ok', report: {} });
    expect(parseUsageReport('nope').status).toBe('unreadable');
  });
});

describe('usageFromReport', () => {
  it('counts cache writes into the prompt as well, as Hermes does', () => {
    expect(
      usageFromReport({
        input_tokens: 1000,
        cache_read_tokens: 400,
        cache_write_tokens: 100,
        output_tokens: 50,
        total_tokens: 1550,
        estimated_cost_usd: 0.01,
      }),
    ).toEqual({
      known: true,
      inputTokens: 1500,
      cachedInputTokens: 400,
      outputTokens: 50,
      reasoningTokens: null,
      totalTokens: 1550,
      costUsd: 0.01,
    });
  });

  it('keeps the cost unknown when Hermes could not price the model', () => {
    const usage = usageFromReport({
      input_tokens: 10,
      output_tokens: 2,
      estimated_cost_usd: 0,
      cost_status: 'unknown',
    });
    expect(usage.costUsd).toBeNull();
    expect(usage.inputTokens).toBe(10);
  });
});

/** A `hermes chat -Q` run as Hermes 0.21.3 prints it (see __fixtures__/README.md). */
function chatRun(name: string) {
  const run = JSON.parse(fixture(`hermes-0.21.3-chat-q-${name}.json`)) as {
    stdout: string;
    stderr: string;
    exitCode: number;
  };
  const lines = run.stdout === '' ? [] : run.stdout.replace(/\n$/, '').split('\n');
  return decode(lines, exit({ exitCode: run.exitCode, stderrTail: run.stderr }));
}

describe('Hermes 0.21 chat -Q failures', () => {
  it.each([
    ['http-401', 'auth', 'auth', 401, null],
    ['http-402-billing', 'quota_exhausted', 'rate-limit', 402, null],
    ['http-429-retries', 'rate_limited', 'rate-limit', 429, 20_000],
    ['insufficient-quota', 'quota_exhausted', 'rate-limit', 429, null],
    ['http-500-retries', 'transient', 'server', 500, null],
    ['http-529-overloaded', 'transient', 'server', 529, null],
    ['connection-error', 'unavailable', 'network', null, null],
    ['offline', 'unavailable', 'network', null, null],
    ['context-overflow', 'task', 'model', null, null],
    ['error-no-response', 'transient', 'server', 503, null],
    ['not-configured', 'auth', 'auth', null, null],
    ['model-refused', 'unavailable', 'unknown', null, null],
    ['interrupted', 'transient', 'unknown', null, null],
    ['empty-sentinel', 'task', 'model', null, null],
    ['session-not-found', 'task', 'unknown', null, null],
    ['unrecognized-arguments', 'unavailable', 'unknown', null, null],
  ] as const)('%s → %s', (name, failureClass, kind, status, retryAfterMs) => {
    const { outcome } = chatRun(name);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ failureClass, kind, status, retryAfterMs });
    expect(outcome.error?.retryable).toBe(
      failureClass === 'rate_limited' || failureClass === 'transient',
    );
  });

  it('names the failure with the summary Hermes printed, and keeps the session id', () => {
    const { outcome, events } = chatRun('http-429-retries');
    expect(outcome.error?.message).toBe(
      'hermes exited with 1: API call failed after 3 retries: HTTP 429: Rate limit reached for requests. Please try again in 20s.',
    );
    expect(outcome.sessionId).toBe('20261121_141502_9f3c2a');
    expect(outcome.usage).toEqual(UNKNOWN_USAGE);
    expect(events).toEqual([
      {
        type: 'text',
        text: 'API call failed after 3 retries: HTTP 429: Rate limit reached for requests. Please try again in 20s.',
        partial: true,
      },
    ]);
  });

  it('says when the session to resume was not found, so the engine can restart the stage', () => {
    expect(chatRun('session-not-found').outcome.error?.sessionNotFound).toBe(true);
    expect(chatRun('http-429-retries').outcome.error?.sessionNotFound).toBeUndefined();
  });

  it('keeps the session id of an interrupted turn, so it can be resumed', () => {
    expect(chatRun('interrupted').outcome.sessionId).toBe('20261121_141502_9f3c2a');
  });

  it('succeeds on a completed turn, with the session id from stderr and usage unknown', () => {
    const { outcome } = chatRun('answer');
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'The change is in place.\nTests pass (12 of 12).',
      sessionId: '20261121_141502_9f3c2a',
      usage: UNKNOWN_USAGE,
      error: null,
    });
  });

  it('cannot tell a turn stopped by --max-turns from a finished one (chat -Q exits 0)', () => {
    const { outcome } = chatRun('turn-cap');
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('I ran out of iterations; the tests still fail in two places.');
  });

  it('never classifies a successful answer that quotes an error', () => {
    const { outcome } = decode(
      ['The API returned HTTP 429: Rate limit reached; I added a retry.'],
      exit({ stderrTail: '\nsession_id: x\n' }),
    );
    expect(outcome.status).toBe('succeeded');
  });
});
