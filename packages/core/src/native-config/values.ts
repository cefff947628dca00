import { BatonError } from '../errors.js';
import { splitBom } from './text.js';

/** A key path into nested tables/objects/mappings; `[]` is the document root. */
export type KeyPath = readonly string[];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isNumeric(value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

/**
 * Structural equality of parsed config values: key order is ignored, `1` equals `1n`, `NaN`
 * equals `NaN`, and dates compare by their textual form (TOML local dates keep their kind).
 */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (isNumeric(left) && isNumeric(right)) {
    if (typeof left === 'number' && typeof right === 'number') {
      return Number.isNaN(left) && Number.isNaN(right);
    }
    try {
      return BigInt(left) === BigInt(right);
    } catch {
      return false;
    }
  }
  if (left instanceof Date || right instanceof Date) {
    return (
      left instanceof Date && right instanceof Date && left.toISOString() === right.toISOString()
    );
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => deepEqual(item, right[index]));
  }
  if (typeof left === 'object' && left !== null && typeof right === 'object' && right !== null) {
    const leftKeys = Object.keys(left);
    const rightKeys = Object.keys(right);
    if (leftKeys.length !== rightKeys.length) return false;
    const rightRecord = right as Record<string, unknown>;
    const leftRecord = left as Record<string, unknown>;
    return leftKeys.every(
      (key) => Object.hasOwn(right, key) && deepEqual(leftRecord[key], rightRecord[key]),
    );
  }
  return false;
}

export function getIn(root: unknown, path: KeyPath): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (Array.isArray(current) || current instanceof Date) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export function hasIn(root: unknown, path: KeyPath): boolean {
  if (path.length === 0) return true;
  const parent = getIn(root, path.slice(0, -1));
  return (
    typeof parent === 'object' &&
    parent !== null &&
    !Array.isArray(parent) &&
    Object.hasOwn(parent, path[path.length - 1]!)
  );
}

function cloneDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneDeep);
  if (value instanceof Date) return value;
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, {
        value: cloneDeep(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

function setIn(root: Record<string, unknown>, path: KeyPath, value: unknown): void {
  let current = root;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      Object.defineProperty(current, segment, {
        value: created,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      current = created;
    } else {
      current = next as Record<string, unknown>;
    }
  }
  Object.defineProperty(current, path[path.length - 1]!, {
    value: cloneDeep(value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function deleteIn(root: Record<string, unknown>, path: KeyPath): void {
  const parent = getIn(root, path.slice(0, -1));
  if (typeof parent === 'object' && parent !== null && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[path[path.length - 1]!];
  }
}

function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/**
 * Removes empty objects along `path`, deepest first (never the root); with `looseEmpties`,
 * nulls and empty arrays too (YAML: a mapping or sequence whose last entry went is a key with
 * no value, or the `[]` the user wrote).
 */
function pruneAlong(root: Record<string, unknown>, path: KeyPath, looseEmpties: boolean): void {
  for (let length = path.length; length > 0; length -= 1) {
    const prefix = path.slice(0, length);
    const value = getIn(root, prefix);
    const loose = value === null || (Array.isArray(value) && value.length === 0);
    if (isEmptyObject(value) || (looseEmpties && loose && hasIn(root, prefix))) {
      deleteIn(root, prefix);
    } else if (value !== undefined) {
      return;
    }
  }
}

/** One change to parsed content, as the verification step replays it. */
export type ValueChange =
  | { kind: 'set'; path: KeyPath; value: unknown }
  | { kind: 'delete'; path: KeyPath }
  | { kind: 'transform'; path: KeyPath; apply: (current: unknown) => unknown };

function replay(root: Record<string, unknown>, change: ValueChange): void {
  if (change.kind === 'set') setIn(root, change.path, change.value);
  else if (change.kind === 'delete') deleteIn(root, change.path);
  else {
    const next = change.apply(getIn(root, change.path));
    if (next === undefined) deleteIn(root, change.path);
    else setIn(root, change.path, next);
  }
}

/** The file's original text (byte-order mark removed) and its parsed content. */
export interface ParsedOriginal<T> {
  readonly body: string;
  readonly value: T;
}

/**
 * The original an editor was given, parsed: `null` for a file Baton created, `undefined`
 * when none was given — or when it no longer parses (a record edited by hand): revert then
 * falls back to removing what Baton's keys leave empty instead of failing over a text that
 * is not the file being edited.
 */
export function parseOriginal<T>(
  original: string | null | undefined,
  parse: (body: string) => T,
): ParsedOriginal<T> | null | undefined {
  if (original === null || original === undefined) return original;
  const { body } = splitBom(original);
  try {
    return { body, value: parse(body) };
  } catch {
    return undefined;
  }
}

/**
 * What a removal may take away besides the values it removes. Without a record of the file
 * before Baton first changed it (`original` undefined), or for a file Baton created
 * (`original` null), every table, object or mapping a removal empties goes with it. With the
 * file's parsed content from then, only containers the user did not have go: a user's
 * container stays, empty or not. Values Baton's own setup had already written into that
 * content (a setup that kept no record) are first removed from it the same way, so that the
 * containers which held nothing but them count as Baton's.
 */
export function containersToKeep(
  original: unknown,
  removals: readonly ValueChange[],
): (path: KeyPath) => boolean {
  if (original === null || original === undefined) return () => false;
  const before = cloneDeep(original) as Record<string, unknown>;
  const after = cloneDeep(original) as Record<string, unknown>;
  for (const change of removals) replay(after, change);
  for (const change of removals) {
    // Only containers the replay emptied go; ones that were empty already are the user's.
    for (let length = change.path.length; length > 0; length -= 1) {
      const prefix = change.path.slice(0, length);
      const value = getIn(after, prefix);
      if (value === undefined) continue;
      const was = getIn(before, prefix);
      if (!isEmptyObject(value) || !isPlainObject(was) || isEmptyObject(was)) break;
      deleteIn(after, prefix);
    }
  }
  return (path) => hasIn(after, path);
}

/**
 * Replays `changes` on the content parsed before an edit and checks the content parsed
 * after it is equal, so an editor bug can never silently change a user's value. Empty
 * tables/objects along changed paths are ignored on both sides (an editor may prune them,
 * or keep them because they were the user's); with `looseEmpties`, so are nulls and empty
 * arrays (YAML).
 */
export function verifyEdit(
  format: string,
  file: string | undefined,
  before: unknown,
  after: unknown,
  changes: readonly ValueChange[],
  looseEmpties = false,
): void {
  const expected = cloneDeep(before) as Record<string, unknown>;
  const actual = cloneDeep(after) as Record<string, unknown>;
  for (const change of changes) replay(expected, change);
  for (const change of changes) {
    pruneAlong(expected, change.path, looseEmpties);
    pruneAlong(actual, change.path, looseEmpties);
  }
  if (!deepEqual(expected, actual)) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `Internal error: editing ${file ?? `the ${format} text`} would have changed values Baton does not own; nothing was changed. Please report this with the file's contents.`,
      { details: { file, format } },
    );
  }
}
