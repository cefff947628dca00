import type { Stage } from './stage.js';
import { STAGES } from './stage.js';

/** A step of a mission: run a stage, or stop and ask a human. */
export type MissionStep =
  | { readonly kind: 'stage'; readonly stage: Stage }
  | { readonly kind: 'human'; readonly question: string };

/** A named, bounded sequence of steps that `baton run` executes (PRODUCT.md §7). */
export interface Mission {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly MissionStep[];
  /** How many times a failing evaluate verdict may send the run back to execute (0: never). */
  readonly maxLoops: number;
}

/** The built-in mission: every stage once, in order. */
export const DELIVER_MISSION: Mission = {
  name: 'deliver',
  description: 'Interview, execute, evaluate and reflect, each once.',
  steps: STAGES.map((stage) => ({ kind: 'stage', stage })),
  maxLoops: 0,
};

export const BUILT_IN_MISSIONS: Readonly<Record<string, Mission>> = { deliver: DELIVER_MISSION };
