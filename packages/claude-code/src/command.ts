import { join } from 'node:path';
import {
  type AccessLevel,
  BatonError,
  type CommandSpec,
  type Environment,
  type RuntimeSettings,
  type StageBudget,
  type StageRequest,
} from '@baton/core';
import { profileSettingsPath } from './profile.js';

/**
 * Claude Code permission mode per access level. `default` is still accepted by 2.1.330
 * (whose `--help` lists `manual` in its place) and is the only spelling 2.1.197 knows; the
 * `system/init` event reports `permissionMode: "default"` for it.
 */
export const PERMISSION_MODES: Readonly<Record<AccessLevel, string>> = {
  'read-only': 'default',
  'workspace-write': 'acceptEdits',
  full: 'bypassPermissions',
};

/**
 * Tools removed from read-only runs. In `default` mode a `-p` run already refuses file
 * writes, but a user's own `permissions.allow` rules could approve them; removing the
 * tools holds whatever the settings say, and the model is not offered them at all.
 */
export const READ_ONLY_DISALLOWED_TOOLS = ['Edit', 'Write', 'NotebookEdit'] as const;

/** Name of the file in the scratch directory that carries the role contract. */
export const CONTRACT_FILE_NAME = 'claude-code-contract.md';

/**
 * Retries Claude Code makes on its own before it reports an API error. Its default (10,
 * with back-off: about two minutes on a dead provider) would hide a dead gateway; two
 * retries fail in a few seconds yet ride out a single dropped request. Baton retries
 * the stage itself, with back-off, when the failure is transient.
 */
export const MAX_API_RETRIES = 2;

/**
 * Reasoning efforts `claude --effort` takes: "Effort level for the current session (low,
 * medium, high, xhigh, max)" in the `--help` of 2.1.197 and 2.1.330 alike. Claude Code sends
 * the level as `output_config.effort` to models that take one (observed: `claude-opus-4-6`,
 * and `claude-opus-4-5` with `max` lowered to `high`) and leaves it out for those that do not.
 */
export const CLAUDE_CODE_EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

/**
 * The command for one stage:
 * `claude -p --output-format stream-json --verbose [--model M] [--effort E]
 *  --permission-mode P [--disallowedTools …] [--max-turns N] [--max-budget-usd USD]
 *  [--settings <profile file>] [--append-system-prompt-file F] [--resume ID]`,
 * with the prompt on stdin. Pure: everything comes from the request and the defaults.
 */
export function buildClaudeCodeCommand(
  request: StageRequest,
  defaults: RuntimeSettings = {},
): CommandSpec {
  const settings: RuntimeSettings = { ...defaults, ...request.settings };
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  const model = request.model ?? settings.model;
  if (model !== undefined && model !== '') args.push('--model', model);
  if (request.effort !== undefined) args.push('--effort', effortLevel(request.effort));
  args.push('--permission-mode', PERMISSION_MODES[request.access]);
  if (request.access === 'read-only') {
    args.push('--disallowedTools', READ_ONLY_DISALLOWED_TOOLS.join(','));
  }
  args.push(...budgetArgs(request.budget));
  if (request.profile !== null) {
    args.push('--settings', profileSettingsPath(request.profile, request.env));
  }
  const inputFiles: Record<string, string> = {};
  if (request.contract !== '') {
    const contractPath = join(request.scratchDir, CONTRACT_FILE_NAME);
    inputFiles[contractPath] = request.contract;
    args.push('--append-system-prompt-file', contractPath);
  }
  if (request.resumeSessionId !== undefined && request.resumeSessionId !== '') {
    args.push('--resume', request.resumeSessionId);
  }
  return {
    file: settings.binary ?? 'claude',
    args,
    env: {
      CLAUDE_CODE_MAX_RETRIES: String(maxRetries(request.env)),
      // Claude Code's "retry watchdog", when inherited, keeps retrying rate limits and
      // overloads past CLAUDE_CODE_MAX_RETRIES for up to six hours (observed: a fifth retry
      // 15 s into a scripted 429 under a limit of 2). Baton waits and falls back itself.
      CLAUDE_CODE_RETRY_WATCHDOG: '0',
      // No auto-update, telemetry or error reporting while Baton drives a run: a binary
      // replaced mid-mission would go unnoticed, and a run has no use for the rest.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...credentialEnv(settings, request.env),
    },
    cwd: request.cwd,
    stdin: request.prompt,
    inputFiles,
  };
}

