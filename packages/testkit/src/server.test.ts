import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { delay } from './script.js';
import type { ModelServer, ModelServerOptions } from './server.js';
import { routeFor, startModelServer } from './server.js';
import { post, readJson } from './test-support/http.js';

const servers: ModelServer[] = [];
async function start(options: ModelServerOptions = {}): Promise<ModelServer> {
  const server = await startModelServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const chatBody = { model: 'stub-model', messages: [{ role: 'user', content: 'hi' }] };

describe('startModelServer', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com'])('refuses host %s', async (host) => {
    await expect(startModelServer({ host })).rejects.toThrow(
      `host "${host}" is not a loopback address`,
    );
  });

  it('accepts localhost as 127.0.0.1', async () => {
    const server = await start({ host: 'localhost' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('close() ends a streaming connection, a pending delay and keep-alive sockets', async () => {
    const server = await start({ defaultScript: [delay(60_000, { text: 'never' })] });
    const pending = post(server, '/v1/chat/completions', { ...chatBody, stream: true }).then(
      () => 'answered',
      () => 'cut',
    );
    // A raw keep-alive socket that never sends a request.
    const idle = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    await expect.poll(() => server.requests.length).toBe(1);

    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await pending).toBe('cut');
    await idleClosed;
    expect(server.requests[0]?.status).toBeNull();
    await expect(fetch(`${server.url}/v1/models`)).rejects.toThrow();
    // Closing again is harmless.
    await server.close();
  });
});

describe('endpoints', () => {
  it('lists models in the OpenAI shape, with or without /v1', async () => {
    const server = await start({ models: ['alpha', 'beta'] });
    for (const path of ['/v1/models', '/models', '/v1/models/']) {
      const response = await fetch(`${server.url}${path}`);
      expect(await response.json()).toEqual({
        object: 'list',
        data: [
          { id: 'alpha', object: 'model', created: 1767225600, owned_by: 'baton-testkit' },
          { id: 'beta', object: 'model', created: 1767225600, owned_by: 'baton-testkit' },
        ],
      });
    }
    const one = await fetch(`${server.url}/v1/models/openai%2Fgpt`);
    expect(await one.json()).toMatchObject({ id: 'openai/gpt', object: 'model' });
  });

  it('answers the LiteLLM health endpoints', async () => {
    const server = await start({ litellmVersion: '1.2.3' });
    const alive = await fetch(`${server.url}/health/liveliness`);
    expect(alive.status).toBe(200);
    expect(await alive.text()).toBe('"I\'m alive!"');
    const ready = await fetch(`${server.url}/health/readiness`);
    expect(await ready.json()).toEqual({
      status: 'healthy',
      db: 'Not connected',
      cache: null,
      litellm_version: '1.2.3',
      success_callbacks: [],
      last_updated: '2026-01-01T00:00:00.000Z',
    });
    const keyless = await fetch(`${server.url}/health`);
    expect(keyless.status).toBe(401);
    expect(await keyless.json()).toEqual({
      error: {
        message: 'Authentication Error, No api key passed in.',
        type: 'auth_error',
        param: 'None',
        code: '401',
      },
    });
    const keyed = await fetch(`${server.url}/health`, {
      headers: { authorization: 'Bearer sk-1234' },
    });
    expect(await keyed.json()).toEqual({
      healthy_endpoints: [{ model: 'openai/stub-model', api_base: `${server.url}/v1` }],
      unhealthy_endpoints: [],
      healthy_count: 1,
      unhealthy_count: 0,
    });
  });

  it('enforces apiKey on model endpoints in each API shape, never on liveliness', async () => {
    const server = await start({ apiKey: 'sk-right' });
    const missing = await post(server, '/v1/chat/completions', chatBody);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { message: 'No API key provided', code: 'invalid_api_key' },
    });
    const wrong = await post(server, '/v1/messages', chatBody, { 'x-api-key': 'sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Incorrect API key provided' },
    });
    const right = await post(server, '/v1/chat/completions', chatBody, {
      authorization: 'Bearer sk-right',
    });
    expect(right.status).toBe(200);
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${server.url}/health/liveliness`)).status).toBe(200);
    const health = await fetch(`${server.url}/health`, { headers: { 'x-api-key': 'sk-wrong' } });
    expect(health.status).toBe(401);
  });

  it('answers an unknown path with a 404 JSON and a wrong method with 405', async () => {
    const server = await start();
    const missing = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        message: 'No route for POST /v1/embeddings',
        type: 'invalid_request_error',
        param: null,
        code: 'not_found',
      },
    });
    const anthropic = await fetch(`${server.url}/v1/messages/batches`, {
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(await anthropic.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No route for GET /v1/messages/batches' },
    });
    const wrongMethod = await fetch(`${server.url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(server.requests.map((entry) => [entry.endpoint, entry.status])).toEqual([
      ['unknown', 404],
      ['unknown', 404],
      ['chat.completions', 405],
    ]);
  });

  it('answers a WebSocket upgrade on /v1/responses with 426 so Codex falls back to HTTP', async () => {
    const server = await start();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const upgrade = httpRequest(`${server.url}/v1/responses`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          authorization: 'Bearer secret',
        },
      });
      upgrade.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      upgrade.on('upgrade', () => reject(new Error('the server accepted the upgrade')));
      upgrade.on('error', reject);
      upgrade.end();
    });
    expect(status).toBe(426);
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/responses',
      endpoint: 'websocket',
      status: 426,
      headers: { authorization: '[redacted]', upgrade: 'websocket' },
    });
  });
});

