import { hashValue } from '../canonical-json.js';
import type { RunState } from './types.js';

/**
 * sha256 of the state's canonical JSON: equal states hash equally, whatever built them.
 * A run started before stage chains hashes its routing as that version held it (one runtime
 * per stage; see `RoutingSnapshot.legacy`), so the hashes its journal recorded still verify.
 */
export function stateHash(state: RunState): string {
  const { legacy, backendProfile } = state.routing;
  if (legacy === undefined) return hashValue(state);
  return hashValue({ ...state, routing: { ...legacy, backendProfile } });
}
