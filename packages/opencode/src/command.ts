import { join } from 'node:path';
import {
  type AccessLevel,
  BatonError,
  type CommandSpec,
  type Environment,
  type RuntimeSettings,
  type Stage,
  type StageRequest,
} from '@baton/core';
import { nativeProfileName } from './profile.js';

/** Name of the file in the scratch directory that carries the role contract. */
export const CONTRACT_FILE_NAME = 'opencode-contract.md';

/** The provider Baton declares for `base_url`; models are selected as `baton/<model>`. */
export const GATEWAY_PROVIDER_ID = 'baton';

/**
 * How long OpenCode waits for a gateway's response headers (its own default is 300 s).
 * A gateway that accepts the connection and then says nothing would otherwise hold each
 * of OpenCode's attempts for five minutes.
 */
export const GATEWAY_HEADER_TIMEOUT_MS = 60_000;

/**
 * The agent Baton generates when no backend profile is configured. Its name is outside the
 * `baton-<profile>` namespace, so a profile-less run can never pick up a user's profile
 * agent, and it is selected through `default_agent` rather than `--agent`.
 */
export function contractAgentName(stage: Stage): string {
  return `baton_${stage}`;
}

/** A permission as opencode.json writes it: one action for every pattern. */
export type PermissionSetting = 'allow' | 'deny';

/**
 * OpenCode permissions per access level, laid over the agent's own. OpenCode has no OS
 * sandbox: its permission rules decide which tools the model is offered and which calls
 * run. Rules are evaluated last match wins, and a non-interactive run rejects every `ask`.
 * Baton narrows the user's rules for `read-only`, leaves them alone for `workspace-write`,
 * and widens them only for `full`:
 *
 * - `read-only`: `edit` (edit, write, apply_patch) and `bash` denied outright, replacing any
 *   rules of the profile or the user's config, so those tools are not offered at all;
 *   `task` denied too, so no subagent with write access can be started.
 * - `workspace-write`: OpenCode's own rules, which allow `edit` and `bash` and ask (so, in a
 *   run, refuse) for paths outside the project (`external_directory`). A user's own
 *   `deny` rules (`"git push *": "deny"`) stay in force; so do `ask` rules, which a run
 *   refuses — the stage then fails with a `permission` error naming the tool.
 * - `full`: everything allowed, other directories included, plus `--auto` for any rule
 *   that would still ask.
 */
export const ACCESS_PERMISSIONS: Readonly<
  Record<AccessLevel, Readonly<Record<string, PermissionSetting>>>
