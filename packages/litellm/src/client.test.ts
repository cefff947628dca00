import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_PATH } from './command.js';

/** Raw responses, to check the client's SSE handling on awkward but valid streams. */
let server: Server;
let url: string;
let lastHeaders: Record<string, string | string[] | undefined> = {};
let lastBody = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      lastHeaders = request.headers;
      lastBody = Buffer.concat(chunks).toString('utf8');
      if (request.url === '/crlf') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        // CRLF line ends, a comment, an event name, a payload split across writes.
        response.write(': keep-alive\r\n\r\nevent: message\r\ndata: {"choices":[{"delta":{"con');
        await new Promise((resolve) => setTimeout(resolve, 20));
        response.write('tent":"hi"}}]}\r\n\r\ndata: not json\r\n\r\ndata: [DONE]\r\n\r\n');
        response.end();
      } else if (request.url === '/json') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          '{"object":"chat.completion","choices":[{"message":{"content":"whole"},"finish_reason":"stop"}]}',
        );
      } else if (request.url === '/html-error') {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<html>Bad Gateway</html>');
      } else if (request.url === '/cost') {
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-litellm-response-cost': '0.000412',
          'x-litellm-call-id': 'call-1',
          'x-litellm-key-spend': '12.5',
        });
        response.end('{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}');
      } else if (request.url === '/retry-after-seconds') {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
        response.end(
          '{"error":{"message":"Rate limit exceeded for api_key: x","type":"None","param":"None","code":"429"}}',
        );
      } else if (request.url === '/retry-after-date') {
        // An HTTP date 90 s after the response's own Date: the delay is read against it.
        response.writeHead(429, {
          'content-type': 'application/json',
          date: 'Thu, 03 Dec 2026 11:50:00 GMT',
          'retry-after': 'Thu, 03 Dec 2026 11:51:30 GMT',
        });
        response.end('{"error":{"message":"slow down","code":"429"}}');
      } else if (request.url === '/retry-after-ms') {
        response.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': '3',
          'retry-after-ms': '2500',
          'x-ratelimit-reset-tokens': '2.5s',
        });
        response.end('{"error":{"message":"slow down","code":"429"}}');
      } else if (request.url === '/budget') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          '{"error":{"message":"Budget has been exceeded! Current cost: 1.2, Max budget: 1.0","type":"budget_exceeded","param":null,"code":"400"}}',
        );
      } else if (request.url === '/stream-error') {
        // A stream whose first chunk is an error takes that chunk's status.
        response.writeHead(429, { 'content-type': 'text/event-stream' });
        response.end(
          'data: {"error":{"message":"Rate limit reached. Please try again in 20s.","type":"None","param":"None","code":"429"}}\n\n',
        );
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"detail":"Not Found"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(args: string[], input: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; lines: unknown[] }>((resolve) => {
    const child = execFile(
      process.execPath,
      [CLIENT_PATH, ...args],
      { env: { ...env } },
      (error, stdout) => {
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          lines: stdout
            .trim()
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line)),
        });
      },
    );
    child.stdin?.end(input);
  });
}

describe('the LiteLLM client', () => {
  it('relays SSE payloads as JSON lines, with CRLF, comments and split writes', async () => {
    const result = await client(['--url', `${url}/crlf`, '--api-key-env', 'KEY'], '{"model":"m"}', {
      KEY: 'sk-1',
    });
    expect(result).toEqual({
      code: 0,
      lines: [
        { type: 'client.response', status: 200, headers: {} },
        { choices: [{ delta: { content: 'hi' } }] },
        { type: 'client.unparsed', data: 'not json' },
        { type: 'client.done' },
      ],
    });
    expect(lastHeaders.authorization).toBe('Bearer sk-1');
    expect(lastHeaders['content-type']).toBe('application/json');
    expect(lastBody).toBe('{"model":"m"}');
  });

  it('sends no Authorization header without --api-key-env', async () => {
    await client(['--url', `${url}/crlf`], '{}');
    expect(lastHeaders.authorization).toBeUndefined();
  });

  it('relays a non-streamed JSON completion and marks it done', async () => {
    const result = await client(['--url', `${url}/json`], '{}');
    expect(result.lines).toEqual([
      { type: 'client.response', status: 200, headers: {} },
      {
        object: 'chat.completion',
        choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }],
      },
      { type: 'client.done' },
    ]);
  });

  it('passes on the LiteLLM headers the decoder reads, and no others', async () => {
    const result = await client(['--url', `${url}/cost`], '{}');
    expect(result.lines[0]).toEqual({
      type: 'client.response',
      status: 200,
      headers: { 'x-litellm-response-cost': '0.000412', 'x-litellm-call-id': 'call-1' },
    });
  });

  it('reports an HTTP error with its status and message, exit 1', async () => {
    expect(await client(['--url', `${url}/missing`], '{}')).toEqual({
      code: 1,
      lines: [
        {
          type: 'client.error',
          phase: 'response',
          status: 404,
          code: null,
          message: 'Not Found',
          errorType: null,
          retryAfterMs: null,
          headers: {},
          body: '{"detail":"Not Found"}',
        },
      ],
    });
    const html = await client(['--url', `${url}/html-error`], '{}');
    expect(html.lines).toEqual([
      {
        type: 'client.error',
        phase: 'response',
        status: 502,
        code: null,
        message: '<html>Bad Gateway</html>',
        errorType: null,
        retryAfterMs: null,
        headers: {},
        body: '<html>Bad Gateway</html>',
      },
    ]);
  });

  it('reads the delay a retry-after header asks for: seconds, an HTTP date, retry-after-ms', async () => {
    const seconds = (await client(['--url', `${url}/retry-after-seconds`], '{}')).lines[0];
    expect(seconds).toMatchObject({
      status: 429,
      retryAfterMs: 60_000,
      headers: { 'retry-after': '60' },
    });
    const date = (await client(['--url', `${url}/retry-after-date`], '{}')).lines[0];
    expect(date).toMatchObject({ status: 429, retryAfterMs: 90_000 });
    const ms = (await client(['--url', `${url}/retry-after-ms`], '{}')).lines[0];
    expect(ms).toMatchObject({
      retryAfterMs: 2500,
      headers: { 'retry-after': '3', 'retry-after-ms': '2500', 'x-ratelimit-reset-tokens': '2.5s' },
    });
  });

  it("reads LiteLLM's error type, and an error that came as a stream", async () => {
    const budget = (await client(['--url', `${url}/budget`], '{}')).lines[0];
    expect(budget).toMatchObject({
      status: 400,
      errorType: 'budget_exceeded',
      message: 'Budget has been exceeded! Current cost: 1.2, Max budget: 1.0',
    });
    const streamed = (await client(['--url', `${url}/stream-error`], '{}')).lines[0];
    expect(streamed).toMatchObject({
      status: 429,
      errorType: null,
      message: 'Rate limit reached. Please try again in 20s.',
    });
  });

  it('rejects unknown arguments with exit 2', async () => {
    expect(await client(['--verbose'], '{}')).toEqual({
      code: 2,
      lines: [
        {
          type: 'client.error',
          phase: 'setup',
          status: null,
          code: 'USAGE',
          message: 'unknown argument "--verbose"',
        },
      ],
    });
  });
});
