/**
 * The environment a runtime starts with, and the recursion guard: every runtime Baton
 * starts carries `BATON_DEPTH` one higher than Baton's own, and Baton refuses to run at
 * `MAX_DEPTH`, so a runtime that calls Baton that calls a runtime … stops instead of recursing.
 */
import { BatonError, type Environment } from '@baton/core';

export const DEPTH_VARIABLE = 'BATON_DEPTH';
/** A top-level run is depth 0; its runtimes may start one nested Baton (depth 1), whose runtimes may not. */
export const MAX_DEPTH = 2;

export function currentDepth(env: Environment): number {
  const raw = env[DEPTH_VARIABLE];
  if (raw === undefined || raw.trim() === '') return 0;
  const depth = Number(raw);
  // A value Baton did not write is treated as the limit: refusing is safer than recursing.
  return Number.isSafeInteger(depth) && depth >= 0 ? depth : MAX_DEPTH;
}

/** Returns the current depth, or throws `RECURSION_LIMIT` at the limit. */
export function assertDepth(env: Environment): number {
  const depth = currentDepth(env);
  if (depth >= MAX_DEPTH) {
    throw new BatonError(
      'RECURSION_LIMIT',
      `Refusing to start a run: this Baton was started by a runtime of a Baton run ${depth} level${depth === 1 ? '' : 's'} up ` +
        `(${DEPTH_VARIABLE}=${env[DEPTH_VARIABLE]}), and nesting stops at depth ${MAX_DEPTH}. ` +
        `If this is not a nested call, unset ${DEPTH_VARIABLE}.`,
      { details: { depth, maxDepth: MAX_DEPTH } },
    );
  }
  return depth;
}

/** The runtime's environment: Baton's own, plus the adapter's variables, plus Baton's markers (which win). */
export function childEnvironment(
  env: Environment,
  depth: number,
  markers: { readonly runId: string; readonly stage: string },
  commandEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  Object.assign(result, commandEnv);
  result[DEPTH_VARIABLE] = String(depth + 1);
  result.BATON_RUN_ID = markers.runId;
  result.BATON_STAGE = markers.stage;
  return result;
}