> = {
  'read-only': { edit: 'deny', bash: 'deny', task: 'deny' },
  'workspace-write': {},
  full: {
    edit: 'allow',
    bash: 'allow',
    task: 'allow',
    webfetch: 'allow',
    external_directory: 'allow',
  },
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reasoning efforts, as OpenCode 1.18 names its model variants (`--variant`): OpenAI's
 * `none` … `xhigh`, and `max` for Anthropic and DeepSeek models. A built-in model offers
 * only some of them (its variants in OpenCode's catalogue), and OpenCode silently ignores
 * a variant the model lacks; for the `base_url` gateway Baton declares the chosen variant
 * itself, sending it as the request's `reasoning_effort`.
 */
export const OPENCODE_EFFORTS: readonly string[] = Object.freeze([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
]);

/**
 * The command for one stage:
 * `opencode run --format json --dir <cwd> --title "baton <stage>" [--agent baton-<profile>]
 *  [--model <provider/model>] [--variant <effort>] [--auto] [--session <id>]`, with the
 * prompt on stdin.
 * The role contract, access permissions and `base_url` provider travel as an OpenCode
 * config layer in `OPENCODE_CONFIG_CONTENT`, the highest-precedence layer short of managed
 * config (it overrides the global and the project's opencode.json and agent files), which
 * OpenCode deep-merges over the user's own config. Pure.
 */
export function buildOpenCodeCommand(
  request: StageRequest,
  defaults: RuntimeSettings = {},
): CommandSpec {
  const settings: RuntimeSettings = { ...defaults, ...request.settings };
  const model = resolveModel(request, settings);
  // `--dir` because OpenCode takes its directory from $PWD before the process's cwd, and
  // an inherited PWD names the directory Baton was started in, not the workspace.
  const args = [
    'run',
    '--format',
    'json',
    '--dir',
    request.cwd,
    '--title',
    `baton ${request.stage}`,
  ];
  if (request.profile !== null) args.push('--agent', nativeProfileName(request.profile));
  if (model !== null) args.push('--model', model);
  const effort = resolveEffort(request.effort);
  if (effort !== null) args.push('--variant', effort);
  if (request.access === 'full') args.push('--auto');
  if (request.resumeSessionId !== undefined && request.resumeSessionId !== '') {
    args.push('--session', request.resumeSessionId);
  }
  const inputFiles: Record<string, string> = {};
  let contractPath: string | null = null;
  if (request.contract !== '') {
    contractPath = join(request.scratchDir, CONTRACT_FILE_NAME);
    inputFiles[contractPath] = request.contract;
  }
  const layer = configLayer(request, settings, model, contractPath, effort);
  const config = mergeConfig(inheritedConfig(request.env), layer);
  return {
    file: settings.binary ?? 'opencode',
    args,
    env: {
      OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
      // A binary replaced under a running mission would go unnoticed.
      OPENCODE_DISABLE_AUTOUPDATE: '1',
    },
    cwd: request.cwd,
    stdin: request.prompt,
    inputFiles,
  };
}

/**
 * The `--model` value: `baton/<model>` with `base_url`, else the configured `provider/model`
 * as is, or `null` to leave the choice to the agent and the user's config.
 */
export function resolveModel(request: StageRequest, settings: RuntimeSettings): string | null {
  const model = nonEmpty(request.model) ?? nonEmpty(settings.model);
  if (nonEmpty(settings.baseUrl) !== undefined) {
    if (model === undefined) {
      throw new BatonError(
        'CONFIG_INVALID',
        '[runtimes.opencode] base_url needs a model: OpenCode only sends requests to models a ' +
          'provider declares. Set model = "<model id the gateway serves>".',
        { details: { key: 'model', value: null } },
      );
    }
    return `${GATEWAY_PROVIDER_ID}/${model}`;
  }
  if (model === undefined) return null;
  if (!/^[^/]+\/.+$/.test(model)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `[runtimes.opencode] model "${model}" is not in OpenCode's provider/model form ` +
        '(e.g. "anthropic/claude-sonnet-4-5"); with base_url, give the gateway\'s model id.',
      { details: { key: 'model', value: model } },
    );
  }
  return model;
}

/** The `--variant` value for `request.effort`, one of `OPENCODE_EFFORTS`; `null` when unset. */
export function resolveEffort(effort: string | undefined): string | null {
  if (effort === undefined) return null;
  if (!OPENCODE_EFFORTS.includes(effort)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `OpenCode has no reasoning effort "${effort}"; use one of ${OPENCODE_EFFORTS.join(', ')}.`,
      { details: { runtime: 'opencode', effort, efforts: [...OPENCODE_EFFORTS] } },
    );
  }
  return effort;
}

/**
 * The agent's `steps` for `request.budget.maxTurns`: after that many model steps OpenCode
 * tells the model that tools are disabled and it must sum up in text (it still offers the
 * tools; a model that calls one anyway gets the same message at the next step).
 */
function stepLimit(request: StageRequest): number | null {
  const maxTurns = request.budget?.maxTurns;
  if (maxTurns === undefined) return null;
  if (!Number.isInteger(maxTurns) || maxTurns < 1) {
    throw new BatonError(
      'CONFIG_INVALID',
      `A stage's turn budget must be a whole number of turns, 1 or more; got ${maxTurns}.`,
      { details: { key: 'max_turns', value: String(maxTurns) } },
    );
  }
  return maxTurns;
}

