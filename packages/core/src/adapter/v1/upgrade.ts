/**
 * Version-1 adapters keep working: the registry wraps one in the version-2 interface. It
 * declares no capabilities (so Baton never asks it to resume a session, take an effort or cap
 * a budget), and each failure its decoder reports gets the class its kind implies.
 */
import { failureClassOf } from '../failure-class.js';
import type * as V2 from '../v2/spec.js';
import { SPECIFICATION_VERSION } from '../v2/spec.js';
import type * as V1 from './spec.js';

export const V1_CAPABILITIES: V2.AdapterCapabilities = Object.freeze({
  resumeSession: false,
  efforts: Object.freeze([]) as readonly string[],
  costCap: false,
  turnCap: false,
  reportsCost: false,
});

export function upgradeV1Adapter(adapter: V1.RuntimeAdapter): V2.RuntimeAdapter {
  return {
    specificationVersion: SPECIFICATION_VERSION,
    identity: adapter.identity,
    profile: adapter.profile,
    capabilities: V1_CAPABILITIES,
    doctorChecks: () => adapter.doctorChecks(),
    buildCommand: (request) => adapter.buildCommand(withoutV2Fields(request)),
    createDecoder(request) {
      const decoder = adapter.createDecoder(withoutV2Fields(request));
      return {
        push: (line) => decoder.push(line),
        finish(exit) {
          const outcome = decoder.finish(exit);
          if (outcome.error === null) return { ...outcome, error: null };
          return {
            ...outcome,
            error: {
              ...outcome.error,
              failureClass: failureClassOf(outcome.error.kind, outcome.error.retryable),
              retryAfterMs: null,
            },
          };
        },
      };
    },
    nativeConfig: adapter.nativeConfig,
  };
}

/** A v1 adapter was written against the v1 request; it gets exactly that. */
function withoutV2Fields(request: V2.StageRequest): V1.StageRequest {
  const { effort: _effort, budget: _budget, ...v1 } = request;
  return v1;
}
