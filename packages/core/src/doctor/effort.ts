/**
 * The reasoning efforts the routing asks of a runtime, checked against the ones its adapter
 * accepts (`capabilities.efforts`). Baton never passes an adapter an effort it did not
 * declare, so one it does not accept is a failing finding, found before any stage runs.
 */
import type { CheckResult, DoctorCheck, RuntimeAdapter } from '../adapter/v2/spec.js';
import type { RuntimeUse } from '../resolve.js';

export const EFFORT_CHECK_ID = 'effort';

/** The check for the efforts `uses` ask of `adapter`'s runtime; `undefined` when they ask none. */
export function effortCheck(
  adapter: RuntimeAdapter,
  uses: readonly RuntimeUse[],
): DoctorCheck | undefined {
  const asked = uses.filter((use) => use.target.effort !== null);
  if (asked.length === 0) return undefined;
  const result = effortResult(adapter, asked);
  return { id: EFFORT_CHECK_ID, run: async () => result };
}

function effortResult(adapter: RuntimeAdapter, asked: readonly RuntimeUse[]): CheckResult {
  const accepted = adapter.capabilities.efforts;
  const name = adapter.identity.displayName;
  const refused = asked.filter((use) => !accepted.includes(use.target.effort!));
  if (refused.length === 0) {
    return {
      status: 'pass',
      summary: `effort ${asked.map((use) => `${use.target.effort} at ${describeUse(use)}`).join(', ')} accepted`,
    };
  }
  const listed = refused.map((use) => `"${use.target.effort}" at ${describeUse(use)}`).join(', ');
  const keys = [...new Set(refused.map(keyPath))].join(', ');
  if (accepted.length === 0) {
    return {
      status: 'fail',
      summary: `${name} takes no reasoning effort, but the routing sets effort ${listed}`,
      remediation: `Remove effort from ${keys}.`,
    };
  }
  return {
    status: 'fail',
    summary: `${name} does not accept effort ${listed}; accepted: ${accepted.join(', ')}`,
    remediation: `Set effort to one of ${accepted.join(', ')} in ${keys}, or remove it.`,
  };
}

/** `execute`, or `execute (fallback 2)` for the third runtime of its chain. */
export function describeUse(use: Pick<RuntimeUse, 'stage' | 'position'>): string {
  return use.position === 0 ? use.stage : `${use.stage} (fallback ${use.position})`;
}

function keyPath(use: RuntimeUse): string {
  return use.source === 'stage'
    ? `orchestrator.runtime_profile.stages.${use.stage}`
    : 'orchestrator.runtime_profile.default';
}
