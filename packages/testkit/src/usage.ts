import type { TurnUsage } from './script.js';

/** Token counts of one reply, as every API reports them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, served from the prompt cache. */
  cachedInputTokens: number;
  /** Of `outputTokens`, spent on reasoning. */
  reasoningTokens: number;
}

/** A deterministic stand-in for a tokenizer: about four characters a token, at least one. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function resolveUsage(
  scripted: TurnUsage | undefined,
  requestText: string,
  replyText: string,
): TokenUsage {
  return {
    inputTokens: scripted?.inputTokens ?? estimateTokens(requestText),
    outputTokens: scripted?.outputTokens ?? estimateTokens(replyText),
    cachedInputTokens: scripted?.cachedInputTokens ?? 0,
    reasoningTokens: scripted?.reasoningTokens ?? 0,
  };
}
