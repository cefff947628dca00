/**
 * Receipts: a scenario's outcome reduced to its deterministic parts — the run's status, each
 * stage attempt's runtime, status, verdict and failure class (so a fallback, a retry and why
 * they happened are part of it), each expectation's result — and the sha256 of
 * their canonical JSON. Times, pids, run ids, paths and token counts are left out, so the
 * same pipeline gives the same receipt on every machine. `baton test --update` writes them to
 * a lock file kept in the repository: a change of behaviour shows as a diff in review, and a
 * receipt that no longer matches fails the scenario until it is accepted.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BatonError } from '@baton/core';
import { canonicalJson, hashValue } from '@baton/run';
import type { RunResult } from '@baton/run/api';
import type { ExpectationOutcome } from './expectations.js';

export const LOCK_FILE = 'baton-test.lock';
const LOCK_VERSION = 1;

/** What a receipt covers. */
export interface ReceiptBody {
  readonly name: string;
  readonly mission: string;
  /** `null` when the run never started (an error before it). */
  readonly status: string | null;
  readonly attempts: readonly {
    readonly stage: string;
    readonly runtime: string;
    readonly status: string;
    readonly verdict: string | null;
    /** Why the attempt failed (`quota_exhausted`, `rate_limited`, …); `null` when it did not. */
    readonly failureClass: string | null;
  }[];
  readonly expectations: readonly { readonly expectation: string; readonly passed: boolean }[];
}

export interface Receipt {
  readonly hash: string;
  readonly body: ReceiptBody;
}

export function receiptOf(
  scenario: { readonly name: string; readonly mission: string },
  result: RunResult | null,
  outcomes: readonly ExpectationOutcome[],
): Receipt {
  const body: ReceiptBody = {
    name: scenario.name,
    mission: scenario.mission,
    status: result?.status ?? null,
    attempts: (result?.attempts ?? []).map((attempt) => ({
      stage: attempt.stage,
      runtime: attempt.runtime,
      status: attempt.status,
      verdict: attempt.verdict?.outcome ?? null,
      failureClass: attempt.failureClass,
    })),
    expectations: outcomes.map((outcome) => ({
      expectation: outcome.description,
      passed: outcome.passed,
    })),
  };
  return { hash: hashValue(body), body };
}

/** A lock file: each scenario's receipt, by the scenario file's path relative to the lock. */
export interface ReceiptLock {
  readonly path: string;
  readonly entries: ReadonlyMap<string, Receipt>;
}

export function readLock(directory: string): ReceiptLock {
  const path = join(directory, LOCK_FILE);
  const entries = new Map<string, Receipt>();
  if (!existsSync(path)) return { path, entries };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw lockError(path, `is not JSON (${(error as Error).message})`);
  }
  const scenarios = (parsed as { version?: unknown; scenarios?: unknown } | null)?.scenarios;
  if (
    (parsed as { version?: unknown }).version !== LOCK_VERSION ||
    typeof scenarios !== 'object' ||
    scenarios === null
  ) {
    throw lockError(path, `is not a version ${LOCK_VERSION} receipt lock`);
  }
  for (const [key, value] of Object.entries(scenarios as Record<string, unknown>)) {
    const entry = value as { receipt?: unknown; outcome?: unknown };
    if (typeof entry?.receipt !== 'string' || typeof entry.outcome !== 'object') {
      throw lockError(path, `has a malformed entry for ${key}`);
    }
    entries.set(key, { hash: entry.receipt, body: entry.outcome as ReceiptBody });
  }
  return { path, entries };
}

function lockError(path: string, problem: string): BatonError {
  return new BatonError(
    'SCENARIO_INVALID',
    `The receipt lock ${path} ${problem}. Fix it, or delete it and run baton test --update.`,
    { details: { path } },
  );
}

/** The key of a scenario file in the lock next to it: its path from there, with `/`. */
export function lockKey(lock: ReceiptLock, file: string): string {
  return relative(dirname(lock.path), resolve(file)).split(sep).join('/');
}

/**
 * Writes the receipts of the scenarios just run into the lock, keeping those of scenarios
 * not run this time whose files still exist. Sorted, one entry per scenario, so it diffs well.
 */
export function writeLock(lock: ReceiptLock, receipts: ReadonlyMap<string, Receipt>): void {
  const directory = dirname(lock.path);
  const merged = new Map<string, Receipt>();
  for (const [key, receipt] of lock.entries) {
    if (existsSync(join(directory, key))) merged.set(key, receipt);
  }
  for (const [key, receipt] of receipts) merged.set(key, receipt);
  const scenarios: Record<string, unknown> = {};
  for (const key of [...merged.keys()].sort()) {
    const receipt = merged.get(key)!;
    scenarios[key] = { receipt: receipt.hash, outcome: JSON.parse(canonicalJson(receipt.body)) };
  }
  const text = `${JSON.stringify({ version: LOCK_VERSION, scenarios }, null, 2)}\n`;
  const temporary = `${lock.path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, lock.path);
}

/** The parts of two receipts that differ, one line each: `attempts[1].runtime: "opencode" → "codex"`. */
export function receiptDiff(before: ReceiptBody, after: ReceiptBody): string[] {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (canonicalJson(a) === canonicalJson(b)) return;
    const bothArrays = Array.isArray(a) && Array.isArray(b);
    const bothObjects = !bothArrays && isObject(a) && isObject(b);
    if (bothArrays) {
      const length = Math.max(a.length, b.length);
      for (let index = 0; index < length; index++) walk(a[index], b[index], `${path}[${index}]`);
    } else if (bothObjects) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
    } else {
      lines.push(`${path}: ${shown(a)} → ${shown(b)}`);
    }
  };
  walk(before, after, '');
  return lines;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shown(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
