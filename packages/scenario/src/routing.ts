/**
 * The user's configuration, as a scenario runs it: the same routing, missions, contracts and
 * runtime settings, with every runtime sent to the scenario's scripted server (`base_url`),
 * with a key of its own, and the run working in the scenario's workspace.
 */
import type { BatonConfig } from '@baton/core';

/** The model a runtime asks for when the config names none (a gateway route needs one). */
export const SCENARIO_MODEL = 'baton-test-model';

/**
 * Each runtime's own base-URL convention for an OpenAI- or Anthropic-compatible gateway:
 * Claude Code and the LiteLLM client take the server's root, the rest the `/v1` URL.
 */
const ROOT_URL_RUNTIMES = new Set(['claude-code', 'litellm']);

export interface ServerRouting {
  readonly url: string;
  readonly workspace: string;
  /** The variable holding each runtime's key. */
  readonly keyVariables: ReadonlyMap<string, string>;
}

export function pointAtServer(config: BatonConfig, routing: ServerRouting): BatonConfig {
  const runtimes = { ...config.runtimes };
  for (const [runtime, variable] of routing.keyVariables) {
    const settings = config.runtimes[runtime] ?? {};
    runtimes[runtime] = {
      ...settings,
      baseUrl: ROOT_URL_RUNTIMES.has(runtime) ? routing.url : `${routing.url}/v1`,
      apiKeyEnv: variable,
      model: settings.model ?? SCENARIO_MODEL,
    };
  }
  return { ...config, runtimes, projectRoot: routing.workspace };
}
