import { BatonError } from '../errors.js';

/** Line terminator styles a config file may use; inserted lines follow the file's own. */
export type Eol = '\n' | '\r\n';

const BOM = '\uFEFF';

/** Text without its byte-order mark, and the mark to put back in front of the result. */
export function splitBom(text: string): { bom: string; body: string } {
  return text.startsWith(BOM) ? { bom: BOM, body: text.slice(1) } : { bom: '', body: text };
}

/** The file's line terminator, judged by its first line break; LF for single-line files. */
export function detectEol(text: string): Eol {
  const index = text.indexOf('\n');
  return index > 0 && text[index - 1] === '\r' ? '\r\n' : '\n';
}

export function endsWithEol(text: string): boolean {
  return text.endsWith('\n');
}

/** Offset of the first character of the line holding `offset`. */
export function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset of the line terminator (or end of text) of the line holding `offset`. */
export function lineEndAt(text: string, offset: number): number {
  const index = text.indexOf('\n', offset);
  if (index === -1) return text.length;
  return index > 0 && text[index - 1] === '\r' ? index - 1 : index;
}

/** Offset just after the terminator of the line holding `offset` (or end of text). */
export function nextLineStart(text: string, offset: number): number {
  const index = text.indexOf('\n', offset);
  return index === -1 ? text.length : index + 1;
}

/** 1-based line and column of an offset, counting columns in UTF-16 code units. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; ) {
    line += 1;
    start = index + 1;
    index = text.indexOf('\n', start);
  }
  return { line, column: offset - start + 1 };
}

/** A replacement of `text.slice(start, end)` by `text`. */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping splices (in any order) to `text`. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort(
    (left, right) => left.start - right.start || left.end - right.end,
  );
  let result = '';
  let cursor = 0;
  for (const splice of sorted) {
    if (splice.start < cursor) {
      throw new BatonError('NATIVE_CONFIG', 'Internal error: overlapping edits to one file.', {
        details: { start: splice.start, cursor },
      });
    }
    result += text.slice(cursor, splice.start) + splice.text;
    cursor = splice.end;
  }
  return result + text.slice(cursor);
}

/**
 * Removes whole lines `[start, end)` (`start` is a line start, `end` a line start or the end
 * of text). A last line without a terminator takes the preceding terminator with it, so that
 * removing what {@link insertLines} added at the end of such a file restores it exactly.
 */
export function removeLines(text: string, start: number, end: number): Splice {
  if (end === text.length && !endsWithEol(text) && start > 0) {
    const back = text[start - 2] === '\r' ? 2 : 1;
    return { start: start - back, end, text: '' };
  }
  return { start, end, text: '' };
}

/** Removes several whole-line spans; touching spans merge, so the end-of-file rule applies once. */
export function removeLineSpans(
  text: string,
  spans: readonly { start: number; end: number }[],
): Splice[] {
  const sorted = [...spans].sort((left, right) => left.start - right.start);
  const merged: { start: number; end: number }[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged.map((span) => removeLines(text, span.start, span.end));
}

/**
 * Inserts whole lines at `offset` (a line start, or the end of a text without a final line
 * terminator, in which case the lines go after a new terminator and the text keeps ending
 * without one).
 */
export function insertLines(
  text: string,
  offset: number,
  lines: readonly string[],
  eol: Eol,
): Splice {
  const block = lines.join(eol);
  if (offset === text.length && text.length > 0 && !endsWithEol(text)) {
    return { start: offset, end: offset, text: eol + block };
  }
  return { start: offset, end: offset, text: block + eol };
}

/** The spaces and tabs that start the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const start = lineStartAt(text, offset);
  return /^[ \t]*/.exec(text.slice(start, lineEndAt(text, offset)))?.[0] ?? '';
}

/** Lone UTF-16 surrogates cannot be written as UTF-8; every writer refuses them. */
export function assertWellFormed(value: string, where: string): void {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${where} contains a lone UTF-16 surrogate, which cannot be written as UTF-8.`,
      { details: { where } },
    );
  }
}

/** Message prefix naming the file when the caller told us which one it is. */
function describeFile(file: string | undefined, format: string): string {
  return file === undefined ? `the ${format} text` : file;
}

/** The error for a file that does not parse: where it is broken, and that it was left alone. */
export function malformedError(
  format: string,
  file: string | undefined,
  position: { line: number; column: number },
  reason: string,
): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${describeFile(file, format)} is not valid ${format} at line ${position.line}, column ${position.column}: ${reason}. Fix it by hand and rerun; nothing was changed.`,
    { details: { file, format, line: position.line, column: position.column, reason } },
  );
}

/** The error for a file whose existing shape contradicts what Baton needs to write. */
export function conflictError(
  format: string,
  file: string | undefined,
  message: string,
  details: Record<string, unknown> = {},
): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${describeFile(file, format)}: ${message} Nothing was changed.`,
    { details: { file, format, ...details } },
  );
}
