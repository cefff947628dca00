import { inspect } from 'node:util';
import { BatonError, type ConfigIssue, type Environment, formatIssues } from '@baton/core';
import { type CommandContext, EXIT_FAILED, EXIT_USAGE } from './context.js';
import { recordedRunOf } from './owned-run.js';
import { styleMark } from './terminal-text.js';
import type { Writer } from './writer.js';

export { visibleLength } from './terminal-text.js';

const USAGE_CODES = new Set([
  'USAGE',
  'CONFIG_INVALID',
  'CONFIG_SYNTAX',
  'CONFIG_NOT_FOUND',
  'CONFIG_UNREADABLE',
  'UNKNOWN_STAGE',
  'UNKNOWN_RUNTIME',
  'ADAPTER_NOT_INSTALLED',
  'SCALE_NOT_INSTALLED',
]);

/** Exit code for an error: 2 for usage and config problems, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  return BatonError.isInstance(error) && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED;
}

/** Where errors go, and whether the user asked for stacks (`BATON_DEBUG=1`). */
export interface ErrorReporter {
  readonly json: boolean;
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly env: Environment;
}

export const BUG_HINT = 'this is a bug — rerun with BATON_DEBUG=1 for the stack';

/**
 * The one way the CLI reports a failure. A `BatonError` is expected: its message (which says
 * what to do) and nothing else. Anything else is a bug: one line naming it and how to get
 * the stack. `BATON_DEBUG=1` adds the stack either way. With `--json` the error goes to
 * stdout as `{"error": {"code", "message", ...}}`; both, like all output, redacted.
 */
export function reportError(reporter: ErrorReporter, error: unknown): number {
  const debug = debugging(reporter.env);
  const stack = debug ? inspect(error, { depth: 4 }) : undefined;
  const recordedIn = recordedRunOf(error);
  const recorded =
    recordedIn === undefined ? '' : ` (recorded in the journal of run ${recordedIn})`;
  if (BatonError.isInstance(error)) {
    if (reporter.json) {
      reporter.stdout.jsonText(
        `${JSON.stringify({ error: { ...error.toJSON(), ...(stack ? { stack } : {}) } })}\n`,
      );
    } else {
      reporter.stderr.write(`baton: ${error.message}${recorded}\n`);
      if (stack) reporter.stderr.write(`${stack}\n`);
    }
    return exitCodeFor(error);
  }
  const line = describeUnexpected(error);
  if (reporter.json) {
    reporter.stdout.jsonText(
      `${JSON.stringify({
        error: {
          code: 'INTERNAL',
          message: `${line}${recorded}`,
          hint: BUG_HINT,
          ...(recordedIn === undefined ? {} : { runId: recordedIn }),
          ...(stack ? { stack } : {}),
        },
      })}\n`,
    );
  } else {
    reporter.stderr.write(`baton: unexpected error: ${line}${recorded}\n`);
    reporter.stderr.write(stack ? `${stack}\n` : `baton: ${BUG_HINT}\n`);
  }
  return EXIT_FAILED;
}

function debugging(env: Environment): boolean {
  const value = (env.BATON_DEBUG ?? '').trim();
  return value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** One line naming an unexpected error: its kind and the first line of its message. */
function describeUnexpected(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.split('\n')[0]!.trim();
    const kind = error.name && error.name !== 'Error' ? error.name : '';
    const code = (error as NodeJS.ErrnoException).code;
    const named = typeof code === 'string' && !message.startsWith(code) ? code : '';
    return [kind, named, message].filter(Boolean).join(': ');
  }
  return inspect(error, { breakLength: Number.POSITIVE_INFINITY }).split('\n')[0]!;
}

/** `omitted`: problems found beyond the `issues` kept, which the message counts. */
export function configError(
  issues: readonly ConfigIssue[],
  files: readonly string[],
  omitted = 0,
): BatonError {
  const syntaxOnly = issues.every((issue) => issue.kind === 'syntax');
  const message = formatIssues(issues, omitted);
  return new BatonError(syntaxOnly ? 'CONFIG_SYNTAX' : 'CONFIG_INVALID', message, {
    details: { issues, omitted, files },
  });
}

export function usageError(message: string): BatonError {
  return new BatonError('USAGE', message);
}

/** A JSON document on stdout (redacted, otherwise exact). */
export function writeJson(context: Pick<CommandContext, 'stdout'>, value: unknown): void {
  context.stdout.json(value);
}

/**
 * Baton's own styling, which collapses to plain text when colour is off. The styles are
 * marks only `styleMark` can make, so a writer renders them while it escapes any escape
 * sequence that arrives inside the text they wrap.
 */
export function styles(color: boolean) {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `${styleMark(open)}${text}${styleMark(close)}` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** Left-aligned columns separated by two spaces. */
export function table(
  rows: readonly (readonly string[])[],
  visibleLength = (text: string) => text.length,
): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, visibleLength(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) =>
          index === row.length - 1 ? cell : cell + ' '.repeat(widths[index]! - visibleLength(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