describe('request bodies', () => {
  it('refuses a body over the limit with 413 in the API shape', async () => {
    const server = await start({ bodyLimit: 1024 });
    const big = { ...chatBody, messages: [{ role: 'user', content: 'x'.repeat(2048) }] };
    const openAi = await post(server, '/v1/chat/completions', big);
    expect(openAi.status).toBe(413);
    expect(await openAi.json()).toMatchObject({
      error: { code: 'request_too_large', message: 'Request body exceeds the limit of 1024 bytes' },
    });
    const anthropic = await post(server, '/v1/messages', big);
    expect(anthropic.status).toBe(413);
    expect(await anthropic.json()).toEqual({
      type: 'error',
      error: {
        type: 'request_too_large',
        message: 'Request body exceeds the limit of 1024 bytes',
      },
    });
    expect(server.requests[0]).toMatchObject({ status: 413, body: null });
  });

  it('takes a 20 MiB limit by default', async () => {
    const server = await start();
    const justUnder = { model: 'm', messages: [{ role: 'user', content: 'y'.repeat(19_000_000) }] };
    expect((await post(server, '/v1/chat/completions', justUnder)).status).toBe(200);
    const over = { model: 'm', messages: [{ role: 'user', content: 'y'.repeat(21_000_000) }] };
    expect((await post(server, '/v1/chat/completions', over)).status).toBe(413);
  });

  it('decodes a gzip body and refuses an unknown encoding', async () => {
    const server = await start();
    const zipped = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(chatBody)),
    });
    expect(zipped.status).toBe(200);
    expect(server.requests[0]?.body).toEqual(chatBody);
    const odd = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-encoding': 'compress' },
      body: 'xx',
    });
    expect(odd.status).toBe(415);
  });

  it('rejects a JSON body that is not an object', async () => {
    const server = await start();
    const response = await post(server, '/v1/responses', '[1,2]');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: 'The request body must be a JSON object' },
    });
  });
});

