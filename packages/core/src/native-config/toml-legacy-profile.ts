import { BatonError } from '../errors.js';
import {
  applySplices,
  conflictError,
  detectEol,
  endsWithEol,
  removeLineSpans,
  splitBom,
} from './text.js';
import type { TomlEditOptions } from './toml-edit.js';
import {
  buildTomlModel,
  formatTomlKeyPath,
  fullKey,
  keyvals,
  lineOf,
  parseTomlText,
  startsWithPath,
  type TomlModel,
} from './toml-model.js';
import { deepEqual, getIn, isPlainObject, type ValueChange, verifyEdit } from './values.js';

/** Whole lines `[start, end)` of the text, and their 1-based first and last line numbers. */
export interface TomlLineRange {
  start: number;
  end: number;
  startLine: number;
  endLine: number;
}

/** Where a legacy Codex profile (`[profiles.<name>]`, read by Codex before 0.134) is defined. */
export interface LegacyProfileLocation {
  name: string;
  /** `[profiles.<name>]` and its sub-tables, each with the lines of its header and body. */
  tables: { path: string[]; array: boolean; range: TomlLineRange }[];
  /** Lines defining the profile outside those tables: dotted keys or an inline table. */
  keys: { key: string[]; range: TomlLineRange }[];
  /** The top-level `profile = "<name>"` selector line. */
  selector: { range: TomlLineRange } | undefined;
}

/** The result of moving a legacy profile out of `config.toml`. */
export interface ExtractedLegacyProfile {
  /** The profile's keys as a standalone file (`$CODEX_HOME/<name>.config.toml`). */
  profileText: string;
  /** `config.toml` with exactly the moved lines (and the selector line) removed. */
  configText: string;
  location: LegacyProfileLocation;
}

const FORMAT = 'TOML';

function range(model: TomlModel, start: number, end: number): TomlLineRange {
  return {
    start,
    end,
    startLine: lineOf(model, start),
    endLine: lineOf(model, Math.max(start, end - 1)),
  };
}

function locate(
  model: TomlModel,
  parsed: Record<string, unknown>,
  name: string,
  file: string | undefined,
): LegacyProfileLocation | undefined {
  const root = ['profiles', name];
  const value = getIn(parsed, root);
  if (value !== undefined && !isPlainObject(value)) {
    throw conflictError(
      FORMAT,
      file,
      `\`profiles.${name}\` is not a table; Baton cannot move it to ${name}.config.toml. Move it by hand and rerun.`,
      { profile: name },
    );
  }
  const tables = model.regions
    .filter((region) => region.header !== undefined && startsWithPath(region.header.path, root))
    .map((region) => ({
      path: region.header!.path,
      array: region.header!.array,
      range: range(model, region.header!.start, region.bodyEnd),
    }));
  const keys: LegacyProfileLocation['keys'] = [];
  let selector: LegacyProfileLocation['selector'];
  for (const statement of keyvals(model)) {
    const key = fullKey(statement);
    if (startsWithPath(statement.table, root)) continue;
    if (startsWithPath(key, root)) {
      keys.push({ key, range: range(model, statement.start, statement.end) });
    } else if (startsWithPath(root, key)) {
      throw conflictError(
        FORMAT,
        file,
        `\`profiles.${name}\` sits inside the inline table \`${formatTomlKeyPath(key)}\` at line ${lineOf(model, statement.start)}; Baton cannot move it without rewriting that line. Move it to ${name}.config.toml by hand and rerun.`,
        { profile: name, line: lineOf(model, statement.start) },
      );
    } else if (
      statement.table.length === 0 &&
      key.length === 1 &&
      key[0] === 'profile' &&
      parsed.profile === name
    ) {
      selector = { range: range(model, statement.start, statement.end) };
    }
  }
  if (tables.length === 0 && keys.length === 0 && selector === undefined) return undefined;
  return { name, tables, keys, selector };
}

/**
 * Finds a legacy `[profiles.<name>]` table (with its sub-tables, and dotted keys or inline
 * tables defining it elsewhere) and a top-level `profile = "<name>"` selector; `undefined`
 * when there is neither.
 */
