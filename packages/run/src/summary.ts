/** A run as `baton run`, `baton resume` and `baton runs` report it, read from the journal. */
import type { Stage } from '@baton/core';
import type { RunStatus } from './engine/types.js';
import {
  displayStatus,
  type Journal,
  type JournalEvent,
  type RunRecord,
} from './journal/journal.js';
import { type RunHeader, runHeader } from './run-header.js';
import { totalUsage, type UsageSummary, usageOf } from './usage-summary.js';

export interface StageSummary {
  readonly stage: Stage;
  readonly runtime: string;
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly durationMs: number;
  readonly step: number;
  readonly attempt: number;
  readonly loop: number;
  readonly tokens: number | null;
  readonly error: string | null;
  /** The kind of the error (`auth`, `network`, `timeout`, `spawn`, …), when the attempt failed. */
  readonly errorKind: string | null;
  /** The failure class of a failed attempt, when the journal records one. */
  readonly failureClass: string | null;
  /** Tokens and cost of the attempt. */
  readonly usage: UsageSummary;
}

export interface RunSummary extends RunHeader {
  /** One entry per stage attempt, in the order they ran. */
  readonly stages: readonly StageSummary[];
  /** Tokens and cost of every attempt together. */
  readonly usage: UsageSummary;
}

export function summarizeRun(journal: Journal, runId: string): RunSummary {
  return summaryOf(journal.requireRun(runId), journal.events(runId));
}

/** Folds a run's journal events into its summary; `status` as readers show it. */
export function summaryOf(
  run: RunRecord,
  events: Iterable<JournalEvent>,
  status: RunStatus = displayStatus(run),
): RunSummary {
  const stages: StageSummary[] = [];
  let question: string | null = null;
  for (const event of events) {
    const payload = event.payload;
    if (event.type === 'agent.process.exited') {
      const usage = payload.usage as { total_tokens?: number | null } | null;
      stages.push({
        stage: payload.stage as Stage,
        runtime: String(payload.runtime_id),
        status: payload.status as StageSummary['status'],
        durationMs: Number(payload.duration_ms ?? 0),
        step: Number(payload.step),
        attempt: Number(payload.attempt),
        loop: Number(payload.loop ?? 0),
        tokens: typeof usage?.total_tokens === 'number' ? usage.total_tokens : null,
        error: typeof payload.error === 'string' ? payload.error : null,
        errorKind: typeof payload.error_kind === 'string' ? payload.error_kind : null,
        failureClass: typeof payload.failure_class === 'string' ? payload.failure_class : null,
        usage: usageOf(payload.usage),
      });
    } else if (event.type === 'human.asked') {
      question = String(payload.question);
    } else if (event.type === 'human.answered') {
      question = null;
    }
  }
  return {
    ...runHeader(run, status, question),
    stages,
    usage: totalUsage(stages.map((stage) => stage.usage)),
  };
}
