import { parse, TomlError } from 'smol-toml';
import { BatonError } from '../errors.js';
import { parseManagedMarker } from './managed-marker.js';
import { lineColumnAt, malformedError } from './text.js';
import {
  scanToml,
  type TomlHeaderStatement,
  type TomlKeyvalStatement,
  TomlScanError,
  type TomlStatement,
} from './toml-scan.js';
import type { KeyPath } from './values.js';

/**
 * The statements under one header (or before the first header, for the root region).
 * `bodyEnd` is where the region's own content ends: trailing blank lines and the comment
 * block sitting directly on top of the next header are not part of it.
 */
export interface TomlRegion {
  header: TomlHeaderStatement | undefined;
  /** Index of the header statement, or -1 for the root region. */
  headerIndex: number;
  /** Index of the first statement after the header. */
  firstIndex: number;
  /** Index after the region's last statement. */
  endIndex: number;
  bodyEnd: number;
}

export interface TomlModel {
  text: string;
  statements: TomlStatement[];
  regions: TomlRegion[];
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Parses with smol-toml; malformed text becomes an error naming the line and column. */
export function parseTomlText(text: string, file: string | undefined): Record<string, unknown> {
  try {
    return parse(text, { integersAsBigInt: 'asNeeded' }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw malformedError('TOML', file, { line: error.line, column: error.column }, reason);
    }
    throw error;
  }
}

export function buildTomlModel(text: string): TomlModel {
  let statements: TomlStatement[];
  try {
    statements = scanToml(text);
  } catch (error) {
    if (error instanceof TomlScanError) {
      const position = lineColumnAt(text, error.offset);
      throw new BatonError(
        'NATIVE_CONFIG',
        `Internal error: Baton could not locate TOML statements at line ${position.line}, column ${position.column} (${error.message}); nothing was changed. Please report this with the file's contents.`,
        { details: position },
      );
    }
    throw error;
  }
  const regions: TomlRegion[] = [];
  const starts = [-1];
  statements.forEach((statement, index) => {
    if (statement.kind === 'header') starts.push(index);
  });
  starts.forEach((headerIndex, position) => {
    const endIndex = position + 1 < starts.length ? starts[position + 1]! : statements.length;
    const firstIndex = headerIndex + 1;
    const header =
      headerIndex === -1 ? undefined : (statements[headerIndex] as TomlHeaderStatement);
    let last = endIndex;
    if (endIndex < statements.length) {
      while (last > firstIndex && statements[last - 1]!.kind === 'comment') last -= 1;
    }
    while (last > firstIndex && statements[last - 1]!.kind === 'blank') last -= 1;
    const bodyEnd = last > firstIndex ? statements[last - 1]!.end : (header?.end ?? 0);
    regions.push({ header, headerIndex, firstIndex, endIndex, bodyEnd });
  });
  return { text, statements, regions };
}

export function formatTomlKeySegment(segment: string): string {
  return BARE_KEY.test(segment) ? segment : formatTomlBasicString(segment);
}

export function formatTomlKeyPath(path: KeyPath): string {
  return path.map(formatTomlKeySegment).join('.');
}

/** The marker subject of a table Baton creates: its header as written. */
export function tableSubject(path: KeyPath): string {
  return `[${formatTomlKeyPath(path)}]`;
}

/** A single-line TOML basic string with every character that needs it escaped. */
export function formatTomlBasicString(value: string): string {
  let result = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') result += '\\"';
    else if (char === '\\') result += '\\\\';
    else if (char === '\n') result += '\\n';
    else if (char === '\t') result += '\\t';
    else if (char === '\r') result += '\\r';
    else if (char === '\b') result += '\\b';
    else if (char === '\f') result += '\\f';
    else if (code < 0x20 || code === 0x7f)
      result += `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
    else result += char;
  }
  return `${result}"`;
}

function pathsEqual(left: KeyPath, right: KeyPath): boolean {
  return left.length === right.length && left.every((segment, index) => segment === right[index]);
}

export function startsWithPath(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);
}

export function fullKey(statement: TomlKeyvalStatement): string[] {
  return [...statement.table, ...statement.key.map((segment) => segment.name)];
}

export function keyvals(model: TomlModel): TomlKeyvalStatement[] {
  return model.statements.filter((statement) => statement.kind === 'keyval');
}

/** The region of the standard table `[path]` (the root region for `[]`). */
export function tableRegion(model: TomlModel, path: KeyPath): TomlRegion | undefined {
  if (path.length === 0) return model.regions[0];
  return model.regions.find(
    (region) =>
      region.header !== undefined && !region.header.array && pathsEqual(region.header.path, path),
  );
}

export function regionKeyvals(model: TomlModel, region: TomlRegion): TomlKeyvalStatement[] {
  return model.statements
    .slice(region.firstIndex, region.endIndex)
    .filter((statement) => statement.kind === 'keyval');
}

export function lineOf(model: TomlModel, offset: number): number {
  return lineColumnAt(model.text, offset).line;
}

/**
 * Where to cut to remove a table region: its header and body, plus the Baton marker right
 * above the header and the blank line Baton put above the marker, if they are there.
 */
export function regionRemovalStart(model: TomlModel, region: TomlRegion): number {
  const header = region.header!;
  const above = model.statements[region.headerIndex - 1];
  if (
    above?.kind !== 'comment' ||
    parseManagedMarker(above.text)?.subject !== tableSubject(header.path)
  ) {
    return header.start;
  }
  const blank = model.statements[region.headerIndex - 2];
  return blank?.kind === 'blank' ? blank.start : above.start;
}
