/**
 * Turns zod's issues into Baton's config issues: our own phrasing, the accepted values
 * at that key, and a did-you-mean. Issues go straight into a collector, which builds only
 * the ones it keeps: one zod issue may name every key of a huge table.
 */
import type { z } from 'zod';
import { closestMatch } from '../suggest.js';
import type { ConfigIssue, IssueCollector } from './issues.js';

type Schema = z.ZodType;
type Path = readonly PropertyKey[];

export function convertZodIssues(
  issues: readonly z.core.$ZodIssue[],
  root: Schema,
  input: unknown,
  source: string,
  collector: IssueCollector,
  basePath: Path = [],
): void {
  for (const issue of issues) convertOne(issue, root, input, source, collector, basePath);
}

function convertOne(
  issue: z.core.$ZodIssue,
  root: Schema,
  input: unknown,
  source: string,
  collector: IssueCollector,
  basePath: Path,
): void {
  const path = [...basePath, ...issue.path];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const accepted = knownKeysAt(root, path);
      collector.addLazily(issue.keys.length, (index) => {
        const key = issue.keys[index]!;
        return {
          source,
          path: formatPath([...path, key]),
          value: valueAt(input, [...path, key]),
          message: 'unknown key',
          accepted,
          suggestion: closestMatch(key, accepted),
          kind: 'schema',
        };
      });
      return;
    }
    case 'invalid_key': {
      // zod puts the key itself at the end of the path; the key is the value in question.
      collector.add({
        source,
        path: formatPath(path),
        message: invalidNameMessage(issue.issues),
        kind: 'schema',
      });
      return;
    }
    case 'invalid_union': {
      // Report the branch matching what the user wrote: the one whose type fitted.
      const typeMismatch = (branch: readonly z.core.$ZodIssue[]) =>
        branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0);
      const chosen = issue.errors.find((branch) => !typeMismatch(branch));
      if (chosen && chosen.length > 0) {
        convertZodIssues(chosen, root, input, source, collector, path);
        return;
      }
      collector.add({
        source,
        path: formatPath(path),
        value,
        message: describeUnion(root, path, value),
        kind: 'schema',
      });
      return;
    }
    case 'invalid_value': {
      const accepted = issue.values.map(String);
      collector.add({
        source,
        path: formatPath(path),
        value,
        // A required choice left out is missing, not wrong: the accepted values say what to write.
        message: value === undefined ? 'is required' : 'is not an accepted value',
        accepted,
        suggestion: typeof value === 'string' ? closestMatch(value, accepted) : undefined,
        kind: 'schema',
      });
      return;
    }
    case 'invalid_type': {
      const message =
        value === undefined
          ? 'is required'
          : typeof value === 'number' && issue.expected === 'number'
            ? `must be a finite number, not ${String(value)}`
            : typeof value === 'number' && issue.expected === 'int'
              ? `must be a whole number, not ${String(value)}`
              : `must be ${article(issue.expected)}, not ${describe(value)}`;
      collector.add({ source, path: formatPath(path), value, message, kind: 'schema' });
      return;
    }
    default:
      collector.add({
        source,
        path: formatPath(path),
        value: masksUserinfo(issue) ? maskUserinfo(value) : value,
        message: issue.message,
        kind: 'schema',
      });
  }
}

function masksUserinfo(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.maskUserinfo === true;
}

/**
 * `https://user:secret@host/` → `https://***@host/`, and `?password=secret` → `?password=***`
 * (any scheme): the problem shows, the secret does not.
 */
function maskUserinfo(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@')
        .replace(/([?&]password=)[^&#]*/gi, '$1***')
    : value;
}

function invalidNameMessage(reasons: readonly { message: string }[]): string {
  return `is not an accepted name: ${reasons.map((reason) => reason.message).join('; ')}`;
}

/**
 * The problem with a `__proto__` key, which zod drops from tables of names without a word:
 * a name the table's own rule refuses, or else an unknown key. `undefined` when the table
 * holding it is itself unknown: that table is the problem reported.
 */
export function reservedKeyIssue(
  root: Schema,
  path: Path,
  source: string,
): ConfigIssue | undefined {
  const parentPath = path.slice(0, -1);
  const key = String(path[path.length - 1]);
  const parent = schemaAt(root, parentPath);
  if (!parent) return undefined;
  const keyType = (unwrap(parent).def as { keyType?: Schema }).keyType;
  const checked = keyType?.safeParse(key);
  if (checked && !checked.success) {
    return {
      source,
      path: formatPath(path),
      message: invalidNameMessage(checked.error.issues),
      kind: 'schema',
    };
  }
  const accepted = knownKeysAt(root, parentPath);
  return {
    source,
    path: formatPath(path),
    message: `unknown key ("${key}" is reserved and names nothing)`,
    accepted: accepted.length > 0 ? accepted : undefined,
    kind: 'schema',
  };
}

function article(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    object: 'a table',
    array: 'an array',
    boolean: 'a boolean',
  };
  return names[expected] ?? expected;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'bigint' || typeof value === 'number') return `a number (${String(value)})`;
  if (typeof value === 'boolean') return `a boolean (${String(value)})`;
  return `a ${typeof value}`;
}

