import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { isIPv4 } from 'node:net';
import type { Duplex } from 'node:stream';
import { anthropicMessagesApi, countTokens } from './anthropic-messages.js';
import type { ErrorFamily } from './api-errors.js';
import { defaultErrorMessage, errorBody, openAiError } from './api-errors.js';
import { checkKey } from './auth.js';
import { chatCompletionsApi } from './chat-completions.js';
import type { Conversation } from './conversation.js';
import { isRecord } from './conversation.js';
import { Exchange } from './exchange.js';
import type { JsonReply } from './litellm-health.js';
import { health, liveliness, readiness } from './litellm-health.js';
import { DEFAULT_MODELS, model, modelInfo, modelList } from './models.js';
import type { ScriptedReply, WireApi } from './reply.js';
import { DEFAULT_BODY_LIMIT, readBody } from './request-body.js';
import type { Endpoint, LoggedRequest } from './request-log.js';
import { flattenHeaders, RequestLog, redactHeaders } from './request-log.js';
import { responsesApi } from './responses-api.js';
import type { ChosenTurn, Script, ScriptMatcher } from './script.js';
import { createScriptBook, FALLBACK_TEXT } from './script.js';
import { resolveToolCall } from './shell-tool.js';
import { resolveUsage } from './usage.js';

/** A route given at start: the same as calling `server.script(match, turns)`. */
export interface ScriptRoute {
  match: ScriptMatcher;
  turns: Script;
}

/** Options of `startModelServer`. All are optional. */
export interface ModelServerOptions {
  /** A loopback address only: `127.0.0.1` (default), another `127.x.y.z`, `::1` or `localhost`. */
  host?: string;
  /** 0 (default) picks a free port; read it from `server.port`. */
  port?: number;
  /** Answers every model request no route matches. Default: `[{ text: 'OK' }]`. */
  defaultScript?: Script;
  /** Routes registered at start, in order. */
  scripts?: readonly ScriptRoute[];
  /** Ids listed by `GET /v1/models` and LiteLLM's health; the first is the reply model when a request names none. Default `['stub-model']`. */
  models?: readonly string[];
  /**
   * When set, model endpoints, `/v1/models` and `/health` answer 401 (in the API's error shape)
   * unless this key comes as `Authorization: Bearer`, `x-api-key` or `api-key`.
   * Without it any key, or none, is accepted — except by `/health`, which needs some key.
   */
  apiKey?: string;
  /** Also append every log entry as one JSON line to this file. */
  logFile?: string;
  /** Largest request body in bytes, after decoding; larger ones get 413. Default 20 MiB. */
  bodyLimit?: number;
  /** The version `/health/readiness` reports. Default `1.80.0`. */
  litellmVersion?: string;
}

