import type { Conversation, DeclaredTool, ParseResult } from './conversation.js';
import { argumentsText, contentText, isRecord, joinText, stringOrNull } from './conversation.js';
import type { ReplyContext, ScriptedReply, WireApi } from './reply.js';
import { CREATED_AT, counterId, textDeltas } from './reply.js';
import type { SseFrame } from './sse.js';
import { jsonFrame } from './sse.js';
import { failedResponseFrames } from './stream-failure.js';
import type { TokenUsage } from './usage.js';

// Input items the model produced; a run of them in the history is one earlier model turn.
const MODEL_OUTPUT_ITEMS = new Set([
  'function_call',
  'custom_tool_call',
  'local_shell_call',
  'reasoning',
  'web_search_call',
  'file_search_call',
  'computer_call',
  'image_generation_call',
  'code_interpreter_call',
  'mcp_call',
]);

/** OpenAI Responses API (`POST /v1/responses`), the only wire API Codex speaks. */
export const responsesApi: WireApi = {
  kind: 'responses',
  errorFamily: 'openai',
  parse: parseResponsesRequest,
  stream: streamFrames,
  json: (reply, _conversation, context) => completedResponse(reply, context),
  streamFailure: failedResponseFrames,
};

function parseResponsesRequest(body: Record<string, unknown>): ParseResult {
  const input = body['input'];
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) {
    return { ok: false, message: '`input` must be a string or an array of input items' };
  }
  const parts: string[] = [];
  if (typeof body['instructions'] === 'string') parts.push(body['instructions']);
  let priorTurns = 0;
  if (typeof input === 'string') parts.push(input);
  else if (Array.isArray(input)) {
    let inModelOutput = false;
    for (const item of input) {
      if (!isRecord(item)) continue;
      parts.push(...itemText(item));
      const fromModel = isModelOutput(item);
      if (fromModel && !inModelOutput) priorTurns += 1;
      inModelOutput = fromModel;
    }
  }
  const conversation: Conversation = {
    api: 'responses',
    model: stringOrNull(body['model']),
    stream: body['stream'] === true,
    streamUsage: false,
    text: joinText(parts),
    priorTurns,
    tools: declaredTools(body['tools']),
  };
  return { ok: true, conversation };
}

function isModelOutput(item: Record<string, unknown>): boolean {
  const type = item['type'] ?? 'message';
  if (type === 'message') return item['role'] === 'assistant';
  return typeof type === 'string' && MODEL_OUTPUT_ITEMS.has(type);
}

function itemText(item: Record<string, unknown>): string[] {
  switch (item['type'] ?? 'message') {
    case 'message':
      return contentText(item['content']);
    case 'function_call':
      return argumentsText(item['arguments']);
    case 'custom_tool_call':
      return argumentsText(item['input']);
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'local_shell_call_output': {
      const output = item['output'];
      return typeof output === 'string' ? [output] : contentText(output);
    }
    default:
      return [];
  }
}

function declaredTools(tools: unknown): DeclaredTool[] {
  if (!Array.isArray(tools)) return [];
  const declared: DeclaredTool[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool['name'] !== 'string') continue;
    const schema = tool['parameters'];
    declared.push({ name: tool['name'], schema: isRecord(schema) ? schema : undefined });
  }
  return declared;
}

interface OutputItemIds {
  itemId: string;
  callId: string;
}

function idsFor(reply: ScriptedReply, seq: number): OutputItemIds {
  return {
    itemId: counterId(reply.kind === 'text' ? 'msg_' : 'fc_', seq),
    callId: counterId('call_', seq),
  };
}

function outputItem(reply: ScriptedReply, ids: OutputItemIds): Record<string, unknown> {
  if (reply.kind === 'text') {
    return {
      id: ids.itemId,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    };
  }
  return {
    id: ids.itemId,
    type: 'function_call',
    status: 'completed',
    call_id: ids.callId,
    name: reply.name,
    arguments: JSON.stringify(reply.arguments),
  };
}

function responseObject(
  context: ReplyContext,
  status: 'in_progress' | 'completed',
  output: unknown[],
  usage: TokenUsage | null,
): Record<string, unknown> {
  return {
    id: counterId('resp_', context.seq),
    object: 'response',
    created_at: CREATED_AT,
    status,
    error: null,
    incomplete_details: null,
    model: context.model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    usage:
      usage === null
        ? null
        : {
            input_tokens: usage.inputTokens,
            input_tokens_details: { cached_tokens: usage.cachedInputTokens },
            output_tokens: usage.outputTokens,
            output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
            total_tokens: usage.inputTokens + usage.outputTokens,
          },
  };
}

function completedResponse(reply: ScriptedReply, context: ReplyContext): unknown {
  const item = outputItem(reply, idsFor(reply, context.seq));
  return responseObject(context, 'completed', [item], reply.usage);
}

function streamFrames(
  reply: ScriptedReply,
  _conversation: Conversation,
  context: ReplyContext,
): SseFrame[] {
  const frames: SseFrame[] = [];
  const emit = (type: string, payload: Record<string, unknown>) => {
    frames.push(jsonFrame(type, { type, sequence_number: frames.length, ...payload }));
  };
  const ids = idsFor(reply, context.seq);
  const done = outputItem(reply, ids);
  const inProgress = responseObject(context, 'in_progress', [], null);
  emit('response.created', { response: inProgress });
  emit('response.in_progress', { response: inProgress });
  const at = { item_id: ids.itemId, output_index: 0 };
  if (reply.kind === 'text') {
    const part = { content_index: 0 };
    emit('response.output_item.added', {
      output_index: 0,
      item: { ...done, status: 'in_progress', content: [] },
    });
    emit('response.content_part.added', {
      ...at,
      ...part,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (const delta of textDeltas(reply.text)) {
      emit('response.output_text.delta', { ...at, ...part, delta, logprobs: [] });
    }
    emit('response.output_text.done', { ...at, ...part, text: reply.text, logprobs: [] });
    emit('response.content_part.done', {
      ...at,
      ...part,
      part: { type: 'output_text', text: reply.text, annotations: [] },
    });
  } else {
    const args = JSON.stringify(reply.arguments);
    emit('response.output_item.added', {
      output_index: 0,
      item: { ...done, status: 'in_progress', arguments: '' },
    });
    emit('response.function_call_arguments.delta', { ...at, delta: args });
    emit('response.function_call_arguments.done', { ...at, arguments: args });
  }
  emit('response.output_item.done', { output_index: 0, item: done });
  emit('response.completed', {
    response: responseObject(context, 'completed', [done], reply.usage),
  });
  return frames;
}