/** The OpenCode config layer Baton adds for one stage. */
export function configLayer(
  request: StageRequest,
  settings: RuntimeSettings,
  model: string | null,
  contractPath: string | null,
  effort: string | null = null,
): Record<string, unknown> {
  const permission = ACCESS_PERMISSIONS[request.access];
  const agentName =
    request.profile !== null
      ? nativeProfileName(request.profile)
      : contractAgentName(request.stage);
  const agent: Record<string, unknown> = { mode: 'primary' };
  if (contractPath !== null) agent.prompt = `{file:${fileReference(contractPath)}}`;
  const steps = stepLimit(request);
  if (steps !== null) agent.steps = steps;
  const layer: Record<string, unknown> = {};
  if (Object.keys(permission).length > 0) {
    agent.permission = permission;
    // At the top level as well, so subagents the run starts get the same limits.
    layer.permission = permission;
  }
  layer.agent = { [agentName]: agent };
  if (request.profile === null) layer.default_agent = agentName;
  const baseUrl = nonEmpty(settings.baseUrl);
  const keyReference = apiKeyReference(settings);
  if (baseUrl !== undefined && model !== null) {
    const modelId = model.slice(GATEWAY_PROVIDER_ID.length + 1);
    const options: Record<string, unknown> = { baseURL: trimSlashes(baseUrl) };
    if (keyReference !== null) options.apiKey = keyReference;
    options.headerTimeout = GATEWAY_HEADER_TIMEOUT_MS;
    layer.provider = {
      [GATEWAY_PROVIDER_ID]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Baton gateway',
        options,
        models: {
          [modelId]: {
            name: modelId,
            // OpenCode offers no variants for a model it knows nothing about; declared,
            // the variant's `reasoningEffort` reaches the gateway as `reasoning_effort`.
            ...(effort === null ? {} : { variants: { [effort]: { reasoningEffort: effort } } }),
          },
        },
      },
    };
    // Summaries and other small requests go to the gateway too, never to another provider.
    layer.small_model = model;
  } else if (keyReference !== null && model !== null) {
    const provider = model.slice(0, model.indexOf('/'));
    layer.provider = { [provider]: { options: { apiKey: keyReference } } };
  }
  return layer;
}

/**
 * `{env:NAME}`: OpenCode substitutes the variable when it loads the config, so the key
 * reaches neither argv nor a file.
 */
function apiKeyReference(settings: RuntimeSettings): string | null {
  const name = nonEmpty(settings.apiKeyEnv);
  if (name === undefined) return null;
  if (!ENV_NAME.test(name)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `[runtimes.opencode] api_key_env "${name}" is not an environment variable name ` +
        '(letters, digits and "_", not starting with a digit).',
      { details: { key: 'api_key_env', value: name } },
    );
  }
  return `{env:${name}}`;
}

/**
 * A path OpenCode's `{file:…}` reference can carry: it reads up to the first `}` of the
 * raw JSON text, so the path must need no JSON escaping and hold no brace.
 */
function fileReference(path: string): string {
  if (/[{}"\\\u0000-\u001f]/.test(path)) {
    throw new BatonError(
      'INTERNAL',
      `The scratch directory ${JSON.stringify(path)} holds a character OpenCode cannot read ` +
        'in a {file:} reference; use a state directory without braces, quotes or backslashes.',
    );
  }
  return path;
}

/** A user's own `OPENCODE_CONFIG_CONTENT` stays in force under Baton's layer. */
function inheritedConfig(env: Environment): Record<string, unknown> {
  const text = env.OPENCODE_CONFIG_CONTENT;
  if (text === undefined || text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : {};
  } catch {
    // OpenCode itself refuses such a value; Baton's layer replaces it.
    return {};
  }
}

/** OpenCode's merge: objects merge key by key, anything else is replaced. */
export function mergeConfig(
  base: Readonly<Record<string, unknown>>,
  layer: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const current = result[key];
    result[key] =
      isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function trimSlashes(url: string): string {
  let result = url.trim();
  while (result.endsWith('/')) result = result.slice(0, -1);
  return result;
}
