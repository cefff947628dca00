import { BatonError, type ConfigIssue, formatIssues } from '@baton/core';
import { type CommandContext, EXIT_FAILED, EXIT_USAGE } from './context.js';

const USAGE_CODES = new Set([
  'USAGE',
  'CONFIG_INVALID',
  'CONFIG_SYNTAX',
  'CONFIG_NOT_FOUND',
  'CONFIG_UNREADABLE',
  'UNKNOWN_STAGE',
  'UNKNOWN_RUNTIME',
  'ADAPTER_NOT_INSTALLED',
]);

/** Exit code for an error: 2 for usage and config problems, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  return BatonError.isInstance(error) && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED;
}

/** Reports an error: `{"error": {...}}` on stdout with `--json`, a message on stderr without. */
export function reportError(
  context: Pick<CommandContext, 'json' | 'stdout' | 'stderr'>,
  error: unknown,
): number {
  const batonError = BatonError.isInstance(error)
    ? error
    : new BatonError(
        'INTERNAL',
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      );
  if (context.json) {
    context.stdout.write(`${JSON.stringify({ error: batonError.toJSON() })}\n`);
  } else {
    context.stderr.write(`baton: ${batonError.message}\n`);
  }
  return exitCodeFor(batonError);
}

export function configError(issues: readonly ConfigIssue[], files: readonly string[]): BatonError {
  const syntaxOnly = issues.every((issue) => issue.kind === 'syntax');
  return new BatonError(syntaxOnly ? 'CONFIG_SYNTAX' : 'CONFIG_INVALID', formatIssues(issues), {
    details: { issues, files },
  });
}

export function usageError(message: string): BatonError {
  return new BatonError('USAGE', message);
}

export function writeJson(context: Pick<CommandContext, 'stdout'>, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** ANSI styling that collapses to plain text when colour is off. */
export function styles(color: boolean) {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
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

/** Length as seen on a terminal: ANSI escapes take no room. */
export function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
