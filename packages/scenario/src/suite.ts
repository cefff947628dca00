/**
 * Runs scenario files as suites (a directory of scenarios is a suite): each scenario in its
 * own sandbox, a bounded number at a time, then each receipt checked against the lock file
 * (or written to it with `update`).
 */
import { availableParallelism } from 'node:os';
import { relative, sep } from 'node:path';
import type { AdapterRegistry, BatonConfig, Environment } from '@baton/core';
import { BatonError } from '@baton/core';
import { suiteOf } from './discover.js';
import { loadScenario } from './load.js';
import {
  lockKey,
  type Receipt,
  type ReceiptBody,
  readLock,
  receiptDiff,
  writeLock,
} from './receipt.js';
import { type RuntimeMode, runScenario, type ScenarioRun } from './run-scenario.js';

export interface SuiteOptions {
  /** Scenario files, in the order to report them (see `discoverScenarios`). */
  readonly files: readonly string[];
  /** Where `baton test` runs: suites are named relative to it. */
  readonly cwd: string;
  /** The directory of the receipt lock (the project's root). */
  readonly lockDirectory: string;
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  readonly env: Environment;
  readonly mode: RuntimeMode;
  /** Scenarios running at once. Default: the cores available, at most 4. */
  readonly jobs?: number;
  /** Write every receipt to the lock instead of checking it. */
  readonly update?: boolean;
  /** Keep every scenario's sandbox (a failing one's, receipt included, is always kept). */
  readonly keep?: boolean;
  readonly signal?: AbortSignal;
  /** Told of each scenario as it finishes (in completion order). */
  readonly onScenario?: (outcome: ScenarioOutcome) => void;
}

/** How a scenario's receipt compares with the lock. */
export type ReceiptState =
  /** The same as recorded. */
  | 'matched'
  /** Different from the one recorded: the scenario fails until it is accepted with --update. */
  | 'changed'
  /** None recorded yet. */
  | 'new'
  /** Written to the lock by this run. */
  | 'updated';

export interface ScenarioOutcome {
  readonly file: string;
  /** The file's path from where `baton test` runs, with `/`. */
  readonly path: string;
  /** The suite (directory) it belongs to, relative to where `baton test` runs. */
  readonly suite: string;
  readonly name: string;
  readonly passed: boolean;
  /** The run, or `null` when the file could not be loaded. */
  readonly run: ScenarioRun | null;
  /** Why it failed before (or instead of) its expectations: a broken file, a run that could not start. */
  readonly error: string | null;
  readonly receipt: Receipt | null;
  readonly receiptState: ReceiptState | null;
  /** With `changed`: what differs from the recorded receipt. */
  readonly receiptDiff: readonly string[];
  readonly durationMs: number;
}

export interface SuiteReport {
  readonly outcomes: readonly ScenarioOutcome[];
  readonly passed: number;
  readonly failed: number;
  readonly durationMs: number;
  /** The lock written (with `update`) or read. */
  readonly lockFile: string;
}

export const MAX_DEFAULT_JOBS = 4;

export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const started = performance.now();
  const jobs = Math.max(1, options.jobs ?? Math.min(MAX_DEFAULT_JOBS, availableParallelism()));
  const lock = readLock(options.lockDirectory);
  const outcomes: ScenarioOutcome[] = new Array(options.files.length);
  let next = 0;
  const worker = async () => {
    while (next < options.files.length) {
      const index = next++;
      const outcome = await runFile(options.files[index]!, options, lock);
      outcomes[index] = outcome;
      options.onScenario?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, options.files.length) }, worker));
  if (options.update === true) {
    const receipts = new Map<string, Receipt>();
    for (const outcome of outcomes) {
      if (outcome.receipt !== null) receipts.set(lockKey(lock, outcome.file), outcome.receipt);
    }
    writeLock(lock, receipts);
  }
  const passed = outcomes.filter((outcome) => outcome.passed).length;
  return {
    outcomes,
    passed,
    failed: outcomes.length - passed,
    durationMs: performance.now() - started,
    lockFile: lock.path,
  };
}

async function runFile(
  file: string,
  options: SuiteOptions,
  lock: ReturnType<typeof readLock>,
): Promise<ScenarioOutcome> {
  const started = performance.now();
  const suite = suiteOf(file, options.cwd);
  const path = relative(options.cwd, file).split(sep).join('/');
  let scenario: ReturnType<typeof loadScenario>;
  try {
    scenario = loadScenario(file);
  } catch (error) {
    if (!BatonError.isInstance(error)) throw error;
    return {
      file,
      path,
      suite,
      name: path,
      passed: false,
      run: null,
      error: error.message,
      receipt: null,
      receiptState: null,
      receiptDiff: [],
      durationMs: performance.now() - started,
    };
  }
  const recorded = lock.entries.get(lockKey(lock, file));
  const run = await runScenario(scenario, {
    config: options.config,
    registry: options.registry,
    env: options.env,
    mode: options.mode,
    ...(options.keep === undefined ? {} : { keep: options.keep }),
    ...(options.update === true || recorded === undefined
      ? {}
      : { recordedReceipt: recorded.hash }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  let receiptState: ReceiptState;
  let diff: string[] = [];
  if (options.update === true) receiptState = 'updated';
  else if (recorded === undefined) receiptState = 'new';
  else if (recorded.hash === run.receipt.hash) receiptState = 'matched';
  else {
    receiptState = 'changed';
    diff = receiptDiff(recorded.body as ReceiptBody, run.receipt.body);
  }
  return {
    file,
    path,
    suite,
    name: scenario.name,
    passed: run.passed && receiptState !== 'changed',
    run,
    error: run.error,
    receipt: run.receipt,
    receiptState,
    receiptDiff: diff,
    durationMs: run.durationMs,
  };
}
