/**
 * The LiteLLM adapter's HTTP client, run as its own process by the stage runner:
 *
 *   node client.js --url <proxy>/v1/chat/completions [--api-key-env NAME] < request.json
 *
 * It POSTs the Chat Completions request read from stdin, with `Authorization: Bearer` set
 * from the environment variable NAME (the key never travels in argv), and prints one JSON
 * line per record: `{"type":"client.response",status,headers}` once the proxy answered (the
 * LiteLLM headers the decoder reads, such as `x-litellm-response-cost`), each `data:` payload
 * as received, `{"type":"client.done"}` for `data: [DONE]`, and on failure one
 * `{"type":"client.error",phase,status,code,message,…}` line before exiting 1 — with the
 * delay a `retry-after` header asked for, which only the client sees.
 * Self-contained (Node built-ins only) and erasable TypeScript, so Node can run the source.
 */

const MAX_ERROR_BODY = 64 * 1024;

/** The response headers the decoder may read: LiteLLM's own (cost, call id, version). */
const RESPONSE_HEADERS = [
  'x-litellm-response-cost',
  'x-litellm-call-id',
  'x-litellm-version',
  'x-litellm-attempted-retries',
  'x-litellm-attempted-fallbacks',
];
/** The headers of a refused request that say when to try again. */
const RETRY_HEADERS = [
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
];

interface Options {
  url: string | undefined;
  apiKeyEnv: string | undefined;
}

async function emit(record: unknown): Promise<void> {
  const line = `${typeof record === 'string' ? record : JSON.stringify(record)}\n`;
  if (!process.stdout.write(line)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
  }
}

async function fail(record: Record<string, unknown>, exitCode: number): Promise<never> {
  await emit({ type: 'client.error', phase: 'setup', status: null, code: null, ...record });
  process.exit(exitCode);
}

function parseOptions(argv: readonly string[]): Options | string {
  const options: Options = { url: undefined, apiKeyEnv: undefined };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = argv[index + 1];
    if (name !== '--url' && name !== '--api-key-env')
      return `unknown argument ${JSON.stringify(name)}`;
    if (value === undefined) return `${name} needs a value`;
    if (name === '--url') options.url = value;
    else options.apiKeyEnv = value;
    index++;
  }
  return options;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `fetch` wraps network failures in `TypeError: fetch failed`; the cause names the system error. */
function describeNetworkError(error: unknown): { code: string | null; message: string } {
  const outer = error instanceof Error ? error : new Error(String(error));
  const cause = (outer as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause : null;
  const code =
    (inner as { code?: unknown } | null)?.code ?? (outer as { code?: unknown }).code ?? null;
  const message = inner ? `${outer.message}: ${inner.message}` : outer.message;
  return { code: typeof code === 'string' ? code : null, message };
}

interface ErrorBody {
  readonly message: string;
  /** LiteLLM's `error.type` (`budget_exceeded`, `auth_error`, …), when there is one. */
  readonly type: string | null;
}

/**
 * The JSON of an error body. A streamed request whose first chunk is an error comes back with
 * that chunk's status and an SSE body (`data: {"error":{…}}`), so `data:` lines are read too.
 */
function errorJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    for (const line of body.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      try {
        return JSON.parse(line.slice(5));
      } catch {
        // Not this line.
      }
    }
  }
  return undefined;
}

/** The message in an OpenAI/LiteLLM error body (`{"error":{"message"}}`, `{"detail"}`), else the text. */
function errorBody(body: string): ErrorBody {
  const parsed = errorJson(body) as { error?: unknown; detail?: unknown } | undefined;
  if (parsed !== null && typeof parsed === 'object') {
    const error = parsed.error as { message?: unknown; type?: unknown } | string | undefined;
    if (typeof error === 'string') return { message: error, type: null };
    if (error && typeof error.message === 'string') {
      const type = typeof error.type === 'string' && error.type !== 'None' ? error.type : null;
      return { message: error.message, type };
    }
    if (typeof parsed.detail === 'string') return { message: parsed.detail, type: null };
    if (parsed.detail !== undefined) return { message: JSON.stringify(parsed.detail), type: null };
  }
  return { message: body.trim().slice(0, 500) || '(empty body)', type: null };
}

