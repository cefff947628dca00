/** One server-sent event: an optional `event:` name and a `data:` payload. */
export interface SseFrame {
  event?: string;
  data: string;
}

/** A frame whose data is JSON; `event` is omitted for Chat Completions, which sends none. */
export function jsonFrame(event: string | undefined, data: unknown): SseFrame {
  const frame: SseFrame = { data: JSON.stringify(data) };
  if (event !== undefined) frame.event = event;
  return frame;
}

export function formatFrame(frame: SseFrame): string {
  const lines = frame.event === undefined ? [] : [`event: ${frame.event}`];
  // A data payload spanning lines needs one `data:` field per line.
  for (const line of frame.data.split('\n')) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/**
 * Parses a complete SSE body into frames (comments and `retry:` ignored). Exported for tests
 * that assert what a client would see.
 */
export function parseSse(body: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of body.replace(/\r\n/g, '\n').split('\n\n')) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trimStart();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const frame: SseFrame = { data: data.join('\n') };
    if (event !== undefined) frame.event = event;
    frames.push(frame);
  }
  return frames;
}
