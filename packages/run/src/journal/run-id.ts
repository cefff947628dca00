import { randomBytes } from 'node:crypto';

/** `20261121-213501-9f3c2b`: sorts by start time, readable, and unique enough per second. */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${date}-${time}-${randomBytes(3).toString('hex')}`;
}
