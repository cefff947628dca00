import type { Conversation, DeclaredTool, ParseResult } from './conversation.js';
import { argumentsText, contentText, isRecord, joinText, stringOrNull } from './conversation.js';
import type { ReplyContext, ScriptedReply, WireApi } from './reply.js';
import { counterId, textDeltas } from './reply.js';
import type { SseFrame } from './sse.js';
import { jsonFrame } from './sse.js';
import type { TokenUsage } from './usage.js';
import { estimateTokens } from './usage.js';

/** Anthropic Messages (`POST /v1/messages`, `?beta=true` from Claude Code). */
export const anthropicMessagesApi: WireApi = {
  kind: 'messages',
  errorFamily: 'anthropic',
  parse: parseMessagesRequest,
  stream: streamFrames,
  json: message,
};

function parseMessagesRequest(body: Record<string, unknown>): ParseResult {
  const messages = body['messages'];
  if (!Array.isArray(messages)) {
    return { ok: false, message: 'messages: Field required (an array of messages)' };
  }
  const parts: string[] = contentText(body['system']);
  let priorTurns = 0;
  for (const entry of messages) {
    if (!isRecord(entry)) continue;
    if (entry['role'] === 'assistant') priorTurns += 1;
    parts.push(...blocksText(entry['content']));
  }
  const conversation: Conversation = {
    api: 'messages',
    model: stringOrNull(body['model']),
    stream: body['stream'] === true,
    streamUsage: false,
    text: joinText(parts),
    priorTurns,
    tools: declaredTools(body['tools']),
  };
  return { ok: true, conversation };
}

function blocksText(content: unknown): string[] {
  if (!Array.isArray(content)) return contentText(content);
  const parts: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block['type'] === 'tool_use') parts.push(...argumentsText(block['input']));
    else if (block['type'] === 'tool_result') parts.push(...contentText(block['content']));
    else parts.push(...contentText([block]));
  }
  return parts;
}

function declaredTools(tools: unknown): DeclaredTool[] {
  if (!Array.isArray(tools)) return [];
  const declared: DeclaredTool[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool['name'] !== 'string') continue;
    const schema = tool['input_schema'];
    declared.push({ name: tool['name'], schema: isRecord(schema) ? schema : undefined });
  }
  return declared;
}

/** `POST /v1/messages/count_tokens`: the same estimate the scripted replies report. */
export function countTokens(conversation: Conversation): unknown {
  return { input_tokens: estimateTokens(conversation.text) };
}

/**
 * Anthropic's usage: `input_tokens` leaves out what the prompt cache served, which it
 * reports apart as `cache_read_input_tokens` (a scripted `inputTokens` counts all input).
 */
function usageBody(usage: TokenUsage, outputTokens: number): Record<string, number> {
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: outputTokens,
  };
}

function contentBlock(reply: ScriptedReply, seq: number): Record<string, unknown> {
  return reply.kind === 'text'
    ? { type: 'text', text: reply.text }
    : { type: 'tool_use', id: counterId('toolu_', seq), name: reply.name, input: reply.arguments };
}

function stopReason(reply: ScriptedReply): string {
  return reply.kind === 'text' ? 'end_turn' : 'tool_use';
}

function message(reply: ScriptedReply, _conversation: Conversation, context: ReplyContext) {
  return {
    id: counterId('msg_', context.seq),
    type: 'message',
    role: 'assistant',
    model: context.model,
    content: [contentBlock(reply, context.seq)],
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: usageBody(reply.usage, reply.usage.outputTokens),
  };
}

function streamFrames(
  reply: ScriptedReply,
  _conversation: Conversation,
  context: ReplyContext,
): SseFrame[] {
  const frames: SseFrame[] = [];
  const emit = (type: string, payload: Record<string, unknown> = {}) => {
    frames.push(jsonFrame(type, { type, ...payload }));
  };
  emit('message_start', {
    message: {
      id: counterId('msg_', context.seq),
      type: 'message',
      role: 'assistant',
      model: context.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The real API reports a placeholder output count here and the final one at the end.
      usage: usageBody(reply.usage, 1),
    },
  });
  const block = contentBlock(reply, context.seq);
  if (reply.kind === 'text') {
    emit('content_block_start', { index: 0, content_block: { ...block, text: '' } });
    emit('ping');
    for (const text of textDeltas(reply.text)) {
      emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    }
  } else {
    emit('content_block_start', { index: 0, content_block: { ...block, input: {} } });
    emit('ping');
    emit('content_block_delta', {
      index: 0,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(reply.arguments) },
    });
  }
  emit('content_block_stop', { index: 0 });
  emit('message_delta', {
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
    usage: usageBody(reply.usage, reply.usage.outputTokens),
  });
  emit('message_stop');
  return frames;
}
