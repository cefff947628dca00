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
        message: describeUnion(root, path),
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
        message: 'is not an accepted value',
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
          : `must be ${article(issue.expected)}, not ${describe(value)}`;
      collector.add({ source, path: formatPath(path), value, message, kind: 'schema' });
      return;
    }
    default:
      collector.add({
        source,
        path: formatPath(path),
        value,
        message: issue.message,
        kind: 'schema',
      });
  }
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

function describeUnion(root: Schema, path: Path): string {
  return knownKeysAt(root, path).length > 0 ? 'must be a string or a table' : 'has the wrong type';
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
    schema = schema ? child(unwrap(schema), part) : undefined;
  }
  return schema;
}

function unwrap(schema: Schema): Schema {
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
      const table = def.options.find((option) => objectShape(unwrap(option)));
      if (!table) return current;
      current = unwrap(table) as typeof current;
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
  if (def.type === 'record') return def.valueType;
  if (def.type === 'array') return def.element;
  return objectShape(schema)?.[String(part)];
}
