import type { Usage } from './v1/spec.js';

/** Usage when a runtime reported none: every count unknown, never a misleading zero. */
export const UNKNOWN_USAGE: Usage = Object.freeze({
  known: false,
  inputTokens: null,
  cachedInputTokens: null,
  outputTokens: null,
  reasoningTokens: null,
  totalTokens: null,
  costUsd: null,
});
