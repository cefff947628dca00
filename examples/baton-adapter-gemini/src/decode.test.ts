import { readFileSync } from 'node:fs';
import type { ProcessExit, RuntimeEvent } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { classifyGeminiError, createGeminiDecoder, usageFromStats } from './decode.js';

// The fixtures are written from Gemini CLI 0.56.0's documented event format, not captured:
// see __fixtures__/README.md.
function fixture(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

function exit(overrides: Partial<ProcessExit> = {}): ProcessExit {
  return { exitCode: 0, signal: null, stderrTail: '', resultFiles: {}, ...overrides };
}

function decode(text: string, end: ProcessExit) {
  const decoder = createGeminiDecoder();
  const events: RuntimeEvent[] = [];
  for (const line of text.split('\n')) events.push(...decoder.push(line));
  return { events, outcome: decoder.finish(end) };
}

const SIMPLE_USAGE = {
  known: true,
  inputTokens: 1250,
  cachedInputTokens: 1000,
  outputTokens: 12,
  reasoningTokens: null,
  totalTokens: 1290,
  costUsd: null,
};

describe('createGeminiDecoder over the documented stream-json format', () => {
  it('decodes a plain answer: session, one text per message, usage, result', () => {
    const { events, outcome } = decode(fixture('gemini-0.56.0-documented-simple.jsonl'), exit());
    expect(events).toEqual([
      { type: 'session', sessionId: '5f0c2f8e-0a4b-4c1e-9d7a-3e2b1c0d9f8a' },
      { type: 'text', text: 'Hello from Gemini.' },
      { type: 'usage', usage: SIMPLE_USAGE },
      { type: 'result', text: 'Hello from Gemini.' },
    ]);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from Gemini.',
      sessionId: '5f0c2f8e-0a4b-4c1e-9d7a-3e2b1c0d9f8a',
      usage: SIMPLE_USAGE,
      error: null,
    });
  });

  it('decodes tool calls, started then completed or failed, and answers with the last message', () => {
    const { events, outcome } = decode(
      fixture('gemini-0.56.0-documented-tool-calls.jsonl'),
      exit(),
    );
    expect(events).toEqual([
      { type: 'session', sessionId: '0b7d6a51-93c4-4f0e-8a55-2f1e6d3c4b21' },
      { type: 'text', text: 'I will read the README.' },
      {
        type: 'tool-use',
        name: 'read_file',
        id: 'read_file-1755853502350-1',
        status: 'started',
        input: { file_path: 'README' },
        output: null,
      },
      {
        type: 'tool-use',
        name: 'read_file',
        id: 'read_file-1755853502350-1',
        status: 'failed',
        input: { file_path: 'README' },
        output: 'File not found.',
      },
      {
        type: 'tool-use',
        name: 'read_file',
        id: 'read_file-1755853504020-2',
        status: 'started',
        input: { file_path: 'README.md' },
        output: null,
      },
      {
        type: 'tool-use',
        name: 'read_file',
        id: 'read_file-1755853504020-2',
        status: 'completed',
        input: { file_path: 'README.md' },
        output: '',
      },
      { type: 'text', text: 'The README says hello.' },
      {
        type: 'usage',
        usage: {
          known: true,
          inputTokens: 8820,
          cachedInputTokens: 0,
          outputTokens: 61,
          reasoningTokens: null,
          totalTokens: 9107,
          costUsd: null,
        },
      },
      { type: 'result', text: 'The README says hello.' },
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe('The README says hello.');
  });

  it('turns an API 429 into a failed, retryable rate-limit outcome', () => {
    const { events, outcome } = decode(
      fixture('gemini-0.56.0-documented-api-error-429.jsonl'),
      exit({ exitCode: 1 }),
    );
    const message =
      '[API Error: Resource has been exhausted (e.g. check quota). (Status: RESOURCE_EXHAUSTED)]\n' +
      'Please wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method';
    expect(events.at(-1)).toEqual({
      type: 'error',
      message,
      kind: 'rate-limit',
      status: 429,
      fatal: true,
    });
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: 'c3e1a9f2-7d44-4b8e-b1a0-6f5e2d9c8a17',
      usage: {
        known: true,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
        reasoningTokens: null,
        totalTokens: 0,
        costUsd: null,
      },
      error: {
        message,
        kind: 'rate-limit',
        status: 429,
        retryable: true,
        failureClass: 'rate_limited',
        retryAfterMs: null,
      },
    });
  });

  it('fails an empty model response even though the process exits 0', () => {
    const { events, outcome } = decode(
      fixture('gemini-0.56.0-documented-invalid-stream.jsonl'),
      exit(),
    );
    const message =
      'The model returned an empty text response. If your context window is near capacity, try using /compress.';
    expect(events.filter((event) => event.type === 'error')).toEqual([
      { type: 'error', message, kind: 'model', status: null, fatal: false },
      { type: 'error', message, kind: 'model', status: null, fatal: true },
    ]);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      message,
      kind: 'model',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('reports warnings, skips unknown events and user messages, and flags lines that are not JSON', () => {
    const decoder = createGeminiDecoder();
    expect(
      decoder.push(
        '{"type":"error","timestamp":"t","severity":"warning","message":"Loop detected, stopping execution"}',
      ),
    ).toEqual([{ type: 'warning', message: 'Loop detected, stopping execution' }]);
    expect(decoder.push('{"type":"thought","timestamp":"t","subject":"x"}')).toEqual([]);
    expect(
      decoder.push('{"type":"message","timestamp":"t","role":"user","content":"the whole prompt"}'),
    ).toEqual([]);
    expect(decoder.push('Loaded cached credentials.')).toEqual([
      {
        type: 'warning',
        message: 'gemini printed a line that is not JSON: Loaded cached credentials.',
      },
    ]);
    expect(decoder.push('[1,2]')).toEqual([
      { type: 'warning', message: 'gemini printed JSON that is not an event: [1,2]' },
    ]);
    expect(decoder.push('   ')).toEqual([]);
  });

  it('fails on a documented exit code with no output: 41 is an authentication error', () => {
    const stderr =
      'Please set an Auth method in your /home/ada/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA\n';
    const outcome = createGeminiDecoder().finish(exit({ exitCode: 41, stderrTail: stderr }));
    expect(outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: null,
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
        message: `gemini exited with code 41: ${stderr.trim()}`,
        kind: 'auth',
        status: null,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
  });

  it('fails an untrusted workspace (exit 55) as a permission problem', () => {
    const outcome = createGeminiDecoder().finish(
      exit({ exitCode: 55, stderrTail: 'Gemini CLI is not running in a trusted directory.' }),
    );
    expect(outcome.error).toEqual({
      message: 'gemini exited with code 55: Gemini CLI is not running in a trusted directory.',
      kind: 'permission',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('retries a crash before any output, but not a documented refusal', () => {
    const crash = createGeminiDecoder().finish(
      exit({ exitCode: 1, stderrTail: 'Segmentation fault' }),
    );
    expect(crash.status).toBe('failed');
    expect(crash.error).toEqual({
      message: 'gemini exited with code 1: Segmentation fault',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    const killed = createGeminiDecoder().finish(exit({ exitCode: null, signal: 'SIGKILL' }));
    expect(killed.error).toEqual({
      message: 'gemini was stopped by SIGKILL',
      kind: 'unknown',
      status: null,
      retryable: true,
      failureClass: 'transient',
      retryAfterMs: null,
    });
    const config = createGeminiDecoder().finish(exit({ exitCode: 52, stderrTail: 'bad settings' }));
    expect(config.error?.retryable).toBe(false);
    const turns = createGeminiDecoder();
    turns.push('{"type":"init","timestamp":"t","session_id":"s-1","model":"m"}');
    expect(turns.finish(exit({ exitCode: 1 })).error?.retryable).toBe(false);
  });

  it('fails a run that ends without a result event, keeping the text so far', () => {
    const decoder = createGeminiDecoder();
    decoder.push('{"type":"init","timestamp":"t","session_id":"s-2","model":"m"}');
    decoder.push(
      '{"type":"message","timestamp":"t","role":"assistant","content":"Half an","delta":true}',
    );
    const outcome = decoder.finish(exit());
    expect(outcome).toMatchObject({
      status: 'failed',
      finalText: 'Half an',
      sessionId: 's-2',
      error: { message: 'gemini exited without a result event', kind: 'unknown', retryable: false },
    });
  });

  it('says when the output held no JSON event at all', () => {
    const decoder = createGeminiDecoder();
    decoder.push('Hello in plain text');
    expect(decoder.finish(exit()).error?.message).toBe(
      'gemini printed no JSON events (is it a version without --output-format stream-json?)',
    );
  });

  it('a result error without its own message takes the last error event', () => {
    const decoder = createGeminiDecoder();
    decoder.push(
      '{"type":"error","timestamp":"t","severity":"error","message":"Maximum session turns exceeded"}',
    );
    decoder.push('{"type":"result","timestamp":"t","status":"error"}');
    expect(decoder.finish(exit({ exitCode: 53 })).error).toEqual({
      message: 'Maximum session turns exceeded',
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
    });
  });

  it('a failed result wins over a clean exit, a successful one over nothing', () => {
    const ok = createGeminiDecoder();
    ok.push('{"type":"result","timestamp":"t","status":"success"}');
    expect(ok.finish(exit())).toEqual({
      status: 'succeeded',
      finalText: null,
      sessionId: null,
      usage: {
        known: false,
        inputTokens: null,
        cachedInputTokens: null,
        outputTokens: null,
        reasoningTokens: null,
        totalTokens: null,
        costUsd: null,
      },
      error: null,
    });
    const okButKilled = createGeminiDecoder();
    okButKilled.push('{"type":"result","timestamp":"t","status":"success"}');
    expect(okButKilled.finish(exit({ exitCode: 130 })).status).toBe('failed');
  });
});

describe('classifyGeminiError', () => {
  it('names failures by error class first', () => {
    expect(classifyGeminiError('FatalAuthenticationError', 'whatever')).toEqual({
      kind: 'auth',
      status: null,
      retryable: false,
    });
    expect(classifyGeminiError('FatalSandboxError', 'x').kind).toBe('permission');
    expect(classifyGeminiError('FatalCancellationError', 'Operation cancelled.')).toEqual({
      kind: 'unknown',
      status: null,
      retryable: false,
    });
  });

  it('reads Google API status names and HTTP codes', () => {
    expect(classifyGeminiError('unknown', '[API Error: x (Status: UNAVAILABLE)]')).toEqual({
      kind: 'server',
      status: 503,
      retryable: true,
    });
    expect(
      classifyGeminiError(null, '[API Error: Model not ready (Status: INVALID_ARGUMENT)]'),
    ).toEqual({ kind: 'model', status: 400, retryable: false });
    // The Gemini API refuses a bad key with 400 INVALID_ARGUMENT.
    expect(
      classifyGeminiError(
        null,
        '[API Error: API key not valid. Please pass a valid API key. (Status: INVALID_ARGUMENT)]',
      ),
    ).toEqual({ kind: 'auth', status: 400, retryable: false });
    expect(classifyGeminiError(null, '[API Error: x (Status: UNAUTHENTICATED)]').kind).toBe('auth');
    expect(
      classifyGeminiError(null, 'got status: 500 Internal Server Error. {"error":{"code":500}}'),
    ).toEqual({ kind: 'server', status: 500, retryable: true });
    expect(classifyGeminiError(null, '[API Error: x (Status: DEADLINE_EXCEEDED)]').kind).toBe(
      'timeout',
    );
  });

  it('does not retry a daily quota', () => {
    expect(
      classifyGeminiError(
        'unknown',
        '[API Error: x (Status: RESOURCE_EXHAUSTED)]\nYou have reached your daily quota limit.',
      ),
    ).toEqual({ kind: 'rate-limit', status: 429, retryable: false });
  });

  it('recognises network and auth failures without a status', () => {
    expect(classifyGeminiError(null, 'fetch failed: connect ECONNREFUSED 127.0.0.1:4000')).toEqual({
      kind: 'network',
      status: null,
      retryable: true,
    });
    expect(
      classifyGeminiError(
        null,
        'When using Gemini API, you must specify the GEMINI_API_KEY environment variable.',
      ),
    ).toEqual({ kind: 'auth', status: null, retryable: false });
    expect(classifyGeminiError(null, 'something odd')).toEqual({
      kind: 'unknown',
      status: null,
      retryable: false,
    });
  });
});

describe('usageFromStats', () => {
  it('keeps cached tokens inside inputTokens and falls back to input + output for the total', () => {
    expect(usageFromStats({ input_tokens: 100, output_tokens: 5, cached: 40 })).toEqual({
      known: true,
      inputTokens: 100,
      cachedInputTokens: 40,
      outputTokens: 5,
      reasoningTokens: null,
      totalTokens: 105,
      costUsd: null,
    });
  });

  it('has no usage without token counts', () => {
    expect(usageFromStats(undefined)).toBeNull();
    expect(usageFromStats({ duration_ms: 4 })).toBeNull();
  });
});
