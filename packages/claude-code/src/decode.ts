/**
 * Decodes `claude -p --output-format stream-json --verbose`: one JSON object per line.
 *
 * - `system/init` carries the session id (every later event repeats it); `system/api_retry`
 *   is Claude Code's own retry of a failed request (a non-fatal error, with the delay it
 *   waits); `system/permission_denied` is a warning (the model is told and carries on).
 * - `assistant` messages carry text and `tool_use` blocks; `user` messages carry the
 *   `tool_result` of each tool use, matched by id. An assistant message with
 *   `is_api_error_message` is Claude Code's own rendering of an API error, not model text.
 * - `rate_limit_event` reports the account's plan limits; a `rejected` one says when the
 *   limit resets.
 * - The final `result` decides the stage: `is_error` (its `subtype` says `success` even on
 *   an API error), the API error fields for the failure class (see `classify.ts`), `result`
 *   for the final text, and the run's usage and cost (see `usage.ts`).
 */
import {
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';
import {
  type ApiErrorReport,
  type Classification,
  classification,
  classifyApiError,
  classifyStderr,
} from './classify.js';
import { runUsage } from './usage.js';

type Json = Record<string, unknown>;

/** A failed run, named: what Claude Code said and what Baton makes of it. */
interface RunFailure extends Classification {
  readonly message: string;
  readonly status: number | null;
  /** The run's own cap stopped it (`--max-budget-usd`, `--max-turns`). */
  readonly limitReached?: 'cost' | 'turns';
  /** `--resume` named a session Claude Code does not have. */
  readonly sessionNotFound?: boolean;
}

/** Claude Code's words for a `--resume <id>` it has no conversation for. */
const UNKNOWN_SESSION = /\bNo conversation found with session ID\b/;

interface ResultSummary {
  readonly failed: boolean;
  readonly text: string | null;
  readonly failure: RunFailure | null;
  readonly usage: Usage;
}

/** What the synthetic assistant message of an API error said. */
interface ApiErrorMessage {
  readonly text: string;
  readonly status: number | null;
  readonly errorType: string | null;
  readonly apiError: string | null;
  readonly category: string | null;
  /** When Claude Code wrote it (ms since the epoch): the reference for a limit's reset time. */
  readonly at: number | null;
}

/** The last `system/api_retry`: Claude Code's own retry of a failed request. */
interface RetryNotice {
  readonly status: number | null;
  readonly category: string | null;
  readonly delayMs: number | null;
}

const PREVIEW_LENGTH = 160;

export interface ClaudeCodeDecoderOptions {
  /** The run continues a session (`--resume`): `total_cost_usd` then counts the earlier runs too. */
  readonly resumed?: boolean;
  /** The clock for a limit's reset time when Claude Code's message carries no timestamp. */
  readonly now?: () => number;
}

export function createClaudeCodeDecoder(options: ClaudeCodeDecoderOptions = {}): OutputDecoder {
  const now = options.now ?? Date.now;
  let sessionId: string | null = null;
  let sawEvent = false;
  let lastText: string | null = null;
  let apiError: ApiErrorMessage | null = null;
  let lastRetry: RetryNotice | null = null;
  /** `resetsAt` (unix seconds) of a plan limit that refused a request. */
  let limitResetsAt: number | null = null;
  let result: ResultSummary | null = null;
  const toolUses = new Map<string, { name: string; input: unknown }>();

  function noteSession(event: Json, events: RuntimeEvent[]): void {
    const id = event.session_id;
    if (typeof id === 'string' && id !== '' && id !== sessionId) {
      sessionId = id;
      events.push({ type: 'session', sessionId: id });
    }
  }

  function noteLimit(info: unknown): void {
    if (!isRecord(info) || info.status !== 'rejected') return;
    const resetsAt = numberOrNull(info.resetsAt);
    if (resetsAt !== null) limitResetsAt = resetsAt;
  }

  function system(event: Json, events: RuntimeEvent[]): void {
    switch (event.subtype) {
      case 'api_retry': {
        const status = numberOrNull(event.error_status);
        const category = stringOrNull(event.error);
        const delayMs = numberOrNull(event.retry_delay_ms);
        const attempt = numberOrNull(event.attempt);
        const max = numberOrNull(event.max_retries);
        lastRetry = { status, category, delayMs };
        const what = [status, category].filter((part) => part !== null).join(' ') || 'an API error';
        events.push({
          type: 'error',
          message:
            `Claude Code retries after ${what}` +
            (delayMs !== null ? ` in ${formatSeconds(delayMs)}` : '') +
            (attempt !== null ? ` (attempt ${attempt}${max !== null ? ` of ${max}` : ''})` : ''),
          kind: classifyApiError({
            message: '',
            status,
            errorType: null,
            apiError: null,
            category,
            retryDelayMs: null,
            resetInMs: null,
          }).kind,
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
      const params = isRecord(event.api_error_params) ? event.api_error_params : null;
      noteLimit(params?.rate_limit_info);
      const at = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : Number.NaN;
      apiError = {
        text: texts.join('\n') || 'API error',
        status: numberOrNull(event.api_error_status),
        errorType: stringOrNull(event.api_error_type),
        apiError: stringOrNull(event.api_error),
        category: stringOrNull(event.error),
        at: Number.isFinite(at) ? at : null,
      };
      return;
    }
    // A request was answered: earlier errors, retries and limits did not end the run.
    apiError = null;
    lastRetry = null;
    limitResetsAt = null;
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

  /** The report of the API error that ended the run, from the result's fields and the assistant's. */
  function report(
    message: string,
    status: number | null,
    errorType: string | null,
    code: string | null,
    category: string | null,
  ): ApiErrorReport {
    const rateLimited =
      lastRetry !== null && (lastRetry.status === 429 || lastRetry.category === 'rate_limit');
    const resetInMs =
      limitResetsAt === null ? null : limitResetsAt * 1000 - (apiError?.at ?? now());
    return {
      message,
      status,
      errorType,
      apiError: code,
      category,
      retryDelayMs: rateLimited ? (lastRetry?.delayMs ?? null) : null,
      resetInMs: resetInMs !== null && resetInMs > 0 ? resetInMs : null,
    };
  }

  /** The failure an API error message (with or without a result) describes. */
  function apiFailure(
    message: string,
    fields: { status: number | null; errorType: string | null; code: string | null },
  ): RunFailure {
    const status = fields.status ?? apiError?.status ?? null;
    const named = classifyApiError(
      report(
        message,
        status,
        fields.errorType ?? apiError?.errorType ?? null,
        fields.code ?? apiError?.apiError ?? null,
        apiError?.category ?? null,
      ),
    );
    return { message, status, ...named };
  }

  function finalResult(event: Json, events: RuntimeEvent[]): void {
    const subtype = stringOrNull(event.subtype);
    const failed = event.is_error === true || (subtype?.startsWith('error') ?? false);
    const text = stringOrNull(event.result);
    const usage = runUsage(event, options.resumed === true);
    let failure: RunFailure | null = null;
    if (failed) {
      const status = numberOrNull(event.api_error_status);
      const errorType = stringOrNull(event.api_error_type);
      const code = stringOrNull(event.api_error);
      const errors = Array.isArray(event.errors)
        ? event.errors.filter((entry): entry is string => typeof entry === 'string')
        : [];
      const message =
        text ??
        (errors.length > 0 ? errors.join('; ') : null) ??
        apiError?.text ??
        `Claude Code reported ${subtype ?? 'an error'}`;
      const fromApi = apiError !== null || status !== null || errorType !== null || code !== null;
      // `error_max_turns`, `error_max_budget_usd`, `error_during_execution` without an API
      // error: the run stopped on its own terms; another runtime would redo the same work.
      // A cap of the budget says which (the run is out of budget, not failed), and an unknown
      // session says so (the stage starts over from its checkpoint).
      const limitReached =
        subtype === 'error_max_budget_usd'
          ? ('cost' as const)
          : subtype === 'error_max_turns'
            ? ('turns' as const)
            : undefined;
      failure = fromApi
        ? apiFailure(message, { status, errorType, code })
        : {
            message,
            status: null,
            ...classification('task', 'unknown'),
            ...(limitReached === undefined ? {} : { limitReached }),
            ...(UNKNOWN_SESSION.test(message) ? { sessionNotFound: true } : {}),
          };
    }
    result = { failed, text, failure, usage };
    events.push({ type: 'usage', usage });
    if (failure !== null) {
      events.push({
        type: 'error',
        message: failure.message,
        kind: failure.kind,
        status: failure.status,
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
        case 'rate_limit_event':
          noteLimit(event.rate_limit_info);
          break;
        case 'result':
          finalResult(event, events);
          break;
        // stream_event, tool_progress and newer types carry nothing Baton needs.
      }
      return events;
    },

    finish(exit: ProcessExit): StageOutcome {
      const stderr = meaningfulStderr(exit.stderrTail);
      if (result !== null) {
        if (result.failed) return failed(result.failure!, sessionId, result.usage);
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
            status: null,
            ...classification('task', 'unknown'),
          },
          sessionId,
          result.usage,
        );
      }
      if (apiError !== null) {
        return failed(
          apiFailure(apiError.text, { status: null, errorType: null, code: null }),
          sessionId,
          UNKNOWN_USAGE,
        );
      }
      const local = classifyStderr(stderr);
      if (local !== null) {
        return failed({ ...local, status: null }, sessionId, UNKNOWN_USAGE);
      }
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
          status: null,
          ...classification(crashedEarly ? 'transient' : 'task', 'unknown'),
        },
        sessionId,
        UNKNOWN_USAGE,
      );
    },
  };
}

function failed(failure: RunFailure, sessionId: string | null, usage: Usage): StageOutcome {
  return {
    status: 'failed',
    finalText: null,
    sessionId,
    usage,
    error: {
      message: failure.message,
      kind: failure.kind,
      status: failure.status,
      retryable: failure.retryable,
      failureClass: failure.failureClass,
      retryAfterMs: failure.retryAfterMs,
      ...(failure.limitReached === undefined ? {} : { limitReached: failure.limitReached }),
      ...(failure.sessionNotFound === true ? { sessionNotFound: true } : {}),
    },
  };
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

/** 2133 → "2.1 s". */
function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
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
