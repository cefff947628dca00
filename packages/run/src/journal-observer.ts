/**
 * A run's journal told to a `RunObserver`, event by event as it is read, so that a run
 * another process drives — a run of the worker pool, followed from its journal — gets the
 * same live view as a run this process drives. The view gets what the journal kept: whole
 * messages (the pieces of a streamed one are not journaled), tool calls, usage, each
 * attempt's start (with the worker that runs it) and end, retries, fallbacks, notices and
 * questions with the result they ask about.
 */
import { FAILURE_CLASSES, type Stage } from '@baton/core';
import type { DispatchReason } from './engine/types.js';
import { decodeEvent } from './engine/wire.js';
import type { JournalEvent } from './journal/journal.js';
import type { ApprovalSubject, RunObserver, StageProgress } from './runner/observer.js';
import { runtimeEventFromWire } from './runner/wire-events.js';

type Payload = Record<string, unknown>;

/** Tells `observer` each journal event it is given, in journal order. */
export function observeJournal(observer: RunObserver): (event: JournalEvent) => void {
  /** What an attempt's process reported at its exit (by step and attempt), until its `stage.ended` right after. */
  const exits = new Map<string, Payload>();
  const results: ApprovalSubject[] = [];

  return (event) => {
    const payload = event.payload;
    switch (event.type) {
      case 'agent.process.started': {
        const progress = progressOf(event.runId, payload);
        if (progress !== null) observer.stageStarted?.(progress, integer(payload.pid) ?? 0);
        break;
      }
      case 'runtime.event': {
        const progress = progressOf(event.runId, payload);
        const inner = runtimeEventFromWire(payload.event);
        if (progress !== null && inner !== null) observer.runtimeEvent?.(progress, inner);
        break;
      }
      case 'agent.process.exited': {
        const progress = progressOf(event.runId, payload);
        if (progress === null) break;
        // An interrupted attempt has no `stage.ended`: its run stops here.
        if (payload.status === 'interrupted') {
          observer.stageEnded?.(progress, reportOf(payload, null));
        } else exits.set(`${progress.step}:${progress.attempt}`, payload);
        break;
      }
      case 'stage.ended': {
        const ended = decodedStageEnd(payload);
        if (ended === null) break;
        const key = `${ended.step}:${ended.attempt}`;
        const exited = exits.get(key) ?? null;
        exits.delete(key);
        const progress: StageProgress = {
          runId: event.runId,
          step: ended.step,
          stage: ended.stage,
          runtime: ended.runtime,
          attempt: ended.attempt,
          loop: integer(exited?.loop) ?? 0,
        };
        observer.stageEnded?.(withWorker(progress, exited), reportOf(exited ?? {}, ended));
        if (ended.status === 'succeeded') {
          results.push({
            runId: event.runId,
            step: ended.step,
            stage: ended.stage,
            runtime: ended.runtime,
            finalText: ended.finalText,
          });
        }
        break;
      }
      case 'control.directive.emitted': {
        const extra = (payload.extra ?? {}) as Payload;
        const delay = integer(extra.backoff_ms) ?? 0;
        if (payload.directive !== 'dispatch' || delay <= 0) break;
        const progress = progressOf(event.runId, { ...extra, ...payload });
        if (progress !== null) observer.retryScheduled?.(progress, delay);
        break;
      }
      case 'stage.attempt':
      case 'stage.fallback': {
        const progress = progressOf(event.runId, payload);
        if (progress === null) break;
        const from = typeof payload.from === 'string' ? payload.from : null;
        observer.attemptPlanned?.(progress, {
          reason: oneOf(payload.reason, DISPATCH_REASONS) ?? 'retry',
          fallbackFrom:
            from === null
              ? null
              : {
                  runtime: from,
                  failureClass: oneOf(payload.class, FAILURE_CLASSES) ?? 'task',
                  cause: text(payload.cause) ?? '',
                },
          sessionId: text(payload.session_id),
          checkpointRef: text(payload.checkpoint_ref),
          abandonedRef: text(payload.abandoned_ref),
          note: text(payload.note),
        });
        break;
      }
      case 'run.notice':
        if (typeof payload.text === 'string') observer.notice?.(payload.text);
        break;
      case 'human.asked': {
        const step = integer(payload.step) ?? 0;
        const subject = results.findLast((result) => result.step < step) ?? null;
        observer.question?.(step, text(payload.question) ?? '', subject);
        break;
      }
    }
  };
}

/** The attempt an event names (`attemptIdentity`, and the worker on the pool), or `null`. */
function progressOf(runId: string, payload: Payload): StageProgress | null {
  const step = integer(payload.step);
  const attempt = integer(payload.attempt);
  const runtime = text(payload.runtime_id);
  if (step === null || attempt === null || runtime === null || typeof payload.stage !== 'string')
    return null;
  return withWorker(
    {
      runId,
      step,
      stage: payload.stage as Stage,
      runtime,
      attempt,
      loop: integer(payload.loop) ?? 0,
    },
    payload,
  );
}

function withWorker(progress: StageProgress, payload: Payload | null): StageProgress {
  const worker = text(payload?.worker);
  return worker === null ? progress : { ...progress, worker };
}

type StageEnd = Extract<ReturnType<typeof decodeEvent>, { type: 'stage.ended' }>;

function decodedStageEnd(payload: Payload): StageEnd | null {
  try {
    return decodeEvent('stage.ended', payload) as StageEnd;
  } catch {
    // A row the engine cannot read is for `baton replay` to report, not for the view.
    return null;
  }
}

/** The end of an attempt as the view reports it: its process's exit, and its `stage.ended`. */
function reportOf(exited: Payload, ended: StageEnd | null) {
  const usage = (exited.usage ?? {}) as Payload;
  return {
    status:
      ended?.status ??
      (exited.status === 'succeeded' || exited.status === 'failed' ? exited.status : 'interrupted'),
    durationMs: integer(exited.duration_ms) ?? 0,
    tokens: integer(usage.total_tokens),
    usage: ended?.usage ?? null,
    error: ended?.error?.message ?? text(exited.error),
    failureClass: ended?.failureClass ?? null,
    verdict: ended?.verdict ?? null,
    toolCalls: integer(exited.tool_calls) ?? 0,
    eventsDropped: integer(exited.events_dropped) ?? 0,
    changes: null,
  } as const;
}

const DISPATCH_REASONS: readonly DispatchReason[] = [
  'first',
  'retry',
  'fallback',
  'resume',
  'session-resume',
];

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | null {
  return (allowed as readonly unknown[]).includes(value) ? (value as T) : null;
}

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
