/**
 * Checks a parsed TOML document before validation, for what validation cannot survive or
 * cannot see:
 * - nesting: a 2,000-level table header is legal TOML, but cloning or printing it overflows
 *   the stack. Anything deeper than MAX_NESTING_DEPTH is reported and cut off, so the rest of
 *   the file is still checked in the same pass.
 * - `__proto__` keys: the validator silently drops them from tables of names, so they would
 *   vanish without a word; their paths are returned for the loader to report.
 * The walk is iterative and touches each value once.
 */
import type { IssueCollector } from './issues.js';
import { formatPath } from './zod-issues.js';

/** No key path in `baton.toml` is anywhere near this deep; the limit only stops abuse. */
export const MAX_NESTING_DEPTH = 16;

export const RESERVED_KEY = '__proto__';

type Path = readonly PropertyKey[];
type Container = Record<PropertyKey, unknown> | unknown[];

/** Cuts what is nested too deep (reporting it) and returns the paths of `__proto__` keys. */
export function guardParsedTree(root: unknown, source: string, issues: IssueCollector): Path[] {
  const reserved: Path[] = [];
  if (!isContainer(root)) return reserved;
  const pending: { node: Container; path: Path }[] = [{ node: root, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path } = next;
    const keys: PropertyKey[] = Array.isArray(node) ? [...node.keys()] : Object.keys(node);
    for (const key of keys) {
      const childPath = [...path, key];
      if (key === RESERVED_KEY) reserved.push(childPath);
      const child = (node as Record<PropertyKey, unknown>)[key];
      if (!isContainer(child)) continue;
      if (childPath.length >= MAX_NESTING_DEPTH && !isEmpty(child)) {
        issues.add({
          source,
          path: formatPath(childPath),
          message:
            `nests deeper than ${MAX_NESTING_DEPTH} levels; no setting is that deep, ` +
            'so this part was not read',
          kind: 'schema',
        });
        // An empty container of the same kind keeps the shape the validator reports on.
        (node as Record<PropertyKey, unknown>)[key] = Array.isArray(child) ? [] : {};
        continue;
      }
      pending.push({ node: child, path: childPath });
    }
  }
  return reserved;
}

function isContainer(value: unknown): value is Container {
  // TOML dates parse to Date objects: values, not tables.
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

function isEmpty(container: Container): boolean {
  return Array.isArray(container) ? container.length === 0 : Object.keys(container).length === 0;
}