describe('request log', () => {
  it('records each request with redacted credentials, api, model and text', async () => {
    const server = await start();
    server.script({ model: 'routed' }, [{ text: 'routed reply' }]);
    await post(
      server,
      '/v1/messages?beta=true',
      {
        model: 'routed',
        system: 'ROLE CONTRACT: Reviewer',
        messages: [{ role: 'user', content: 'review it' }],
        stream: true,
      },
      {
        'x-api-key': 'sk-ant-very-secret',
        authorization: 'Bearer sk-also-secret',
        'anthropic-version': '2023-06-01',
      },
    ).then((response) => response.text());
    await fetch(`${server.url}/health/readiness?verbose=1`);

    expect(server.requests).toHaveLength(2);
    const [call, health] = server.requests;
    expect(call).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/v1/messages',
      query: { beta: 'true' },
      endpoint: 'messages',
      api: 'messages',
      model: 'routed',
      text: 'ROLE CONTRACT: Reviewer\nreview it',
      stream: true,
      route: 0,
      turn: 0,
      status: 200,
      body: { model: 'routed', system: 'ROLE CONTRACT: Reviewer' },
    });
    expect(call?.headers['x-api-key']).toBe('[redacted]');
    expect(call?.headers['authorization']).toBe('[redacted]');
    expect(call?.headers['anthropic-version']).toBe('2023-06-01');
    expect(JSON.stringify(server.requests)).not.toContain('secret');
    expect(health).toMatchObject({
      seq: 2,
      method: 'GET',
      endpoint: 'health.readiness',
      query: { verbose: '1' },
      api: null,
      body: null,
      status: 200,
    });
    expect(health?.headers['authorization']).toBeUndefined();
  });

  it('appends each entry to the log file as one JSON line', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'testkit-log-'));
    try {
      const logFile = join(directory, 'requests.jsonl');
      const server = await start({ logFile });
      await post(server, '/v1/chat/completions', chatBody, { authorization: 'Bearer sk-secret' });
      await fetch(`${server.url}/nowhere`);
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line))).toEqual([...server.requests]);
      expect(lines[0]).not.toContain('sk-secret');
      expect(lines.map((line) => JSON.parse(line).status)).toEqual([200, 404]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('fails at start when the log file cannot be written', async () => {
    await expect(
      startModelServer({ logFile: '/nonexistent-dir/x/requests.jsonl' }),
    ).rejects.toThrow('ENOENT');
  });

  it('reset() empties the log in place, restarts ids and keeps the start routes', async () => {
    const server = await start({
      scripts: [{ match: { model: 'kept' }, turns: [{ text: 'kept' }] }],
    });
    server.script({ model: 'dropped' }, [{ text: 'dropped' }]);
    const log = server.requests;
    await post(server, '/v1/chat/completions', chatBody);
    server.reset();
    expect(log).toHaveLength(0);
    const response = await post(server, '/v1/chat/completions', chatBody);
    expect((await readJson(response)).id).toBe('chatcmpl-000001');
    expect(log).toHaveLength(1);
    const kept = await post(server, '/v1/chat/completions', { ...chatBody, model: 'kept' });
    expect((await readJson(kept)).choices[0].message.content).toBe('kept');
    const dropped = await post(server, '/v1/chat/completions', { ...chatBody, model: 'dropped' });
    expect((await readJson(dropped)).choices[0].message.content).toBe('OK');
    expect(log.map((entry) => entry.route)).toEqual([null, 0, null]);
  });
});

describe('routeFor', () => {
  it.each([
    ['/v1/responses', 'responses'],
    ['/responses/', 'responses'],
    ['/v1/chat/completions', 'chat.completions'],
    ['/v1/messages', 'messages'],
    ['/messages/count_tokens', 'messages.count_tokens'],
    ['/v1/model/info', 'model.info'],
    ['/health/liveness', 'health.liveliness'],
    ['/v1x/responses', 'unknown'],
    ['/v1/v1/responses', 'unknown'],
  ])('%s → %s', (path, endpoint) => {
    expect(routeFor(path).endpoint).toBe(endpoint);
  });
});
