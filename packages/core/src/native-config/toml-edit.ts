import { BatonError } from '../errors.js';
import { managedMarker } from './managed-marker.js';
import {
  applySplices,
  assertWellFormed,
  conflictError,
  detectEol,
  type Eol,
  indentationAt,
  insertLines,
  removeLineSpans,
  removeLines,
  type Splice,
  splitBom,
} from './text.js';
import {
  inlineEntry,
  insertInlineEntry,
  locateTable,
  removeInlineEntry,
  type TomlContainer,
  type TomlInlineTable,
} from './toml-inline.js';
import {
  buildTomlModel,
  formatTomlBasicString,
  formatTomlKeyPath,
  formatTomlKeySegment,
  fullKey,
  keyvals,
  lineOf,
  parseTomlText,
  regionKeyvals,
  regionRemovalStart,
  startsWithPath,
  type TomlModel,
  tableSubject,
} from './toml-model.js';
import {
  containersToKeep,
  deepEqual,
  getIn,
  hasIn,
  isPlainObject,
  type KeyPath,
  parseOriginal,
  type ValueChange,
  verifyEdit,
} from './values.js';

/** A value Baton writes to TOML: scalars, inline arrays and inline tables. */
export type TomlValue =
  | string
  | number
  | bigint
  | boolean
  | readonly TomlValue[]
  | { readonly [key: string]: TomlValue };

/** One change to a TOML file. `table` is a table path; `[]` is the top level. */
export type TomlEdit =
  | { op: 'set'; table: KeyPath; key: string; value: TomlValue }
  | {
      op: 'remove';
      table: KeyPath;
      key: string;
      /** Also remove the table's header when the table is left empty (default true). */
      pruneEmptyTable?: boolean;
    }
  | { op: 'remove-table'; table: KeyPath };

export interface TomlEditOptions {
  /** The file's path, used in error messages only. */
  file?: string;
  /**
   * What the file held before Baton first changed it (`null`: Baton created it), when known.
   * Removals then take away only the tables Baton created: a table the user had stays (a
   * `[table]` header with nothing under it, an inline table, which gets its spelling back
   * when it was empty: `x = {}`). Without it, a table a removal empties goes with it.
   */
  original?: string | null;
}

const FORMAT = 'TOML';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Applies edits to TOML text, changing only the bytes Baton owns: a set replaces just the
 * value of an existing `key = value` (keeping the key's spelling, spacing and trailing
 * comment) or inserts one line after the table's last key; a table that does not exist is
 * added (with a managed marker) after its sibling tables or at the end. An inline table the
 * user wrote (`model_providers = {}`) is edited in place, on its line. Setting a value that
 * is already equal changes nothing. Malformed input, and a file whose shape contradicts the
 * edit (a scalar where a table is needed, a table defined with dotted keys), are refused with
 * an error before anything is produced; the result is re-parsed and checked.
 */
export function editToml(
  text: string,
  edits: readonly TomlEdit[],
  options: TomlEditOptions = {},
): string {
  const { bom, body } = splitBom(text);
  const before = parseTomlText(body, options.file);
  const parsed = parseOriginal(options.original, (original) =>
    parseTomlText(original, options.file),
  );
  const original = parsed?.body;
  const removals = edits.flatMap((edit): ValueChange[] => {
    if (edit.op === 'remove') return [{ kind: 'delete', path: [...edit.table, edit.key] }];
    return edit.op === 'remove-table' ? [{ kind: 'delete', path: edit.table }] : [];
  });
  const keep = containersToKeep(parsed === null ? null : parsed?.value, removals);
  let current = body;
  const changes: ValueChange[] = [];
  for (const edit of edits) {
    const parsed = current === body ? before : parseTomlText(current, options.file);
    const model = buildTomlModel(current);
    if (edit.op === 'set') {
      assertWellFormed(edit.key, 'A TOML key');
      checkValue(edit.value, formatTomlKeyPath([...edit.table, edit.key]));
      current = applySet(model, parsed, edit.table, edit.key, edit.value, options.file);
      changes.push({ kind: 'set', path: [...edit.table, edit.key], value: edit.value });
    } else if (edit.op === 'remove') {
      current = applyRemove(
        model,
        parsed,
        edit.table,
        edit.key,
        (edit.pruneEmptyTable ?? true) ? keep : () => true,
        options.file,
      );
      changes.push({ kind: 'delete', path: [...edit.table, edit.key] });
    } else {
      current = applyRemoveTable(model, parsed, edit.table, options.file);
      changes.push({ kind: 'delete', path: edit.table });
    }
  }
  if (original !== undefined) current = restoreEmptyInlineTables(current, original, removals);
  if (current === body) return text;
  verifyEdit(FORMAT, options.file, before, parseProduced(current, options.file), changes);
  return bom + current;
}

