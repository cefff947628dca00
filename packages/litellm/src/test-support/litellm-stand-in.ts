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
 * - Cost, as `litellm/proxy/common_request_processing.py` reports it: a call that was not
 *   streamed answers with `x-litellm-response-cost` (the headers of a stream are sent before
 *   its cost is known, so it has none); a stream's usage chunk carries `usage.cost` when the
 *   proxy's `litellm_settings.include_cost_in_streaming_usage` is on; a failed call's
 *   headers say `x-litellm-response-cost: 0` (`_handle_llm_api_exception`).
 *
 * Scripted by the requested model name (as in the fact sheet's stub): `fail-401`,
 * `fail-429` (the router's cooldown: "No deployments available …, Try again in 5 seconds"),
 * `fail-500`, `fail-503` answer with that status; `rate-limited-key` is the rate limiter's
 * 429 with `retry-after: 60`; `budget-exceeded` is `BudgetExceededError` (400, type
 * `budget_exceeded`); `stream-fail-429` is a stream whose first chunk is an error (the
 * response then takes that chunk's status, `create_streaming_response`); `hang` never
 * answers; `truncate` drops the connection mid-stream; `mid-stream-error` sends an error
 * payload inside the stream; `empty` streams no content. Any other name must be in `models`.
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
  /** The price the proxy computes for each successful call, in USD (default 0.000123). */
  readonly cost?: number;
  /** `litellm_settings.include_cost_in_streaming_usage`: `usage.cost` in a stream's usage chunk. */
  readonly includeCostInStreamingUsage?: boolean;
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

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** LiteLLM's error envelope (`ProxyException.to_dict()`), `code` as a string. */
function errorEnvelope(status: number, message: string, type = 'None'): Record<string, unknown> {
  return { error: { message, type, param: 'None', code: String(status) } };
}

function proxyError(
  response: ServerResponse,
  status: number,
  message: string,
  type = 'None',
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, errorEnvelope(status, message, type), headers);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function usageBody(usage: StandInUsage, cost?: number): Record<string, unknown> {
  return {
    completion_tokens: usage.completionTokens,
    prompt_tokens: usage.promptTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    ...(cost === undefined ? {} : { cost }),
  };
}

export async function startLitellmStandIn(
  options: LitellmStandInOptions = {},
): Promise<LitellmStandIn> {
  const models = options.models ?? ['baton-worker', 'coder'];
  const requests: RecordedRequest[] = [];
  const open = new Set<ServerResponse>();
  const cost = options.cost ?? 0.000123;
  let sequence = 0;
  const callId = () => `call-standin-${sequence}`;
  // The headers `_handle_llm_api_exception` adds to a failed call.
  const failedCallHeaders = () => ({
    'x-litellm-call-id': callId(),
    'x-litellm-response-cost': '0',
    'x-litellm-version': options.version ?? '1.79.3',
  });

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
          ? `No deployments available for selected model, Try again in 5 seconds. Passed model=${model}. pre-call-checks=False, cooldown_list=[('deployment-1', {'exception_received': 'litellm.RateLimitError: upstream rate limit', 'status_code': '429'})]`
          : status === 401
            ? 'Authentication Error, Invalid proxy server token passed.'
            : status === 503
              ? `litellm.ServiceUnavailableError: OpenAIException - The server is overloaded or not ready yet.. Received Model Group=${model}`
              : `litellm.InternalServerError: upstream answered ${status}`;
      proxyError(response, status, message, 'None', failedCallHeaders());
      return;
    }
    if (model === 'rate-limited-key') {
      // `_PROXY_MaxParallelRequestsHandler_v3`: `ParallelRequestLimitError` with these headers.
      proxyError(
        response,
        429,
        'Rate limit exceeded for api_key: 88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b. Limit type: requests. Current limit: 2, Remaining: 0. Limit resets at: 2026-12-03 11:52:00 UTC',
        'None',
        {
          ...failedCallHeaders(),
          'retry-after': '60',
          rate_limit_type: 'requests',
          reset_at: '2026-12-03 11:52:00 UTC',
        },
      );
      return;
    }
    if (model === 'budget-exceeded') {
      // `litellm.BudgetExceededError` as `ProxyException(type=budget_exceeded, code=400)`.
      proxyError(
        response,
        400,
        'Budget has been exceeded! Current cost: 10.0042, Max budget: 10.0',
        'budget_exceeded',
        failedCallHeaders(),
      );
      return;
    }
    if (model === 'stream-fail-429' && parsed.stream === true) {
      // The first chunk is an error, so the stream's status becomes the error's code.
      response.writeHead(429, { 'content-type': 'text/event-stream', ...failedCallHeaders() });
      response.end(
        `data: ${JSON.stringify(errorEnvelope(429, 'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for requests. Please try again in 20s.'))}\n\n`,
      );
      return;
    }
    if (model === 'hang') return;
    const scripts = ['truncate', 'mid-stream-error', 'empty', 'stream-fail-429'];
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
      sendJson(
        response,
        200,
        {
          id,
          object: 'chat.completion',
          created: CREATED,
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' },
          ],
          usage: usageBody(usage),
        },
        { 'x-litellm-call-id': callId(), 'x-litellm-response-cost': String(cost) },
      );
      return;
    }
    const includeUsage =
      typeof parsed.stream_options === 'object' &&
      parsed.stream_options !== null &&
      (parsed.stream_options as { include_usage?: unknown }).include_usage === true;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // No `x-litellm-response-cost`: a stream's headers go out before its cost is known.
      'x-litellm-call-id': callId(),
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
    if (includeUsage)
      chunk([], {
        usage: usageBody(usage, options.includeCostInStreamingUsage ? cost : undefined),
      });
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
