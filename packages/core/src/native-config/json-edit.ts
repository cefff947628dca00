import {
  createScanner,
  getNodeValue,
  type Node as JsonNode,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import {
  applySplices,
  assertWellFormed,
  conflictError,
  detectEol,
  type Eol,
  indentationAt,
  lineColumnAt,
  lineEndAt,
  lineStartAt,
  malformedError,
  nextLineStart,
  removeLines,
  type Splice,
  splitBom,
} from './text.js';
import {
  containersToKeep,
  deepEqual,
  isPlainObject,
  type KeyPath,
  parseOriginal,
  type ValueChange,
  verifyEdit,
} from './values.js';

/** A value Baton writes to JSON. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One change to a JSON file; paths are object keys from the top-level object. */
export type JsonEdit =
  | { op: 'set'; path: KeyPath; value: JsonValue }
  | {
      op: 'remove';
      path: KeyPath;
      /** Also remove enclosing objects this removal leaves empty (default true). */
      pruneEmptyParents?: boolean;
    };

export interface JsonEditOptions {
  /** The file's path, used in error messages only. */
  file?: string;
  /** `jsonc` (default) accepts comments and trailing commas; `json` refuses them. */
  flavor?: 'json' | 'jsonc';
  /**
   * What the file held before Baton first changed it (`null`: Baton created it), when known.
   * Removals then take away only the objects Baton created: an object the user had stays,
   * and one that was empty gets its spelling back (`{}`, `{ }`, an empty file). Without it,
   * every object a removal leaves empty is removed with it.
   */
  original?: string | null;
}

const FORMAT = 'JSON';

// jsonc-parser's SyntaxKind is an ambient const enum, which isolated modules cannot read.
const COMMA = 5;
const LINE_COMMENT = 12;
const BLOCK_COMMENT = 13;
const LINE_BREAK = 14;
const TRIVIA = 15;

/**
 * Applies edits to JSON/JSONC text by splicing only the bytes Baton owns. (jsonc-parser's own
 * `modify` re-indents neighbouring lines and drops or moves comments next to removed
 * properties, so it is used here for parsing and positions only.) A set replaces an existing
 * value in place or adds one property after the object's last one, indented like its
 * siblings with the file's line terminator; a remove deletes the property's lines and fixes
 * the separating comma. Malformed input, duplicate keys on the path, and a non-object on the
 * path are refused before anything is produced; the result is re-parsed and checked.
 */
export function editJson(
  text: string,
  edits: readonly JsonEdit[],
  options: JsonEditOptions = {},
): string {
  const { bom, body } = splitBom(text);
  const initial = asObjectText(body);
  let current = initial;
  const before = getNodeValue(parseJson(current, options));
  const parsed = parseOriginal(options.original, (original) =>
    getNodeValue(parseJson(asObjectText(original), options)),
  );
  const original = parsed?.body;
  const removals: ValueChange[] = edits
    .filter((edit) => edit.op === 'remove')
    .map((edit) => ({ kind: 'delete', path: edit.path }));
  const keep = containersToKeep(parsed === null ? null : parsed?.value, removals);
  const changes: ValueChange[] = [];
  for (const edit of edits) {
    if (edit.op === 'set') {
      checkValue(edit.value, edit.path.join('.'));
      current = applySet(current, edit.path, edit.value, options);
      changes.push({ kind: 'set', path: edit.path, value: edit.value });
    } else {
      current = applyRemove(current, edit.path, edit.pruneEmptyParents ?? true, options, keep);
      changes.push({ kind: 'delete', path: edit.path });
    }
  }
  if (original !== undefined) {
    current = restoreEmptyObjects(
      current,
      original,
      removals.map((change) => change.path),
      options,
    );
  }
  if (current === initial) return text;
  // An emptied file given back as it was (blank) holds no values to check.
  if (current === original && original.trim() === '') return bom + current;
  verifyEdit(FORMAT, options.file, before, getNodeValue(parseJson(current, options)), changes);
  return bom + current;
}

/** Editing starts an empty (or blank) file as an object. */
function asObjectText(body: string): string {
  return body.trim() === '' ? `{}${body === '' ? '\n' : body}` : body;
}

/** Sets one value (creating enclosing objects as needed). */
export function setJsonValue(
  text: string,
  path: KeyPath,
  value: JsonValue,
  options: JsonEditOptions = {},
): string {
  return editJson(text, [{ op: 'set', path, value }], options);
}

/** Removes one value, and the enclosing objects it leaves empty. */
export function removeJsonValue(
  text: string,
  path: KeyPath,
  options: JsonEditOptions = {},
): string {
  return editJson(text, [{ op: 'remove', path }], options);
}

function checkValue(value: unknown, where: string): void {
  if (typeof value === 'string') assertWellFormed(value, where);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${where}: JSON cannot hold ${value}.`);
  } else if (Array.isArray(value)) {
    for (const item of value) checkValue(item, where);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      assertWellFormed(key, where);
      checkValue(item, where);
    }
  } else if (value !== null && typeof value !== 'boolean') {
    throw new TypeError(`${where}: only JSON values can be written.`);
  }
}

function parseJson(text: string, options: JsonEditOptions): JsonNode {
  const errors: ParseError[] = [];
  const jsonc = options.flavor !== 'json';
  const root = parseTree(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc });
  const first = errors[0];
  if (first !== undefined) {
    throw malformedError(
      FORMAT,
      options.file,
      lineColumnAt(text, first.offset),
      describeParseError(first),
    );
  }
  if (root?.type !== 'object') {
    throw conflictError(
      FORMAT,
      options.file,
      'the top level is not an object; Baton only edits JSON objects.',
    );
  }
  return root;
}

function describeParseError(error: ParseError): string {
  const code = printParseErrorCode(error.error);
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function properties(node: JsonNode): JsonNode[] {
  return node.children ?? [];
}

function findProperty(
  text: string,
  node: JsonNode,
  key: string,
  path: KeyPath,
  options: JsonEditOptions,
): JsonNode | undefined {
  const found = properties(node).filter((property) => property.children?.[0]?.value === key);
  if (found.length > 1) {
    const { line } = lineColumnAt(text, found[1]!.offset);
    throw conflictError(
      FORMAT,
      options.file,
      `\`${path.join('.')}\` is defined twice (again at line ${line}); remove one by hand and rerun.`,
      { key: path.join('.'), line },
    );
  }
  return found[0];
}

