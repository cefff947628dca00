import { hashValue } from '../canonical-json.js';
import type { InFlightStage, RunState } from './types.js';

/**
 * sha256 of the state's canonical JSON: equal states hash equally, whatever built them.
 *
 * A run keeps hashing its state as the version that started it held it, so the hashes its
 * journal recorded still verify: a run started before failure classes, usage and budgets
 * (journal formats 1 and 2) hashes without what they added (the format, the budget, the
 * spend, the retry settings beyond the first two, the in-flight attempt's chain position,
 * model, session and earlier failures); a run started before stage chains (format 1) hashes
 * its routing as that version journaled it (one runtime per stage; `RoutingSnapshot.legacy`).
 */
export function stateHash(state: RunState): string {
  if (state.format >= 3) return hashValue(state);
  const {
    format: _format,
    budget: _budget,
    maxTurns: _maxTurns,
    spent: _spent,
    retry,
    inFlight,
    routing,
    ...unchanged
  } = state;
  const { legacy, backendProfile, stages, unhealthy: _unhealthy } = routing;
  return hashValue({
    ...unchanged,
    retry: { maxRetries: retry.maxRetries, baseDelayMs: retry.baseDelayMs },
    inFlight: inFlight === null ? null : format2InFlight(inFlight),
    routing: legacy === undefined ? { stages, backendProfile } : { ...legacy, backendProfile },
  });
}

function format2InFlight(inFlight: InFlightStage) {
  const { step, stage, runtime, source, access, attempt, retries } = inFlight;
  return { step, stage, runtime, source, access, attempt, retries };
}
