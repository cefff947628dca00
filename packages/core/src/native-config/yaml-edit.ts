import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Pair,
  parseAllDocuments,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
  type Node as YamlNode,
} from 'yaml';
import { managedMarker, parseManagedMarker } from './managed-marker.js';
import {
  applySplices,
  conflictError,
  detectEol,
  type Eol,
  insertLines,
  lineColumnAt,
  lineEndAt,
  lineStartAt,
  malformedError,
  nextLineStart,
  removeLineSpans,
  removeLines,
  type Splice,
  splitBom,
} from './text.js';
import {
  containersToKeep,
  deepEqual,
  getIn,
  isPlainObject,
  type KeyPath,
  parseOriginal,
  type ValueChange,
  verifyEdit,
} from './values.js';
import {
  formatYamlKey,
  formatYamlScalar,
  isBlockCollection,
  renderYamlBlock,
  renderYamlItem,
  renderYamlPair,
  type YamlValue,
} from './yaml-render.js';

export type { YamlValue } from './yaml-render.js';

/**
 * One change to a YAML file. Paths are mapping keys from the top-level mapping. Removals
 * also remove the enclosing mappings (and the sequence's key) they leave empty.
 */
export type YamlEdit =
  | { op: 'set'; path: KeyPath; value: YamlValue }
  | { op: 'remove'; path: KeyPath }
  | {
      /** Insert or replace the item of the sequence at `path` whose `matchKey` equals `item[matchKey]`. */
      op: 'upsert-item';
      path: KeyPath;
      matchKey: string;
      item: Readonly<Record<string, YamlValue>>;
    }
  | { op: 'remove-item'; path: KeyPath; matchKey: string; matchValue: string | number | boolean }
  | {
      /**
       * Set one value inside the item of the sequence at `path` whose `matchKey` equals
       * `matchValue` (`itemPath` is relative to the item), leaving the item's other keys,
       * comments and spelling as they are; when there is no such item, append one holding
       * only `matchKey` and this value, with a managed marker.
       */
      op: 'set-in-item';
      path: KeyPath;
      matchKey: string;
      matchValue: string | number | boolean;
      itemPath: KeyPath;
      value: YamlValue;
    };

export interface YamlEditOptions {
  /** The file's path, used in error messages only. */
  file?: string;
  /**
   * What the file held before Baton first changed it (`null`: Baton created it), when known.
   * Removals then take away only the mappings and sequences Baton created: one the user had
   * stays, and one that was empty gets its spelling back (`agent: {}`, `agent:`,
   * `model_list: []`). Without it, every mapping or sequence a removal empties goes with it.
   */
  original?: string | null;
}

const FORMAT = 'YAML';

/** The splicer met a shape it does not edit in place (flow collections, compact items…). */
class NotSpliceable extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/**
 * Applies edits to YAML text by splicing only the bytes Baton owns, so comments, quoting,
 * indentation and blank lines elsewhere stay byte-for-byte (yaml's own `toString` reflows
 * them). A set replaces a value in place or adds `key: value` lines after the mapping's last
 * entry, at its indentation, with the file's line terminator; sequence items are matched by a
 * key (`model_name`) and appended after the last item. Blocks Baton adds carry a managed
 * marker. Where in-place splicing is not possible (for example inside a non-empty flow
 * mapping), yaml's Document API (`setIn`/`deleteIn`) is used only if it reproduces the
 * untouched file exactly; otherwise the edit is refused. Malformed input and shape conflicts
 * are refused before anything is produced; the result is re-parsed and checked.
 */
export function editYaml(
  text: string,
  edits: readonly YamlEdit[],
  options: YamlEditOptions = {},
): string {
  const { bom, body } = splitBom(text);
  // Parsed documents by text: an edit that changes nothing need not be parsed again.
  const cache: ParseCache = new Map();
  const before = toJs(parseYaml(body, options.file, cache));
  const parsed = parseOriginal(options.original, (original) =>
    toJs(parseYaml(original, options.file, cache)),
  );
  const original = parsed?.body;
  const removals = edits.filter((edit) => edit.op === 'remove' || edit.op === 'remove-item');
  const session: Session = {
    file: options.file,
    cache,
    keep: containersToKeep(parsed === null ? null : parsed?.value, removals.map(expectedChange)),
  };
  let current = body;
  const changes: ValueChange[] = [];
  for (const edit of edits) {
    current = applyEdit(current, edit, session);
    changes.push(expectedChange(edit));
  }
  if (original !== undefined) current = restoreEmptyValues(current, original, removals, session);
  if (current === body) return text;
  verifyEdit(
    FORMAT,
    options.file,
    before,
    toJs(parseYaml(current, options.file, cache)),
    changes,
    true,
  );
  return bom + current;
}