function describeNode(node: JsonNode): string {
  if (node.type === 'array') return 'an array';
  if (node.type === 'null') return 'null';
  return `a ${node.type}`;
}

/** The object at `path`, or where the path stops existing. */
function walk(
  text: string,
  root: JsonNode,
  path: KeyPath,
  options: JsonEditOptions,
): { node: JsonNode; depth: number } {
  let node = root;
  for (let depth = 0; depth < path.length; depth += 1) {
    const property = findProperty(text, node, path[depth]!, path.slice(0, depth + 1), options);
    if (property === undefined) return { node, depth };
    const value = property.children![1]!;
    if (value.type !== 'object') {
      const { line } = lineColumnAt(text, value.offset);
      throw conflictError(
        FORMAT,
        options.file,
        `\`${path.slice(0, depth + 1).join('.')}\` is ${describeNode(value)} at line ${line}, but Baton needs an object there. Change it by hand and rerun.`,
        { key: path.slice(0, depth + 1).join('.'), line },
      );
    }
    node = value;
  }
  return { node, depth: path.length };
}

/** The indentation unit the file uses (a tab, or the smallest run of leading spaces). */
function detectIndentUnit(text: string): string {
  let smallest = 0;
  for (const match of text.matchAll(/^([ \t]+)\S/gm)) {
    const indent = match[1]!;
    if (indent.startsWith('\t')) return '\t';
    if (smallest === 0 || indent.length < smallest) smallest = indent.length;
  }
  return smallest === 0 ? '  ' : ' '.repeat(smallest);
}

function render(
  value: unknown,
  indent: string,
  unit: string,
  eol: Eol,
  multiline: boolean,
): string {
  if (!multiline) return JSON.stringify(value);
  return JSON.stringify(value, null, unit).replace(/\n/g, eol + indent);
}

interface Tail {
  /** Offset of a comma following the node (trivia may come between). */
  comma: number | undefined;
  /** Offset of the first line break after the node, if nothing but comments comes before it. */
  lineBreak: number | undefined;
}

/** What follows a node up to the next token: a comma, comments, and whether the line ends. */
function tailOf(text: string, offset: number): Tail {
  const scanner = createScanner(text, false);
  scanner.setPosition(offset);
  let comma: number | undefined;
  for (;;) {
    const kind = scanner.scan();
    if (kind === TRIVIA || kind === LINE_COMMENT || kind === BLOCK_COMMENT) {
      if (
        kind === BLOCK_COMMENT &&
        /[\r\n]/.test(text.slice(scanner.getTokenOffset(), scanner.getPosition()))
      ) {
        return { comma, lineBreak: undefined };
      }
      continue;
    }
    if (kind === COMMA && comma === undefined) {
      comma = scanner.getTokenOffset();
      continue;
    }
    if (kind === LINE_BREAK) return { comma, lineBreak: scanner.getTokenOffset() };
    return { comma, lineBreak: undefined };
  }
}

