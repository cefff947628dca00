import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatCompletionsApi } from './chat-completions.js';
import type { ModelServer } from './server.js';
import { startModelServer } from './server.js';
import { post, readEvents, readJson, readJsonEvents } from './test-support/http.js';

// OpenCode 1.18's bash tool: command, timeout, workdir — no description.
const OPENCODE_BASH = {
  type: 'function',
  function: {
    name: 'bash',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string' },
        timeout: { type: 'integer' },
        workdir: { type: 'string' },
      },
      required: ['command'],
    },
  },
};

function chatRequest(messages: unknown[], extra: Record<string, unknown> = {}) {
  return {
    model: 'stub-model',
    max_tokens: 32000,
    messages,
    tools: [OPENCODE_BASH],
    tool_choice: 'auto',
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
}

const FIRST = [
  { role: 'system', content: 'You are opencode.' },
  { role: 'user', content: [{ type: 'text', text: 'say hi' }] },
];

const AFTER_TOOL = [
  ...FIRST,
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      {
        id: 'call_000001',
        type: 'function',
        function: { name: 'bash', arguments: '{"command":"echo hi"}' },
      },
    ],
  },
  { role: 'tool', tool_call_id: 'call_000001', content: 'hi\n' },
];

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer({
    defaultScript: [
      { toolCall: { command: 'echo hi' }, usage: { inputTokens: 5, outputTokens: 3 } },
      { text: 'Hello from stub', usage: { inputTokens: 11, outputTokens: 7 } },
    ],
  });
});
afterEach(() => server.close());

const chunkBase = { id: 'chatcmpl-000001', object: 'chat.completion.chunk', created: 1767225600 };

describe('POST /v1/chat/completions', () => {
  it('streams tool_calls deltas, a finish chunk, a usage chunk and [DONE]', async () => {
    const response = await post(server, '/v1/chat/completions', chatRequest(FIRST));
    expect(response.status).toBe(200);
    const events = await readJsonEvents(response);
    expect(events.every((event) => event.event === undefined)).toBe(true);
    expect(events.map((event) => event.data)).toEqual([
      {
        ...chunkBase,
        model: 'stub-model',
        choices: [
          {
            index: 0,
            delta: {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  index: 0,
                  id: 'call_000001',
                  type: 'function',
                  function: { name: 'bash', arguments: '' },
                },
              ],
            },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
      {
        ...chunkBase,
        model: 'stub-model',
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: '{"command":"echo hi"}' } }] },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
      {
        ...chunkBase,
        model: 'stub-model',
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }],
      },
      {
        ...chunkBase,
        model: 'stub-model',
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      },
      '[DONE]',
    ]);
  });

  it('streams the text turn once the history holds the tool result', async () => {
    const events = await readJsonEvents(
      await post(server, '/chat/completions', chatRequest(AFTER_TOOL)),
    );
    const content = events
      .filter((event) => event.data !== '[DONE]' && event.data.choices.length > 0)
      .map((event) => event.data.choices[0].delta.content);
    expect(content).toEqual(['', 'Hello ', 'from ', 'stub', undefined]);
    expect(events.at(-3)?.data.choices[0].finish_reason).toBe('stop');
    expect(events.at(-2)?.data.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 7,
      total_tokens: 18,
    });
    expect(server.requests[0]).toMatchObject({ turn: 1, api: 'chat', stream: true });
    expect(server.requests[0]?.text).toBe('You are opencode.\nsay hi\n{"command":"echo hi"}\nhi\n');
  });

  it('reports cached input and reasoning output in the usage details when a turn has them', async () => {
    server.script({}, [
      {
        text: 'Thought it through.',
        usage: { inputTokens: 120, cachedInputTokens: 80, outputTokens: 30, reasoningTokens: 12 },
      },
    ]);
    const events = await readJsonEvents(
      await post(server, '/v1/chat/completions', chatRequest(FIRST)),
    );
    expect(events.at(-2)?.data.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 80 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    const json = await readJson(
      await post(server, '/v1/chat/completions', chatRequest(FIRST, { stream: false })),
    );
    expect(json.usage.prompt_tokens_details).toEqual({ cached_tokens: 80 });
    expect(json.usage.completion_tokens_details).toEqual({ reasoning_tokens: 12 });
  });

  it('sends no usage chunk unless stream_options.include_usage asks for one', async () => {
    const response = await post(
      server,
      '/v1/chat/completions',
      chatRequest(AFTER_TOOL, { stream_options: undefined }),
    );
    const events = await readEvents(response);
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(events.some((event) => event.data.includes('"usage"'))).toBe(false);
  });

  it('answers a non-streamed request with one chat.completion', async () => {
    const toolResponse = await post(
      server,
      '/v1/chat/completions',
      chatRequest(FIRST, { stream: false }),
    );
    expect(await toolResponse.json()).toEqual({
      id: 'chatcmpl-000001',
      object: 'chat.completion',
      created: 1767225600,
      model: 'stub-model',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_000001',
                type: 'function',
                function: { name: 'bash', arguments: '{"command":"echo hi"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
    const textResponse = await post(
      server,
      '/v1/chat/completions',
      chatRequest(AFTER_TOOL, { stream: false }),
    );
    expect(await textResponse.json()).toMatchObject({
      id: 'chatcmpl-000002',
      choices: [
        { message: { role: 'assistant', content: 'Hello from stub' }, finish_reason: 'stop' },
      ],
    });
  });

  it('sends bash with a description when the request declares no tools', async () => {
    const response = await post(
      server,
      '/v1/chat/completions',
      chatRequest(FIRST, { tools: undefined, stream: false }),
    );
    const body = await readJson(response);
    expect(JSON.parse(body.choices[0].message.tool_calls[0].function.arguments)).toEqual({
      command: 'echo hi',
      description: 'Run a scripted command',
    });
  });

  it('rejects a request without messages in the OpenAI error shape', async () => {
    const response = await post(server, '/v1/chat/completions', { model: 'stub-model' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: '`messages` must be an array of chat messages',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });
});

describe('chatCompletionsApi.parse', () => {
  it('counts assistant messages as earlier turns', () => {
    const parsed = chatCompletionsApi.parse(chatRequest(AFTER_TOOL));
    expect(parsed).toMatchObject({
      ok: true,
      conversation: { priorTurns: 1, streamUsage: true, model: 'stub-model' },
    });
  });
});