/** Sets `values` as keys of `table` (`[]` for top-level keys). */
export function setTomlValues(
  text: string,
  table: KeyPath,
  values: Readonly<Record<string, TomlValue>>,
  options: TomlEditOptions = {},
): string {
  return editToml(
    text,
    Object.entries(values).map(([key, value]) => ({ op: 'set', table, key, value }) as const),
    options,
  );
}

/** Removes `keys` from `table`, and the table's header when it is left empty. */
export function removeTomlKeys(
  text: string,
  table: KeyPath,
  keys: readonly string[],
  options: TomlEditOptions = {},
): string {
  return editToml(
    text,
    keys.map((key) => ({ op: 'remove', table, key }) as const),
    options,
  );
}

/** Removes a whole table, its sub-tables, and the managed marker Baton put above it. */
export function removeTomlTable(
  text: string,
  table: KeyPath,
  options: TomlEditOptions = {},
): string {
  return editToml(text, [{ op: 'remove-table', table }], options);
}

/** Formats a value as TOML source; `multiline` writes strings with line breaks as `"""`. */
export function formatTomlValue(value: TomlValue, multiline = false): string {
  if (typeof value === 'string') {
    return multiline && value.includes('\n') && !value.includes('\r')
      ? formatMultilineString(value)
      : formatTomlBasicString(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    if (Number.isInteger(value)) {
      return Number.isSafeInteger(value) ? String(value === 0 ? 0 : value) : value.toExponential();
    }
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => formatTomlValue(item)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, TomlValue>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([key, item]) => `${formatTomlKeySegment(key)} = ${formatTomlValue(item)}`).join(', ')} }`;
}

function formatMultilineString(value: string): string {
  let result = '"""\n';
  const chars = [...value];
  chars.forEach((char, index) => {
    const code = char.codePointAt(0)!;
    if (char === '\\') result += '\\\\';
    // A quote next to another quote, or before the closing delimiter, could end the string.
    else if (char === '"')
      result += chars[index + 1] === '"' || index === chars.length - 1 ? '\\"' : '"';
    else if (char === '\n' || char === '\t') result += char;
    else if (char === '\r') result += '\\r';
    else if (code < 0x20 || code === 0x7f)
      result += `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
    else result += char;
  });
  return `${result}"""`;
}

function checkValue(value: TomlValue, where: string): void {
  if (typeof value === 'string') assertWellFormed(value, where);
  else if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new RangeError(`${where}: ${value} does not fit TOML's 64-bit integers.`);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) checkValue(item, where);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      assertWellFormed(key, where);
      checkValue(item as TomlValue, where);
    }
  } else if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(
      `${where}: only strings, numbers, booleans, arrays and plain objects can be written.`,
    );
  }
}

function parseProduced(text: string, file: string | undefined): Record<string, unknown> {
  try {
    return parseTomlText(text, file);
  } catch (error) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `Internal error: editing ${file ?? 'the TOML text'} produced invalid TOML; nothing was changed. Please report this with the file's contents.`,
      { details: { file }, cause: error },
    );
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a number';
}

/** Why `[table]` cannot be written as a standard table here, if it cannot. */
function checkTablePath(
  model: TomlModel,
  parsed: unknown,
  table: KeyPath,
  file: string | undefined,
): void {
  for (let length = 1; length <= table.length; length += 1) {
    const prefix = table.slice(0, length);
    const value = getIn(parsed, prefix);
    if (value === undefined) break;
    if (!isPlainObject(value)) {
      const site = definitionLine(model, prefix);
      throw conflictError(
        FORMAT,
        file,
        `\`${formatTomlKeyPath(prefix)}\` is ${describeValue(value)}${site}, but Baton needs a table there to write ${tableSubject(table)}. Rename or remove it by hand and rerun.`,
        { key: prefix.join('.') },
      );
    }
  }
  for (const statement of keyvals(model)) {
    const key = fullKey(statement);
    if (startsWithPath(statement.table, table)) continue;
    // An inline table on the path is edited in place (see toml-inline.ts).
    if (statement.value.kind === 'inline-table' && startsWithPath(table, key)) continue;
    if (startsWithPath(key, table) || startsWithPath(table, key)) {
      throw conflictError(
        FORMAT,
        file,
        `${tableSubject(table)} is defined with dotted keys at line ${lineOf(model, statement.start)}; Baton only edits tables written under a ${tableSubject(table)} header or as \`key = { … }\`. Write it that way and rerun.`,
        { key: table.join('.'), line: lineOf(model, statement.start) },
      );
    }
  }
}

