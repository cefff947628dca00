/**
 * The delay a provider states in words, as harnesses pass its message on: "Please try again
 * in 20s", "try again in 1m30s", "Try again in 5 seconds", "retry after 30 seconds",
 * "try again in 2.5s". A helper for decoders (`StageFailure.retryAfterMs`): several harnesses
 * print only the provider's message, never the `retry-after` header behind it.
 */
const STATED =
  /(?:try again in|retry after|retry in)\s*((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|h|m|s)(?![a-z])\s*)+)/i;
const PART =
  /(\d+(?:\.\d+)?)\s*(ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|h|m|s)(?![a-z])/gi;

/** Milliseconds per unit, by the unit's first letters. */
function unitMs(unit: string): number {
  const word = unit.toLowerCase();
  if (word === 'ms' || word.startsWith('milli')) return 1;
  if (word === 's' || word.startsWith('sec')) return 1000;
  if (word === 'm' || word.startsWith('min')) return 60_000;
  return 3_600_000;
}

/** The stated delay in milliseconds, or `null` when the message states none. */
export function statedDelayMs(message: string): number | null {
  const match = STATED.exec(message);
  if (!match) return null;
  let total = 0;
  for (const part of match[1]!.matchAll(PART)) total += Number(part[1]) * unitMs(part[2]!);
  return total > 0 ? Math.ceil(total) : null;
}
