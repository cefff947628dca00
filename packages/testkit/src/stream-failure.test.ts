import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelServer } from './server.js';
import { startModelServer } from './server.js';
import { post, readJsonEvents } from './test-support/http.js';

const USER_TURN = {
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: 'say hi' }],
};

function responsesRequest(stream: boolean) {
  return { model: 'stub-model', input: [USER_TURN], stream };
}

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer();
});
afterEach(() => server.close());

describe('error fields', () => {
  it('adds fields to the error object of the body: a Codex usage limit', async () => {
    server.script({}, [
      {
        error: {
          status: 429,
          message: 'The usage limit has been reached',
          type: 'usage_limit_reached',
          fields: { plan_type: 'plus', resets_at: 1_767_229_200 },
        },
      },
    ]);
    const response = await post(server, '/v1/responses', responsesRequest(true));
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({
      error: {
        message: 'The usage limit has been reached',
        type: 'usage_limit_reached',
        param: null,
        code: 'rate_limit_exceeded',
        plan_type: 'plus',
        resets_at: 1_767_229_200,
      },
    });
  });

  it('lets fields override a default member, in the Anthropic shape too', async () => {
    server.script({}, [{ error: { status: 400, fields: { type: 'billing_error', extra: 1 } } }]);
    const response = await post(server, '/v1/messages', {
      model: 'stub-model',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'billing_error', message: 'Scripted error: HTTP 400', extra: 1 },
    });
  });
});

describe('inStream errors', () => {
  it('fails a streamed Responses request inside the stream: response.created, then response.failed', async () => {
    server.script({}, [
      {
        error: {
          status: 429,
          message: 'Rate limit reached. Please try again in 2.5s.',
          inStream: true,
        },
        times: 1,
      },
      { text: 'After the limit.' },
    ]);
    const response = await post(server, '/v1/responses', responsesRequest(true));
    expect(response.status).toBe(200);
    const events = await readJsonEvents(response);
    expect(events.map((event) => event.event)).toEqual(['response.created', 'response.failed']);
    expect(events[0]?.data.response).toMatchObject({ status: 'in_progress', error: null });
    expect(events[1]?.data).toEqual({
      type: 'response.failed',
      sequence_number: 1,
      response: {
        id: 'resp_000001',
        object: 'response',
        created_at: 1_767_225_600,
        status: 'failed',
        error: {
          message: 'Rate limit reached. Please try again in 2.5s.',
          type: 'rate_limit_error',
          param: null,
          code: 'rate_limit_exceeded',
        },
        incomplete_details: null,
        model: 'stub-model',
        output: [],
        usage: null,
      },
    });
    expect(server.requests[0]?.status).toBe(200);
    // `times` counts in-stream failures like HTTP ones: the retry gets the next turn.
    const retry = await readJsonEvents(await post(server, '/v1/responses', responsesRequest(true)));
    expect(retry.at(-1)?.event).toBe('response.completed');
  });

  it('answers a non-streamed request with the HTTP error instead', async () => {
    server.script({}, [
      { error: { status: 429, inStream: true, headers: { 'retry-after': '2' } } },
    ]);
    const response = await post(server, '/v1/responses', responsesRequest(false));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
  });

  it('says so when the API has no in-stream failure here', async () => {
    server.script({}, [{ error: { status: 429, inStream: true } }]);
    const response = await post(server, '/v1/chat/completions', {
      model: 'stub-model',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).toContain(
      'an inStream error is not supported on the chat API',
    );
  });
});

describe('cached and reasoning tokens', () => {
  it('reports scripted cached input and reasoning tokens in the Responses usage', async () => {
    server.script({}, [
      {
        text: 'Cached.',
        usage: { inputTokens: 300, cachedInputTokens: 200, outputTokens: 40, reasoningTokens: 25 },
      },
    ]);
    const events = await readJsonEvents(
      await post(server, '/v1/responses', responsesRequest(true)),
    );
    expect(events.at(-1)?.data.response.usage).toEqual({
      input_tokens: 300,
      input_tokens_details: { cached_tokens: 200 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 25 },
      total_tokens: 340,
    });
  });
});

describe('script validation', () => {
  it('rejects malformed fields, inStream and usage keys when the script is registered', () => {
    expect(() => server.script({}, [{ error: { status: 429, fields: [] as never } }])).toThrow(
      'turns[0]: error.fields must be an object',
    );
    expect(() => server.script({}, [{ error: { status: 429, inStream: 'yes' as never } }])).toThrow(
      'turns[0]: error.inStream must be true or false',
    );
    expect(() => server.script({}, [{ text: 'x', usage: { cachedTokens: 1 } as never }])).toThrow(
      'turns[0]: unknown usage key "cachedTokens"; use inputTokens, outputTokens, cachedInputTokens, reasoningTokens',
    );
  });
});
