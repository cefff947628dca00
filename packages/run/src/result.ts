/**
 * A run's typed result, read from its journal alone: status, every stage attempt (runtime,
 * model, verdict, usage, failure) and each stage's latest attempt by name. What the
 * programmatic API returns and what `baton test` expectations look into.
 */
import type { Stage } from '@baton/core';
import type { RunStatus, Verdict } from './engine/types.js';
import {
  displayStatus,
  type Journal,
  type JournalEvent,
  type RunRecord,
} from './journal/journal.js';
import { type RunHeader, runHeader } from './run-header.js';
import { totalUsage, type UsageSummary, usageOf } from './usage-summary.js';

/** One attempt at a stage: one runtime process (or a start that failed before one ran). */
export interface AttemptResult {
  readonly stage: Stage;
  /** Index of the mission step. */
  readonly step: number;
  readonly attempt: number;
  /** Loops back to execute before this attempt. */
  readonly loop: number;
  readonly runtime: string;
  /** The model asked for, when Baton chose one; `null`: the harness's own choice. */
  readonly model: string | null;
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  /** The evaluate stage's verdict; `null` for other stages or a failed attempt. */
  readonly verdict: Verdict | null;
  /** The stage's final message as journaled (redacted, bounded). */
  readonly finalText: string | null;
  readonly error: string | null;
  /** The error's kind as the runtime's decoder read it (`auth`, `rate-limit`, `server`, …). */
  readonly errorKind: string | null;
  /** Why the attempt failed as far as retrying is concerned (`rate_limited`, `transient`, …), when recorded. */
  readonly failureClass: string | null;
  readonly exitCode: number | null;
  readonly sessionId: string | null;
  readonly durationMs: number;
  readonly toolCalls: number | null;
  readonly usage: UsageSummary;
  /**
   * Why the attempt ran: `first`, `retry`, `fallback`, `resume` or `session-resume`;
   * `null` in journals written before attempts had reasons.
   */
  readonly reason: string | null;
  /** The runtime given up for this one (a fallback), with its class and cause; else `null`. */
  readonly fallbackFrom: {
    readonly runtime: string;
    readonly failureClass: string | null;
    readonly cause: string | null;
  } | null;
  /** The stage's checkpoint this attempt started from (git), else `null`. */
  readonly checkpointRef: string | null;
  /** Where what the attempt left is kept, when it failed (git), else `null`. */
  readonly abandonedRef: string | null;
  /** The worker of the pool that ran it (scale mode); `null` on one machine. */
  readonly worker: string | null;
}

/** A stage by name: its latest attempt, with how many attempts it took and what they cost. */
export interface StageResult {
  readonly stage: Stage;
  readonly step: number;
  /** The runtime of the latest attempt. */
  readonly runtime: string;
  readonly model: string | null;
  readonly status: AttemptResult['status'];
  readonly verdict: Verdict | null;
  readonly finalText: string | null;
  readonly error: string | null;
  readonly failureClass: string | null;
  /** Attempts at this stage, retries, fallbacks and loops included. */
  readonly attempts: number;
  /** The runtime of each attempt in order: more than one name when the stage fell back. */
  readonly runtimes: readonly string[];
  /**
   * The failure class of each attempt in order (`null` for one that did not fail), so a
   * fallback's cause reads without counting attempts across the whole run.
   */
  readonly failureClasses: readonly (string | null)[];
  readonly durationMs: number;
  /** Usage of all the stage's attempts together. */
  readonly usage: UsageSummary;
}

export interface RunResult extends RunHeader {
  /** The hash of the engine state the journal recorded last. */
  readonly stateHash: string | null;
  /** Each stage that ran, by name (its latest attempt). */
  readonly stages: Readonly<Partial<Record<Stage, StageResult>>>;
  /** Every stage attempt, in the order they ran. */
  readonly attempts: readonly AttemptResult[];
  /** Usage of the whole run. */
  readonly usage: UsageSummary;
}

/** Reads a run's result from the journal. */
export function readRunResult(journal: Journal, runId: string): RunResult {
  return runResultOf(journal.requireRun(runId), journal.events(runId));
}

