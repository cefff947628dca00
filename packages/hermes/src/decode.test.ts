import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { UNKNOWN_USAGE } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { classifyError, createHermesDecoder, parseUsageReport, usageFromReport } from './decode.js';

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
    expect(events).toEqual(ANSWER_LINES.map((text) => ({ type: 'text', text })));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe(ANSWER);
    expect(outcome.sessionId).toBe('20261121_141502_9f3c2a');
    expect(outcome.error).toBeNull();
  });

  it('normalises usage: cache reads join the input, auxiliary calls are added', () => {
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
      { type: 'text', text: 'Answer.' },
      { type: 'text', text: '' },
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
      message: 'hermes exited with 1: Error: Connection error.',
      kind: 'network',
      status: null,
      retryable: true,
    });
  });

  it('marks a crash before any output as retryable', () => {
    const { outcome } = decode(
      [],
      exit({ exitCode: 1, stderrTail: 'Traceback (most recent call last):\nKeyError: x\n' }),
    );
    expect(outcome.error).toEqual({
      message: 'hermes exited with 1: Traceback (most recent call last): | KeyError: x',
      kind: 'unknown',
      status: null,
      retryable: true,
    });
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
    expect(outcome.error?.message).toContain('hermes rejected its command line (exit 2)');
    expect(outcome.error?.message).toContain('unrecognized arguments: --source tool');
  });

  it('fails a kill by signal', () => {
    const { outcome } = decode(['started'], exit({ exitCode: null, signal: 'SIGKILL' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('hermes was stopped by SIGKILL');
  });

  it('fails an exit 0 without any answer', () => {
    const { outcome } = decode([], exit());
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message: 'hermes exited 0 without a final response',
      kind: 'model',
      status: null,
      retryable: false,
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

describe('classifyError', () => {
  it.each([
    ["Error code: 401 - {'error': 'bad key'}", 'auth', 401],
    ['Error code: 403 - forbidden', 'auth', 403],
    ["Error code: 429 - {'error': 'slow down'}", 'rate-limit', 429],
    ['Error code: 503 - upstream overloaded', 'server', 503],
    ['HTTP 404 model not found', 'model', 404],
    ['Connection error.', 'network', null],
    ['Request timed out.', 'timeout', null],
    ['Invalid API key provided', 'auth', null],
    ['The model `x` does not exist', 'model', null],
    ['something odd', 'unknown', null],
  ] as const)('%s → %s', (text, kind, status) => {
    expect(classifyError(text)).toEqual({ kind, status });
  });
});
