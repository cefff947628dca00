/**
 * Re-derives a run's state from its journal alone: every engine event is decoded and fed
 * through the engine, and each directive the engine derives is checked against the one
 * journaled, as is the state hash recorded with it and the run's final state hash.
 */
import { canonicalJson } from './canonical-json.js';
import { applyEvent } from './engine/reducer.js';
import { stateHash } from './engine/state-hash.js';
import type { Directive, RunState } from './engine/types.js';
import {
  DIRECTIVE_EVENT_TYPE,
  decodeEvent,
  directiveCore,
  encodeDirective,
  isEngineEventType,
} from './engine/wire.js';
import {
  corruptRow,
  type Journal,
  parsePayload,
  type RawJournalEvent,
  type RunRecord,
} from './journal/journal.js';

export interface ReplayReport {
  readonly runId: string;
  readonly matches: boolean;
  /** Hash of the re-derived state. */
  readonly stateHash: string | null;
  /** Hash the journal recorded for the run's state. */
  readonly recordedStateHash: string | null;
  readonly events: number;
  readonly engineEvents: number;
  readonly directives: { readonly derived: number; readonly recorded: number };
  /** What did not match, first problems first (at most 20). */
  readonly mismatches: readonly string[];
  readonly state: RunState | null;
}

const MAX_MISMATCHES = 20;

export function replayRun(journal: Journal, runId: string): ReplayReport {
  return replayOf(journal.requireRun(runId), journal.corruptRows(runId), journal.rawEvents(runId));
}

/**
 * Replays a run from its events as stored, and the rows its store found corrupt (not a JSON
 * object), against its index row.
 */
export function replayOf(
  run: RunRecord,
  corruptRows: readonly { seq: number; type: string }[],
  rawEvents: Iterable<RawJournalEvent>,
): ReplayReport {
  const runId = run.runId;
  let state: RunState | null = null;
  let events = 0;
  let engineEvents = 0;
  let derived = 0;
  let recorded = 0;
  let broken = false;
  const pending: { directive: Directive; hash: string; seq: number; format: number }[] = [];
  const mismatches: string[] = [];
  const mismatch = (text: string) => {
    if (mismatches.length < MAX_MISMATCHES) mismatches.push(text);
  };

  // Rows whose payload is not a JSON object, found by SQLite without parsing every row here.
  for (const row of corruptRows)
    mismatch(corruptRow(runId, row.seq, `its ${row.type} payload is not a JSON object`));
  // Every row is read (to check the sequence), but only engine events and directives are parsed.
  for (const event of rawEvents) {
    events += 1;
    if (events !== event.seq)
      mismatch(`sequence gap: event ${event.seq} found where ${events} was expected`);
    if (broken) continue;
    if (isEngineEventType(event.type)) {
      engineEvents += 1;
      if (pending.length > 0) {
        mismatch(
          `seq ${pending[0]!.seq}: ${pending.length} derived directive(s) missing from the journal before seq ${event.seq}`,
        );
        pending.length = 0;
      }
      const payload = parsePayload(event.payload);
      if (typeof payload === 'string') {
        // Reported with the other corrupt rows; the state cannot be derived past it.
        broken = true;
        continue;
      }
      try {
        const transition = applyEvent(state, decodeEvent(event.type, payload));
        state = transition.state;
        const hash = stateHash(state);
        for (const directive of transition.directives)
          pending.push({ directive, hash, seq: event.seq, format: state.format });
        derived += transition.directives.length;
      } catch (error) {
        mismatch(`seq ${event.seq} (${event.type}): ${(error as Error).message}`);
        broken = true;
      }
    } else if (event.type === DIRECTIVE_EVENT_TYPE) {
      recorded += 1;
      const parsed = parsePayload(event.payload);
      if (typeof parsed === 'string') {
        pending.shift();
        continue;
      }
      const payload = parsed;
      const expected = pending.shift();
      if (expected === undefined) {
        mismatch(
          `seq ${event.seq}: a directive the engine did not derive: ${canonicalJson(directiveCore(payload))}`,
        );
        continue;
      }
      const want = canonicalJson(encodeDirective(expected.directive, expected.format));
      const got = canonicalJson(directiveCore(payload));
      if (want !== got) mismatch(`seq ${event.seq}: directive ${got} recorded, ${want} derived`);
      if (payload.state_hash !== expected.hash) {
        mismatch(
          `seq ${event.seq}: state hash ${String(payload.state_hash)} recorded, ${expected.hash} derived`,
        );
      }
    }
  }
  if (pending.length > 0)
    mismatch(`${pending.length} derived directive(s) missing from the end of the journal`);
  if (events !== run.lastSeq)
    mismatch(`the run index says ${run.lastSeq} events, the journal has ${events}`);
  const hash = state === null ? null : stateHash(state);
  if (!broken && hash !== run.stateHash)
    mismatch(`final state hash ${hash} derived, ${run.stateHash} recorded`);
  if (!broken && state !== null && state.status !== run.status) {
    mismatch(`final status ${state.status} derived, ${run.status} recorded`);
  }
  return {
    runId,
    matches: mismatches.length === 0,
    stateHash: hash,
    recordedStateHash: run.stateHash,
    events,
    engineEvents,
    directives: { derived, recorded },
    mismatches,
    state,
  };
}