/** Folds a run's journal events into its result; `status` as readers show it. */
export function runResultOf(
  run: RunRecord,
  events: Iterable<JournalEvent>,
  status: RunStatus = displayStatus(run),
): RunResult {
  const attempts: MutableAttempt[] = [];
  let started: Record<string, unknown> | null = null;
  let planned: Record<string, unknown> | null = null;
  const checkpoints = new Map<string, string>();
  let question: string | null = null;
  for (const event of events) {
    const payload = event.payload;
    switch (event.type) {
      case 'stage.attempt':
      case 'stage.fallback':
        planned = payload;
        break;
      case 'stage.checkpoint': {
        const ref = stringOrNull(payload.ref);
        if (ref === null) break;
        if (payload.kind === 'checkpoint') checkpoints.set(stageKey(payload), ref);
        const last = attempts.at(-1);
        if (
          payload.kind === 'abandoned' &&
          last !== undefined &&
          sameAttempt(payload, last.identity)
        )
          last.abandonedRef = ref;
        break;
      }
      case 'agent.process.started':
        started = payload;
        break;
      case 'agent.process.exited': {
        const opened = started !== null && sameAttempt(started, payload) ? started : null;
        const plan = planned !== null && sameAttempt(planned, payload) ? planned : null;
        started = null;
        planned = null;
        attempts.push(attemptOf(payload, opened, plan, checkpoints.get(stageKey(payload)) ?? null));
        break;
      }
      case 'verdict.recorded': {
        const last = attempts.at(-1);
        if (last !== undefined && sameAttempt(payload, last.identity)) {
          last.verdict = verdictOf(payload);
        }
        break;
      }
      case 'stage.ended': {
        const last = attempts.at(-1);
        if (last !== undefined && sameAttempt(payload, last.identity)) {
          last.finalText = stringOrNull(payload.final_text);
          last.failureClass = stringOrNull(payload.failure_class) ?? last.failureClass;
        }
        break;
      }
      case 'human.asked':
        question = stringOrNull(payload.question);
        break;
      case 'human.answered':
        question = null;
        break;
    }
  }
  const finished = attempts.map(({ identity: _identity, ...attempt }) => attempt as AttemptResult);
  return {
    ...runHeader(run, status, question),
    stateHash: run.stateHash,
    stages: stagesOf(finished),
    attempts: finished,
    usage: totalUsage(finished.map((attempt) => attempt.usage)),
  };
}

type MutableAttempt = { -readonly [Key in keyof AttemptResult]: AttemptResult[Key] } & {
  identity: Record<string, unknown>;
};

function attemptOf(
  exited: Record<string, unknown>,
  started: Record<string, unknown> | null,
  planned: Record<string, unknown> | null,
  checkpointRef: string | null,
): MutableAttempt {
  const from = stringOrNull(planned?.from);
  return {
    identity: exited,
    stage: exited.stage as Stage,
    step: integer(exited.step),
    attempt: integer(exited.attempt),
    loop: integer(exited.loop),
    runtime: String(exited.runtime_id),
    model: stringOrNull(started?.model),
    status: exited.status as AttemptResult['status'],
    verdict: null,
    finalText: null,
    error: stringOrNull(exited.error),
    errorKind: stringOrNull(exited.error_kind),
    failureClass: stringOrNull(exited.failure_class),
    exitCode: typeof exited.exit_code === 'number' ? exited.exit_code : null,
    sessionId: stringOrNull(exited.session_id),
    durationMs: integer(exited.duration_ms),
    toolCalls: typeof exited.tool_calls === 'number' ? exited.tool_calls : null,
    usage: usageOf(exited.usage),
    reason: stringOrNull(planned?.reason) ?? stringOrNull(started?.reason),
    fallbackFrom:
      from === null
        ? null
        : {
            runtime: from,
            failureClass: stringOrNull(planned?.class),
            cause: stringOrNull(planned?.cause),
          },
    checkpointRef,
    abandonedRef: null,
    worker: stringOrNull(exited.worker),
  };
}

/** A stage's run in a loop, as the refs of its checkpoint are named: step, stage and loop. */
function stageKey(payload: Record<string, unknown>): string {
  return `${String(payload.step)}-${String(payload.stage)}-${String(payload.loop ?? 0)}`;
}

/** Whether two journal payloads name the same attempt (step, stage, attempt and loop). */
function sameAttempt(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return (
    a.step === b.step &&
    a.stage === b.stage &&
    a.attempt === b.attempt &&
    (a.loop ?? 0) === (b.loop ?? 0)
  );
}

function verdictOf(payload: Record<string, unknown>): Verdict | null {
  switch (payload.outcome) {
    case 'pass':
      return { outcome: 'pass' };
    case 'fail':
    case 'missing':
      return { outcome: payload.outcome, reason: String(payload.reason ?? '') };
    default:
      return null;
  }
}

function stagesOf(attempts: readonly AttemptResult[]): Partial<Record<Stage, StageResult>> {
  const stages: Partial<Record<Stage, StageResult>> = {};
  for (const last of attempts) {
    const all = attempts.filter((attempt) => attempt.stage === last.stage);
    stages[last.stage] = {
      stage: last.stage,
      step: last.step,
      runtime: last.runtime,
      model: last.model,
      status: last.status,
      verdict: last.verdict,
      finalText: last.finalText,
      error: last.error,
      failureClass: last.failureClass,
      attempts: all.length,
      runtimes: all.map((attempt) => attempt.runtime),
      failureClasses: all.map((attempt) => attempt.failureClass),
      durationMs: all.reduce((sum, attempt) => sum + attempt.durationMs, 0),
      usage: totalUsage(all.map((attempt) => attempt.usage)),
    };
  }
  return stages;
}

function integer(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
