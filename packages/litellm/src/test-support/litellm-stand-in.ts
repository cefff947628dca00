/**
 * A stand-in LiteLLM proxy on 127.0.0.1, built from LiteLLM's documented endpoints
 * (docs/my-website/docs/proxy/health.md, configs.md; the OpenAI Chat Completions format the
 * proxy serves), because the real proxy (a Python package) cannot be installed here:
 *
 * - `GET /health/liveliness` (alias `/health/liveness`): `"I'm alive!"`, no auth;
 *   `{"status":"shutting_down"}` with 503 while shutting down.
 * - `GET /health/readiness`: `{"status","db","cache","litellm_version","success_callbacks"}`,
 *   no auth; 503 when not ready.
 * - `GET /v1/models` (and `/models`): the OpenAI list of `model_name`s; needs the key.
 * - `POST /v1/chat/completions` (and `/chat/completions`): streamed (SSE chunks, a usage
 *   chunk with `stream_options.include_usage`, `data: [DONE]`) or one JSON completion.
 * - Auth with a master key: `Authorization: Bearer <key>`; LiteLLM's error envelope
 *   `{"error":{"message","type","param","code"}}` with `code` as a string.
 *
 * Scripted by the requested model name (as in the fact sheet's stub): `fail-401`,
 * `fail-429`, `fail-500` answer with that status; `hang` never answers; `truncate` drops the
 * connection mid-stream; `mid-stream-error` sends an error payload inside the stream;
 * `empty` streams no content. Any other name must be in `models`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
}

export interface LitellmStandInOptions {
  /** When set, `/v1/models` and chat need `Authorization: Bearer <masterKey>`. */
  readonly masterKey?: string;
  /** The `model_name`s in config.yaml. */
  readonly models?: readonly string[];
  /** `litellm_version` in `/health/readiness`. */
  readonly version?: string;
  /** The assistant reply. */
  readonly reply?: string;
  readonly usage?: StandInUsage;
  /** Every endpoint accepts the request and never answers. */
  readonly hang?: boolean;
  /** `/health/readiness` answers 503. */
  readonly notReady?: boolean;
  /** `/health/liveliness` answers 503 `shutting_down`. */
  readonly shuttingDown?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface LitellmStandIn {
  /** The proxy root, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const CREATED = 1_763_712_000;
const DEFAULT_USAGE: StandInUsage = {
  promptTokens: 42,
  completionTokens: 7,
  cachedTokens: 16,
  reasoningTokens: 0,
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function proxyError(
  response: ServerResponse,
  status: number,
  message: string,
  type = 'None',
): void {
  sendJson(response, status, { error: { message, type, param: 'None', code: String(status) } });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function usageBody(usage: StandInUsage): Record<string, unknown> {
  return {
    completion_tokens: usage.completionTokens,
    prompt_tokens: usage.promptTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

export async function startLitellmStandIn(
  options: LitellmStandInOptions = {},
): Promise<LitellmStandIn> {
  const models = options.models ?? ['baton-worker', 'coder'];
  const requests: RecordedRequest[] = [];
  const open = new Set<ServerResponse>();
  let sequence = 0;

  const authorised = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (options.masterKey === undefined) return true;
    const header = request.headers.authorization;
    const key =
      typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined;
    if (key === undefined || key === '') {
      proxyError(response, 401, 'Authentication Error, No api key passed in.', 'auth_error');
      return false;
    }
    if (key !== options.masterKey) {
      proxyError(
        response,
        401,
        'Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
        'auth_error',
      );
      return false;
    }
    return true;
  };

  const chat = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (!authorised(request, response)) return;
    let parsed: { model?: unknown; messages?: unknown; stream?: unknown; stream_options?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch {
      proxyError(response, 400, 'Invalid JSON body');
      return;
    }
    const model = typeof parsed.model === 'string' ? parsed.model : '';
    if (model === '') {
      proxyError(
        response,
        400,
        'Invalid model name passed in model=None. Call `/v1/models` to view available models for your key.',
      );
      return;
    }
    const failure = /^fail-(\d{3})$/.exec(model);
    if (failure) {
      const status = Number(failure[1]);
      const message =
        status === 429
          ? 'No deployments available for selected model, Try again in 5 seconds.'
          : status === 401
            ? 'Authentication Error, Invalid proxy server token passed.'
            : `litellm.InternalServerError: upstream answered ${status}`;
      proxyError(response, status, message);
      return;
    }
    if (model === 'hang') return;
    const scripts = ['truncate', 'mid-stream-error', 'empty'];
    if (!models.includes(model) && !scripts.includes(model)) {
      proxyError(
        response,
        400,
        `Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`,
      );
      return;
    }
    sequence += 1;
    const id = `chatcmpl-standin-${sequence}`;
    const reply = model === 'empty' ? '' : (options.reply ?? 'pong');
    const usage = options.usage ?? DEFAULT_USAGE;
    if (parsed.stream !== true) {
      sendJson(response, 200, {
        id,
        object: 'chat.completion',
        created: CREATED,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' },
        ],
        usage: usageBody(usage),
      });
      return;
    }
    const includeUsage =
      typeof parsed.stream_options === 'object' &&
      parsed.stream_options !== null &&
      (parsed.stream_options as { include_usage?: unknown }).include_usage === true;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: CREATED, model, choices, ...extra })}\n\n`,
      );
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    const pieces = reply.match(/.{1,4}/gs) ?? [];
    for (const piece of pieces)
      chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    if (model === 'truncate') {
      response.socket?.destroy();
      return;
    }
    if (model === 'mid-stream-error') {
      response.write(
        `data: ${JSON.stringify({ error: { message: 'litellm.RateLimitError: upstream rate limit', type: 'None', param: 'None', code: '429' } })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
      return;
    }
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    if (includeUsage) chunk([], { usage: usageBody(usage) });
    response.end('data: [DONE]\n\n');
  };

  const server: Server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const body = await readBody(request);
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    open.add(response);
    response.on('close', () => open.delete(response));
    if (options.hang) return;
    const route = `${request.method} ${path}`;
    switch (route) {
      case 'GET /health/liveliness':
      case 'GET /health/liveness':
        if (options.shuttingDown) sendJson(response, 503, { status: 'shutting_down' });
        else sendJson(response, 200, "I'm alive!");
        return;
      case 'GET /health/readiness':
        if (options.notReady) {
          sendJson(response, 503, { detail: 'Service Unhealthy' });
          return;
        }
        // Without a database LiteLLM reports `db: "Not connected"` and no `last_updated`.
        sendJson(response, 200, {
          status: 'healthy',
          db: 'Not connected',
          cache: null,
          litellm_version: options.version ?? '1.79.3',
          success_callbacks: [],
        });
        return;
      case 'GET /v1/models':
      case 'GET /models':
        if (!authorised(request, response)) return;
        sendJson(response, 200, {
          data: models.map((name) => ({
            id: name,
            object: 'model',
            created: CREATED,
            owned_by: 'openai',
          })),
          object: 'list',
        });
        return;
      case 'POST /v1/chat/completions':
      case 'POST /chat/completions':
        chat(request, response, body);
        return;
      default:
        sendJson(response, 404, { detail: 'Not Found' });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close() {
      for (const response of open) response.socket?.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