function pickHeaders(headers: Headers, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}

/**
 * How long the proxy asked to wait, in ms: `retry-after-ms`, else `retry-after` as seconds or
 * an HTTP date (measured against the response's own `Date`, so a skewed clock does not
 * matter). `null` when neither says.
 */
function retryAfterMs(headers: Headers, now: number = Date.now()): number | null {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return null;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  const sent = Date.parse(headers.get('date') ?? '');
  return Math.max(0, at - (Number.isNaN(sent) ? now : sent));
}

async function readLimited(response: Response): Promise<string> {
  if (response.body === null) return '';
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    if (text.length >= MAX_ERROR_BODY) break;
  }
  return text.slice(0, MAX_ERROR_BODY);
}

async function dispatch(data: string[]): Promise<void> {
  if (data.length === 0) return;
  const payload = data.join('\n');
  if (payload.trim() === '[DONE]') {
    await emit({ type: 'client.done' });
    return;
  }
  try {
    await emit(JSON.stringify(JSON.parse(payload)));
  } catch {
    await emit({ type: 'client.unparsed', data: payload.slice(0, 2000) });
  }
}

/** Reads a `text/event-stream` body, printing each event's data as it completes. */
async function relayEvents(body: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const handleLine = async (line: string) => {
    if (line === '') {
      await dispatch(data);
      data = [];
    } else if (line.startsWith('data:')) {
      data.push(line.slice(5).replace(/^ /, ''));
    }
    // `event:`, `id:`, `retry:` and `:` comments carry nothing the decoder needs.
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      await handleLine(buffer.slice(0, newline).replace(/\r$/, ''));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  if (buffer !== '') await handleLine(buffer.replace(/\r$/, ''));
  await dispatch(data);
}

async function main(): Promise<void> {
  process.stdout.on('error', () => process.exit(1));
  const options = parseOptions(process.argv.slice(2));
  if (typeof options === 'string') await fail({ code: 'USAGE', message: options }, 2);
  const { url, apiKeyEnv } = options as Options;
  if (url === undefined) {
    await fail(
      {
        code: 'NO_BASE_URL',
        message: 'no proxy URL: set base_url under [runtimes.litellm] in baton.toml',
      },
      2,
    );
  }
  const body = await readStdin();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream, application/json',
  };
  if (apiKeyEnv !== undefined) {
    const key = process.env[apiKeyEnv];
    if (key === undefined || key === '') {
      await fail(
        {
          code: 'NO_API_KEY',
          message: `the environment variable ${apiKeyEnv} (api_key_env) is not set`,
        },
        2,
      );
    }
    headers.authorization = `Bearer ${key}`;
  }

  let response: Response;
  try {
    response = await fetch(url!, { method: 'POST', headers, body });
  } catch (error) {
    const { code, message } = describeNetworkError(error);
    return fail({ phase: 'connect', code, message: `cannot reach ${url}: ${message}` }, 1);
  }
  if (!response.ok) {
    const text = await readLimited(response).catch(() => '');
    const { message, type } = errorBody(text);
    return fail(
      {
        phase: 'response',
        status: response.status,
        message,
        errorType: type,
        retryAfterMs: retryAfterMs(response.headers),
        headers: pickHeaders(response.headers, [...RETRY_HEADERS, ...RESPONSE_HEADERS]),
        body: text.slice(0, 2000),
      },
      1,
    );
  }
  await emit({
    type: 'client.response',
    status: response.status,
    headers: pickHeaders(response.headers, RESPONSE_HEADERS),
  });
  try {
    const type = response.headers.get('content-type') ?? '';
    if (response.body === null) {
      await emit({ type: 'client.unparsed', data: '' });
    } else if (type.includes('text/event-stream')) {
      await relayEvents(response.body);
    } else {
      // A proxy that ignored `stream: true` answers with one JSON completion.
      const text = await new Response(response.body).text();
      await dispatch([text]);
      await emit({ type: 'client.done' });
    }
  } catch (error) {
    const { code, message } = describeNetworkError(error);
    return fail({ phase: 'stream', code, message: `the response stream broke: ${message}` }, 1);
  }
}

await main();
