const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(?:(\d+)(ms|s|m|h))+$/;
const PART = /(\d+)(ms|s|m|h)/g;

/** Parses `"30m"`, `"90s"`, `"1h30m"`, `"500ms"` to milliseconds; `undefined` when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total > 0 ? total : undefined;
}