function effortLevel(effort: string): string {
  if ((CLAUDE_CODE_EFFORTS as readonly string[]).includes(effort)) return effort;
  throw new BatonError(
    'CONFIG_INVALID',
    `Claude Code takes the effort ${CLAUDE_CODE_EFFORTS.join(', ')}; "${effort}" is none of them.`,
    { details: { key: 'effort', value: effort } },
  );
}

/**
 * The stage's budget as Claude Code's own caps. `--max-turns` ("Stop after this many turns
 * (only works with --print)", hidden from 2.1.330's `--help` but parsed) ends the run with
 * `subtype: "error_max_turns"`; `--max-budget-usd` ends it with `error_max_budget_usd` once
 * this process's cost reaches the amount (observed: the cost of a resumed session's earlier
 * runs does not count), checked after each model request.
 */
function budgetArgs(budget: StageBudget | undefined): string[] {
  const args: string[] = [];
  if (budget?.maxTurns !== undefined) {
    if (!Number.isInteger(budget.maxTurns) || budget.maxTurns < 1) {
      throw new BatonError(
        'CONFIG_INVALID',
        `A stage's turn budget must be a whole number of turns, 1 or more; got ${budget.maxTurns}.`,
        { details: { key: 'max_turns', value: String(budget.maxTurns) } },
      );
    }
    args.push('--max-turns', String(budget.maxTurns));
  }
  if (budget?.maxCostUsd !== undefined) {
    // Claude Code refuses 0 ("--max-budget-usd must be a number greater than 0"); a spent
    // budget stops a run before its stage starts, so none reaches here.
    if (!Number.isFinite(budget.maxCostUsd) || budget.maxCostUsd <= 0) {
      throw new BatonError(
        'CONFIG_INVALID',
        `A stage's cost budget must be more than 0 USD; got ${budget.maxCostUsd}.`,
        { details: { key: 'max_cost_usd', value: String(budget.maxCostUsd) } },
      );
    }
    args.push('--max-budget-usd', String(budget.maxCostUsd));
  }
  return args;
}

/** At most {@link MAX_API_RETRIES}; a lower value already in the environment is kept. */
function maxRetries(env: Environment): number {
  const inherited = env.CLAUDE_CODE_MAX_RETRIES;
  if (inherited !== undefined && /^\d+$/.test(inherited.trim())) {
    return Math.min(Number(inherited.trim()), MAX_API_RETRIES);
  }
  return MAX_API_RETRIES;
}

/**
 * `base_url` → `ANTHROPIC_BASE_URL` (the root: Claude Code appends `/v1/messages`), and the
 * key named by `api_key_env` → `ANTHROPIC_AUTH_TOKEN` (sent as `Authorization: Bearer`, what
 * LiteLLM and most Anthropic-compatible gateways document). The other variable is set empty:
 * with both set Claude Code sends both headers, which would hand an inherited Anthropic key
 * to the gateway. Without `base_url`, the key goes to Anthropic as `ANTHROPIC_API_KEY`.
 */
export function credentialEnv(settings: RuntimeSettings, env: Environment): Record<string, string> {
  const result: Record<string, string> = {};
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') {
    result.ANTHROPIC_BASE_URL = anthropicRoot(settings.baseUrl);
  }
  if (settings.apiKeyEnv !== undefined && settings.apiKeyEnv !== '') {
    const key = env[settings.apiKeyEnv];
    if (key === undefined || key === '') {
      throw new BatonError(
        'CONFIG_INVALID',
        `[runtimes.claude-code] api_key_env names $${settings.apiKeyEnv}, which is not set. ` +
          `Export ${settings.apiKeyEnv}=<key>${settings.baseUrl ? ` for ${settings.baseUrl}` : ''}, ` +
          'or remove api_key_env.',
        { details: { key: 'api_key_env', value: settings.apiKeyEnv } },
      );
    }
    if (result.ANTHROPIC_BASE_URL !== undefined) {
      result.ANTHROPIC_AUTH_TOKEN = key;
      result.ANTHROPIC_API_KEY = '';
    } else {
      result.ANTHROPIC_API_KEY = key;
      result.ANTHROPIC_AUTH_TOKEN = '';
    }
  }
  return result;
}

/** `http://host:4000/v1/` → `http://host:4000`: Claude Code adds `/v1/messages` itself. */
export function anthropicRoot(baseUrl: string): string {
  let root = baseUrl.trim();
  while (root.endsWith('/')) root = root.slice(0, -1);
  if (root.endsWith('/v1')) root = root.slice(0, -3);
  return root;
}
