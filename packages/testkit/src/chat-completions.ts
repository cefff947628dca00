import type { Conversation, DeclaredTool, ParseResult } from './conversation.js';
import { argumentsText, contentText, isRecord, joinText, stringOrNull } from './conversation.js';
import type { ReplyContext, ScriptedReply, WireApi } from './reply.js';
import { CREATED_AT, counterId, textDeltas } from './reply.js';
import type { SseFrame } from './sse.js';
import { jsonFrame } from './sse.js';
import type { TokenUsage } from './usage.js';

/** OpenAI Chat Completions (`POST /v1/chat/completions`), as OpenCode and Hermes speak it. */
export const chatCompletionsApi: WireApi = {
  kind: 'chat',
  errorFamily: 'openai',
  parse: parseChatRequest,
  stream: streamFrames,
  json: completion,
};

function parseChatRequest(body: Record<string, unknown>): ParseResult {
  const messages = body['messages'];
  if (!Array.isArray(messages)) {
    return { ok: false, message: '`messages` must be an array of chat messages' };
  }
  const parts: string[] = [];
  let priorTurns = 0;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    if (message['role'] === 'assistant') priorTurns += 1;
    parts.push(...contentText(message['content']));
    const toolCalls = message['tool_calls'];
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        if (isRecord(call) && isRecord(call['function'])) {
          parts.push(...argumentsText(call['function']['arguments']));
        }
      }
    }
  }
  const streamOptions = body['stream_options'];
  const conversation: Conversation = {
    api: 'chat',
    model: stringOrNull(body['model']),
    stream: body['stream'] === true,
    streamUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    text: joinText(parts),
    priorTurns,
    tools: declaredTools(body['tools']),
  };
  return { ok: true, conversation };
}

function declaredTools(tools: unknown): DeclaredTool[] {
  if (!Array.isArray(tools)) return [];
  const declared: DeclaredTool[] = [];
  for (const tool of tools) {
    const fn = isRecord(tool) ? tool['function'] : undefined;
    if (!isRecord(fn) || typeof fn['name'] !== 'string') continue;
    const schema = fn['parameters'];
    declared.push({ name: fn['name'], schema: isRecord(schema) ? schema : undefined });
  }
  return declared;
}

/**
 * OpenAI's usage object. `prompt_tokens` includes cached input and `completion_tokens`
 * includes reasoning; the details carrying them are sent only when a turn has some, as
 * many OpenAI-compatible servers leave them out.
 */
function usageBody(usage: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens > 0
      ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }
      : {}),
    ...(usage.reasoningTokens > 0
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
      : {}),
  };
}

function finishReason(reply: ScriptedReply): string {
  return reply.kind === 'text' ? 'stop' : 'tool_calls';
}

function completion(reply: ScriptedReply, _conversation: Conversation, context: ReplyContext) {
  const message =
    reply.kind === 'text'
      ? { role: 'assistant', content: reply.text }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: counterId('call_', context.seq),
              type: 'function',
              function: { name: reply.name, arguments: JSON.stringify(reply.arguments) },
            },
          ],
        };
  return {
    id: counterId('chatcmpl-', context.seq),
    object: 'chat.completion',
    created: CREATED_AT,
    model: context.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usageBody(reply.usage),
  };
}

function streamFrames(
  reply: ScriptedReply,
  conversation: Conversation,
  context: ReplyContext,
): SseFrame[] {
  const frames: SseFrame[] = [];
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
    frames.push(
      jsonFrame(undefined, {
        id: counterId('chatcmpl-', context.seq),
        object: 'chat.completion.chunk',
        created: CREATED_AT,
        model: context.model,
        choices,
        ...extra,
      }),
    );
  };
  const delta = (content: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: content, logprobs: null, finish_reason: finish }]);

  if (reply.kind === 'text') {
    delta({ role: 'assistant', content: '' });
    for (const piece of textDeltas(reply.text)) delta({ content: piece });
  } else {
    // The name and id come first with empty arguments, then the arguments, as OpenAI
    // streams them; clients accumulate the argument fragments per tool-call index.
    delta({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          index: 0,
          id: counterId('call_', context.seq),
          type: 'function',
          function: { name: reply.name, arguments: '' },
        },
      ],
    });
    delta({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(reply.arguments) } }] });
  }
  delta({}, finishReason(reply));
  if (conversation.streamUsage) chunk([], { usage: usageBody(reply.usage) });
  frames.push({ data: '[DONE]' });
  return frames;
}
