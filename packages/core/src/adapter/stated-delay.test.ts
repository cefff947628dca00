import { describe, expect, it } from 'vitest';
import { statedDelayMs } from './stated-delay.js';

describe('statedDelayMs', () => {
  it.each([
    ['Rate limit reached for requests. Please try again in 20s.', 20_000],
    ['Please try again in 2.5s.', 2500],
    ['try again in 1m30s', 90_000],
    ['Try again in 5 seconds', 5000],
    ['retry after 30 seconds', 30_000],
    ['retry in 250ms', 250],
    ['try again in 1 minute', 60_000],
    ['try again in 2 mins', 120_000],
    ['try again in 1 hour', 3_600_000],
    ['try again in 1h', 3_600_000],
    ['try again in 300 milliseconds', 300],
    ['try again in 1.0001s', 1001],
  ])('%s → %d ms', (message, expected) => {
    expect(statedDelayMs(message)).toBe(expected);
  });

  it('states nothing for a message without a delay, or with a zero one', () => {
    expect(statedDelayMs('Please try again later.')).toBeNull();
    expect(statedDelayMs('exceeded retry limit, last status: 429')).toBeNull();
    expect(statedDelayMs('try again in 0s')).toBeNull();
    // A number followed by a word that only starts like a unit is not a delay.
    expect(statedDelayMs('try again in 5 somethings')).toBeNull();
  });
});
