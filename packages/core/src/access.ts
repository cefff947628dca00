import type { Stage } from './stage.js';

/**
 * Abstract access levels; each adapter maps them onto its runtime's sandbox and
 * permission flags.
 */
export const ACCESS_LEVELS = ['read-only', 'workspace-write', 'full'] as const;

export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Execute changes the workspace; every other stage only reads it. */
export function defaultAccessLevel(stage: Stage): AccessLevel {
  return stage === 'execute' ? 'workspace-write' : 'read-only';
}