/** ` (line N)` for the first statement defining something at or under `path`. */
function definitionLine(model: TomlModel, path: KeyPath): string {
  for (const statement of model.statements) {
    if (statement.kind === 'header' && startsWithPath(statement.path, path)) {
      return ` (line ${lineOf(model, statement.start)})`;
    }
    if (statement.kind === 'keyval') {
      const key = fullKey(statement);
      if (startsWithPath(key, path) || startsWithPath(path, key)) {
        return ` (line ${lineOf(model, statement.start)})`;
      }
    }
  }
  return '';
}

function applySet(
  model: TomlModel,
  parsed: Record<string, unknown>,
  table: KeyPath,
  key: string,
  value: TomlValue,
  file: string | undefined,
): string {
  const text = model.text;
  const eol = detectEol(text);
  if (table.length > 0) checkTablePath(model, parsed, table, file);
  const target = [...table, key];
  const container = locateTable(model, table, file, true);
  const existing = keyIn(model, container, key);
  if (existing !== undefined) {
    if (deepEqual(getIn(parsed, target), value)) return text;
    // Inline tables stay on one line.
    const formatted = formatTomlValue(value, eol === '\n' && !isInline(container));
    return applySplices(text, [{ start: existing.start, end: existing.end, text: formatted }]);
  }
  if (hasIn(parsed, target)) {
    throw conflictError(
      FORMAT,
      file,
      `\`${formatTomlKeyPath(target)}\` is already defined as a table${definitionLine(model, target)}; Baton would write a value there. Remove it by hand and rerun.`,
      { key: target.join('.') },
    );
  }
  if (container.kind === 'inline') {
    return applySplices(text, [insertInlineEntry(container.node, key, formatTomlValue(value))]);
  }
  if (container.kind === 'inside-inline') {
    const nested = table
      .slice(container.depth + 1)
      .reduceRight<TomlValue>((inner, segment) => ({ [segment]: inner }), { [key]: value });
    return applySplices(text, [
      insertInlineEntry(container.node, table[container.depth]!, formatTomlValue(nested)),
    ]);
  }
  const line = `${formatTomlKeySegment(key)} = ${formatTomlValue(value, eol === '\n')}`;
  if (container.kind === 'region') {
    const { region } = container;
    const last = regionKeyvals(model, region).at(-1);
    const offset = last?.end ?? (region.header === undefined ? region.bodyEnd : region.header.end);
    const indent = last === undefined ? '' : indentationAt(text, last.start);
    return applySplices(text, [insertLines(text, offset, [indent + line], eol)]);
  }
  return applySplices(text, [insertTable(model, table, [line], eol)]);
}

function isInline(container: TomlContainer): boolean {
  return container.kind === 'inline' || container.kind === 'inside-inline';
}

/** Where the value of `key = …` (a plain key) is written in the table, if it is. */
function keyIn(
  model: TomlModel,
  container: TomlContainer,
  key: string,
): { start: number; end: number } | undefined {
  if (container.kind === 'inline') return inlineEntry(container.node, key)?.value;
  if (container.kind !== 'region') return undefined;
  return regionKeyvals(model, container.region).find(
    (statement) => statement.key.length === 1 && statement.key[0]!.name === key,
  )?.value;
}

/** Adds a new `[table]` after its last sibling table (or at the end), with a managed marker. */
function insertTable(model: TomlModel, table: KeyPath, lines: readonly string[], eol: Eol): Splice {
  const parent = table.slice(0, -1);
  const regions = model.regions;
  const related =
    parent.length === 0
      ? undefined
      : regions.findLast(
          (region) => region.header !== undefined && startsWithPath(region.header.path, parent),
        );
  const offset = (related ?? regions.at(-1)!).bodyEnd;
  const prefixIsBlank = model.text.slice(0, offset).trim() === '';
  const block = [managedMarker(tableSubject(table)), `[${formatTomlKeyPath(table)}]`, ...lines];
  return insertLines(model.text, offset, prefixIsBlank ? block : ['', ...block], eol);
}

function applyRemove(
  model: TomlModel,
  parsed: Record<string, unknown>,
  table: KeyPath,
  key: string,
  keep: (path: KeyPath) => boolean,
  file: string | undefined,
): string {
  const target = [...table, key];
  const container = locateTable(model, table, file, false);
  const text = model.text;
  let removed: string | undefined;
  if (container.kind === 'region') {
    const statement = regionKeyvals(model, container.region).find(
      (candidate) => candidate.key.length === 1 && candidate.key[0]!.name === key,
    );
    if (statement !== undefined) {
      removed = applySplices(text, [removeLines(text, statement.start, statement.end)]);
    }
  } else if (container.kind === 'inline') {
    const entry = inlineEntry(container.node, key);
    if (entry !== undefined) {
      removed = applySplices(text, [removeInlineEntry(container.node, entry)]);
    }
  }
  if (removed === undefined) {
    if (!hasIn(parsed, target)) return text;
    throw conflictError(
      FORMAT,
      file,
      `\`${formatTomlKeyPath(target)}\` is not written as \`${formatTomlKeySegment(key)} = …\` under ${table.length === 0 ? 'the top level' : tableSubject(table)}${definitionLine(model, target)}; Baton will not remove it. Remove it by hand if it is no longer needed.`,
      { key: target.join('.') },
    );
  }
  return pruneEmptyTable(removed, table, keep, file);
}