/** A running scripted model server. */
export interface ModelServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. Paths work with or without `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order; a live array, emptied by `reset()`. */
  readonly requests: readonly LoggedRequest[];
  /**
   * Routes the model requests `match` selects to `turns`. The latest matching route wins.
   * Returns the route's number, which log entries record as `route`.
   */
  script(match: ScriptMatcher, turns: Script): number;
  /**
   * Forgets routes added with `script()`, the request log, `times` counters and the id
   * counter: the server is as `startModelServer(options)` left it.
   */
  reset(): void;
  /** Stops listening, cuts open connections and pending delays; resolves when all is shut. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface RouteMatch {
  endpoint: Endpoint;
  methods: readonly string[];
}

const WIRE_APIS: Partial<Record<Endpoint, WireApi>> = {
  responses: responsesApi,
  'chat.completions': chatCompletionsApi,
  messages: anthropicMessagesApi,
};

/** Starts a scripted model server on loopback. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const host = loopbackHost(options.host ?? '127.0.0.1');
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const models = options.models ?? DEFAULT_MODELS;
  const litellmVersion = options.litellmVersion ?? '1.80.0';
  const book = createScriptBook(options.defaultScript ?? [{ text: FALLBACK_TEXT }]);
  const addStartRoutes = () => {
    for (const route of options.scripts ?? []) book.add(route.match, route.turns);
  };
  addStartRoutes();
  const log = new RequestLog(options.logFile);
  const sockets = new Set<Duplex>();
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let url = '';

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug here must still answer, or the client would hang until its timeout.
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify(openAiError(500, `testkit server error: ${String(error)}`)));
      } else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = flattenHeaders(request.headers);
    const entry = newEntry(request, headers);
    const exchange = new Exchange(response, entry, log);
    const route = routeFor(entry.path);
    entry.endpoint = route.endpoint;
    const family = errorFamily(route.endpoint, entry.path, headers);

    const body = await readBody(request, bodyLimit);
    log.add(entry);
    if (body.kind === 'too-large') {
      const message = `Request body exceeds the limit of ${bodyLimit} bytes`;
      return exchange.json(413, errorBody(family, 413, message), { connection: 'close' });
    }
    if (body.kind === 'bad-encoding') {
      return exchange.json(415, errorBody(family, 415, body.message));
    }
    let json: unknown = null;
    let malformed = false;
    if (body.text.length > 0) {
      try {
        json = JSON.parse(body.text);
      } catch {
        json = body.text;
        malformed = true;
      }
    }
    entry.body = json;

    if (route.endpoint === 'unknown') {
      return exchange.json(
        404,
        errorBody(family, 404, `No route for ${entry.method} ${entry.path}`),
      );
    }
    if (!route.methods.includes(entry.method)) {
      const message = `Method ${entry.method} not allowed on ${entry.path}`;
      return exchange.json(405, errorBody(family, 405, message), {
        allow: route.methods.join(', '),
      });
    }
    if (entry.method === 'POST') {
      if (malformed) {
        const message = 'We could not parse the JSON body of your request.';
        return exchange.json(400, errorBody(family, 400, message));
      }
      if (!isRecord(json)) {
        return exchange.json(400, errorBody(family, 400, 'The request body must be a JSON object'));
      }
    }
    const keyCheck = checkKey(options.apiKey, headers);
    if (keyCheck !== 'ok' && route.endpoint !== 'health' && !route.endpoint.startsWith('health.')) {
      const message = keyCheck === 'missing' ? 'No API key provided' : 'Incorrect API key provided';
      return exchange.json(401, errorBody(family, 401, message));
    }
    const api = WIRE_APIS[route.endpoint];
    if (api !== undefined)
      return modelCall(api, exchange, json as Record<string, unknown>, headers);
    const reply = endpointReply(route.endpoint, entry, json, headers);
    return exchange.json(reply.status, reply.body);
  }

  /** The reply of every endpoint that is not a scripted model call. */
  function endpointReply(
    endpoint: Endpoint,
    entry: LoggedRequest,
    body: unknown,
    headers: Record<string, string>,
  ): JsonReply {
    const apiBase = `${url}/v1`;
    switch (endpoint) {
      case 'messages.count_tokens': {
        const parsed = anthropicMessagesApi.parse(body as Record<string, unknown>);
        if (!parsed.ok) return { status: 400, body: errorBody('anthropic', 400, parsed.message) };
        describe(entry, parsed.conversation);
        return { status: 200, body: countTokens(parsed.conversation) };
      }
      case 'models':
        return { status: 200, body: modelList(models) };
      case 'model':
        return { status: 200, body: model(decodeURIComponent(entry.path.split('/models/')[1]!)) };
      case 'model.info':
        return { status: 200, body: modelInfo(models, apiBase) };
      case 'health.liveliness':
        return liveliness();
      case 'health.readiness':
        return readiness(litellmVersion);
      case 'health':
        return health(headers, options.apiKey, models, apiBase);
      default:
        return { status: 404, body: openAiError(404, `No route for ${entry.path}`) };
    }
  }

  function modelCall(
    api: WireApi,
    exchange: Exchange,
    body: Record<string, unknown>,
    headers: Record<string, string>,
  ): void {
    const parsed = api.parse(body);
    if (!parsed.ok) {
      exchange.json(400, errorBody(api.errorFamily, 400, parsed.message));
      return;
    }
    const conversation = parsed.conversation;
    const entry = exchange.entry;
    describe(entry, conversation);
    entry.api = api.kind;
    const request = {
      api: api.kind,
      model: conversation.model,
      text: conversation.text,
      headers,
      body,
    };
    const chosen = book.choose(request, conversation.priorTurns);
    entry.route = chosen.route;
    entry.turn = chosen.turn;
    later(exchange, chosen.delayMs, () => answer(api, exchange, conversation, chosen));
  }

  function answer(
    api: WireApi,
    exchange: Exchange,
    conversation: Conversation,
    chosen: ChosenTurn,
  ): void {
    const step = chosen.step;
    const context = {
      seq: exchange.entry.seq,
      model: conversation.model ?? models[0] ?? 'stub-model',
    };
    if ('error' in step) {
      const { status, message, type, headers = {}, fields, inStream = false } = step.error;
      const text = message ?? defaultErrorMessage(status);
      const body = errorBody(api.errorFamily, status, text, type, fields) as {
        error: Record<string, unknown>;
      };
      if (inStream && conversation.stream) {
        if (api.streamFailure === undefined) {
          throw new Error(`an inStream error is not supported on the ${api.kind} API`);
        }
        exchange.events(api.streamFailure(body.error, context));
        return;
      }
      exchange.json(status, body, headers);
      return;
    }
    const reply = scriptedReply(step, api, conversation);
    if (conversation.stream) exchange.events(api.stream(reply, conversation, context));
    else exchange.json(200, api.json(reply, conversation, context));
  }

  /** Waits for a scripted delay, unless the client or the server goes away first. */
  function later(exchange: Exchange, delayMs: number, run: () => void): void {
    if (delayMs <= 0) {
      run();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!exchange.closed) run();
    }, delayMs);
    timers.add(timer);
    exchange.response.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  }

  function newEntry(request: IncomingMessage, headers: Record<string, string>): LoggedRequest {
    const target = new URL(request.url ?? '/', 'http://127.0.0.1');
    seq += 1;
    return {
      seq,
      method: request.method ?? 'GET',
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: redactHeaders(headers),
      body: null,
      endpoint: 'unknown',
      api: null,
      model: null,
      text: '',
      stream: false,
      route: null,
      turn: null,
      status: null,
    };
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // Codex's built-in OpenAI provider tries a WebSocket first; a plain 426 (404 off the
  // Responses path) tells it to fall back to HTTP streaming.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const headers = flattenHeaders(request.headers);
    const entry = newEntry(request, headers);
    entry.endpoint = 'websocket';
    const status = routeFor(entry.path).endpoint === 'responses' ? 426 : 404;
    entry.status = status;
    log.add(entry);
    log.settle(entry);
    const message =
      status === 426 ? 'WebSocket is not supported here; use HTTP streaming' : 'Not found';
    const body = JSON.stringify(openAiError(status, message));
    const reason = status === 426 ? 'Upgrade Required' : 'Not Found';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the model server did not get a TCP address');
  }
  url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      // Keep-alive and streaming connections would hold `close` open; cut them. The socket
      // set also covers upgrade sockets, which closeAllConnections() leaves alone.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return {
    url,
    port: address.port,
    requests: log.entries,
    script: (match, turns) => book.add(match, turns),
    reset() {
      book.reset();
      addStartRoutes();
      log.clear();
      seq = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function describe(entry: LoggedRequest, conversation: Conversation): void {
  entry.model = conversation.model;
  entry.text = conversation.text;
  entry.stream = conversation.stream;
}

function scriptedReply(
  step: Exclude<ChosenTurn['step'], { error: unknown }>,
  api: WireApi,
  conversation: Conversation,
): ScriptedReply {
  if ('text' in step) {
    return {
      kind: 'text',
      text: step.text,
      usage: resolveUsage(step.usage, conversation.text, step.text),
    };
  }
  const call = resolveToolCall(step.toolCall, api.kind, conversation.tools);
  return {
    kind: 'tool',
    name: call.name,
    arguments: call.arguments,
    usage: resolveUsage(step.usage, conversation.text, JSON.stringify(call.arguments)),
  };
}

/** Maps a path, with or without the `/v1` prefix and trailing slashes, to an endpoint. */
export function routeFor(path: string): RouteMatch {
  const trimmed = path.replace(/\/+$/, '');
  const bare = trimmed.replace(/^\/v1(?=\/|$)/, '');
  const post = ['POST'];
  const get = ['GET'];
  switch (bare) {
    case '/responses':
      return { endpoint: 'responses', methods: post };
    case '/chat/completions':
      return { endpoint: 'chat.completions', methods: post };
    case '/messages':
      return { endpoint: 'messages', methods: post };
    case '/messages/count_tokens':
      return { endpoint: 'messages.count_tokens', methods: post };
    case '/models':
      return { endpoint: 'models', methods: get };
    case '/model/info':
      return { endpoint: 'model.info', methods: get };
    case '/health':
      return { endpoint: 'health', methods: get };
    case '/health/liveliness':
    case '/health/liveness':
      return { endpoint: 'health.liveliness', methods: get };
    case '/health/readiness':
      return { endpoint: 'health.readiness', methods: get };
  }
  if (bare.startsWith('/models/') && bare.length > '/models/'.length) {
    return { endpoint: 'model', methods: get };
  }
  return { endpoint: 'unknown', methods: [] };
}

function errorFamily(
  endpoint: Endpoint,
  path: string,
  headers: Readonly<Record<string, string>>,
): ErrorFamily {
  if (endpoint === 'messages' || endpoint === 'messages.count_tokens') return 'anthropic';
  if (
    endpoint === 'unknown' &&
    (headers['anthropic-version'] !== undefined || path.includes('/messages'))
  ) {
    return 'anthropic';
  }
  return 'openai';
}

/** Accepts loopback addresses only: a test server must never be reachable from elsewhere. */
function loopbackHost(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  if (host === '::1' || host === '[::1]') return '::1';
  if (isIPv4(host) && host.startsWith('127.')) return host;
  throw new Error(
    `startModelServer: host "${host}" is not a loopback address. The scripted model server ` +
      'listens only on 127.0.0.1 (or another 127.x.y.z address, ::1, localhost) so nothing ' +
      'outside this machine can reach it; leave `host` unset.',
  );
}
