/** Numbers as a person reads them in progress lines and reports. */

/** `0.4s`, `12s`, `2m30s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(ms, 0) / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Whole seconds, for a clock that ticks: `0s`, `45s`, `2m30s`. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(Math.max(ms, 0) / 1000);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `812 tokens`, `1.2k tokens`, `12k tokens`, `1.3M tokens`. */
export function formatTokens(tokens: number): string {
  if (tokens < 1000) return `${tokens} tokens`;
  if (tokens < 10_000) return `${(tokens / 1000).toFixed(1)}k tokens`;
  if (tokens < 1_000_000) return `${Math.round(tokens / 1000)}k tokens`;
  return `${(tokens / 1_000_000).toFixed(1)}M tokens`;
}

/** `1,234` */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** `1 tool call`, `14 tool calls`. */
export function plural(count: number, word: string): string {
  return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

/** `$0.0123` below a dollar (to a hundredth of a cent), `$2.53` above. */
export function formatUsd(usd: number): string {
  return `$${usd >= 1 ? usd.toFixed(2) : usd.toFixed(4)}`;
}

/** The usage figures a line shows: tokens, and cost with what is known of it. */
export interface UsageFigures {
  readonly totalTokens: number | null;
  readonly costUsd: number | null;
  /** Every part's cost is known. */
  readonly costComplete: boolean;
}

/**
 * `1,234 tokens · $0.0123`, `1,234 tokens · cost unknown`, `tokens unknown`; a total whose
 * parts are not all priced: `$0.0123 + cost unknown`.
 */
export function formatUsage(usage: UsageFigures): string {
  const tokens =
    usage.totalTokens === null ? 'tokens unknown' : `${formatCount(usage.totalTokens)} tokens`;
  const cost =
    usage.costUsd === null
      ? 'cost unknown'
      : usage.costComplete
        ? formatUsd(usage.costUsd)
        : `${formatUsd(usage.costUsd)} + cost unknown`;
  return `${tokens} · ${cost}`;
}
