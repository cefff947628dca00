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
