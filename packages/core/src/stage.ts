import { BatonError } from './errors.js';
import { closestMatch } from './suggest.js';

/**
 * The closed set of workflow stages, in mission order. Adding a stage is a deliberate,
 * documented change to this list, never a config option.
 */
export const STAGES = ['interview', 'execute', 'evaluate', 'reflect'] as const;

export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/** Parses a stage name, failing with the accepted values and the closest one. */
export function parseStage(value: string): Stage {
  const normalised = value.trim().toLowerCase();
  if (isStage(normalised)) return normalised;
  const suggestion = closestMatch(normalised, STAGES);
  throw new BatonError(
    'UNKNOWN_STAGE',
    `Unknown stage "${value}". Accepted stages: ${STAGES.join(', ')}.` +
      (suggestion ? ` Did you mean "${suggestion}"?` : ''),
    { details: { value, accepted: [...STAGES], suggestion } },
  );
}
