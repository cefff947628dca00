/**
 * A run's whole story, for `baton show`: every step in the order it ran — each stage (per
 * loop) with its attempts, duration, usage, tool calls, verdict, the files it changed and its
 * full final text; each human step with its question, decision and answer. Built on the run's
 * typed result (`result.ts`, one entry per attempt) plus what only a story needs: the order
 * of steps, human steps, the files changed, and the attempt still in flight. Read only.
 */
import type { Stage } from '@baton/core';
import type { RunStatus, Verdict } from './engine/types.js';
import {
  displayStatus,
  type Journal,
  type JournalEvent,
  type RunRecord,
} from './journal/journal.js';
import { type AttemptResult, runResultOf } from './result.js';
import { ToolCallCounter } from './runner/tool-calls.js';
import { totalUsage, type UsageSummary } from './usage-summary.js';

export interface AttemptStory extends Omit<AttemptResult, 'status' | 'toolCalls'> {
  /** `running` while the attempt's process has not been recorded as ended. */
  readonly status: AttemptResult['status'] | 'running';
  /** When the attempt's process started; `null` when none did. */
  readonly startedAt: string | null;
  readonly pid: number | null;
  /** Tool calls, counted by the runner (or from the journaled events, for older journals). */
  readonly toolCalls: number | null;
  /** Runtime events past the per-stage cap: counted, not journaled. */
  readonly eventsDropped: number;
}

export interface FileChangeStory {
  readonly path: string;
  /** `added`, `modified`, `deleted`, `renamed`, `untracked` or `other`. */
  readonly status: string;
  /** Lines added and removed against the last commit; `null` for binary or untracked files. */
  readonly added: number | null;
  readonly removed: number | null;
}

export interface StageStory {
  readonly kind: 'stage';
  readonly step: number;
  readonly stage: Stage;
  /** The loop this run of the step belongs to (0 before any loop back). */
  readonly loop: number;
  /** The runtime of the latest attempt. */
  readonly runtime: string;
  readonly model: string | null;
  readonly status: AttemptStory['status'];
  /** All attempts together. */
  readonly durationMs: number;
  /** All attempts together. */
  readonly usage: UsageSummary;
  readonly toolCalls: number;
  readonly attempts: readonly AttemptStory[];
  readonly verdict: Verdict | null;
  /**
   * The files the stage changed (its latest attempt), from the workspace's git status before
   * and after it; `null` when unknown (not a git work tree, or a journal that predates it).
   */
  readonly changes: {
    readonly source: string;
    readonly files: readonly FileChangeStory[];
    readonly omitted: number;
  } | null;
  /** The stage's final text, as journaled (redacted; a very long one keeps its start and end). */
  readonly finalText: string | null;
}

export interface HumanStory {
  readonly kind: 'human';
  readonly step: number;
  readonly question: string;
  /** `null` while the question waits for its answer. */
  readonly decision: 'approve' | 'reject' | null;
  readonly answer: string | null;
  /** `inline` (asked on the terminal) or `resume`. */
  readonly via: string | null;
}

export interface RunStory {
  readonly runId: string;
  readonly status: RunStatus;
  readonly cause: string | null;
  readonly goal: string;
  readonly mission: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Usage of the whole run. */
  readonly usage: UsageSummary;
  readonly steps: readonly (StageStory | HumanStory)[];
}

type Payload = Record<string, unknown>;

/** What the story adds to an attempt of the result, keyed by step, loop and attempt. */
interface AttemptExtras {
  startedAt: string | null;
  pid: number | null;
  model: string | null;
  worker: string | null;
  eventsDropped: number;
  toolEvents: ToolCallCounter;
  /** Dispatched, never recorded as ended. */
  dispatch: { runtime: string; stage: Stage } | null;
}

export function readRunStory(journal: Journal, runId: string): RunStory {
  return runStoryOf(journal.requireRun(runId), [...journal.events(runId)]);
}

