/**
 * What a caller of a run is told as it progresses (the observer, with the stage, the attempt
 * and its report) and how it answers a human step inline.
 */
import type { FailureClass, RuntimeEvent, StageRequest } from '@baton/core';
import type { AttemptUsage, DispatchReason, FallbackFrom, Verdict } from '../engine/types.js';
import type { WorkspaceChanges } from './workspace-changes.js';

/** What a terminal (or any caller) is told while a run progresses. */
export interface StageProgress {
  readonly runId: string;
  readonly step: number;
  readonly stage: StageRequest['stage'];
  readonly runtime: string;
  readonly attempt: number;
  readonly loop: number;
  /** The worker of the pool that runs the attempt (a run of the pool, followed from its journal). */
  readonly worker?: string;
}

export interface StageReport {
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly durationMs: number;
  readonly tokens: number | null;
  /** Tokens and cost of the attempt; `null` when the runtime reported no usage. */
  readonly usage: AttemptUsage | null;
  readonly error: string | null;
  /** The failed attempt's class. */
  readonly failureClass: FailureClass | null;
  readonly verdict: Verdict | null;
  /** Tool calls the runtime made (each counted once, however the harness reported it). */
  readonly toolCalls: number;
  /** Runtime events past the per-stage cap: counted, not journaled. */
  readonly eventsDropped: number;
  /** Files the stage changed; `null` when unknown (not a git work tree). */
  readonly changes: WorkspaceChanges | null;
}

/** A stage's result a human step asks about: what the human approves or rejects. */
export interface ApprovalSubject {
  readonly runId: string;
  readonly step: number;
  readonly stage: StageProgress['stage'];
  readonly runtime: string;
  /** The stage's final text as journaled (redacted); `null` when it wrote none. */
  readonly finalText: string | null;
}

/** How an attempt after the first comes about: a retry, a fallback, a resume. */
export interface AttemptPlan {
  readonly reason: DispatchReason;
  /** The runtime given up (a fallback), with its class and cause. */
  readonly fallbackFrom: FallbackFrom | null;
  /** The session continued (a session-resume), or `null`. */
  readonly sessionId: string | null;
  /** The stage's checkpoint the attempt starts from (git), or `null`. */
  readonly checkpointRef: string | null;
  /** Where the workspace was kept before it was put back to the checkpoint, or `null`. */
  readonly abandonedRef: string | null;
  /** Something the person should know about this attempt (e.g. a session not continued). */
  readonly note: string | null;
}

/**
 * Told what happens as a run progresses; every text it gets is redacted like the journal.
 * `runtimeEvent` gets messages whole: a message a harness streams in pieces arrives as
 * `partial` text events carrying its beginning so far, then once whole (not partial).
 */
export interface RunObserver {
  stageStarted?(stage: StageProgress, pid: number): void;
  runtimeEvent?(stage: StageProgress, event: RuntimeEvent): void;
  stageEnded?(stage: StageProgress, report: StageReport): void;
  retryScheduled?(stage: StageProgress, delayMs: number): void;
  /** An attempt other than a stage's plain first one is about to start (after its wait). */
  attemptPlanned?(stage: StageProgress, plan: AttemptPlan): void;
  /** Something to know before or during the run (a runtime skipped, costs it cannot know). */
  notice?(text: string): void;
  /** A human step asks `question` about `subject` (the result before it), before the answer is sought. */
  question?(step: number, question: string, subject: ApprovalSubject | null): void;
}

/** A human's answer to a human step: go on, or send the work back (or end the run). */
export interface HumanAnswer {
  readonly decision: 'approve' | 'reject';
  /** With `approve`, the input for the next steps; with `reject`, why. May be empty. */
  readonly text: string;
}

/** Answers a human step inline; `null` leaves the run waiting. */
export type AskHuman = (
  question: string,
  step: number,
  subject: ApprovalSubject | null,
) => Promise<HumanAnswer | null>;
