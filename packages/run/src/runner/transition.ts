/**
 * One engine transition as it is journaled, by either executor (this machine's driver, or
 * the scale executor's durable mission): the event redacted, the engine fed that redacted
 * payload, and everything the transaction holds — what led to the event, the event, what it
 * explains, the directives with the state hash, the question asked, the end of the run.
 * Pure: journaling it is the caller's.
 */
import { applyEvent } from '../engine/reducer.js';
import { stateHash } from '../engine/state-hash.js';
import {
  type Directive,
  ENDED_RUN_STATUSES,
  type EngineEvent,
  type RunState,
} from '../engine/types.js';
import {
  DIRECTIVE_EVENT_TYPE,
  decodeEvent,
  encodeDirective,
  encodeEvent,
  type Payload,
} from '../engine/wire.js';
import type { NewEvent, RunUpdate } from '../journal/journal.js';
import type { Redactor } from '../redact.js';

/** What is journaled with an engine event. */
export interface Annotations {
  /** Journaled before the engine event (what led to it). */
  readonly before?: readonly NewEvent[];
  /** Journaled right after the engine event, before its directives. */
  readonly after?: readonly NewEvent[];
  /** Informational fields added to the engine event's payload (the engine ignores them). */
  readonly extra?: Payload;
}

export interface PlannedTransition {
  /** The engine event's payload as journaled (redacted): what the engine was fed. */
  readonly payload: Payload;
  readonly state: RunState;
  readonly directives: readonly Directive[];
  readonly hash: string;
  /** Every event of the transaction, in order. */
  readonly entries: readonly NewEvent[];
  /** The run's index row after it; `owner: null` unless `keepsOwner` says the run stays owned. */
  readonly update: RunUpdate;
}

export function planTransition(
  state: RunState | null,
  event: EngineEvent,
  annotations: Annotations,
  redactor: Redactor,
  keepsOwner: (next: RunState) => boolean,
): PlannedTransition {
  const payload = redactor.value({ ...(annotations.extra ?? {}), ...encodeEvent(event) });
  const transition = applyEvent(state, decodeEvent(event.type, payload));
  const next = transition.state;
  const hash = stateHash(next);
  const entries: NewEvent[] = [
    ...(annotations.before ?? []).map((entry) => ({
      ...entry,
      payload: redactor.value(entry.payload),
    })),
    { type: event.type, payload },
    ...(annotations.after ?? []).map((entry) => ({
      ...entry,
      payload: redactor.value(entry.payload),
    })),
    ...transition.directives.map((directive) => ({
      type: DIRECTIVE_EVENT_TYPE,
      payload: { ...encodeDirective(directive, next.format), state_hash: hash },
    })),
  ];
  for (const directive of transition.directives) {
    if (directive.kind === 'ask_human') {
      entries.push({
        type: 'human.asked',
        payload: redactor.value({ step: directive.step, question: directive.question }),
      });
    }
  }
  if (ENDED_RUN_STATUSES.includes(next.status)) {
    entries.push({
      type: 'run.ended',
      payload: redactor.value({
        status: next.status,
        cause: next.cause,
        state_hash: hash,
        events_applied: next.applied,
      }),
    });
  }
  return {
    payload,
    state: next,
    directives: transition.directives,
    hash,
    entries,
    update: {
      status: next.status,
      cause: next.cause,
      stateHash: hash,
      ...(keepsOwner(next) ? {} : { owner: null }),
    },
  };
}
