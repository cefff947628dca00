import type { ModelServer } from '../server.js';

/** A server-sent event as a client reads it. */
export interface ReadEvent {
  event: string | undefined;
  data: string;
}

export function post(
  server: ModelServer,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * Reads an SSE body incrementally, the way clients do: bytes may split anywhere, events end
 * at a blank line, `data:` lines join with newlines. Independent of the server's own
 * formatter so the tests check the wire format, not a round trip.
 */
export async function readEvents(response: Response): Promise<ReadEvent[]> {
  if (response.body === null) throw new Error('response has no body');
  const decoder = new TextDecoder();
  const events: ReadEvent[] = [];
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const takeLine = (line: string) => {
    if (line === '') {
      if (data.length > 0) events.push({ event, data: data.join('\n') });
      event = undefined;
      data = [];
    } else if (line.startsWith(':')) {
      // comment
    } else {
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  };
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.search(/\r?\n/);
    while (newline !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
      takeLine(line);
      newline = buffer.search(/\r?\n/);
    }
  }
  if (buffer.length > 0) takeLine(buffer);
  takeLine('');
  return events;
}

// Tests reach into reply bodies freely; a mismatch fails the assertion, not the types.
// biome-ignore lint/suspicious/noExplicitAny: reply bodies are checked by assertions.
type Json = any;

/** A JSON reply body. */
export function readJson(response: Response): Promise<Json> {
  return response.json() as Promise<Json>;
}

/** The events with their data parsed as JSON (`[DONE]` stays a string). */
export async function readJsonEvents(
  response: Response,
): Promise<Array<{ event: string | undefined; data: Json }>> {
  const events = await readEvents(response);
  return events.map(({ event, data }) => ({
    event,
    data: data === '[DONE]' ? data : JSON.parse(data),
  }));
}