/**
 * Removes the table a removal left empty, unless the user had it: a `[table]` header with
 * nothing under it (blank lines and the comments on top of the next header are not its
 * content; Baton's marker and the blank line before it go too), or an empty inline table,
 * and then the inline tables enclosing it that it leaves empty (Baton writes those inside a
 * user's inline table; it never writes an enclosing `[header]`).
 */
function pruneEmptyTable(
  text: string,
  table: KeyPath,
  keep: (path: KeyPath) => boolean,
  file: string | undefined,
): string {
  let current = text;
  for (let path = table; path.length > 0 && !keep(path); path = path.slice(0, -1)) {
    const model = buildTomlModel(current);
    const container = locateTable(model, path, file, false);
    if (container.kind === 'region') {
      const { region } = container;
      if (region.bodyEnd !== region.header!.end) return current;
      return applySplices(current, [
        removeLines(current, regionRemovalStart(model, region), region.bodyEnd),
      ]);
    }
    if (container.kind !== 'inline' || container.node.entries.length > 0) return current;
    const { owner } = container;
    if (owner.kind === 'statement') {
      const { statement } = owner;
      return applySplices(current, [removeLines(current, statement.start, statement.end)]);
    }
    current = applySplices(current, [removeInlineEntry(owner.parent, owner.entry)]);
  }
  return current;
}

/**
 * Gives the inline tables a removal emptied but kept (the user had them) the spelling they
 * had in the original when they were empty there (`{ }` rather than the `{}` a removal
 * leaves).
 */
function restoreEmptyInlineTables(
  text: string,
  original: string,
  removals: readonly ValueChange[],
): string {
  const before = buildTomlModel(original);
  let current = text;
  for (const removal of removals) {
    for (let length = removal.path.length - 1; length > 0; length -= 1) {
      const path = removal.path.slice(0, length);
      const was = emptyInlineTable(before, path);
      const now = emptyInlineTable(buildTomlModel(current), path);
      if (was === undefined || now === undefined) continue;
      current = applySplices(current, [
        { start: now.start, end: now.end, text: original.slice(was.start, was.end) },
      ]);
    }
  }
  return current;
}

function emptyInlineTable(model: TomlModel, path: KeyPath): TomlInlineTable | undefined {
  const container = locateTable(model, path, undefined, false);
  return container.kind === 'inline' && container.node.entries.length === 0
    ? container.node
    : undefined;
}

function applyRemoveTable(
  model: TomlModel,
  parsed: Record<string, unknown>,
  table: KeyPath,
  file: string | undefined,
): string {
  if (table.length === 0) throw new RangeError('The top level is not a table Baton can remove.');
  if (!hasIn(parsed, table)) return model.text;
  for (let length = 1; length < table.length; length += 1) {
    const value = getIn(parsed, table.slice(0, length));
    if (!isPlainObject(value)) {
      throw conflictError(
        FORMAT,
        file,
        `\`${formatTomlKeyPath(table.slice(0, length))}\` is ${describeValue(value)}${definitionLine(model, table.slice(0, length))}, so ${tableSubject(table)} is not a table Baton can remove.`,
        { key: table.join('.') },
      );
    }
  }
  for (const statement of keyvals(model)) {
    const key = fullKey(statement);
    if (
      !startsWithPath(statement.table, table) &&
      (startsWithPath(key, table) || startsWithPath(table, key))
    ) {
      throw conflictError(
        FORMAT,
        file,
        `${tableSubject(table)} is defined by \`${formatTomlKeyPath(key)}\` at line ${lineOf(model, statement.start)}, not only by table headers; Baton will not remove it. Remove it by hand if it is no longer needed.`,
        { key: table.join('.'), line: lineOf(model, statement.start) },
      );
    }
  }
  const spans = model.regions
    .filter((region) => region.header !== undefined && startsWithPath(region.header.path, table))
    .map((region) => ({ start: regionRemovalStart(model, region), end: region.bodyEnd }));
  return applySplices(model.text, removeLineSpans(model.text, spans));
}
