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
 * - `error`: one of OpenCode's named errors, after its own retries (see `classify.ts`);
 *   the exit code is 1.
 * Every line carries the session id, so the first one announces it.
 *
 * The final text is the text of the last step that had any (the answer after the last tool
 * call). A run that stops after a step that asked for tools did not finish: OpenCode ends a
 * run that way, with exit 0, when it rejected a permission the model needed.
 *
 * Usage is the sum over steps: each `step_finish` carries that step's own counts, not a
 * running total. OpenCode's `tokens.input` excludes cache reads and writes (it is the
 * provider's input count minus `cache.read` and `cache.write`) and its `tokens.output`
 * excludes reasoning; Baton's `inputTokens` and `outputTokens` include them. A step's `cost`
 * is OpenCode's own price of its tokens, from the model's `cost` in its catalogue or config;
 * a model it has no price for costs 0 there, so a run whose steps all cost 0 has an unknown
 * cost (`null`), not a free one. Only the session's own steps are printed: the steps of a
 * subagent the `task` tool starts run in a child session whose usage is not in the output.
 */
import {
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageFailure,
  type StageOutcome,
  type StageRequest,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';
import { classifyOpenCodeError, classifyWords, failure } from './classify.js';

type Json = Record<string, unknown>;

interface Totals {
  steps: number;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  cost: number;
  /** A step had a price: OpenCode prints 0 for a model it cannot price. */
  priced: boolean;
}

const PREVIEW_LENGTH = 200;

/** OpenCode's wording for a tool call refused by a permission rule (deny, or an auto-rejected ask). */
const PERMISSION_REFUSED =
  /rejected permission|permission (?:was )?denied|prevents you from using|auto-rejecting/i;

/**
 * `request.budget.maxTurns` became the agent's `steps`: at that step OpenCode tells the model
 * to stop using tools and sum up, so a run that got there ended on the cap, not on its own.
 */
export function createOpenCodeDecoder(request?: Pick<StageRequest, 'budget'>): OutputDecoder {
  const stepCap = request?.budget?.maxTurns;
  let sessionId: string | null = null;
  let sawEvent = false;
  let error: StageFailure | null = null;
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
    priced: false,
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
      costUsd: totals.priced ? totals.cost : null,
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
        const at = typeof event.timestamp === 'number' ? event.timestamp : null;
        const reported = classifyOpenCodeError(record(event.error), at);
        error ??= reported;
        events.push({
          type: 'error',
          message: reported.message,
          kind: reported.kind,
          status: reported.status,
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
    if (typeof part?.cost === 'number' && Number.isFinite(part.cost) && part.cost > 0) {
      totals.cost += part.cost;
      totals.priced = true;
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
      const done = (failed: StageFailure | null): StageOutcome => ({
        status: failed === null ? 'succeeded' : 'failed',
        finalText,
        sessionId,
        usage: usage(),
        error: failed,
      });
      if (error !== null) return done(error);
      if (exit.signal !== null || exit.exitCode === null) return done(crashed(exit));
      if (exit.exitCode !== 0) return done(exitFailure(exit, sawEvent));
      if (totals.steps === 0) {
        const message = `opencode exited without finishing a model step${stderrSuffix(exit.stderrTail)}`;
        // Nothing printed at all: OpenCode did not get as far as the task (its config, an
        // agent it cannot find), which another runtime would not trip over.
        return done(
          failure(message, {
            failureClass: sawEvent ? 'task' : 'unavailable',
            kind: 'unknown',
            status: null,
            retryAfterMs: null,
          }),
        );
      }
      if (stepCap !== undefined && totals.steps >= stepCap) {
        // Baton's turn budget stopped it: the run is out of budget, not failed.
        return done({
          ...task(
            `OpenCode reached the stage's turn limit (${stepCap} steps) and was told to stop and sum up`,
            'unknown',
          ),
          limitReached: 'turns',
        });
      }
      if (lastReason === 'tool-calls') {
        return done(
          refusedTool !== null
            ? task(
                `OpenCode refused a tool call and stopped (${preview(refusedTool)})`,
                'permission',
              )
            : task('opencode stopped after a step that asked for tools, without an answer'),
        );
      }
      if (lastReason === 'length') {
        return done(task('the model stopped at its output limit before finishing', 'model'));
      }
      if (lastReason === 'content-filter') {
        return done(task("the provider's content filter stopped the answer", 'model'));
      }
      return done(null);
    },
  };
}

function task(message: string, kind: StageFailure['kind'] = 'unknown'): StageFailure {
  return failure(message, { failureClass: 'task', kind, status: null, retryAfterMs: null });
}

/** Stopped by a signal: a crash (or Baton's own limit, which the runner reports itself). */
function crashed(exit: ProcessExit): StageFailure {
  return failure(
    `opencode was stopped by ${exit.signal ?? 'a signal'}${stderrSuffix(exit.stderrTail)}`,
    { failureClass: 'transient', kind: 'unknown', status: null, retryAfterMs: null },
  );
}

/**
 * A non-zero exit without an `error` event. A session to continue that OpenCode does not
 * have says so (`sessionNotFound`). Otherwise words on stderr that name a cause decide;
 * otherwise an exit before any event means OpenCode could not start here (a broken install,
 * its config), and one after the run began is the task's.
 */
function exitFailure(exit: ProcessExit, started: boolean): StageFailure {
  const stderr = lastLines(exit.stderrTail);
  const message = `opencode exited with ${exit.exitCode}${stderr === '' ? '' : `: ${stderr}`}`;
  // `--session <id>` of a session OpenCode does not have: the stage starts over.
  if (!started && /^Error: Session not found$/.test(stderr)) {
    return {
      ...failure(message, {
        failureClass: 'task',
        kind: 'unknown',
        status: null,
        retryAfterMs: null,
      }),
      sessionNotFound: true,
    };
  }
  const named = classifyWords(stderr, false, null);
  if (named.failureClass !== 'task') return failure(message, named);
  return failure(message, {
    failureClass: started ? 'task' : 'unavailable',
    kind: 'unknown',
    status: null,
    retryAfterMs: null,
  });
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
