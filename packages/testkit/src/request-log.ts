import { appendFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKind } from './conversation.js';

/** What the server took a request for, from its method and path. */
export type Endpoint =
  | 'responses'
  | 'chat.completions'
  | 'messages'
  | 'messages.count_tokens'
  | 'models'
  | 'model'
  | 'model.info'
  | 'health'
  | 'health.liveliness'
  | 'health.readiness'
  | 'websocket'
  | 'unknown';

/** One request as the server saw it, for assertions. */
export interface LoggedRequest {
  /** 1, 2, 3… in arrival order; reply ids are derived from it. */
  seq: number;
  method: string;
  /** The path as sent, `/v1` prefix included, query excluded. */
  path: string;
  query: Record<string, string>;
  /**
   * Headers, names in lower case. Credentials (authorization, x-api-key, …) read
   * `[redacted]`: a test can see that a key was sent, never the key.
   */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it was not JSON; null when empty or refused. */
  body: unknown;
  endpoint: Endpoint;
  /** The wire API of a scripted model call; null for every other endpoint. */
  api: ApiKind | null;
  model: string | null;
  /**
   * All textual content of the system prompt and messages (or input items), tool calls and
   * results included, one part per line: assert that a contract string reached the wire.
   */
  text: string;
  stream: boolean;
  /** The `script()` route that answered (0-based, registration order); null = default. */
  route: number | null;
  /** The index of the answering turn in its script; null when none did. */
  turn: number | null;
  /** The status replied; null while a delayed reply is pending or when the client left first. */
  status: number | null;
}

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
]);

/** Headers as plain strings (repeated headers joined), names in lower case. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    redacted[name] = SECRET_HEADERS.has(name) ? REDACTED : value;
  }
  return redacted;
}

/** The in-memory log, and its JSONL copy when a file is given. */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  readonly #file: string | undefined;
  readonly #written = new WeakSet<LoggedRequest>();

  constructor(file: string | undefined) {
    this.#file = file;
    // Fail at start, not on the first request, when the file cannot be written.
    if (file !== undefined) appendFileSync(file, '');
  }

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** Writes the entry to the file once its status is known (or the client has gone). */
  settle(entry: LoggedRequest): void {
    if (this.#file === undefined || this.#written.has(entry)) return;
    this.#written.add(entry);
    try {
      // Synchronous, so lines keep reply order and are on disk before the reply is sent.
      appendFileSync(this.#file, `${JSON.stringify(entry)}\n`);
    } catch (error) {
      process.emitWarning(`could not append to the request log file: ${String(error)}`);
    }
  }

  clear(): void {
    // Emptied in place: callers keep a reference to `entries`.
    this.entries.length = 0;
  }
}
