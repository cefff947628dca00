/**
 * Checks a scenario's expectations against what its run left behind: the run's typed result,
 * the workspace's files, the journal's events and the requests the scripted server received.
 * Each outcome says what was expected and what was found, so a failure reads as a diff.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { canonicalJson } from '@baton/run';
import type { JournalEvent, RunResult } from '@baton/run/api';
import type { Expectation } from './load.js';
import type { ReceivedRequest } from './scripted-server.js';

/** What a run left behind, for expectations to look into. */
export interface RunEvidence {
  readonly result: RunResult | null;
  readonly workspace: string;
  readonly events: readonly JournalEvent[];
  readonly requests: readonly ReceivedRequest[];
}

export interface ExpectationOutcome {
  readonly index: number;
  readonly line: number | null;
  /** The expectation in one line: `stages.execute.runtime eq "opencode"`. */
  readonly description: string;
  readonly passed: boolean;
  /** The expected side, as written (`eq "opencode"`). */
  readonly expected: string;
  /** What was found, rendered. */
  readonly actual: string;
}

/** Files larger than this are compared by their first MiB only. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_SHOWN = 300;

export function checkExpectations(
  expectations: readonly Expectation[],
  evidence: RunEvidence,
): ExpectationOutcome[] {
  return expectations.map((expectation) => checkOne(expectation, evidence));
}

function checkOne(expectation: Expectation, evidence: RunEvidence): ExpectationOutcome {
  const { subject, operator } = expectation;
  const expectedText = `${operator} ${show(expectation.expected)}`;
  const outcome = (passed: boolean, actual: string, description: string): ExpectationOutcome => ({
    index: expectation.index,
    line: expectation.line,
    description: `${description} ${expectedText}`,
    passed,
    expected: expectedText,
    actual,
  });
  switch (subject.kind) {
    case 'result': {
      if (evidence.result === null)
        return outcome(false, 'no result: the run did not start', subject.path);
      const actual = valueAt(evidence.result, subject.path);
      return outcome(test(operator, actual, expectation.expected), show(actual), subject.path);
    }
    case 'file': {
      const content = readWorkspaceFile(evidence.workspace, subject.file);
      const description = `file ${subject.file}`;
      if (operator === 'exists')
        return outcome(
          (content !== undefined) === expectation.expected,
          content === undefined ? 'no such file' : 'the file exists',
          description,
        );
      if (content === undefined) return outcome(false, 'no such file', description);
      return outcome(test(operator, content, expectation.expected), show(content), description);
    }
    case 'event':
    case 'request': {
      const items =
        subject.kind === 'event'
          ? evidence.events
              .filter((event) => subject.type === '*' || event.type === subject.type)
              .map((event) => event.payload as unknown)
          : (evidence.requests as readonly unknown[]);
      const matching = items.filter((item) =>
        Object.entries(subject.where).every(([path, wanted]) => equal(valueAt(item, path), wanted)),
      );
      const where = Object.keys(subject.where).length === 0 ? '' : ` where ${show(subject.where)}`;
      const description =
        (subject.kind === 'event' ? `event ${subject.type}` : 'requests') +
        where +
        (subject.path === null ? '' : ` ${subject.path}`);
      if (operator === 'count')
        return outcome(
          matching.length === expectation.expected,
          `${matching.length} matched`,
          description,
        );
      const values = matching.map((item) =>
        subject.path === null ? item : valueAt(item, subject.path),
      );
      if (operator === 'exists' && subject.path === null) {
        return outcome(
          matching.length > 0 === expectation.expected,
          `${matching.length} matched`,
          description,
        );
      }
      if (values.length === 0)
        return outcome(
          operator === 'exists' && expectation.expected === false,
          'none matched',
          description,
        );
      const chosen =
        subject.pick === 'first' ? [values[0]] : subject.pick === 'last' ? [values.at(-1)] : values;
      const results = chosen.map((value) => test(operator, value, expectation.expected));
      const passed = subject.pick === 'any' ? results.some(Boolean) : results.every(Boolean);
      const actual = chosen.length === 1 ? show(chosen[0]) : show(chosen);
      return outcome(passed, actual, description);
    }
  }
}

function test(operator: Expectation['operator'], actual: unknown, expected: unknown): boolean {
  switch (operator) {
    case 'eq':
      return equal(actual, expected);
    case 'ne':
      return !equal(actual, expected);
    case 'exists':
      return (actual !== undefined && actual !== null) === expected;
    case 'contains':
      if (typeof actual === 'string') return actual.includes(String(expected));
      if (Array.isArray(actual)) return actual.some((item) => equal(item, expected));
      return false;
    case 'matches':
      if (actual === undefined || actual === null || typeof actual === 'object') return false;
      return new RegExp(String(expected), 'u').test(String(actual));
    case 'gt':
      return typeof actual === 'number' && actual > (expected as number);
    case 'lt':
      return typeof actual === 'number' && actual < (expected as number);
    case 'count':
      return false;
  }
}

/** Deep equality of JSON values (keys in any order). */
export function equal(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The value at a dotted path: `stages.execute.runtime`, `attempts[0].runtime` or
 * `attempts.0.runtime`; `undefined` when any part is missing.
 */
export function valueAt(root: unknown, path: string): unknown {
  let current = root;
  for (const part of path
    .split(/\.|\[(\d+)\]/)
    .filter((piece) => piece !== undefined && piece !== '')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A workspace file's text, at most its first MiB; `undefined` when it is not a file there. */
function readWorkspaceFile(workspace: string, file: string): string | undefined {
  const path = resolve(workspace, file);
  const inside = relative(workspace, path);
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  try {
    if (!statSync(path).isFile()) return undefined;
    const descriptor = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_FILE_BYTES);
      const length = readSync(descriptor, buffer, 0, MAX_FILE_BYTES, 0);
      return buffer.subarray(0, length).toString('utf8');
    } finally {
      closeSync(descriptor);
    }
  } catch {
    return undefined;
  }
}

function show(value: unknown): string {
  const text =
    value === undefined
      ? 'nothing'
      : typeof value === 'string'
        ? JSON.stringify(value)
        : canonicalJson(value);
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}
