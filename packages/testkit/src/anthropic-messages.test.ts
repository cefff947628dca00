import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessagesApi } from './anthropic-messages.js';
import type { ModelServer } from './server.js';
import { startModelServer } from './server.js';
import { post, readJsonEvents } from './test-support/http.js';

// Claude Code's Bash tool takes a command and an optional description.
const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a command',
  input_schema: {
    type: 'object',
    properties: { command: { type: 'string' }, description: { type: 'string' } },
    required: ['command'],
  },
};

function claudeRequest(messages: unknown[], stream = true) {
  return {
    model: 'stub-model',
    max_tokens: 32000,
    stream,
    system: [
      { type: 'text', text: 'You are Claude Code.' },
      { type: 'text', text: 'Be brief.' },
    ],
    tools: [BASH_TOOL],
    messages,
    metadata: { user_id: 'u' },
  };
}

const FIRST = [{ role: 'user', content: [{ type: 'text', text: 'say hi' }] }];
const AFTER_TOOL = [
  ...FIRST,
  {
    role: 'assistant',
    content: [
      { type: 'tool_use', id: 'toolu_000001', name: 'Bash', input: { command: 'echo hi' } },
    ],
  },
  {
    role: 'user',
    content: [{ type: 'tool_result', tool_use_id: 'toolu_000001', content: 'hi' }],
  },
];

const CLAUDE_HEADERS = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-secret' };

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer({
    defaultScript: [
      {
        toolCall: { command: 'echo hi', description: 'Say hi' },
        usage: { inputTokens: 30, outputTokens: 9 },
      },
      { text: 'All done.', usage: { inputTokens: 40, outputTokens: 2 } },
    ],
  });
});
afterEach(() => server.close());

describe('POST /v1/messages', () => {
  it('streams a tool_use block with input_json_delta, as Claude Code expects', async () => {
    const response = await post(
      server,
      '/v1/messages?beta=true',
      claudeRequest(FIRST),
      CLAUDE_HEADERS,
    );
    expect(response.status).toBe(200);
    const events = await readJsonEvents(response);
    expect(events.map((event) => event.event)).toEqual(events.map((event) => event.data.type));
    const usage = {
      input_tokens: 30,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    expect(events.map((event) => event.data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_000001',
          type: 'message',
          role: 'assistant',
          model: 'stub-model',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_000001', name: 'Bash', input: {} },
      },
      { type: 'ping' },
      {
        type: 'content_block_delta',
        index: 0,
        delta: {
          type: 'input_json_delta',
          partial_json: '{"command":"echo hi","description":"Say hi"}',
        },
      },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { ...usage, output_tokens: 9 },
      },
      { type: 'message_stop' },
    ]);
    expect(server.requests[0]).toMatchObject({
      path: '/v1/messages',
      query: { beta: 'true' },
      api: 'messages',
      turn: 0,
    });
  });

  it('streams text deltas once the history holds the tool_result', async () => {
    const events = await readJsonEvents(
      await post(server, '/v1/messages', claudeRequest(AFTER_TOOL), CLAUDE_HEADERS),
    );
    expect(events[1]?.data.content_block).toEqual({ type: 'text', text: '' });
    const text = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => event.data.delta);
    expect(text).toEqual([
      { type: 'text_delta', text: 'All ' },
      { type: 'text_delta', text: 'done.' },
    ]);
    expect(events.at(-2)?.data.delta.stop_reason).toBe('end_turn');
    expect(server.requests[0]?.text).toBe(
      'You are Claude Code.\nBe brief.\nsay hi\n{"command":"echo hi"}\nhi',
    );
  });

  it('answers a non-streamed request with one message', async () => {
    const response = await post(server, '/messages', claudeRequest(AFTER_TOOL, false));
    expect(await response.json()).toEqual({
      id: 'msg_000001',
      type: 'message',
      role: 'assistant',
      model: 'stub-model',
      content: [{ type: 'text', text: 'All done.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 40,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 2,
      },
    });
  });

  it('reports cached input apart from the rest, as Anthropic does', async () => {
    server.script({ api: 'messages' }, [
      { text: 'Cached.', usage: { inputTokens: 1000, cachedInputTokens: 800, outputTokens: 3 } },
    ]);
    const response = await post(server, '/messages', claudeRequest(FIRST, false));
    expect(((await response.json()) as { usage: unknown }).usage).toEqual({
      input_tokens: 200,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 800,
      output_tokens: 3,
    });
  });

  it('sends a scripted error in the Anthropic error shape', async () => {
    server.script({ api: 'messages' }, [
      { error: { status: 529, message: 'Overloaded', headers: { 'retry-after': '7' } } },
    ]);
    const response = await post(server, '/v1/messages?beta=true', claudeRequest(FIRST));
    expect(response.status).toBe(529);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });

  it('rejects malformed JSON with a 400 in the Anthropic shape', async () => {
    const response = await post(server, '/v1/messages?beta=true', '{"model": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'We could not parse the JSON body of your request.',
      },
    });
    expect(server.requests[0]).toMatchObject({ status: 400, body: '{"model": ', api: null });
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it('estimates the input tokens of the conversation', async () => {
    const response = await post(server, '/v1/messages/count_tokens?beta=true', {
      model: 'stub-model',
      system: 'abcd',
      messages: [{ role: 'user', content: 'efghijkl' }],
    });
    expect(response.status).toBe(200);
    // "abcd\nefghijkl" is 13 characters: 4 tokens at four characters a token.
    expect(await response.json()).toEqual({ input_tokens: 4 });
    expect(server.requests[0]).toMatchObject({
      endpoint: 'messages.count_tokens',
      api: null,
      model: 'stub-model',
    });
  });
});

describe('anthropicMessagesApi.parse', () => {
  it('reads a string system prompt and string contents', () => {
    const parsed = anthropicMessagesApi.parse({
      system: 'sys',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ],
    });
    expect(parsed).toMatchObject({
      ok: true,
      conversation: { text: 'sys\none\ntwo\nthree', priorTurns: 1, model: null },
    });
  });
});
