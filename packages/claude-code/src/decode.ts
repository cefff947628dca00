/**
 * Decodes `claude -p --output-format stream-json --verbose`: one JSON object per line.
 *
 * - `system/init` carries the session id; `system/api_retry` is a retry notice (a non-fatal
 *   error); `system/permission_denied` is a warning (the model is told and carries on).
 * - `assistant` messages carry text and `tool_use` blocks; `user` messages carry the
 *   `tool_result` of each tool use, matched by id. An assistant message with
 *   `is_api_error_message` is Claude Code's own rendering of an API error, not model text.
 * - The final `result` decides the stage: `is_error` (its `subtype` says `success` even on
 *   an API error), `api_error_status` for the kind, `result` for the final text, `usage`
 *   and `total_cost_usd`.
 *
 * Anthropic's `input_tokens` leaves out cache reads and cache writes; Baton's `inputTokens`
 * is all input, so it is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`,
 * and `cachedInputTokens` is `cache_read_input_tokens`. `usage` covers this run only, even
 * after `--resume`; the cost is taken per run too (see `runCost`).
 */
import {
  type ErrorKind,
  failureClassOf,
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';

type Json = Record<string, unknown>;

interface StageError {
  readonly message: string;
  readonly kind: ErrorKind;
  readonly status: number | null;
}

interface ResultSummary {
  readonly failed: boolean;
  readonly text: string | null;
  readonly error: StageError | null;
  readonly usage: Usage;
}

const PREVIEW_LENGTH = 160;

export interface ClaudeCodeDecoderOptions {
  /** The run continues a session (`--resume`): `total_cost_usd` then counts the earlier runs too. */
  readonly resumed?: boolean;
}

export function createClaudeCodeDecoder(options: ClaudeCodeDecoderOptions = {}): OutputDecoder {
  let sessionId: string | null = null;
  let sawEvent = false;
  let lastText: string | null = null;
  let apiError: StageError | null = null;
  let result: ResultSummary | null = null;
  const toolUses = new Map<string, { name: string; input: unknown }>();

  function noteSession(event: Json, events: RuntimeEvent[]): void {
    const id = event.session_id;
    if (typeof id === 'string' && id !== '' && id !== sessionId) {
      sessionId = id;
      events.push({ type: 'session', sessionId: id });
    }
  }

  function system(event: Json, events: RuntimeEvent[]): void {
    switch (event.subtype) {
      case 'api_retry': {
        const status = numberOrNull(event.error_status);
        const code = stringOrNull(event.error);
        const attempt = numberOrNull(event.attempt);
        const max = numberOrNull(event.max_retries);
        const what = [status, code].filter((part) => part !== null).join(' ') || 'an API error';
        events.push({
          type: 'error',
          message:
            `Claude Code retries after ${what}` +
            (attempt !== null ? ` (attempt ${attempt}${max !== null ? ` of ${max}` : ''})` : ''),
          kind: errorKind(status, code, ''),
          status,
          fatal: false,
        });
        return;
      }
      case 'permission_denied': {
        const tool = stringOrNull(event.tool_name) ?? 'a tool';
        const message = stringOrNull(event.message) ?? 'permission denied';
        events.push({ type: 'warning', message: `Claude Code denied ${tool}: ${message}` });
        return;
      }
    }
  }

  function assistant(event: Json, events: RuntimeEvent[]): void {
    const message = isRecord(event.message) ? event.message : null;
    const content = Array.isArray(message?.content) ? message.content : [];
    const texts = content
      .filter((block): block is Json => isRecord(block) && block.type === 'text')
      .map((block) => (typeof block.text === 'string' ? block.text : ''))
      .filter((text) => text !== '');
    if (event.is_api_error_message === true) {
      // Claude Code's rendering of an API error; the `result` that follows reports it again.
      const status = numberOrNull(event.api_error_status);
      const code = stringOrNull(event.api_error) ?? stringOrNull(event.error);
      const text = texts.join('\n') || 'API error';
      apiError = { message: text, kind: errorKind(status, code, text), status };
      return;
    }
    const mainThread = event.parent_tool_use_id === null || event.parent_tool_use_id === undefined;
    for (const block of content) {
      if (!isRecord(block)) continue;
      if (
        block.type === 'text' &&
        typeof block.text === 'string' &&
        block.text !== '' &&
        mainThread
      ) {
        events.push({ type: 'text', text: block.text });
      } else if (block.type === 'tool_use') {
        const id = stringOrNull(block.id);
        const name = stringOrNull(block.name) ?? 'unknown';
        if (id !== null) toolUses.set(id, { name, input: block.input ?? null });
        events.push({
          type: 'tool-use',
          name,
          id,
          status: 'started',
          input: block.input ?? null,
          output: null,
        });
      }
    }
    if (mainThread && texts.length > 0) lastText = texts.join('\n');
  }

  function user(event: Json, events: RuntimeEvent[]): void {
    const message = isRecord(event.message) ? event.message : null;
    if (!Array.isArray(message?.content)) return;
    for (const block of message.content) {
      if (!isRecord(block) || block.type !== 'tool_result') continue;
      const id = stringOrNull(block.tool_use_id);
      const known = id === null ? undefined : toolUses.get(id);
      events.push({
        type: 'tool-use',
        name: known?.name ?? 'unknown',
        id,
        status: block.is_error === true ? 'failed' : 'completed',
        input: known?.input ?? null,
        output: toolOutput(block.content),
      });
    }
  }

  function finalResult(event: Json, events: RuntimeEvent[]): void {
    const subtype = stringOrNull(event.subtype);
    const failed = event.is_error === true || (subtype?.startsWith('error') ?? false);
    const text = stringOrNull(event.result);
    const usage = normaliseUsage(event.usage, runCost(event, options.resumed === true));
    let error: StageError | null = null;
    if (failed) {
      const status = numberOrNull(event.api_error_status);
      const code = stringOrNull(event.api_error) ?? stringOrNull(event.api_error_type);
      const errors = Array.isArray(event.errors)
        ? event.errors.filter((entry): entry is string => typeof entry === 'string')
        : [];
      const message =
        text ??
        (errors.length > 0 ? errors.join('; ') : null) ??
        apiError?.message ??
        `Claude Code reported ${subtype ?? 'an error'}`;
      const kind =
        status === null && code === null && apiError !== null
          ? apiError.kind
          : errorKind(status, code, message);
      error = { message, kind, status: status ?? apiError?.status ?? null };
    }
    result = { failed, text, error, usage };
    events.push({ type: 'usage', usage });
    if (error !== null) {
      events.push({
        type: 'error',
        message: error.message,
        kind: error.kind,
        status: error.status,
        fatal: true,
      });
    } else if (text !== null) {
      events.push({ type: 'result', text });
    }
  }

  return {
    push(line) {
      const trimmed = line.trim();
      if (trimmed === '') return [];
      let event: unknown;
      try {
        event = JSON.parse(trimmed);
      } catch {
        return [
          {
            type: 'warning',
            message: `skipped a line of Claude Code output that is not JSON: ${preview(trimmed)}`,
          },
        ];
      }
      if (!isRecord(event)) return [];
      sawEvent = true;
      const events: RuntimeEvent[] = [];
      noteSession(event, events);
      switch (event.type) {
        case 'system':
          system(event, events);
          break;
        case 'assistant':
          assistant(event, events);
          break;
        case 'user':
          user(event, events);
          break;
        case 'result':
          finalResult(event, events);
          break;
        // stream_event, rate_limit_event, tool_progress and newer types carry nothing Baton needs.
      }
      return events;
    },

    finish(exit: ProcessExit): StageOutcome {
      const stderr = meaningfulStderr(exit.stderrTail);
      if (result !== null) {
        if (result.failed) {
          return failed(result.error!, sessionId, result.usage);
        }
        if (exit.exitCode === 0 && exit.signal === null) {
          return {
            status: 'succeeded',
            finalText: result.text ?? lastText,
            sessionId,
            usage: result.usage,
            error: null,
          };
        }
        const how =
          exit.signal !== null
            ? `was stopped by ${exit.signal}`
            : `exited with code ${exit.exitCode}`;
        return failed(
          {
            message: `Claude Code ${how} after reporting success${stderr ? `: ${stderr}` : ''}`,
            kind: 'unknown',
            status: null,
          },
          sessionId,
          result.usage,
          false,
        );
      }
      if (apiError !== null) return failed(apiError, sessionId, UNKNOWN_USAGE);
      const known = knownFailure(stderr);
      if (known !== null) return failed(known, sessionId, UNKNOWN_USAGE, false);
      // Nothing ran yet when a process dies before its first event: worth another try.
      const crashedEarly = !sawEvent;
      const how =
        exit.signal !== null
          ? `was stopped by ${exit.signal} before`
          : exit.exitCode === 0
            ? 'exited with code 0 without'
            : `exited with code ${exit.exitCode} before`;
      return failed(
        {
          message: `Claude Code ${how} ${crashedEarly ? 'any output' : 'its result'}${stderr ? `: ${stderr}` : ''}`,
          kind: 'unknown',
          status: null,
        },
        sessionId,
        UNKNOWN_USAGE,
        crashedEarly,
      );
    },
  };
}

function failed(
  error: StageError,
  sessionId: string | null,
  usage: Usage,
  retryable?: boolean,
): StageOutcome {
  return {
    status: 'failed',
    finalText: null,
    sessionId,
    usage,
    error: {
      ...error,
      retryable: retryable ?? isRetryable(error.kind),
      failureClass: failureClassOf(error.kind, retryable ?? isRetryable(error.kind)),
      retryAfterMs: null,
    },
  };
}

/** Transient failures: a rate limit, a server error, the network, a request that timed out. */
export function isRetryable(kind: ErrorKind): boolean {
  return kind === 'rate-limit' || kind === 'server' || kind === 'network' || kind === 'timeout';
}

/** The kind of an API failure, from its HTTP status, else Claude Code's error code, else its text. */
export function errorKind(status: number | null, code: string | null, text: string): ErrorKind {
  if (status !== null) {
    if (status === 401 || status === 403) return 'auth';
    if (status === 429) return 'rate-limit';
    if (status === 408) return 'timeout';
    if (status >= 500) return 'server';
    if (status >= 400) return 'model';
  }
  const code_ = code ?? '';
  // `connection_failed` arrives with `error: "server_error"`, so the network test comes first.
  if (
    /connection|network|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed/i.test(
      `${code_} ${text}`,
    )
  ) {
    return 'network';
  }
  if (/timeout|timed out|ETIMEDOUT/i.test(`${code_} ${text}`)) return 'timeout';
  if (
    /auth|permission_error|not logged in|\/login|invalid api key|x-api-key/i.test(
      `${code_} ${text}`,
    )
  )
    return 'auth';
  if (/rate.?limit/i.test(`${code_} ${text}`)) return 'rate-limit';
  if (/server_error|overloaded|api_error/i.test(code_)) return 'server';
  if (/invalid_request|not_found|model/i.test(code_)) return 'model';
  return 'unknown';
}

/** Failures Claude Code reports only on stderr, with what to do about them. */
function knownFailure(stderr: string): StageError | null {
  if (/cannot be used with root\/sudo privileges/.test(stderr)) {
    return {
      message:
        `${stderr}. Claude Code refuses access "full" (--permission-mode bypassPermissions) as root: ` +
        'run Baton as a non-root user, or set IS_SANDBOX=1 in its environment if this machine is a disposable sandbox.',
      kind: 'permission',
      status: null,
    };
  }
  const missingSettings = /Settings file not found: (.+)/.exec(stderr);
  if (missingSettings) {
    return {
      message: `Claude Code cannot find the backend profile's settings file ${missingSettings[1]!.trim()}: run \`baton setup claude-code\`.`,
      kind: 'unknown',
      status: null,
    };
  }
  if (/unknown option|error: option/i.test(stderr)) {
    return {
      message: `${stderr} — this Claude Code version does not accept an argument Baton passes; run \`baton doctor\` to compare it with the tested versions.`,
      kind: 'unknown',
      status: null,
    };
  }
  if (/native binary not installed/.test(stderr)) {
    return {
      message: `${stderr} — the Claude Code package's postinstall did not run; rerun it or reinstall Claude Code.`,
      kind: 'unknown',
      status: null,
    };
  }
  return null;
}

/** The stderr tail without Claude Code's diagnostic noise (`[claude-code:unrecognized_model] {…}`), bounded. */
function meaningfulStderr(stderrTail: string): string {
  const lines = stderrTail
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('[claude-code:'));
  const text = lines.slice(-5).join(' ');
  return text.length > 500 ? `…${text.slice(-500)}` : text;
}

