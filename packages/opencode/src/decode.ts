/**
 * Decodes `opencode run --format json` (OpenCode 1.18): one JSON object per line,
 * `{type, timestamp, sessionID, ...}`, with type
 *
 * - `step_start`: a model step begins;
 * - `text`: a completed text part (`part.text`);
 * - `tool_use`: a tool part in its final state (`part.tool`, `part.callID`,
 *   `part.state.status` `completed` | `error`, `input`, `output` or `error`);
 * - `step_finish`: the step's `reason` (`stop`, `tool-calls`, `length`, …), `tokens` and `cost`;
 * - `reasoning`: only with `--thinking`, which Baton does not pass; never final text;
 * - `error`: `{name, data: {message, statusCode?, isRetryable, …}}`, after OpenCode's own
 *   retries (up to 5, with back-off, for 5xx, 429 and network errors); the exit code is 1.
 *
 * The final text is the text of the last step that had any (the answer after the last tool
 * call). A run that stops after a step that asked for tools did not finish: OpenCode ends a
 * run that way, with exit 0, when it rejected a permission the model needed.
 *
 * Usage is the sum over steps. OpenCode's `tokens.input` excludes cache reads and writes
 * (it is the provider's input count minus `cache.read` and `cache.write`) and its
 * `tokens.output` excludes reasoning; Baton's `inputTokens` and `outputTokens` include them.
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

type StageError = Omit<NonNullable<StageOutcome['error']>, 'failureClass' | 'retryAfterMs'>;

interface Totals {
  steps: number;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  cost: number;
  costKnown: boolean;
}

const PREVIEW_LENGTH = 200;

/** OpenCode's wording for a tool call refused by a permission rule (deny, or an auto-rejected ask). */
const PERMISSION_REFUSED =
  /rejected permission|permission (?:was )?denied|prevents you from using|auto-rejecting/i;

const NETWORK =
  /cannot connect|unable to connect|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed|socket hang up|network error|connection (?:refused|reset|error)/i;

