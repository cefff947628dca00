import { hashValue } from '../canonical-json.js';
import type { RunState } from './types.js';

/** sha256 of the state's canonical JSON: equal states hash equally, whatever built them. */
export function stateHash(state: RunState): string {
  return hashValue(state);
}