/** Anthropic usage → Baton usage; `inputTokens` adds the cache reads and writes Anthropic reports apart. */
export function normaliseUsage(usage: unknown, cost: unknown): Usage {
  const costUsd = numberOrNull(cost);
  if (!isRecord(usage)) return { ...UNKNOWN_USAGE, costUsd };
  const input = numberOrNull(usage.input_tokens);
  const cacheRead = numberOrNull(usage.cache_read_input_tokens);
  const cacheCreation = numberOrNull(usage.cache_creation_input_tokens);
  const output = numberOrNull(usage.output_tokens);
  const details = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : null;
  const reasoning = numberOrNull(details?.thinking_tokens);
  if (input === null && output === null) return { ...UNKNOWN_USAGE, costUsd };
  const inputTokens = input === null ? null : input + (cacheRead ?? 0) + (cacheCreation ?? 0);
  return {
    known: true,
    inputTokens,
    cachedInputTokens: input === null ? null : (cacheRead ?? 0),
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: inputTokens !== null && output !== null ? inputTokens + output : null,
    costUsd,
  };
}

/**
 * The cost of this run. `usage` covers this run only, but after `--resume` `total_cost_usd`
 * (like `modelUsage`) covers the whole session; `model_usage_since_last_result` (2.1.330)
 * has this run's cost per model. Without it, a resumed run's cost is unknown.
 */
export function runCost(result: Json, resumed: boolean): number | null {
  const since = result.model_usage_since_last_result;
  if (isRecord(since)) {
    const costs = Object.values(since).map((entry) =>
      isRecord(entry) ? numberOrNull(entry.costUSD) : null,
    );
    if (costs.length > 0 && costs.every((cost) => cost !== null)) {
      return costs.reduce<number>((sum, cost) => sum + cost!, 0);
    }
  }
  return resumed ? null : numberOrNull(result.total_cost_usd);
}

function toolOutput(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts = content
    .filter(
      (part): part is Json =>
        isRecord(part) && part.type === 'text' && typeof part.text === 'string',
    )
    .map((part) => part.text as string);
  return parts.length > 0 ? parts.join('\n') : null;
}

function preview(text: string): string {
  return text.length > PREVIEW_LENGTH
    ? `${JSON.stringify(text.slice(0, PREVIEW_LENGTH))}…`
    : JSON.stringify(text);
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