/** Folds a run's journal events into its story; `status` as readers show it. */
export function runStoryOf(
  run: RunRecord,
  events: readonly JournalEvent[],
  status: RunStatus = displayStatus(run),
): RunStory {
  const result = runResultOf(run, events, status);
  const order: (
    | { kind: 'stage'; key: string; step: number; stage: Stage; loop: number }
    | HumanStory
  )[] = [];
  const seen = new Set<string>();
  const extras = new Map<string, AttemptExtras>();
  const changes = new Map<string, StageStory['changes']>();
  const extrasOf = (payload: Payload): AttemptExtras | null => {
    const step = integer(payload.step);
    const attempt = integer(payload.attempt);
    if (step === null || attempt === null || typeof payload.stage !== 'string') return null;
    const key = `${groupKey(step, integer(payload.loop) ?? 0)}:${attempt}`;
    let entry = extras.get(key);
    if (entry === undefined) {
      entry = {
        startedAt: null,
        pid: null,
        model: null,
        worker: null,
        eventsDropped: 0,
        toolEvents: new ToolCallCounter(),
        dispatch: null,
      };
      extras.set(key, entry);
    }
    return entry;
  };
  const note = (payload: Payload) => {
    const step = integer(payload.step);
    const loop = integer(payload.loop) ?? 0;
    if (step === null || typeof payload.stage !== 'string') return;
    const key = groupKey(step, loop);
    if (seen.has(key)) return;
    seen.add(key);
    order.push({ kind: 'stage', key, step, stage: payload.stage as Stage, loop });
  };
  let asked: HumanStory | null = null;

  for (const event of events) {
    const payload = event.payload;
    switch (event.type) {
      case 'control.directive.emitted': {
        if (payload.directive !== 'dispatch') break;
        const extra = (payload.extra ?? {}) as Payload;
        const identity = { ...extra, step: payload.step, stage: payload.stage };
        note(identity);
        const entry = extrasOf(identity);
        if (entry !== null)
          entry.dispatch = {
            runtime: String(extra.runtime_id ?? ''),
            stage: payload.stage as Stage,
          };
        break;
      }
      case 'agent.process.started': {
        note(payload);
        const entry = extrasOf(payload);
        if (entry === null) break;
        entry.startedAt = event.at;
        entry.pid = integer(payload.pid);
        entry.model = typeof payload.model === 'string' ? payload.model : null;
        entry.worker = typeof payload.worker === 'string' ? payload.worker : null;
        break;
      }
      case 'agent.process.exited': {
        note(payload);
        const entry = extrasOf(payload);
        if (entry === null) break;
        entry.eventsDropped = integer(payload.events_dropped) ?? 0;
        entry.dispatch = null;
        break;
      }
      case 'runtime.event': {
        // Journals written before tool calls were counted: count them from the events kept.
        const inner = (payload.event ?? {}) as Payload;
        if (inner.type !== 'tool_use') break;
        extrasOf(payload)?.toolEvents.see({
          type: 'tool-use',
          name: String(inner.name ?? ''),
          id: typeof inner.id === 'string' ? inner.id : null,
          status: inner.status === 'started' ? 'started' : 'completed',
          input: null,
          output: null,
        });
        break;
      }
      case 'workspace.changed': {
        const step = integer(payload.step);
        if (step !== null)
          changes.set(groupKey(step, integer(payload.loop) ?? 0), changesOf(payload.changes));
        break;
      }
      case 'human.asked':
        asked = {
          kind: 'human',
          step: integer(payload.step) ?? 0,
          question: String(payload.question ?? ''),
          decision: null,
          answer: null,
          via: null,
        };
        order.push(asked);
        break;
      case 'human.answered': {
        if (asked === null) break;
        order[order.lastIndexOf(asked)] = {
          ...asked,
          decision: payload.decision === 'reject' ? 'reject' : 'approve',
          answer: typeof payload.answer === 'string' ? payload.answer : '',
          via: typeof payload.via === 'string' ? payload.via : null,
        };
        asked = null;
        break;
      }
    }
  }

  const steps = order.map((entry): StageStory | HumanStory => {
    if (entry.kind === 'human') return entry;
    const ended = result.attempts.filter(
      (attempt) => attempt.step === entry.step && attempt.loop === entry.loop,
    );
    const attempts: AttemptStory[] = ended.map((attempt) => {
      const extra = extras.get(`${entry.key}:${attempt.attempt}`);
      return {
        ...attempt,
        model: attempt.model ?? extra?.model ?? null,
        startedAt: extra?.startedAt ?? null,
        pid: extra?.pid ?? null,
        toolCalls: attempt.toolCalls ?? (extra?.startedAt ? extra.toolEvents.count : null),
        eventsDropped: extra?.eventsDropped ?? 0,
      };
    });
    for (const [key, extra] of extras) {
      if (!key.startsWith(`${entry.key}:`) || extra.dispatch === null) continue;
      attempts.push(inFlight(entry, Number(key.split(':')[2]), extra, result.status));
    }
    attempts.sort((left, right) => left.attempt - right.attempt);
    const last = attempts.at(-1);
    const finished = [...ended].reverse().find((attempt) => attempt.finalText !== null);
    return {
      kind: 'stage',
      step: entry.step,
      stage: entry.stage,
      loop: entry.loop,
      runtime: last?.runtime ?? '',
      model: last?.model ?? null,
      status: last?.status ?? 'running',
      durationMs: attempts.reduce((sum, attempt) => sum + attempt.durationMs, 0),
      usage: totalUsage(attempts.map((attempt) => attempt.usage)),
      toolCalls: attempts.reduce((sum, attempt) => sum + (attempt.toolCalls ?? 0), 0),
      attempts,
      verdict: ended.at(-1)?.verdict ?? null,
      changes: changes.get(entry.key) ?? null,
      finalText: finished?.finalText ?? null,
    };
  });

  return {
    runId: result.runId,
    status: result.status,
    cause: result.cause,
    goal: result.goal,
    mission: result.mission,
    createdAt: result.createdAt,
    updatedAt: result.updatedAt,
    usage: result.usage,
    steps,
  };
}

