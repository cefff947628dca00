import {
  type OutputDecoder,
  type ProcessExit,
  type RuntimeEvent,
  type StageOutcome,
  UNKNOWN_USAGE,
  type Usage,
} from '@baton/core';
import { classifyHermesFailure, type HermesFailure } from './classify.js';
import { USAGE_FILE } from './command.js';

/**
 * Decodes one `hermes chat -Q` run. Hermes prints only the final response as plain text on
 * stdout (no event stream), so every stdout line is a `partial` piece of that one message —
 * or, for a failed run,
 * Hermes's own error summary, which it returns as the final response. On stderr it prints
 * `session_id: <id>` once the turn has ended (and `Error: …` for a failure without a
 * response); exit 1 means the turn failed, 130 that a signal interrupted it.
 *
 * Hermes 0.21's `chat` does not write the `--usage-file` report (only `-z` does), so usage
 * and cost are unknown with it; a Hermes whose `chat` writes the report gets its tokens, cost
 * and `failed` / `partial` flags read once the process has ended.
 */

/** The documented fields of the usage report (`hermes … --usage-file PATH`). */
export interface HermesUsageReport {
  readonly input_tokens?: unknown;
  readonly output_tokens?: unknown;
  readonly cache_read_tokens?: unknown;
  readonly cache_write_tokens?: unknown;
  readonly reasoning_tokens?: unknown;
  readonly total_tokens?: unknown;
  readonly estimated_cost_usd?: unknown;
  readonly cost_status?: unknown;
  readonly cost_source?: unknown;
  readonly api_calls?: unknown;
  readonly model?: unknown;
  readonly provider?: unknown;
  readonly session_id?: unknown;
  readonly completed?: unknown;
  readonly failed?: unknown;
  readonly partial?: unknown;
  readonly interrupted?: unknown;
  readonly turn_exit_reason?: unknown;
  readonly failure?: unknown;
  readonly auxiliary?: unknown;
}

export type ParsedReport =
  | { readonly status: 'missing' }
  | { readonly status: 'unreadable'; readonly reason: string }
  | { readonly status: 'ok'; readonly report: HermesUsageReport };

