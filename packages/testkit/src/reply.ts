import type { ErrorFamily } from './api-errors.js';
import type { ApiKind, Conversation, ParseResult } from './conversation.js';
import type { SseFrame } from './sse.js';
import type { TokenUsage } from './usage.js';

/** A scripted turn made concrete for one request: what every API codec renders. */
export type ScriptedReply =
  | { kind: 'text'; text: string; usage: TokenUsage }
  | { kind: 'tool'; name: string; arguments: Record<string, unknown>; usage: TokenUsage };

/** Per-request facts a codec needs; ids come from `seq` so replies are reproducible. */
export interface ReplyContext {
  seq: number;
  model: string;
}

/** Fixed creation time (2026-01-01T00:00:00Z): replies are byte-for-byte reproducible. */
export const CREATED_AT = 1_767_225_600;

/** An id with a counter instead of randomness, e.g. `msg_000007`. */
export function counterId(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(6, '0')}`;
}

/**
 * Splits text into word-sized deltas (whitespace kept), so clients exercise their
 * concatenation; the pieces always join back to the exact text.
 */
export function textDeltas(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/** One wire API: how to read its requests and how to write scripted replies in it. */
export interface WireApi {
  kind: ApiKind;
  errorFamily: ErrorFamily;
  parse(body: Record<string, unknown>): ParseResult;
  /** The reply as the SSE frames of a streamed response. */
  stream(reply: ScriptedReply, conversation: Conversation, context: ReplyContext): SseFrame[];
  /** The reply as the JSON body of a non-streamed response. */
  json(reply: ScriptedReply, conversation: Conversation, context: ReplyContext): unknown;
  /** A started stream that fails with this error object; absent: the API has no such frames here. */
  streamFailure?(error: Record<string, unknown>, context: ReplyContext): SseFrame[];
}