export function findLegacyProfile(
  text: string,
  name: string,
  options: TomlEditOptions = {},
): LegacyProfileLocation | undefined {
  const { body } = splitBom(text);
  const parsed = parseTomlText(body, options.file);
  const location = locate(buildTomlModel(body), parsed, name, options.file);
  return location && shiftLocation(location, text.length - body.length);
}

/** Reports offsets for the text as given, byte-order mark included. */
function shiftLocation(location: LegacyProfileLocation, by: number): LegacyProfileLocation {
  if (by === 0) return location;
  const shift = (line: TomlLineRange): TomlLineRange => ({
    ...line,
    start: line.start + by,
    end: line.end + by,
  });
  return {
    ...location,
    tables: location.tables.map((table) => ({ ...table, range: shift(table.range) })),
    keys: location.keys.map((key) => ({ ...key, range: shift(key.range) })),
    selector: location.selector && { range: shift(location.selector.range) },
  };
}

function withEol(text: string, eol: string): string {
  return text === '' || endsWithEol(text) ? text : text + eol;
}

/**
 * Moves a legacy profile out of `config.toml`: returns the profile's keys as a standalone
 * file (keys of `[profiles.<name>]` at its top level, sub-tables re-headed, comments and value
 * spelling kept) and `config.toml` with exactly those lines and the selector removed; every
 * other byte is identical. `undefined` when there is no legacy profile of that name.
 */
export function extractLegacyProfile(
  text: string,
  name: string,
  options: TomlEditOptions = {},
): ExtractedLegacyProfile | undefined {
  const { bom, body } = splitBom(text);
  const parsed = parseTomlText(body, options.file);
  const model = buildTomlModel(body);
  const location = locate(model, parsed, name, options.file);
  if (location === undefined) return undefined;
  const eol = detectEol(body);
  const root = ['profiles', name];

  let topLevel = '';
  let subTables = '';
  for (const region of model.regions) {
    const header = region.header;
    if (header === undefined || !startsWithPath(header.path, root)) continue;
    const content = withEol(body.slice(header.end, region.bodyEnd), eol);
    if (header.path.length === root.length) {
      if (header.array) {
        throw conflictError(
          FORMAT,
          options.file,
          `\`[[profiles.${name}]]\` is an array of tables, not a profile.`,
        );
      }
      topLevel += content;
      continue;
    }
    const relative = formatTomlKeyPath(header.path.slice(root.length));
    const headerLine = withEol(
      (header.array ? `[[${relative}]]` : `[${relative}]`) +
        body.slice(header.closeEnd, header.end),
      eol,
    );
    subTables += `${subTables === '' ? '' : eol}${headerLine}${content}`;
  }
  for (const statement of keyvals(model)) {
    const key = fullKey(statement);
    if (startsWithPath(statement.table, root) || !startsWithPath(key, root)) continue;
    const relative = key.slice(root.length);
    if (relative.length > 0) {
      const rest = body.slice(statement.key.at(-1)!.end, statement.end);
      topLevel += withEol(formatTomlKeyPath(relative) + rest, eol);
    } else if (statement.value.kind === 'inline-table') {
      for (const entry of statement.value.entries) {
        const keyText = body.slice(entry.key[0]!.start, entry.key.at(-1)!.end);
        topLevel += `${keyText} = ${body.slice(entry.value.start, entry.value.end)}${eol}`;
      }
    }
  }
  const profileText =
    topLevel !== '' && subTables !== '' ? `${topLevel}${eol}${subTables}` : topLevel + subTables;

  const spans = [
    ...location.tables.map((table) => table.range),
    ...location.keys.map((key) => key.range),
    ...(location.selector === undefined ? [] : [location.selector.range]),
  ];
  const configText = applySplices(body, removeLineSpans(body, spans));

  const changes: ValueChange[] = [{ kind: 'delete', path: root }];
  if (location.selector !== undefined) changes.push({ kind: 'delete', path: ['profile'] });
  verifyEdit(FORMAT, options.file, parsed, parseTomlText(configText, options.file), changes);
  const profileParsed = parseTomlText(profileText, options.file);
  if (!deepEqual(profileParsed, getIn(parsed, root) ?? {})) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `Internal error: the extracted profile \`${name}\` does not match the original; nothing was changed. Please report this with the file's contents.`,
      { details: { file: options.file, profile: name } },
    );
  }
  return {
    profileText,
    configText: bom + configText,
    location: shiftLocation(location, bom.length),
  };
}