/** An attempt dispatched and not recorded as ended: running, or cut off with its run. */
function inFlight(
  entry: { step: number; stage: Stage; loop: number },
  attempt: number,
  extra: AttemptExtras,
  runStatus: RunStatus,
): AttemptStory {
  return {
    stage: entry.stage,
    step: entry.step,
    attempt,
    loop: entry.loop,
    runtime: extra.dispatch!.runtime,
    model: extra.model,
    status: runStatus === 'running' ? 'running' : 'interrupted',
    verdict: null,
    finalText: null,
    error: null,
    errorKind: null,
    failureClass: null,
    exitCode: null,
    sessionId: null,
    durationMs: 0,
    toolCalls: extra.startedAt === null ? null : extra.toolEvents.count,
    usage: totalUsage([]),
    reason: null,
    fallbackFrom: null,
    checkpointRef: null,
    abandonedRef: null,
    worker: extra.worker,
    startedAt: extra.startedAt,
    pid: extra.pid,
    eventsDropped: 0,
  };
}

function groupKey(step: number, loop: number): string {
  return `${step}:${loop}`;
}

function changesOf(value: unknown): StageStory['changes'] {
  if (value === null || typeof value !== 'object') return null;
  const changes = value as Payload;
  const files = Array.isArray(changes.files) ? changes.files : [];
  return {
    source: String(changes.source ?? 'git-status'),
    files: files
      .filter((file): file is Payload => file !== null && typeof file === 'object')
      .map((file) => ({
        path: String(file.path ?? ''),
        status: String(file.status ?? 'other'),
        added: integer(file.added),
        removed: integer(file.removed),
      })),
    omitted: integer(changes.omitted) ?? 0,
  };
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}