/** What every edit of one `editYaml` call shares. */
interface Session {
  readonly file: string | undefined;
  readonly cache: ParseCache;
  /** True for a mapping or sequence the user had, which a removal empties but keeps. */
  readonly keep: (path: KeyPath) => boolean;
}

export function setYamlValue(
  text: string,
  path: KeyPath,
  value: YamlValue,
  options: YamlEditOptions = {},
): string {
  return editYaml(text, [{ op: 'set', path, value }], options);
}

export function removeYamlValue(
  text: string,
  path: KeyPath,
  options: YamlEditOptions = {},
): string {
  return editYaml(text, [{ op: 'remove', path }], options);
}

export function upsertYamlSequenceItem(
  text: string,
  path: KeyPath,
  matchKey: string,
  item: Readonly<Record<string, YamlValue>>,
  options: YamlEditOptions = {},
): string {
  return editYaml(text, [{ op: 'upsert-item', path, matchKey, item }], options);
}

export function removeYamlSequenceItem(
  text: string,
  path: KeyPath,
  matchKey: string,
  matchValue: string | number | boolean,
  options: YamlEditOptions = {},
): string {
  return editYaml(text, [{ op: 'remove-item', path, matchKey, matchValue }], options);
}

/** Sets `value` at `itemPath` inside the item of the sequence at `path` matched by `matchKey`. */
export function setYamlValueInItem(
  text: string,
  path: KeyPath,
  matchKey: string,
  matchValue: string | number | boolean,
  itemPath: KeyPath,
  value: YamlValue,
  options: YamlEditOptions = {},
): string {
  return editYaml(
    text,
    [{ op: 'set-in-item', path, matchKey, matchValue, itemPath, value }],
    options,
  );
}

/** The marker subject of a sequence item Baton owns, e.g. `model_list[model_name=baton-worker]`. */
export function sequenceItemSubject(path: KeyPath, matchKey: string, matchValue: unknown): string {
  return `${path.join('.')}[${matchKey}=${String(matchValue)}]`;
}

function toJs(doc: Document.Parsed): unknown {
  return doc.toJS() ?? {};
}

type ParseCache = Map<string, Document.Parsed>;

function parseYaml(text: string, file: string | undefined, cache: ParseCache): Document.Parsed {
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  if (documents.length > 1) {
    const second = documents[1]!.range[0];
    throw conflictError(
      FORMAT,
      file,
      `it holds several YAML documents (the second starts at line ${lineColumnAt(text, second).line}); Baton only edits single-document files.`,
    );
  }
  const doc = documents[0] ?? parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const linePos = error.linePos?.[0];
    const position = linePos
      ? { line: linePos.line, column: linePos.col }
      : lineColumnAt(text, error.pos[0]);
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw malformedError(FORMAT, file, position, reason);
  }
  cache.set(text, doc);
  return doc;
}

function expectedChange(edit: YamlEdit): ValueChange {
  if (edit.op === 'set') return { kind: 'set', path: edit.path, value: edit.value };
  if (edit.op === 'remove') return { kind: 'delete', path: edit.path };
  if (edit.op === 'set-in-item') {
    return {
      kind: 'transform',
      path: edit.path,
      apply: (current) => {
        const items = Array.isArray(current) ? [...current] : [];
        const index = items.findIndex(
          (item) => isPlainObject(item) && deepEqual(item[edit.matchKey], edit.matchValue),
        );
        if (index === -1) items.push(newItem(edit));
        else items[index] = withValue(items[index], edit.itemPath, edit.value);
        return items;
      },
    };
  }
  if (edit.op === 'upsert-item') {
    const value = edit.item[edit.matchKey];
    return {
      kind: 'transform',
      path: edit.path,
      apply: (current) => {
        const items = Array.isArray(current) ? [...current] : [];
        const index = items.findIndex(
          (item) => isPlainObject(item) && deepEqual(item[edit.matchKey], value),
        );
        if (index === -1) items.push(edit.item);
        else items[index] = edit.item;
        return items;
      },
    };
  }
  return {
    kind: 'transform',
    path: edit.path,
    apply: (current) => {
      if (!Array.isArray(current)) return current;
      const items = current.filter(
        (item) => !(isPlainObject(item) && deepEqual(item[edit.matchKey], edit.matchValue)),
      );
      return items.length === 0 && current.length > 0 ? undefined : items;
    },
  };
}