export function parseUsageReport(text: string | null | undefined): ParsedReport {
  if (text === null || text === undefined) return { status: 'missing' };
  if (text.trim() === '') return { status: 'unreadable', reason: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { status: 'unreadable', reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { status: 'unreadable', reason: 'not a JSON object' };
  }
  return { status: 'ok', report: value as HermesUsageReport };
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Normalises the report's token counts. Hermes counts a prompt in three parts
 * (`agent/usage_pricing.py`, `CanonicalUsage`: `prompt_tokens = input_tokens +
 * cache_read_tokens + cache_write_tokens`, `total_tokens = prompt_tokens + output_tokens`),
 * while Baton's `inputTokens` is the whole prompt, cached tokens included. A report whose own
 * total shows the cache reads already inside `input_tokens` (`input + output = total`) is
 * taken as it is. The counts are the run's own (every API call of this process), not the
 * session's since its start.
 */
export function usageFromReport(report: HermesUsageReport): Usage {
  const main = blockUsage(report);
  if (main === null) return UNKNOWN_USAGE;
  // Newer reports carry the auxiliary calls (title generation, compression, …) separately;
  // a stage's usage is the whole run's, so they are added in.
  const auxiliary =
    typeof report.auxiliary === 'object' && report.auxiliary !== null
      ? blockUsage(report.auxiliary as HermesUsageReport)
      : null;
  return auxiliary === null ? main : sumUsage(main, auxiliary);
}

function blockUsage(block: HermesUsageReport): Usage | null {
  const input = count(block.input_tokens);
  const cacheRead = count(block.cache_read_tokens);
  const cacheWrite = count(block.cache_write_tokens);
  const output = count(block.output_tokens);
  const reasoning = count(block.reasoning_tokens);
  const total = count(block.total_tokens);
  // `cost_status: unknown` means Hermes could not price the model: its figure is no cost.
  const cost = block.cost_status === 'unknown' ? null : count(block.estimated_cost_usd);
  if ([input, cacheRead, output, reasoning, total, cost].every((value) => value === null))
    return null;
  let inputTokens: number | null = input;
  const cached = (cacheRead ?? 0) + (cacheWrite ?? 0);
  if (input !== null && cached > 0) {
    const alreadyIncluded = total !== null && output !== null && total === input + output;
    inputTokens = alreadyIncluded ? input : input + cached;
  }
  const computedTotal = inputTokens !== null && output !== null ? inputTokens + output : null;
  return {
    known: true,
    inputTokens,
    cachedInputTokens: cacheRead,
    outputTokens: output,
    reasoningTokens: reasoning,
    // Baton's total counts cached tokens as input; a report total without them is recomputed.
    totalTokens:
      computedTotal !== null && (total === null || total < computedTotal) ? computedTotal : total,
    costUsd: cost,
  };
}

function add(left: number | null, right: number | null): number | null {
  if (left === null) return right;
  if (right === null) return left;
  return left + right;
}

function sumUsage(left: Usage, right: Usage): Usage {
  return {
    known: true,
    inputTokens: add(left.inputTokens, right.inputTokens),
    cachedInputTokens: add(left.cachedInputTokens, right.cachedInputTokens),
    outputTokens: add(left.outputTokens, right.outputTokens),
    reasoningTokens: add(left.reasoningTokens, right.reasoningTokens),
    totalTokens: add(left.totalTokens, right.totalTokens),
    costUsd: add(left.costUsd, right.costUsd),
  };
}

/** What the report says about the run's end, or `null` when it says the run completed. */
export function reportedFailure(report: HermesUsageReport): string | null {
  const reason = typeof report.turn_exit_reason === 'string' ? report.turn_exit_reason : null;
  const failure =
    typeof report.failure === 'string' && report.failure !== '' ? report.failure : null;
  if (report.failed === true)
    return failure ?? `Hermes reported the run as failed${reason ? ` (${reason})` : ''}`;
  if (report.interrupted === true)
    return `Hermes reported the run as interrupted${reason ? ` (${reason})` : ''}`;
  if (report.partial === true) return `Hermes stopped partway${reason ? ` (${reason})` : ''}`;
  if (report.completed === false)
    return `Hermes did not complete the run${reason ? ` (${reason})` : ''}`;
  return null;
}

// CSI and OSC sequences; `-Q` output should have none, but a terminal-minded build might.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const SESSION_LINE = /^\s*session_id:\s*(\S+)\s*$/;
// argparse's own words for a command line it refuses (exit 2).
const REJECTED_COMMAND_LINE =
  /unrecognized arguments|invalid choice|the following arguments are required|expected one argument|usage: hermes/i;
// The sentinel Hermes answers with when the model returned no content after its retries.
const EMPTY_SENTINEL = '(empty)';
// How much of the answer a failure is read from: with `chat -Q` a failed run prints its
// error as the final response, a few lines at most.
const FAILURE_TAIL_LINES = 40;
// `hermes chat -Q` exits 130 when a signal interrupted the turn (cli.py, `_run_quiet_single_query`).
const INTERRUPTED_EXIT_CODE = 130;

const TRANSIENT_CRASH: HermesFailure = {
  kind: 'unknown',
  status: null,
  retryable: true,
  failureClass: 'transient',
  retryAfterMs: null,
};
const UNAVAILABLE: HermesFailure = {
  kind: 'unknown',
  status: null,
  retryable: false,
  failureClass: 'unavailable',
  retryAfterMs: null,
};
const TASK_UNKNOWN: HermesFailure = {
  kind: 'unknown',
  status: null,
  retryable: false,
  failureClass: 'task',
  retryAfterMs: null,
};
const NO_ANSWER: HermesFailure = { ...TASK_UNKNOWN, kind: 'model' };

function lastLines(text: string, limit = 3): string {
  return text
    .replace(ANSI, '')
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !SESSION_LINE.test(line))
    .slice(-limit)
    .join(' | ')
    .slice(0, 500);
}

function sessionFromStderr(stderr: string): string | null {
  let found: string | null = null;
  for (const line of stderr.split('\n')) {
    const match = SESSION_LINE.exec(line.replace(ANSI, ''));
    if (match) found = match[1]!;
  }
  return found;
}

/** A report's sign that the iteration budget (`--max-turns`) ended the turn. */
export function stoppedByTurnLimit(report: HermesUsageReport): boolean {
  if (report.failed === true || report.interrupted === true) return false;
  const reason = typeof report.turn_exit_reason === 'string' ? report.turn_exit_reason : '';
  return /max_iterations_reached|max_turns|iteration budget/i.test(reason);
}

export interface HermesDecoderOptions {
  /** The stage ran with Baton's turn budget as `--max-turns`. */
  readonly turnCapped?: boolean;
}

export function createHermesDecoder(options: HermesDecoderOptions = {}): OutputDecoder {
  const lines: string[] = [];
  let streamSession: string | null = null;

  return {
    push(line: string): RuntimeEvent[] {
      const clean = line.replace(ANSI, '').replace(/\r$/, '');
      const session = SESSION_LINE.exec(clean);
      if (session) {
        streamSession = session[1]!;
        return [{ type: 'session', sessionId: streamSession }];
      }
      // Every line is a piece of the one final response: pieces joined as they are give it
      // back whole, so the journal keeps one message, not one per line.
      lines.push(clean);
      return [{ type: 'text', text: lines.length > 1 ? `\n${clean}` : clean, partial: true }];
    },

    finish(exit: ProcessExit): StageOutcome {
      const text = lines.join('\n').replace(/\s+$/, '');
      const finalText = text === '' ? null : text;
      const parsed = parseUsageReport(exit.resultFiles[USAGE_FILE]);
      const report = parsed.status === 'ok' ? parsed.report : null;
      const usage = report ? usageFromReport(report) : UNKNOWN_USAGE;
      const reportSession =
        report && typeof report.session_id === 'string' && report.session_id !== ''
          ? report.session_id
          : null;
      const sessionId = reportSession ?? streamSession ?? sessionFromStderr(exit.stderrTail);
      const failed = (message: string, why: HermesFailure): StageOutcome => ({
        status: 'failed',
        finalText,
        sessionId,
        usage,
        error: { message, ...why },
      });
      const stderr = lastLines(exit.stderrTail);
      // With `chat -Q` a failed run prints its error as the final response (stdout), and an
      // error without a response as `Error: …` on stderr: both are read.
      const answerTail = lines.slice(-FAILURE_TAIL_LINES).join('\n');
      const words = (reason: string | null) =>
        [reason ?? '', answerTail, exit.stderrTail].filter((part) => part !== '').join('\n');

      if (exit.signal !== null || exit.exitCode === null) {
        // A crash or a kill from outside; Baton's own stops are named by the runner.
        return failed(
          `hermes was stopped by ${exit.signal ?? 'an unknown signal'}${stderr ? `: ${stderr}` : ''}`,
          TRANSIENT_CRASH,
        );
      }
      if (exit.exitCode === INTERRUPTED_EXIT_CODE) {
        // Hermes caught SIGINT/SIGTERM/SIGHUP, printed its session id and exited 130.
        return failed('hermes was interrupted (exit 130)', TRANSIENT_CRASH);
      }
      if (exit.exitCode !== 0) {
        if (REJECTED_COMMAND_LINE.test(exit.stderrTail)) {
          return failed(
            `hermes rejected its command line (exit ${exit.exitCode}): ${stderr}. Is the installed Hermes inside the tested range?`,
            UNAVAILABLE,
          );
        }
        const reportReason = report ? reportedFailure(report) : null;
        const reason = reportReason ?? (lastLines(answerTail) || stderr || 'no error output');
        // Hermes stopped before it answered anything, for no reason it named: it could not
        // start here (its configuration, its install; exit 2 is its own startup refusal).
        const didNotStart = finalText === null && (report === null || exit.exitCode === 2);
        return failed(
          `hermes exited with ${exit.exitCode}: ${reason}`,
          classifyHermesFailure(words(reportReason)) ?? (didNotStart ? UNAVAILABLE : TASK_UNKNOWN),
        );
      }
      if (parsed.status === 'unreadable') {
        return failed(
          `hermes exited 0 but its usage report is unreadable (${parsed.reason}); the run's outcome cannot be confirmed`,
          TASK_UNKNOWN,
        );
      }
      const failure = report ? reportedFailure(report) : null;
      if (failure !== null) {
        // Only a usage report tells a turn the iteration budget stopped; `chat -Q` exits 0.
        if (options.turnCapped === true && report !== null && stoppedByTurnLimit(report)) {
          return failed(failure, { ...TASK_UNKNOWN, limitReached: 'turns' });
        }
        return failed(failure, classifyHermesFailure(words(failure)) ?? TASK_UNKNOWN);
      }
      if (finalText === null) {
        return failed(
          `hermes exited 0 without a final response${stderr ? `: ${stderr}` : ''}`,
          NO_ANSWER,
        );
      }
      if (finalText.trim() === EMPTY_SENTINEL) {
        return failed(
          'the model returned no content after Hermes\'s retries (Hermes answered "(empty)")',
          NO_ANSWER,
        );
      }
      return { status: 'succeeded', finalText, sessionId, usage, error: null };
    },
  };
}
