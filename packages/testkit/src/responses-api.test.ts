import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { responsesApi } from './responses-api.js';
import type { ModelServer } from './server.js';
import { startModelServer } from './server.js';
import { post, readJsonEvents } from './test-support/http.js';

// The shape of a Codex request: developer + user messages, its `exec_command` tool.
const EXEC_COMMAND_TOOL = {
  type: 'function',
  name: 'exec_command',
  parameters: {
    type: 'object',
    properties: { cmd: { type: 'string' }, workdir: { type: 'string' } },
    required: ['cmd'],
  },
};

function codexRequest(input: unknown[], stream = true) {
  return {
    model: 'stub-model',
    instructions: 'You are Codex.',
    input,
    tools: [EXEC_COMMAND_TOOL],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    stream,
    store: false,
  };
}

const USER_TURN = {
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: 'say hi' }],
};

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer({
    defaultScript: [
      { toolCall: { command: 'echo stub-tool-ok' }, usage: { inputTokens: 11, outputTokens: 3 } },
      { text: 'Hello from stub', usage: { inputTokens: 20, outputTokens: 4 } },
    ],
  });
});
afterEach(() => server.close());

describe('POST /v1/responses', () => {
  it('streams a tool call as a function_call item Codex runs', async () => {
    const response = await post(server, '/v1/responses', codexRequest([USER_TURN]));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readJsonEvents(response);
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.data.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const item = {
      id: 'fc_000001',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_000001',
      name: 'exec_command',
      arguments: '{"cmd":"echo stub-tool-ok"}',
    };
    expect(events[5]?.data).toEqual({
      type: 'response.output_item.done',
      sequence_number: 5,
      output_index: 0,
      item,
    });
    expect(events[6]?.data.response).toMatchObject({
      id: 'resp_000001',
      status: 'completed',
      model: 'stub-model',
      output: [item],
      usage: {
        input_tokens: 11,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 3,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 14,
      },
    });
  });

  it('answers the follow-up that carries the tool output with the text turn', async () => {
    const followUp = codexRequest([
      USER_TURN,
      {
        type: 'function_call',
        call_id: 'call_000001',
        name: 'exec_command',
        arguments: '{"cmd":"echo stub-tool-ok"}',
      },
      { type: 'function_call_output', call_id: 'call_000001', output: 'stub-tool-ok\n' },
    ]);
    const events = await readJsonEvents(await post(server, '/v1/responses', followUp));
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.filter((event) => event.event === 'response.output_text.delta');
    expect(deltas.map((event) => event.data.delta)).toEqual(['Hello ', 'from ', 'stub']);
    expect(events[9]?.data.item).toEqual({
      id: 'msg_000001',
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Hello from stub', annotations: [] }],
    });
    expect(events[10]?.data.response.usage.total_tokens).toBe(24);
    expect(server.requests[0]?.turn).toBe(1);
    expect(server.requests[0]?.text).toBe(
      'You are Codex.\nsay hi\n{"cmd":"echo stub-tool-ok"}\nstub-tool-ok\n',
    );
  });

  it('answers a non-streamed request with the completed response object', async () => {
    const response = await post(server, '/responses', codexRequest([USER_TURN], false));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.json();
    expect(body).toMatchObject({
      id: 'resp_000001',
      object: 'response',
      status: 'completed',
      output: [{ type: 'function_call', name: 'exec_command' }],
    });
  });

  it('sends a scripted error in the OpenAI error shape', async () => {
    server.script({ model: 'broken' }, [{ error: { status: 503, message: 'overloaded' } }]);
    const response = await post(server, '/v1/responses', {
      ...codexRequest([USER_TURN]),
      model: 'broken',
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: { message: 'overloaded', type: 'server_error', param: null, code: null },
    });
  });

  it('rejects an input that is neither a string nor a list', async () => {
    const response = await post(server, '/v1/responses', { model: 'm', input: 42 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('`input`') },
    });
  });
});

describe('responsesApi.parse', () => {
  it('counts each run of model output items as one earlier turn', () => {
    const parsed = responsesApi.parse({
      input: [
        USER_TURN,
        { type: 'reasoning', summary: [] },
        { type: 'function_call', call_id: 'a', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 'a', output: 'one' },
        { type: 'function_call', call_id: 'b', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 'b', output: 'two' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
        { role: 'user', content: 'again' },
      ],
    });
    expect(parsed.ok && parsed.conversation.priorTurns).toBe(3);
    expect(parsed.ok && parsed.conversation.text).toBe('say hi\n{}\none\n{}\ntwo\ndone\nagain');
  });

  it('takes a plain string input as the first turn', () => {
    const parsed = responsesApi.parse({ model: 'm', input: 'hello', instructions: 'sys' });
    expect(parsed).toMatchObject({
      ok: true,
      conversation: { model: 'm', text: 'sys\nhello', priorTurns: 0, stream: false },
    });
  });
});
