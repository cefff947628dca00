/**
 * Turns zod's issues into Baton's config issues: our own phrasing, the accepted values
 * at that key, and a did-you-mean.
 */
import type { z } from 'zod';
import { closestMatch } from '../suggest.js';
import type { ConfigIssue } from './issues.js';

type Schema = z.ZodType;
type Path = readonly PropertyKey[];

export function convertZodIssues(
  issues: readonly z.core.$ZodIssue[],
  root: Schema,
  input: unknown,
  source: string,
  basePath: Path = [],
): ConfigIssue[] {
  return issues.flatMap((issue) => convertOne(issue, root, input, source, basePath));
}

function convertOne(
  issue: z.core.$ZodIssue,
  root: Schema,
  input: unknown,
  source: string,
  basePath: Path,
): ConfigIssue[] {
  const path = [...basePath, ...issue.path];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const accepted = knownKeysAt(root, path);
      return issue.keys.map((key) => ({
        source,
        path: formatPath([...path, key]),
        value: valueAt(input, [...path, key]),
        message: 'unknown key',
        accepted,
        suggestion: closestMatch(key, accepted),
        kind: 'schema' as const,
      }));
    }
    case 'invalid_union': {
      // Report the branch matching what the user wrote: the one whose type fitted.
      const typeMismatch = (branch: readonly z.core.$ZodIssue[]) =>
        branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0);
      const chosen = issue.errors.find((branch) => !typeMismatch(branch));
      if (chosen && chosen.length > 0) {
        return chosen.flatMap((inner) => convertOne(inner, root, input, source, path));
      }
      return [
        {
          source,
          path: formatPath(path),
          value,
          message: describeUnion(root, path),
          kind: 'schema',
        },
      ];
    }
    case 'invalid_value': {
      const accepted = issue.values.map(String);
      return [
        {
          source,
          path: formatPath(path),
          value,
          message: 'is not an accepted value',
          accepted,
          suggestion: typeof value === 'string' ? closestMatch(value, accepted) : undefined,
          kind: 'schema',
        },
      ];
    }
    case 'invalid_type': {
      const message =
        value === undefined
          ? 'is required'
          : `must be ${article(issue.expected)}, not ${describe(value)}`;
      return [{ source, path: formatPath(path), value, message, kind: 'schema' }];
    }
    default:
      return [{ source, path: formatPath(path), value, message: issue.message, kind: 'schema' }];
  }
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
  let schema: Schema | undefined = root;
  for (const part of path) {
    schema = schema ? child(unwrap(schema), part) : undefined;
  }
  if (!schema) return [];
  const target = unwrap(schema);
  const shape = objectShape(target);
  return shape ? Object.keys(shape) : [];
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
