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
      {
        object: 'chat.completion',
        choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }],
      },
      { type: 'client.done' },
    ]);
  });

  it('reports an HTTP error with its status and message, exit 1', async () => {
    expect(await client(['--url', `${url}/missing`], '{}')).toEqual({
      code: 1,
      lines: [
        {
          type: 'client.error',
          status: 404,
          code: null,
          message: 'Not Found',
          body: '{"detail":"Not Found"}',
        },
      ],
    });
    const html = await client(['--url', `${url}/html-error`], '{}');
    expect(html.lines).toEqual([
      {
        type: 'client.error',
        status: 502,
        code: null,
        message: '<html>Bad Gateway</html>',
        body: '<html>Bad Gateway</html>',
      },
    ]);
  });

  it('rejects unknown arguments with exit 2', async () => {
    expect(await client(['--verbose'], '{}')).toEqual({
      code: 2,
      lines: [
        {
          type: 'client.error',
          status: null,
          code: 'USAGE',
          message: 'unknown argument "--verbose"',
        },
      ],
    });
  });
});
