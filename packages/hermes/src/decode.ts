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
import { USAGE_FILE } from './command.js';

/**
 * Decodes one Hermes one-shot run. Hermes prints only the final answer as plain text on
 * stdout (no event stream), so every stdout line is assistant text; the structured facts
 * (tokens, cost, session id, `completed` / `failed`) come from the `--usage-file` report,
 * read once the process has ended.
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
 * Normalises the report's token counts. Hermes's `input_tokens` leaves out cache reads
 * (`input + cache_read + output = total`, per an integrator's note), while Baton counts
 * cached tokens inside `inputTokens`. When the report's own total says otherwise
 * (`input + output = total` with cache reads present), `input_tokens` already included them.
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
  const output = count(block.output_tokens);
  const reasoning = count(block.reasoning_tokens);
  const total = count(block.total_tokens);
  const cost = count(block.estimated_cost_usd);
  if ([input, cacheRead, output, reasoning, total, cost].every((value) => value === null))
    return null;
  let inputTokens: number | null = input;
  if (input !== null && cacheRead !== null && cacheRead > 0) {
    const alreadyIncluded = total !== null && output !== null && total === input + output;
    inputTokens = alreadyIncluded ? input : input + cacheRead;
  }
  const computedTotal = inputTokens !== null && output !== null ? inputTokens + output : null;
  return {
    known: true,
    inputTokens,
    cachedInputTokens: cacheRead,
    outputTokens: output,
    reasoningTokens: reasoning,
    // Baton's total counts cache reads as input; a report total without them is recomputed.
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

const STATUS_PATTERN =
  /(?:error code|status(?: code)?|http(?:\/\d(?:\.\d)?)?)\s*[:=]?\s*([1-5]\d\d)\b/i;

/** Classifies an error text from Hermes (its usage report's `failure`, or stderr). */
export function classifyError(text: string): { kind: ErrorKind; status: number | null } {
  const match = STATUS_PATTERN.exec(text);
  const status = match ? Number(match[1]) : null;
  if (status !== null) {
    if (status === 401 || status === 403) return { kind: 'auth', status };
    if (status === 429) return { kind: 'rate-limit', status };
    if (status === 408) return { kind: 'timeout', status };
    if (status >= 500) return { kind: 'server', status };
    if (status === 400 || status === 404 || status === 422) return { kind: 'model', status };
  }
  if (
    /unauthori[sz]ed|invalid api key|incorrect api key|authentication|no api key|api key not/i.test(
      text,
    )
  ) {
    return { kind: 'auth', status };
  }
  if (/rate.?limit|too many requests|quota exceeded|insufficient_quota/i.test(text)) {
    return { kind: 'rate-limit', status };
  }
  if (
    /connection error|connection refused|econnrefused|econnreset|connecterror|name or service not known|getaddrinfo|network is unreachable|failed to establish a new connection/i.test(
      text,
    )
  ) {
    return { kind: 'network', status };
  }
  if (/timed? ?out|timeout/i.test(text)) return { kind: 'timeout', status };
  if (/internal server error|bad gateway|service unavailable|overloaded/i.test(text)) {
    return { kind: 'server', status };
  }
  if (
    /model .*not found|unknown model|model_not_found|does not exist|context length|context_length/i.test(
      text,
    )
  ) {
    return { kind: 'model', status };
  }
  if (/approval|permission denied|not permitted|outside hermes_write_safe_root/i.test(text)) {
    return { kind: 'permission', status };
  }
  return { kind: 'unknown', status };
}

const RETRYABLE_KINDS: readonly ErrorKind[] = ['rate-limit', 'server', 'network'];

// CSI and OSC sequences; `-Q` output should have none, but a terminal-minded build might.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const SESSION_LINE = /^\s*session_id:\s*(\S+)\s*$/;

function lastLines(text: string, limit = 3): string {
  return text
    .replace(ANSI, '')
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
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

export function createHermesDecoder(): OutputDecoder {
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
      lines.push(clean);
      return [{ type: 'text', text: clean }];
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
      const failed = (
        message: string,
        kind: ErrorKind,
        status: number | null,
        retryable: boolean,
      ): StageOutcome => ({
        status: 'failed',
        finalText,
        sessionId,
        usage,
        error: {
          message,
          kind,
          status,
          retryable,
          failureClass: failureClassOf(kind, retryable),
          retryAfterMs: null,
        },
      });
      const stderr = lastLines(exit.stderrTail);

      if (exit.signal !== null || exit.exitCode === null) {
        return failed(
          `hermes was stopped by ${exit.signal ?? 'an unknown signal'}${stderr ? `: ${stderr}` : ''}`,
          'unknown',
          null,
          finalText === null && report === null,
        );
      }
      if (exit.exitCode !== 0) {
        const reason = (report ? reportedFailure(report) : null) ?? (stderr || 'no error output');
        if (
          /unrecognized arguments|invalid choice|the following arguments are required|usage: hermes/i.test(
            exit.stderrTail,
          )
        ) {
          return failed(
            `hermes rejected its command line (exit ${exit.exitCode}): ${stderr}. Is the installed Hermes inside the tested range?`,
            'unknown',
            null,
            false,
          );
        }
        const { kind, status } = classifyError(`${reason}\n${exit.stderrTail}`);
        const crashedBeforeOutput = finalText === null && report === null && kind === 'unknown';
        return failed(
          `hermes exited with ${exit.exitCode}: ${reason}`,
          kind,
          status,
          RETRYABLE_KINDS.includes(kind) || crashedBeforeOutput,
        );
      }
      if (parsed.status === 'unreadable') {
        return failed(
          `hermes exited 0 but its usage report is unreadable (${parsed.reason}); the run's outcome cannot be confirmed`,
          'unknown',
          null,
          false,
        );
      }
      const failure = report ? reportedFailure(report) : null;
      if (failure !== null) {
        const { kind, status } = classifyError(failure);
        return failed(failure, kind, status, RETRYABLE_KINDS.includes(kind));
      }
      if (finalText === null) {
        return failed(
          `hermes exited 0 without a final response${stderr ? `: ${stderr}` : ''}`,
          'model',
          null,
          false,
        );
      }
      return { status: 'succeeded', finalText, sessionId, usage, error: null };
    },
  };
}