function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartAt(text, offset), offset));
}

function nest(path: KeyPath, value: JsonValue): JsonValue {
  return path.reduceRight<JsonValue>((inner, key) => ({ [key]: inner }), value);
}

function applySet(text: string, path: KeyPath, value: JsonValue, options: JsonEditOptions): string {
  if (path.length === 0)
    throw new RangeError('Baton does not replace a whole JSON file through editJson.');
  const root = parseJson(text, options);
  const eol = detectEol(text);
  const unit = detectIndentUnit(text);
  const { node, depth } = walk(text, root, path.slice(0, -1), options);
  if (depth < path.length - 1) {
    return applySplices(
      text,
      insertProperty(text, node, path[depth]!, nest(path.slice(depth + 1), value), unit, eol),
    );
  }
  const key = path[path.length - 1]!;
  const property = findProperty(text, node, key, path, options);
  if (property === undefined)
    return applySplices(text, insertProperty(text, node, key, value, unit, eol));
  const current = property.children![1]!;
  if (deepEqual(getNodeValue(current), value)) return text;
  const multiline = startsLine(text, property.offset);
  const indent = indentationAt(text, property.offset);
  return applySplices(text, [
    {
      start: current.offset,
      end: current.offset + current.length,
      text: render(value, indent, unit, eol, multiline),
    },
  ]);
}

function insertProperty(
  text: string,
  object: JsonNode,
  key: string,
  value: JsonValue,
  unit: string,
  eol: Eol,
): Splice[] {
  const close = object.offset + object.length - 1;
  const members = properties(object);
  const last = members.at(-1);
  if (last === undefined) {
    const objectIndent = indentationAt(text, object.offset);
    const indent = objectIndent + unit;
    const property = `${JSON.stringify(key)}: ${render(value, indent, unit, eol, true)}`;
    const inner = text.slice(object.offset + 1, close);
    if (inner.trim() === '') {
      return [
        {
          start: object.offset + 1,
          end: close,
          text: `${eol}${indent}${property}${eol}${objectIndent}`,
        },
      ];
    }
    const end = object.offset + 1 + inner.trimEnd().length;
    // After the last comment's line, spacing at its end included, so removal gives it back.
    const lineEnd = lineEndAt(text, end - 1);
    if (lineEnd >= close) {
      // The closing brace is on the comment's line (`{ /* none */ }`): the property joins them.
      return [{ start: end, end, text: ` ${JSON.stringify(key)}: ${JSON.stringify(value)}` }];
    }
    return [{ start: lineEnd, end: lineEnd, text: `${eol}${indent}${property}` }];
  }
  const lastEnd = last.offset + last.length;
  const tail = tailOf(text, lastEnd);
  const closeOnLaterLine = /[\r\n]/.test(text.slice(lastEnd, close));
  if (!closeOnLaterLine || tail.lineBreak === undefined) {
    return [
      { start: lastEnd, end: lastEnd, text: `, ${JSON.stringify(key)}: ${JSON.stringify(value)}` },
    ];
  }
  const indent = startsLine(text, last.offset)
    ? indentationAt(text, last.offset)
    : indentationAt(text, object.offset) + unit;
  const property = `${JSON.stringify(key)}: ${render(value, indent, unit, eol, true)}`;
  // The comma goes first: when nothing separates the value from the line end, both splices
  // share one offset and are applied in this order.
  const splices: Splice[] =
    tail.comma === undefined ? [{ start: lastEnd, end: lastEnd, text: ',' }] : [];
  splices.push({
    start: tail.lineBreak,
    end: tail.lineBreak,
    text: `${eol}${indent}${property}${tail.comma === undefined ? '' : ','}`,
  });
  return splices;
}

function applyRemove(
  text: string,
  path: KeyPath,
  prune: boolean,
  options: JsonEditOptions,
  keep: (path: KeyPath) => boolean,
): string {
  if (path.length === 0)
    throw new RangeError('Baton does not remove a whole JSON file through editJson.');
  const root = parseJson(text, options);
  const { node, depth } = walk(text, root, path.slice(0, -1), options);
  if (depth < path.length - 1) return text;
  const property = findProperty(text, node, path[path.length - 1]!, path, options);
  if (property === undefined) return text;
  const removed = applySplices(text, removeProperty(text, node, property));
  const parentPath = path.slice(0, -1);
  if (!prune || path.length < 2 || properties(node).length > 1 || keep(parentPath)) return removed;
  // Prune the enclosing object only when nothing, not even a comment, is left in it.
  const parent = walk(removed, parseJson(removed, options), parentPath, options);
  if (parent.depth < parentPath.length || properties(parent.node).length > 0) return removed;
  const inner = removed.slice(parent.node.offset + 1, parent.node.offset + parent.node.length - 1);
  return inner.trim() === '' ? applyRemove(removed, parentPath, prune, options, keep) : removed;
}

