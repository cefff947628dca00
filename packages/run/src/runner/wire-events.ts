/** Runtime events and usage in their journal form (snake_case, bounded). */
import { ERROR_KINDS, type ErrorKind, type RuntimeEvent, type Usage } from '@baton/core';
import type { AttemptUsage } from '../engine/types.js';
import { MAX_MESSAGE_CHARS } from './messages.js';

/**
 * Longest text kept per journaled runtime event (a tool's output, an error); messages are kept
 * whole up to `MAX_MESSAGE_CHARS`, as long as a stage's final text.
 */
export const MAX_EVENT_TEXT = 4096;

/**
 * Usage as reported, in its journal form; with `priced` (the attempt's usage with its cost,
 * `cost.ts`), the cost is the attempt's and `cost_source` says where it came from.
 */
export function usageToWire(usage: Usage, priced?: AttemptUsage | null): Record<string, unknown> {
  return {
    known: usage.known,
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    total_tokens: usage.totalTokens,
    cost_usd: priced === undefined ? usage.costUsd : (priced?.costUsd ?? null),
    ...(priced === undefined ? {} : { cost_source: priced?.costSource ?? null }),
  };
}

/** Total tokens of a usage report, or `null` when unknown. */
export function totalTokens(usage: Usage): number | null {
  if (!usage.known) return null;
  if (usage.totalTokens !== null) return usage.totalTokens;
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

export function runtimeEventToWire(event: RuntimeEvent): Record<string, unknown> {
  switch (event.type) {
    case 'text':
      return { type: 'text', text: clip(event.text, MAX_MESSAGE_CHARS) };
    case 'result':
      return { type: 'result', text: clip(event.text, MAX_MESSAGE_CHARS) };
    case 'tool-use':
      return {
        type: 'tool_use',
        name: event.name,
        id: event.id,
        status: event.status,
        input: boundedJson(event.input),
        output: event.output === null ? null : clip(event.output),
      };
    case 'usage':
      return { type: 'usage', usage: usageToWire(event.usage) };
    case 'session':
      return { type: 'session', session_id: event.sessionId };
    case 'error':
      return {
        type: 'error',
        message: clip(event.message),
        kind: event.kind,
        status: event.status,
        fatal: event.fatal,
      };
    case 'warning':
      return { type: 'warning', message: clip(event.message) };
  }
}

/**
 * A journaled runtime event back in the form adapters report it (for a view fed from the
 * journal); `null` for anything that is not one. Text was clipped when journaled, tool inputs
 * bounded: the view gets what the journal kept.
 */
export function runtimeEventFromWire(wire: unknown): RuntimeEvent | null {
  if (typeof wire !== 'object' || wire === null) return null;
  const event = wire as Record<string, unknown>;
  const text = (key: string) => (typeof event[key] === 'string' ? (event[key] as string) : '');
  switch (event.type) {
    case 'text':
      return { type: 'text', text: text('text') };
    case 'result':
      return { type: 'result', text: text('text') };
    case 'tool_use':
      return {
        type: 'tool-use',
        name: text('name'),
        id: typeof event.id === 'string' ? event.id : null,
        status:
          event.status === 'started' || event.status === 'failed' ? event.status : 'completed',
        input: event.input ?? null,
        output: typeof event.output === 'string' ? event.output : null,
      };
    case 'usage':
      return { type: 'usage', usage: usageFromWire(event.usage) };
    case 'session':
      return { type: 'session', sessionId: text('session_id') };
    case 'error':
      return {
        type: 'error',
        message: text('message'),
        kind: (ERROR_KINDS as readonly unknown[]).includes(event.kind)
          ? (event.kind as ErrorKind)
          : 'unknown',
        status: typeof event.status === 'number' ? event.status : null,
        fatal: event.fatal === true,
      };
    case 'warning':
      return { type: 'warning', message: text('message') };
    default:
      return null;
  }
}

function usageFromWire(wire: unknown): Usage {
  const usage = (typeof wire === 'object' && wire !== null ? wire : {}) as Record<string, unknown>;
  const count = (key: string) => (typeof usage[key] === 'number' ? (usage[key] as number) : null);
  return {
    known: usage.known === true,
    inputTokens: count('input_tokens'),
    cachedInputTokens: count('cached_input_tokens'),
    outputTokens: count('output_tokens'),
    reasoningTokens: count('reasoning_tokens'),
    totalTokens: count('total_tokens'),
    costUsd: count('cost_usd'),
  };
}

export function clip(text: string, max = MAX_EVENT_TEXT): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}[... ${text.length - max} more characters]`;
}

function boundedJson(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
  if (text === undefined) return null;
  return text.length <= MAX_EVENT_TEXT ? value : { truncated: true, preview: clip(text) };
}