/** The item `set-in-item` appends when none matches: the match key, then the value. */
function newItem(
  edit: Extract<YamlEdit, { op: 'set-in-item' }>,
): Readonly<Record<string, YamlValue>> {
  return {
    [edit.matchKey]: edit.matchValue,
    ...(withValue({}, edit.itemPath, edit.value) as Record<string, YamlValue>),
  };
}

/** A copy of `target` with `value` at `path`, creating mappings on the way. */
function withValue(target: unknown, path: KeyPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const base = isPlainObject(target) ? target : {};
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(base)) {
    Object.defineProperty(copy, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(copy, path[0]!, {
    value: withValue(base[path[0]!], path.slice(1), value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function applyEdit(text: string, edit: YamlEdit, session: Session): string {
  const doc = parseYaml(text, session.file, session.cache);
  const context: Context = {
    session,
    cache: session.cache,
    text,
    doc,
    js: toJs(doc),
    eol: detectEol(text),
    unit: detectIndentUnit(text),
    file: session.file,
  };
  try {
    if (edit.op === 'set') return applySet(context, edit.path, edit.value);
    if (edit.op === 'remove') return applyRemove(context, edit.path);
    if (edit.op === 'upsert-item')
      return applyUpsertItem(context, edit.path, edit.matchKey, edit.item);
    if (edit.op === 'set-in-item') return applySetInItem(context, edit);
    return applyRemoveItem(context, edit.path, edit.matchKey, edit.matchValue);
  } catch (error) {
    if (error instanceof NotSpliceable) return documentFallback(context, edit, error);
    throw error;
  }
}

/** The text positions are read from. */
interface Source {
  readonly text: string;
}

interface Context extends Source {
  session: Session;
  text: string;
  doc: Document.Parsed;
  js: unknown;
  eol: Eol;
  unit: number;
  file: string | undefined;
  cache: ParseCache;
}

/** The file's indentation step: the smallest increase of indentation from one line to the next. */
function detectIndentUnit(text: string): number {
  let smallest = 0;
  let previous = 0;
  for (const match of text.matchAll(/^( *)([^\s#])/gm)) {
    const indent = match[1]!.length;
    if (indent > previous && (smallest === 0 || indent - previous < smallest))
      smallest = indent - previous;
    previous = match[2] === '-' ? indent + 2 : indent;
  }
  return smallest === 0 || smallest > 8 ? 2 : smallest;
}

function rangeOf(node: YamlNode | null | undefined): [number, number, number] | undefined {
  return node?.range ?? undefined;
}

function findPair(map: YAMLMap, key: string): Pair<YamlNode, YamlNode | null> | undefined {
  return (map.items as Pair<YamlNode, YamlNode | null>[]).find(
    (pair) => isScalar(pair.key) && pair.key.value === key,
  );
}

/**
 * The contents of a document that holds nothing but `---` (and comments): yaml gives it an
 * empty null scalar, which is an empty document, not a scalar in Baton's way.
 */
function isBareDocument(node: YamlNode): boolean {
  const range = rangeOf(node);
  return (
    isScalar(node) &&
    node.value === null &&
    node.anchor === undefined &&
    node.tag === undefined &&
    range !== undefined &&
    range[0] === range[1]
  );
}

function isEmptyValue(node: YamlNode | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  if (isScalar(node)) return node.value === null;
  return (isMap(node) || isSeq(node)) && node.flow === true && node.items.length === 0;
}

function trimBack(text: string, end: number, floor: number): number {
  let offset = end;
  while (offset > floor && /\s/.test(text[offset - 1]!)) offset -= 1;
  return offset;
}

/** Offset just after `:` following the pair's key. */
function colonEnd(context: Source, pair: Pair<YamlNode, YamlNode | null>): number {
  const keyRange = rangeOf(pair.key)!;
  const colon = context.text.indexOf(':', keyRange[1]);
  if (colon === -1) throw new NotSpliceable('a mapping entry without ":"', keyRange[0]);
  return colon + 1;
}

/** Offset after the last character of the node's own text (comments and spacing excluded). */
/**
 * Offset after the last character of the node's own text. A block collection ends where its
 * last item's text ends: the parser may count comment lines after it as part of the
 * collection, and those belong to whatever follows.
 */
function nodeContentEnd(context: Source, node: YamlNode): number {
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items.at(-1);
    if (isPair(last)) return pairContentEnd(context, last as Pair<YamlNode, YamlNode | null>);
    if (last !== null && last !== undefined) return nodeContentEnd(context, last as YamlNode);
  }
  const range = rangeOf(node)!;
  // A block scalar that keeps its final line breaks (`|+`, `>+`) owns the blank lines after
  // it: what follows must go after them, or the scalar's value would lose them.
  if (keepsFinalLineBreaks(context, node)) return range[1];
  return trimBack(context.text, range[1], range[0]);
}

function keepsFinalLineBreaks(context: Source, node: YamlNode): boolean {
  if (!isScalar(node) || (node.type !== 'BLOCK_FOLDED' && node.type !== 'BLOCK_LITERAL'))
    return false;
  const header = /^[|>][^\s#]*/.exec(context.text.slice(rangeOf(node)![0]))?.[0] ?? '';
  return header.includes('+');
}

function pairContentEnd(context: Source, pair: Pair<YamlNode, YamlNode | null>): number {
  const value = pair.value;
  const range = rangeOf(value);
  if (value !== null && range !== undefined && range[1] > range[0])
    return nodeContentEnd(context, value);
  return colonEnd(context, pair);
}

function columnOf(text: string, offset: number): number {
  return offset - lineStartAt(text, offset);
}

function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartAt(text, offset), offset));
}

/** The start of the line above `offset`'s line when it is Baton's marker for `subject`. */
function markerAbove(text: string, offset: number, subject: string): number | undefined {
  const lineStart = lineStartAt(text, offset);
  if (lineStart === 0) return undefined;
  const above = lineStartAt(text, lineStart - 1);
  const line = text.slice(above, lineEndAt(text, above));
  return parseManagedMarker(line)?.subject === subject ? above : undefined;
}

function describeNode(node: YamlNode | null): string {
  if (isSeq(node)) return 'a sequence';
  if (isMap(node)) return 'a mapping';
  if (isAlias(node)) return 'an alias';
  return 'a scalar';
}

function shapeConflict(
  context: Context,
  path: KeyPath,
  node: YamlNode | null,
  needed: string,
): never {
  const start = rangeOf(node)?.[0];
  const where = start === undefined ? '' : ` at line ${lineColumnAt(context.text, start).line}`;
  throw conflictError(
    FORMAT,
    context.file,
    `\`${path.join('.')}\` is ${describeNode(node)}${where}, but Baton needs ${needed} there. Change it by hand and rerun.`,
    { key: path.join('.') },
  );
}

interface Walk {
  /** The deepest existing block mapping on the path (undefined: the document is empty). */
  map: YAMLMap | undefined;
  /** How many path segments lead to that mapping; `path[depth]` is missing, empty or blocked. */
  depth: number;
  /** The entry at `path[depth]` when it exists but is empty (null, `{}`, `[]`), to be filled in. */
  empty: Pair<YamlNode, YamlNode | null> | undefined;
  /** The entry at `path[depth]` when its value is not a mapping. */
  blocked: Pair<YamlNode, YamlNode | null> | undefined;
}

function checkNoAnchor(context: Context, path: KeyPath, node: YamlNode | null): void {
  if (node !== null && (node.anchor !== undefined || isAlias(node))) {
    throw conflictError(
      FORMAT,
      context.file,
      `\`${path.join('.')}\` uses a YAML anchor or alias; Baton does not edit through or replace them. Change it by hand and rerun.`,
      { key: path.join('.') },
    );
  }
}

/** Where a set happens: the document's top level, or the mapping of one sequence item. */
interface Scope {
  readonly root: YAMLMap;
  /** The item's parsed value, for comparisons. */
  readonly js: unknown;
  /** Names the item in messages and markers, e.g. `model_list[model_name=baton-worker]`. */
  readonly label: string;
}

/** Follows `path` through block mappings as far as it exists (from `scope`'s mapping if given). */
function walk(context: Context, path: KeyPath, scope?: Scope): Walk {
  const root = scope?.root ?? (context.doc.contents as YamlNode | null);
  const none = { empty: undefined, blocked: undefined };
  if (root === null || isBareDocument(root)) return { map: undefined, depth: 0, ...none };
  if (isMap(root) && root.flow)
    throw new NotSpliceable('the top level is a flow mapping', rangeOf(root)![0]);
  if (!isMap(root)) shapeConflict(context, ['(top level)'], root, 'a mapping');
  let map: YAMLMap = root;
  for (let depth = 0; depth < path.length; depth += 1) {
    const pair = findPair(map, path[depth]!);
    if (pair === undefined) return { map, depth, ...none };
    const value = pair.value;
    checkNoAnchor(context, labelled(scope, path.slice(0, depth + 1)), value);
    if (isEmptyValue(value)) return { map, depth, empty: pair, blocked: undefined };
    if (!isMap(value)) return { map, depth, empty: undefined, blocked: pair };
    if (value.flow) throw new NotSpliceable('a flow mapping on the path', rangeOf(value)![0]);
    map = value;
  }
  return { map, depth: path.length, ...none };
}

/** Lines for `path[from..]` nested under one another, ending in `value`, with a marker on it. */
function renderChain(
  context: Context,
  path: KeyPath,
  from: number,
  value: YamlValue,
  indent: number,
  marker: string | undefined,
): string[] {
  const lines: string[] = [];
  for (let index = from; index < path.length; index += 1) {
    const column = indent + (index - from) * context.unit;
    const key = path[index]!;
    if (index < path.length - 1) {
      lines.push(`${' '.repeat(column)}${formatYamlKey(key)}:`);
      continue;
    }
    if (marker !== undefined) lines.push(' '.repeat(column) + managedMarker(marker));
    lines.push(...renderYamlPair(key, value, column, context.unit));
  }
  return lines;
}

/** Where the lines of a new entry go: after the mapping's last entry, at its indentation. */
function insertionPoint(
  context: Context,
  map: YAMLMap | undefined,
): { offset: number; indent: number } {
  if (map === undefined) {
    const end = trimBack(context.text, context.text.length, 0);
    return { offset: end === 0 ? 0 : nextLineStart(context.text, end - 1), indent: 0 };
  }
  const items = map.items as Pair<YamlNode, YamlNode | null>[];
  const first = rangeOf(items[0]!.key)!;
  const last = items.at(-1)!;
  return {
    offset: nextLineStart(context.text, pairContentEnd(context, last) - 1),
    indent: columnOf(context.text, first[0]),
  };
}

/**
 * Fills an entry whose value is empty (nothing, `~`, `null`, `{}`, `[]`) with block lines:
 * the empty value's text goes, and the lines go after the entry's line, so a comment on
 * that line stays there (and removing the lines later gives the line back as it was).
 */
function fillEmptyValue(
  context: Context,
  pair: Pair<YamlNode, YamlNode | null>,
  lines: string[],
): Splice[] {
  const start = colonEnd(context, pair);
  const end = pairContentEnd(context, pair);
  return [
    ...(end > start ? [{ start, end, text: '' }] : []),
    insertLines(context.text, nextLineStart(context.text, end), lines, context.eol),
  ];
}

/** Replaces an entry's value with block lines starting on the next line. */
function replaceValueWithLines(
  context: Context,
  pair: Pair<YamlNode, YamlNode | null>,
  lines: string[],
): Splice {
  return {
    start: colonEnd(context, pair),
    end: pairContentEnd(context, pair),
    text: context.eol + lines.join(context.eol),
  };
}

/** Replaces an entry's value with a scalar, keeping the spacing after `:` when there is a value. */
function replaceValueWithScalar(
  context: Context,
  pair: Pair<YamlNode, YamlNode | null>,
  value: YamlValue,
): Splice {
  const scalar = formatYamlScalar(value);
  const end = pairContentEnd(context, pair);
  const node = pair.value;
  const range = rangeOf(node);
  if (isScalar(node) && range !== undefined && range[1] > range[0] && node.tag === undefined) {
    return { start: range[0], end, text: scalar };
  }
  return { start: colonEnd(context, pair), end, text: ` ${scalar}` };
}

function pairIndent(context: Context, pair: Pair<YamlNode, YamlNode | null>): number {
  return columnOf(context.text, rangeOf(pair.key)![0]);
}

/** A path as messages and markers name it: prefixed by the item it is in, if any. */
function labelled(scope: Scope | undefined, path: KeyPath): KeyPath {
  return scope === undefined ? path : [scope.label, ...path];
}

function applySet(context: Context, path: KeyPath, value: YamlValue, scope?: Scope): string {
  if (path.length === 0) throw new RangeError('Baton does not replace a whole YAML document.');
  const { map, depth, empty, blocked } = walk(context, path.slice(0, -1), scope);
  const marker = isBlockCollection(value) ? labelled(scope, path).join('.') : undefined;
  if (blocked !== undefined)
    shapeConflict(context, labelled(scope, path.slice(0, depth + 1)), blocked.value, 'a mapping');
  if (empty !== undefined) {
    const indent = pairIndent(context, empty) + context.unit;
    const lines = renderChain(context, path, depth + 1, value, indent, marker);
    return applySplices(context.text, fillEmptyValue(context, empty, lines));
  }
  const pair =
    map === undefined || depth < path.length - 1 ? undefined : findPair(map, path[depth]!);
  if (pair === undefined) {
    const point = insertionPoint(context, map);
    const lines = renderChain(context, path, depth, value, point.indent, marker);
    return applySplices(context.text, [
      insertLines(context.text, point.offset, lines, context.eol),
    ]);
  }
  if (deepEqual(getIn(scope === undefined ? context.js : scope.js, path), value))
    return context.text;
  checkNoAnchor(context, labelled(scope, path), pair.value);
  if (!isBlockCollection(value))
    return applySplices(context.text, [replaceValueWithScalar(context, pair, value)]);
  const lines = renderYamlBlock(value, pairIndent(context, pair) + context.unit, context.unit);
  return applySplices(context.text, [replaceValueWithLines(context, pair, lines)]);
}

/** Removes an entry's lines (and Baton's marker above it); prunes mappings left empty. */
function applyRemove(context: Context, path: KeyPath): string {
  if (path.length === 0) throw new RangeError('Baton does not remove a whole YAML document.');
  const { map, depth } = walk(context, path.slice(0, -1));
  if (map === undefined || depth < path.length - 1) return context.text;
  const pair = findPair(map, path[path.length - 1]!);
  if (pair === undefined) return context.text;
  const keyStart = rangeOf(pair.key)![0];
  if (!startsLine(context.text, keyStart)) {
    throw new NotSpliceable('the entry shares its line with a sequence dash', keyStart);
  }
  const start =
    markerAbove(context.text, keyStart, path.join('.')) ?? lineStartAt(context.text, keyStart);
  const end = nextLineStart(context.text, pairContentEnd(context, pair) - 1);
  const removed = applySplices(context.text, [removeLines(context.text, start, end)]);
  if (path.length < 2 || map.items.length > 1) return removed;
  if (context.session.keep(path.slice(0, -1))) return removed;
  return applyEdit(removed, { op: 'remove', path: path.slice(0, -1) }, context.session);
}

/** The block sequence at `path`, or how far the path exists when there is none yet. */
function sequenceAt(
  context: Context,
  path: KeyPath,
): Walk & { seq: YAMLSeq<YamlNode> | undefined } {
  const found = walk(context, path);
  if (found.depth === path.length) {
    const pair = findPair(walk(context, path.slice(0, -1)).map!, path[path.length - 1]!)!;
    shapeConflict(context, path, pair.value, 'a sequence');
  }
  const { blocked, depth } = found;
  if (blocked === undefined) return { ...found, seq: undefined };
  if (depth < path.length - 1 || !isSeq(blocked.value)) {
    shapeConflict(
      context,
      path.slice(0, depth + 1),
      blocked.value,
      depth < path.length - 1 ? 'a mapping' : 'a sequence',
    );
  }
  if (blocked.value.flow) throw new NotSpliceable('a flow sequence', rangeOf(blocked.value)![0]);
  return { ...found, seq: blocked.value as YAMLSeq<YamlNode> };
}

/** Key lines for `path[from..]`, then Baton's marker and the item, nested under them. */
function renderSequenceChain(
  context: Context,
  path: KeyPath,
  from: number,
  indent: number,
  item: Readonly<Record<string, YamlValue>>,
  subject: string,
): string[] {
  const lines = path
    .slice(from)
    .map((key, index) => `${' '.repeat(indent + index * context.unit)}${formatYamlKey(key)}:`);
  const itemIndent = indent + (path.length - from) * context.unit;
  lines.push(
    ' '.repeat(itemIndent) + managedMarker(subject),
    ...renderYamlItem(item, itemIndent, context.unit),
  );
  return lines;
}

function matchingItems(seq: YAMLSeq<YamlNode>, matchKey: string, matchValue: unknown): YamlNode[] {
  return seq.items.filter((item) => {
    if (!isMap(item)) return false;
    const pair = findPair(item, matchKey);
    return pair !== undefined && isScalar(pair.value) && deepEqual(pair.value.value, matchValue);
  });
}

/** Offset of the `-` that starts a block sequence item. */
function dashOf(context: Context, item: YamlNode): number {
  const start = rangeOf(item)![0];
  let offset = start;
  while (offset > 0 && (context.text[offset - 1] === ' ' || context.text[offset - 1] === '\t'))
    offset -= 1;
  if (context.text[offset - 1] !== '-')
    throw new NotSpliceable('a sequence item without a dash before it', start);
  return offset - 1;
}

function applyUpsertItem(
  context: Context,
  path: KeyPath,
  matchKey: string,
  item: Readonly<Record<string, YamlValue>>,
): string {
  const matchValue = item[matchKey];
  if (matchValue === undefined || isBlockCollection(matchValue)) {
    throw new TypeError(`The item must have a scalar \`${matchKey}\` to be matched by.`);
  }
  if (path.length === 0) throw new RangeError('The sequence must be under a key.');
  const subject = sequenceItemSubject(path, matchKey, matchValue);
  const { map, depth, empty, seq } = sequenceAt(context, path);
  if (seq === undefined) {
    if (empty !== undefined) {
      const indent = pairIndent(context, empty) + context.unit;
      const lines = renderSequenceChain(context, path, depth + 1, indent, item, subject);
      return applySplices(context.text, fillEmptyValue(context, empty, lines));
    }
    const point = insertionPoint(context, map);
    const lines = renderSequenceChain(context, path, depth, point.indent, item, subject);
    return applySplices(context.text, [
      insertLines(context.text, point.offset, lines, context.eol),
    ]);
  }
  const found = matchingItems(seq, matchKey, matchValue);
  if (found.length > 1) {
    throw conflictError(
      FORMAT,
      context.file,
      `\`${path.join('.')}\` has ${found.length} items with ${matchKey}: ${String(matchValue)}; remove the extra ones by hand and rerun.`,
    );
  }
  const dashColumn = columnOf(context.text, dashOf(context, seq.items[0]!));
  const existing = found[0];
  if (existing === undefined) {
    const last = seq.items.at(-1)!;
    const offset = nextLineStart(context.text, nodeContentEnd(context, last) - 1);
    const lines = [
      ' '.repeat(dashColumn) + managedMarker(subject),
      ...renderYamlItem(item, dashColumn, context.unit),
    ];
    return applySplices(context.text, [insertLines(context.text, offset, lines, context.eol)]);
  }
  const index = seq.items.indexOf(existing);
  const current = (getIn(context.js, path) as unknown[])[index];
  if (deepEqual(current, item)) return context.text;
  const itemDash = dashOf(context, existing);
  const lines = renderYamlItem(item, columnOf(context.text, itemDash), context.unit);
  lines[0] = lines[0]!.trimStart().slice(2);
  return applySplices(context.text, [
    {
      start: rangeOf(existing)![0],
      end: nodeContentEnd(context, existing),
      text: lines.join(context.eol),
    },
  ]);
}

function applySetInItem(context: Context, edit: Extract<YamlEdit, { op: 'set-in-item' }>): string {
  const { path, matchKey, matchValue, itemPath } = edit;
  if (path.length === 0) throw new RangeError('The sequence must be under a key.');
  if (itemPath.length === 0) throw new RangeError('Name the value to set inside the item.');
  const { seq } = sequenceAt(context, path);
  const found = seq === undefined ? [] : matchingItems(seq, matchKey, matchValue);
  if (found.length === 0) return applyUpsertItem(context, path, matchKey, newItem(edit));
  if (found.length > 1) {
    throw conflictError(
      FORMAT,
      context.file,
      `\`${path.join('.')}\` has ${found.length} items with ${matchKey}: ${String(matchValue)}; remove the extra ones by hand and rerun.`,
    );
  }
  const item = found[0]! as YAMLMap;
  const label = sequenceItemSubject(path, matchKey, matchValue);
  if (item.flow) throw new NotSpliceable(`${label} is a flow mapping`, rangeOf(item)![0]);
  const index = seq!.items.indexOf(item);
  const js = (getIn(context.js, path) as unknown[])[index];
  return applySet(context, itemPath, edit.value, { root: item, js, label });
}

function applyRemoveItem(
  context: Context,
  path: KeyPath,
  matchKey: string,
  matchValue: string | number | boolean,
): string {
  if (path.length === 0) throw new RangeError('The sequence must be under a key.');
  const { seq } = sequenceAt(context, path);
  if (seq === undefined) return context.text;
  const found = matchingItems(seq, matchKey, matchValue);
  if (found.length === 0) return context.text;
  const splices = found.map((item) => {
    const dash = dashOf(context, item);
    if (!startsLine(context.text, dash))
      throw new NotSpliceable('a sequence item sharing its line', dash);
    const subject = sequenceItemSubject(path, matchKey, matchValue);
    const start = markerAbove(context.text, dash, subject) ?? lineStartAt(context.text, dash);
    return { start, end: nextLineStart(context.text, nodeContentEnd(context, item) - 1) };
  });
  const removed = applySplices(context.text, removeLineSpans(context.text, splices));
  if (found.length < seq.items.length || context.session.keep(path)) return removed;
  return applyEdit(removed, { op: 'remove', path }, context.session);
}

/**
 * yaml's Document API, used only when re-printing the untouched document reproduces it
 * byte for byte, so no byte outside the edit can change.
 */
function documentFallback(context: Context, edit: YamlEdit, reason: NotSpliceable): string {
  const doc = parseDocument(context.text, { uniqueKeys: true });
  if (doc.toString() !== context.text) {
    const { line } = lineColumnAt(context.text, reason.offset);
    throw conflictError(
      FORMAT,
      context.file,
      `Baton cannot make this change without reformatting the file (${reason.message} at line ${line}). Make the change by hand, or rewrite that part in block style, and rerun.`,
      { line },
    );
  }
  if (edit.op === 'set') doc.setIn(edit.path, doc.createNode(edit.value));
  else if (edit.op === 'set-in-item') {
    const seq = doc.getIn(edit.path, true);
    const items = isSeq(seq) ? seq.items : [];
    const index = items.findIndex((item) => {
      if (!isMap(item)) return false;
      const value = item.get(edit.matchKey, true);
      return isScalar(value) && deepEqual(value.value, edit.matchValue);
    });
    if (index === -1) {
      const change = expectedChange(edit);
      const next = change.kind === 'transform' ? change.apply(isSeq(seq) ? seq.toJSON() : []) : [];
      doc.setIn(edit.path, doc.createNode(next));
    } else doc.setIn([...edit.path, index, ...edit.itemPath], doc.createNode(edit.value));
  } else if (edit.op === 'remove') {
    doc.deleteIn(edit.path);
    for (let length = edit.path.length - 1; length > 0; length -= 1) {
      const parent = doc.getIn(edit.path.slice(0, length), true);
      if (!isMap(parent) || parent.items.length > 0) break;
      if (context.session.keep(edit.path.slice(0, length))) break;
      doc.deleteIn(edit.path.slice(0, length));
    }
  } else {
    const seq = doc.getIn(edit.path, true);
    const items = isSeq(seq) ? (seq.toJSON() as unknown[]) : [];
    const change = expectedChange(edit);
    const next = change.kind === 'transform' ? change.apply(items) : items;
    if (next === undefined && context.session.keep(edit.path))
      doc.setIn(edit.path, doc.createNode([]));
    else if (next === undefined) doc.deleteIn(edit.path);
    else doc.setIn(edit.path, doc.createNode(next));
  }
  return doc.toString();
}

/** The entry at `path` through block and flow mappings, if the whole path exists. */
function pairAt(doc: Document.Parsed, path: KeyPath): Pair<YamlNode, YamlNode | null> | undefined {
  let node = doc.contents as YamlNode | null;
  let pair: Pair<YamlNode, YamlNode | null> | undefined;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    pair = findPair(node, key);
    if (pair === undefined) return undefined;
    node = pair.value;
  }
  return pair;
}

/**
 * Gives the mappings and sequences a removal emptied but kept (the user had them) the
 * spelling they had in the original when they were empty there: removing Baton's last entry
 * leaves `agent:` with nothing after it, which becomes `agent: {}` again when that is what
 * the user wrote (or `model_list: []`, `agent: ~`).
 */
function restoreEmptyValues(
  text: string,
  original: string,
  removals: readonly YamlEdit[],
  session: Session,
): string {
  const before = parseYaml(original, session.file, session.cache);
  let current = text;
  const seen = new Set<string>();
  for (const edit of removals) {
    const deepest = edit.op === 'remove' ? edit.path.length - 1 : edit.path.length;
    for (let length = deepest; length > 0; length -= 1) {
      const path = edit.path.slice(0, length);
      const id = JSON.stringify(path);
      if (seen.has(id)) continue;
      seen.add(id);
      const was = pairAt(before, path);
      if (was === undefined || !isEmptyValue(was.value)) continue;
      const doc = parseYaml(current, session.file, session.cache);
      const pair = pairAt(doc, path);
      if (pair === undefined || !isEmptyValue(pair.value)) continue;
      const source = { text: current };
      const start = colonEnd(source, pair);
      const end = pairContentEnd(source, pair);
      if (end > start) continue;
      const spelling = original.slice(
        colonEnd({ text: original }, was),
        pairContentEnd({ text: original }, was),
      );
      current = applySplices(current, [{ start, end, text: spelling }]);
    }
  }
  return current;
}