export function createOpenCodeDecoder(): OutputDecoder {
  let sessionId: string | null = null;
  let sawEvent = false;
  let failure: StageError | null = null;
  let stepTexts: string[] = [];
  let lastTexts: string[] = [];
  let lastReason: string | null = null;
  let refusedTool: string | null = null;
  const totals: Totals = {
    steps: 0,
    input: 0,
    cacheRead: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    cost: 0,
    costKnown: false,
  };

  function usage(): Usage {
    if (totals.steps === 0) return UNKNOWN_USAGE;
    const input = totals.input + totals.cacheRead + totals.cacheWrite;
    const output = totals.output + totals.reasoning;
    return {
      known: true,
      inputTokens: input,
      cachedInputTokens: totals.cacheRead,
      outputTokens: output,
      reasoningTokens: totals.reasoning,
      totalTokens: input + output,
      costUsd: totals.costKnown ? totals.cost : null,
    };
  }

  function decode(event: Json): RuntimeEvent[] {
    const events: RuntimeEvent[] = [];
    const id = event.sessionID;
    if (typeof id === 'string' && id !== '' && id !== sessionId) {
      sessionId = id;
      events.push({ type: 'session', sessionId: id });
    }
    const part = record(event.part);
    switch (event.type) {
      case 'step_start':
        stepTexts = [];
        break;
      case 'text': {
        const text = typeof part?.text === 'string' ? part.text : '';
        if (text !== '') {
          stepTexts.push(text);
          lastTexts = stepTexts;
          refusedTool = null;
          events.push({ type: 'text', text });
        }
        break;
      }
      case 'tool_use':
        events.push(toolUse(part));
        break;
      case 'step_finish':
        addTokens(part);
        lastReason = typeof part?.reason === 'string' ? part.reason : null;
        events.push({ type: 'usage', usage: usage() });
        break;
      case 'error': {
        const error = apiError(record(event.error));
        failure ??= error;
        events.push({
          type: 'error',
          message: error.message,
          kind: error.kind,
          status: error.status,
          fatal: true,
        });
        break;
      }
      default:
        // `reasoning`, and event types of newer versions (`done`), carry nothing Baton needs.
        break;
    }
    return events;
  }

  function toolUse(part: Json | null): RuntimeEvent {
    const state = record(part?.state);
    const name = typeof part?.tool === 'string' ? part.tool : 'unknown';
    const status =
      state?.status === 'completed'
        ? 'completed'
        : state?.status === 'error'
          ? 'failed'
          : 'started';
    const output =
      status === 'completed'
        ? text(state?.output)
        : status === 'failed'
          ? text(state?.error)
          : null;
    refusedTool =
      status === 'failed' && output !== null && PERMISSION_REFUSED.test(output)
        ? `${name}: ${output}`
        : null;
    return {
      type: 'tool-use',
      name,
      id: typeof part?.callID === 'string' ? part.callID : null,
      status,
      input: state?.input ?? null,
      output,
    };
  }

  function addTokens(part: Json | null): void {
    const tokens = record(part?.tokens);
    const cache = record(tokens?.cache);
    totals.steps += 1;
    totals.input += count(tokens?.input);
    totals.output += count(tokens?.output);
    totals.reasoning += count(tokens?.reasoning);
    totals.cacheRead += count(cache?.read);
    totals.cacheWrite += count(cache?.write);
    if (typeof part?.cost === 'number' && Number.isFinite(part.cost)) {
      totals.cost += part.cost;
      totals.costKnown = true;
    }
  }

  return {
    push(line) {
      const trimmed = line.trim();
      if (trimmed === '') return [];
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        return [
          {
            type: 'warning',
            message: `OpenCode printed a line that is not JSON: ${preview(trimmed)}`,
          },
        ];
      }
      const event = record(value);
      if (event === null || typeof event.type !== 'string') {
        return [
          {
            type: 'warning',
            message: `OpenCode printed JSON that is not an event: ${preview(trimmed)}`,
          },
        ];
      }
      sawEvent = true;
      return decode(event);
    },

    finish(exit: ProcessExit): StageOutcome {
      const finalText = lastTexts.length > 0 ? lastTexts.join('') : null;
      const done = (error: StageError | null): StageOutcome => ({
        status: error === null ? 'succeeded' : 'failed',
        finalText,
        sessionId,
        usage: usage(),
        error:
          error === null
            ? null
            : {
                ...error,
                failureClass: failureClassOf(error.kind, error.retryable),
                retryAfterMs: null,
              },
      });
      if (failure !== null) return done(failure);
      if (exit.signal !== null || exit.exitCode === null) {
        return done({
          message: `opencode was stopped by ${exit.signal ?? 'a signal'}${stderrSuffix(exit.stderrTail)}`,
          kind: 'unknown',
          status: null,
          retryable: !sawEvent,
        });
      }
      if (exit.exitCode !== 0) {
        const stderr = lastLines(exit.stderrTail);
        return done({
          message: `opencode exited with ${exit.exitCode}${stderr === '' ? '' : `: ${stderr}`}`,
          kind: NETWORK.test(stderr) ? 'network' : 'unknown',
          status: null,
          // Nothing decoded: it crashed before doing anything, which another attempt may fix.
          retryable: !sawEvent || NETWORK.test(stderr),
        });
      }
      if (totals.steps === 0) {
        return done({
          message: `opencode exited without finishing a model step${stderrSuffix(exit.stderrTail)}`,
          kind: 'unknown',
          status: null,
          retryable: false,
        });
      }
      if (lastReason === 'tool-calls') {
        return done(
          refusedTool !== null
            ? {
                message: `OpenCode refused a tool call and stopped (${preview(refusedTool)})`,
                kind: 'permission',
                status: null,
                retryable: false,
              }
            : {
                message: 'opencode stopped after a step that asked for tools, without an answer',
                kind: 'unknown',
                status: null,
                retryable: false,
              },
        );
      }
      if (lastReason === 'length' || lastReason === 'content-filter') {
        return done({
          message:
            lastReason === 'length'
              ? 'the model stopped at its output limit before finishing'
              : "the provider's content filter stopped the answer",
          kind: 'model',
          status: null,
          retryable: false,
        });
      }
      return done(null);
    },
  };
}

/** An OpenCode error object (`APIError`, `ProviderAuthError`, `UnknownError`, …) as a stage error. */
export function apiError(error: Json | null): StageError {
  const data = record(error?.data);
  const name = typeof error?.name === 'string' ? error.name : null;
  const detail = nonEmptyText(data?.message) ?? nonEmptyText(error?.message);
  const message = detail ?? name ?? 'OpenCode reported an error';
  const status =
    typeof data?.statusCode === 'number' && Number.isInteger(data.statusCode)
      ? data.statusCode
      : null;
  const kind = errorKind(name, status, message);
  return {
    message:
      detail !== null && name !== null && name !== 'UnknownError' ? `${name}: ${detail}` : message,
    kind,
    status,
    retryable: kind === 'rate-limit' || kind === 'server' || kind === 'network',
  };
}

export function errorKind(name: string | null, status: number | null, message: string): ErrorKind {
  if (name === 'ProviderAuthError' || status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status === 408) return 'timeout';
  if (status !== null && status >= 500) return 'server';
  if (status !== null && status >= 400) return 'model';
  if (name === 'ContextOverflowError' || name === 'MessageOutputLengthError') return 'model';
  if (NETWORK.test(message)) return 'network';
  if (/rate.?limit|too many requests/i.test(message)) return 'rate-limit';
  if (/timed? ?out\b/i.test(message)) return 'timeout';
  return 'unknown';
}

function record(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return null;
  return JSON.stringify(value);
}

function nonEmptyText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function preview(value: string): string {
  return value.length > PREVIEW_LENGTH ? `${value.slice(0, PREVIEW_LENGTH)}…` : value;
}

/** The last lines of stderr, without colour codes, for an error message. */
function lastLines(stderr: string): string {
  const lines = stderr
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return preview(lines.slice(-3).join(' '));
}

function stderrSuffix(stderr: string): string {
  const tail = lastLines(stderr);
  return tail === '' ? '' : `: ${tail}`;
}
