import type { TurnUsage } from './script.js';

/** Token counts of one reply, as every API reports them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
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
  };
}
