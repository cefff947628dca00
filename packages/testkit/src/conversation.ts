/** The three wire APIs the server answers with scripted turns. */
export const API_KINDS = ['responses', 'chat', 'messages'] as const;

/**
 * A wire API: `responses` = OpenAI Responses (Codex), `chat` = OpenAI Chat Completions
 * (OpenCode, Hermes, LiteLLM clients), `messages` = Anthropic Messages (Claude Code).
 */
export type ApiKind = (typeof API_KINDS)[number];

/** A tool the client declared in its request, with its JSON Schema when it has one. */
export interface DeclaredTool {
  name: string;
  schema: Record<string, unknown> | undefined;
}

/** What the server needs to know about one model request, whatever its wire API. */
export interface Conversation {
  api: ApiKind;
  model: string | null;
  stream: boolean;
  /** Chat Completions only: `stream_options.include_usage` asked for a usage chunk. */
  streamUsage: boolean;
  /** All textual content of the system prompt and the history, one part per line. */
  text: string;
  /** How many model turns the history already holds; picks the script's next turn. */
  priorTurns: number;
  tools: DeclaredTool[];
}

/** The result of reading a request body as one API's request. */
export type ParseResult = { ok: true; conversation: Conversation } | { ok: false; message: string };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Text of a content value shared by all three APIs: a plain string, or an array of parts
 * carrying `text` (text, input_text, output_text) or `refusal`.
 */
export function contentText(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') parts.push(part);
    else if (isRecord(part)) {
      if (typeof part['text'] === 'string') parts.push(part['text']);
      else if (typeof part['refusal'] === 'string') parts.push(part['refusal']);
    }
  }
  return parts;
}

/** Tool arguments as text: clients send them either as a JSON string or as an object. */
export function argumentsText(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === undefined || value === null) return [];
  return [JSON.stringify(value)];
}

export function joinText(parts: readonly string[]): string {
  return parts.filter((part) => part.length > 0).join('\n');
}
