import { describe, expect, it } from 'vitest';
import { resetDelayMs } from './reset-time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('resetDelayMs', () => {
  const now = Date.UTC(2026, 11, 3, 11, 25, 30);

  it('reads a same-day reset to the end of its minute, in the given zone', () => {
    expect(resetDelayMs('… or try again at 12:55 PM.', { now, timeZone: 'UTC' })).toBe(
      HOUR + 30 * MINUTE + 30_000,
    );
    // 11:25:30 UTC is 16:55:30 in Kolkata (UTC+5:30): 5:10 PM is 15.5 minutes later.
    expect(resetDelayMs('Try again at 5:10 PM.', { now, timeZone: 'Asia/Kolkata' })).toBe(
      15 * MINUTE - 30_000 + MINUTE,
    );
    // POSIX TZ values may start with a colon.
    expect(resetDelayMs('Try again at 12:00 PM.', { now, timeZone: ':UTC' })).toBe(
      35 * MINUTE + 30_000,
    );
  });

  it('reads 12 AM as midnight and 12 PM as noon', () => {
    const early = Date.UTC(2026, 11, 3, 0, 0, 0);
    expect(resetDelayMs('Try again at 12:30 AM.', { now: early, timeZone: 'UTC' })).toBe(
      31 * MINUTE,
    );
    expect(resetDelayMs('Try again at 12:30 PM.', { now: early, timeZone: 'UTC' })).toBe(
      12 * HOUR + 31 * MINUTE,
    );
  });

  it('reads a dated reset, across a daylight-saving change', () => {
    expect(resetDelayMs('or try again at Dec 6th, 2026 11:25 AM.', { now, timeZone: 'UTC' })).toBe(
      3 * 24 * HOUR - 30_000 + MINUTE,
    );
    // New York moves from UTC-5 to UTC-4 on 2026-03-08; 9:00 AM on the 9th is 13:00 UTC.
    const beforeChange = Date.UTC(2026, 2, 7, 12, 0, 0);
    expect(
      resetDelayMs('try again at Mar 9th, 2026 9:00 AM.', {
        now: beforeChange,
        timeZone: 'America/New_York',
      }),
    ).toBe(Date.UTC(2026, 2, 9, 13, 1, 0) - beforeChange);
    expect(resetDelayMs('try again at Jan 1st, 2027 12:05 AM.', { now, timeZone: 'UTC' })).toBe(
      Date.UTC(2027, 0, 1, 0, 6, 0) - now,
    );
  });

  it('is 0 for a reset already past, and null when nothing can be read', () => {
    expect(resetDelayMs('Try again at 9:00 AM.', { now, timeZone: 'UTC' })).toBe(0);
    expect(resetDelayMs('Try again later.', { now, timeZone: 'UTC' })).toBeNull();
    expect(resetDelayMs('Try again at 13:00 PM.', { now, timeZone: 'UTC' })).toBeNull();
    expect(
      resetDelayMs('Try again at Foo 3rd, 2026 1:00 PM.', { now, timeZone: 'UTC' }),
    ).toBeNull();
    // A POSIX rule string Intl does not know: the instant is unknown, not guessed.
    expect(resetDelayMs('Try again at 1:00 PM.', { now, timeZone: 'XYZ-3ABC' })).toBeNull();
  });

  it('uses this machine’s zone when none is given', () => {
    const delay = resetDelayMs('Try again at Dec 6th, 2026 11:25 AM.', { now });
    expect(delay).not.toBeNull();
    // Whatever the local zone, the instant is within a day of the UTC reading.
    expect(Math.abs(delay! - (3 * 24 * HOUR + 30_000))).toBeLessThanOrEqual(15 * HOUR);
  });
});
