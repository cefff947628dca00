import type { ServerResponse } from 'node:http';
import { counterId } from './reply.js';
import type { LoggedRequest, RequestLog } from './request-log.js';
import type { SseFrame } from './sse.js';
import { formatFrame, SSE_HEADERS } from './sse.js';

/**
 * One request/reply pair. Every reply goes through here, so the log entry records the
 * status at the moment the headers leave — before the client can see the reply.
 */
export class Exchange {
  readonly response: ServerResponse;
  readonly entry: LoggedRequest;
  readonly #log: RequestLog;
  #closed = false;

  constructor(response: ServerResponse, entry: LoggedRequest, log: RequestLog) {
    this.response = response;
    this.entry = entry;
    this.#log = log;
    response.on('close', () => {
      this.#closed = true;
      // A client that left before any reply still gets its line in the log file.
      log.settle(entry);
    });
  }

  /** The client went away (or the server closed); nothing more can be sent. */
  get closed(): boolean {
    return this.#closed;
  }

  json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    const text = JSON.stringify(body);
    this.#head(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    this.response.end(text);
  }

  events(frames: readonly SseFrame[]): void {
    this.#head(200, SSE_HEADERS);
    // One write per event, as a real server flushes them.
    for (const frame of frames) this.response.write(formatFrame(frame));
    this.response.end();
  }

  #head(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.#closed || this.response.headersSent) return;
    this.entry.status = status;
    this.#log.settle(this.entry);
    const requestId = counterId('req_', this.entry.seq);
    this.response.writeHead(status, {
      'x-request-id': requestId,
      'request-id': requestId,
      ...headers,
    });
  }
}
