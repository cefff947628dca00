import { fileURLToPath } from 'node:url';
import { BatonError, type CommandSpec, type StageRequest } from '@baton/core';
import { nativeModelAlias } from './profile.js';

/**
 * The HTTP client this package ships (`client.js` next to this module once built). Run from
 * the TypeScript sources (tests), the sibling is `client.ts`, which Node runs directly by
 * stripping its types.
 */
export const CLIENT_PATH = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './client.ts' : './client.js', import.meta.url),
);

/**
 * The proxy root: trailing slashes and a trailing `/v1` removed, so `http://host:4000`,
 * `http://host:4000/` and `http://host:4000/v1` all name the same proxy.
 */
export function proxyRoot(baseUrl: string): string {
  return baseUrl.trim().replace(/\/+$/, '').replace(/\/v1$/, '').replace(/\/+$/, '');
}

export function chatCompletionsUrl(baseUrl: string): string {
  return `${proxyRoot(baseUrl)}/v1/chat/completions`;
}

/**
 * The one model selector: with a backend profile, its alias (`baton-worker`); otherwise the
 * stage's or runtime's model. `undefined` when neither is configured (doctor fails on that).
 */
export function selectedModel(request: StageRequest): string | undefined {
  if (request.profile !== null) return nativeModelAlias(request.profile);
  const model = request.model ?? request.settings.model;
  return model === undefined || model === '' ? undefined : model;
}

/**
 * The values of the Chat Completions `reasoning_effort` the proxy takes (LiteLLM's
 * `completion(reasoning_effort=…)`: `none`, `minimal`, `low`, `medium`, `high`, `xhigh`) and
 * passes on to the model's provider, translated where the provider has its own setting.
 * Which levels a model accepts is the provider's business: one it refuses is a 400.
 */
export const LITELLM_EFFORTS: readonly string[] = Object.freeze([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
]);

/** `reasoning_effort` for one of `LITELLM_EFFORTS`. */
export function reasoningEffort(effort: string): string {
  if (!LITELLM_EFFORTS.includes(effort)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `LiteLLM has no reasoning effort "${effort}"; use one of ${LITELLM_EFFORTS.join(', ')}.`,
      { details: { runtime: 'litellm', effort, efforts: [...LITELLM_EFFORTS] } },
    );
  }
  return effort;
}

export interface ChatBodyOptions {
  /** `max_tokens`, for the doctor probe. */
  readonly maxTokens?: number;
}

/**
 * The Chat Completions request: the contract as the system message, the prompt as the user
 * message, the stage's effort as `reasoning_effort`.
 */
export function chatRequestBody(
  request: StageRequest,
  options: ChatBodyOptions = {},
): Record<string, unknown> {
  const messages: Array<{ role: string; content: string }> = [];
  // An empty contract sends no system message rather than an empty one.
  if (request.contract !== '') messages.push({ role: 'system', content: request.contract });
  messages.push({ role: 'user', content: request.prompt });
  const model = selectedModel(request);
  return {
    ...(model === undefined ? {} : { model }),
    messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(request.effort === undefined ? {} : { reasoning_effort: reasoningEffort(request.effort) }),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
  };
}

/**
 * Runs the package's HTTP client with this Node: it reads the request on stdin, POSTs it
 * to the proxy with the key from the variable named by `api_key_env`, and prints the SSE
 * payloads as JSON lines. A process like every other runtime's, so timeouts, process-group
 * kills and streaming work the same.
 */
export function buildLitellmCommand(
  request: StageRequest,
  options: ChatBodyOptions = {},
): CommandSpec {
  const { baseUrl, apiKeyEnv } = request.settings;
  const args = [CLIENT_PATH];
  if (baseUrl !== undefined && baseUrl !== '') args.push('--url', chatCompletionsUrl(baseUrl));
  if (apiKeyEnv !== undefined && apiKeyEnv !== '') args.push('--api-key-env', apiKeyEnv);
  return {
    file: process.execPath,
    args,
    env: {},
    cwd: request.cwd,
    stdin: JSON.stringify(chatRequestBody(request, options)),
  };
}