function removeProperty(text: string, object: JsonNode, property: JsonNode): Splice[] {
  const members = properties(object);
  const index = members.indexOf(property);
  const end = property.offset + property.length;
  const tail = tailOf(text, end);
  const withComma = tail.comma === undefined ? end : tail.comma + 1;
  const close = object.offset + object.length - 1;
  if (members.length === 1) {
    const inner = text.slice(object.offset + 1, property.offset) + text.slice(withComma, close);
    if (inner.trim() === '') return [{ start: object.offset + 1, end: close, text: '' }];
  }
  const ownLine = startsLine(text, property.offset) && tail.lineBreak !== undefined;
  if (ownLine) {
    const splices = [
      removeLines(text, lineStartAt(text, property.offset), nextLineStart(text, tail.lineBreak!)),
    ];
    const previous = members[index - 1];
    if (index === members.length - 1 && tail.comma === undefined && previous !== undefined) {
      const comma = tailOf(text, previous.offset + previous.length).comma;
      if (comma !== undefined) splices.push({ start: comma, end: comma + 1, text: '' });
    }
    return splices;
  }
  const previous = members[index - 1];
  const next = members[index + 1];
  if (next === undefined && previous !== undefined) {
    const previousEnd = previous.offset + previous.length;
    if (/^\s*,\s*$/.test(text.slice(previousEnd, property.offset)))
      return [{ start: previousEnd, end, text: '' }];
    const comma = tailOf(text, previousEnd).comma;
    const splices: Splice[] = [{ start: property.offset, end, text: '' }];
    if (comma !== undefined) splices.push({ start: comma, end: comma + 1, text: '' });
    return splices;
  }
  if (next !== undefined && /^\s*,\s*$/.test(text.slice(end, next.offset))) {
    return [{ start: property.offset, end: next.offset, text: '' }];
  }
  if (previous === undefined && next === undefined) {
    // The only member, after a comment on its line: the space that joined them goes too.
    let start = property.offset;
    while (start > object.offset + 1 && /[ \t]/.test(text[start - 1]!)) start -= 1;
    return [{ start, end: withComma, text: '' }];
  }
  return [{ start: property.offset, end: withComma, text: '' }];
}

/** The object node at `path`, if the whole path exists and ends in an object. */
function objectAt(
  text: string,
  root: JsonNode,
  path: KeyPath,
  options: JsonEditOptions,
): JsonNode | undefined {
  const { node, depth } = walk(text, root, path, options);
  return depth === path.length ? node : undefined;
}

/** True when the object has no members and nothing but spacing between its braces. */
function isBlankObject(text: string, node: JsonNode): boolean {
  return (
    properties(node).length === 0 &&
    text.slice(node.offset + 1, node.offset + node.length - 1).trim() === ''
  );
}

/**
 * Gives the objects a removal emptied but kept (the user had them) the spelling they had in
 * the original when they were empty there: `{ }` stays `{ }`, an object on two lines stays on
 * two lines, and a file that was empty (or only spacing) is given back as it was.
 */
function restoreEmptyObjects(
  text: string,
  original: string,
  removed: readonly KeyPath[],
  options: JsonEditOptions,
): string {
  const originalText = asObjectText(original);
  const originalRoot = parseJson(originalText, options);
  let current = text;
  const seen = new Set<string>();
  for (const path of removed) {
    for (let length = path.length - 1; length >= 0; length -= 1) {
      const prefix = path.slice(0, length);
      const id = JSON.stringify(prefix);
      if (seen.has(id)) continue;
      seen.add(id);
      const root = parseJson(current, options);
      const node = objectAt(current, root, prefix, options);
      const was = objectAt(originalText, originalRoot, prefix, options);
      if (node === undefined || was === undefined) continue;
      if (!isBlankObject(current, node) || !isBlankObject(originalText, was)) continue;
      if (prefix.length === 0 && original.trim() === '') {
        // The file was empty: only the object Baton started it with is left, so it goes.
        const outside = current.slice(0, node.offset) + current.slice(node.offset + node.length);
        if (outside.trim() === '') return original;
        continue;
      }
      const spelling = originalText.slice(was.offset, was.offset + was.length);
      current = applySplices(current, [
        { start: node.offset, end: node.offset + node.length, text: spelling },
      ]);
    }
  }
  return current;
}