/** `must be a string, a table or an array, not a number (3)`: the kinds the union accepts. */
function describeUnion(root: Schema, path: Path, value: unknown): string {
  const schema = schemaAt(root, path);
  const options = schema ? unionOptions(schema) : [];
  const kinds = [
    ...new Set(
      options.map((option) => KIND_NAMES[(unwrapOne(option).def as { type: string }).type]),
    ),
  ].filter((kind) => kind !== undefined);
  if (kinds.length === 0) return 'has the wrong type';
  const list =
    kinds.length === 1 ? kinds[0] : `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}`;
  return value === undefined ? `must be ${list}` : `must be ${list}, not ${describe(value)}`;
}

const KIND_NAMES: Record<string, string> = {
  string: 'a string',
  object: 'a table',
  record: 'a table',
  array: 'an array',
  number: 'a number',
  boolean: 'a boolean',
  enum: 'a string',
};

/** The options of the union at `schema` (through optional and similar wrappers), or none. */
function unionOptions(schema: Schema): Schema[] {
  let current = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: Schema; options?: Schema[] };
    if (def.type === 'union') return def.options ?? [];
    const next = unwrapOne(current);
    if (next === current) return [];
    current = next;
  }
}

/** Peels one wrapper that does not change what a value must be (optional, default, pipe). */
function unwrapOne(schema: Schema): Schema {
  const def = schema.def as { type: string; innerType?: Schema; in?: Schema };
  if (
    (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') &&
    def.innerType
  )
    return unwrapOne(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrapOne(def.in);
  return schema;
}

export function formatPath(path: Path): string {
  return path
    .map((part) => {
      const text = String(part);
      return typeof part === 'number'
        ? `[${text}]`
        : /^[A-Za-z0-9_-]+$/.test(text)
          ? text
          : JSON.stringify(text);
    })
    .join('.')
    .replaceAll('.[', '[');
}

export function valueAt(input: unknown, path: Path): unknown {
  let current = input;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** The keys a strict table accepts at `path`, found by walking the schema. */
export function knownKeysAt(root: Schema, path: Path): string[] {
  const schema = schemaAt(root, path);
  if (!schema) return [];
  const target = unwrap(schema);
  const shape = objectShape(target);
  return shape ? Object.keys(shape) : [];
}

function schemaAt(root: Schema, path: Path): Schema | undefined {
  let schema: Schema | undefined = root;
  for (const part of path) {
    schema = schema ? child(unwrap(schema, part), part) : undefined;
  }
  return schema;
}

/**
 * The schema a value at this point is checked against, wrappers removed. For a union, the
 * option that has a child named `next` (an array's for an index, a table's for a key), or
 * its table option when `next` is not given.
 */
function unwrap(schema: Schema, next?: PropertyKey): Schema {
  let current = schema as Schema & { def: { type: string } };
  for (;;) {
    const def = current.def as {
      type: string;
      innerType?: Schema;
      options?: Schema[];
      in?: Schema;
    };
    if (
      (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') &&
      def.innerType
    ) {
      current = def.innerType as typeof current;
    } else if (def.type === 'pipe' && def.in) {
      current = def.in as typeof current;
    } else if (def.type === 'union' && def.options) {
      const fits = (option: Schema) => {
        const inner = unwrap(option);
        if (next === undefined) return objectShape(inner) !== undefined;
        return child(inner, next) !== undefined;
      };
      const chosen = def.options.find(fits);
      if (!chosen) return current;
      current = unwrap(chosen, next) as typeof current;
    } else {
      return current;
    }
  }
}

function objectShape(schema: Schema): Record<string, Schema> | undefined {
  const def = schema.def as { type: string; shape?: Record<string, Schema> };
  return def.type === 'object' ? def.shape : undefined;
}

function child(schema: Schema, part: PropertyKey): Schema | undefined {
  const def = schema.def as { type: string; valueType?: Schema; element?: Schema };
  if (def.type === 'record') return typeof part === 'number' ? undefined : def.valueType;
  if (def.type === 'array') return typeof part === 'number' ? def.element : undefined;
  const shape = objectShape(schema);
  return shape && Object.hasOwn(shape, String(part)) ? shape[String(part)] : undefined;
}
