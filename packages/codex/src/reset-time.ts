/**
 * When a Codex usage limit resets, read back from its message. Codex prints the server's
 * `resets_at` in its own local time zone and to the minute: "… try again at 3:04 PM." on
 * the day of the reset, "… try again at Dec 6th, 2026 11:21 AM." otherwise.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const RESET_AT =
  /[Tt]ry again at (?:([A-Z][a-z]{2}) (\d{1,2})(?:st|nd|rd|th), (\d{4}) )?(\d{1,2}):(\d{2}) ([AP]M)\b/;

const MINUTE_MS = 60_000;

/** The clock a reset time is read against: now, and the time zone Codex printed it in. */
export interface ResetClock {
  readonly now: number;
  /** An IANA zone (`TZ` of the Codex process); absent: this machine's local zone. */
  readonly timeZone?: string;
}

/**
 * Milliseconds from `clock.now` until the reset a message names, up to the end of the
 * printed minute (Codex drops the seconds, so the limit may hold until then); 0 when that is
 * past. `null` when the message names no reset time or the time zone is unknown.
 */
export function resetDelayMs(message: string, clock: ResetClock): number | null {
  const match = RESET_AT.exec(message);
  if (!match) return null;
  const [, monthName, dayText, yearText, hourText, minuteText, meridiem] = match;
  const hour = Number(hourText);
  const minute = Number(minuteText);
  if (hour < 1 || hour > 12 || minute > 59) return null;
  const hour24 = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
  const formatter = zoneFormatter(clock.timeZone);
  if (formatter === null) return null;

  let date: { year: number; month: number; day: number };
  if (monthName === undefined) {
    // The same-day form: the date is today's, in the zone Codex printed it in.
    const today = wallClock(formatter, clock.now);
    date = { year: today.year, month: today.month, day: today.day };
  } else {
    const month = MONTHS.indexOf(monthName);
    if (month === -1) return null;
    date = { year: Number(yearText), month, day: Number(dayText) };
  }
  const wall = Date.UTC(date.year, date.month, date.day, hour24, minute);
  // The zone's offset at that wall-clock time; taken twice so a DST change between now and
  // the reset is measured at the reset.
  let instant = wall - offsetAt(formatter, wall);
  instant = wall - offsetAt(formatter, instant);
  return Math.max(0, instant + MINUTE_MS - clock.now);
}

function zoneFormatter(timeZone: string | undefined): Intl.DateTimeFormat | null {
  // POSIX allows a leading colon (`TZ=:Europe/Paris`).
  const zone = timeZone?.replace(/^:/, '');
  try {
    return new Intl.DateTimeFormat('en-US', {
      ...(zone === undefined || zone === '' ? {} : { timeZone: zone }),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    // A TZ value Intl does not know (a POSIX rule string): the reset instant is unknown.
    return null;
  }
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function wallClock(formatter: Intl.DateTimeFormat, instant: number): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: (parts.month ?? 1) - 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** How far the zone's wall clock is ahead of UTC at `instant`, in ms. */
function offsetAt(formatter: Intl.DateTimeFormat, instant: number): number {
  const wall = wallClock(formatter, instant);
  const asUtc = Date.UTC(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - (instant - (instant % 1000));
}
