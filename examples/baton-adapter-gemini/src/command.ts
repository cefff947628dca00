import { join } from 'node:path';
import type { AccessLevel, CommandSpec, RuntimeSettings, StageRequest } from '@baton/core';
import { nativeProfileName } from './profile.js';

/**
 * `--approval-mode` per access level. Always passed, so a `general.defaultApprovalMode`
 * in the user's settings can never widen a read-only stage. In headless mode Gemini CLI
 * turns every "ask the user" decision into "deny", so:
 * - `default`: only tools that need no confirmation run (reading, searching);
 * - `auto_edit`: file edits are approved too, shell commands are still denied;
 * - `yolo`: everything is approved.
 * `plan` is not used for read-only: headless plan mode may leave planning and switch to
 * YOLO to carry the plan out.
 */
export const APPROVAL_MODES: Readonly<Record<AccessLevel, string>> = {
  'read-only': 'default',
  'workspace-write': 'auto_edit',
  full: 'yolo',
};

/** The system prompt file, written by the runner into the stage's scratch directory. */
export const SYSTEM_PROMPT_FILE = 'gemini-system.md';

/**
 * The file `GEMINI_SYSTEM_MD` points at. It replaces Gemini CLI's built-in system prompt
 * entirely, so it carries the role contract and then, through the documented
 * `${AvailableTools}` substitution, the list of tools the run has.
 */
export function renderSystemPrompt(contract: string): string {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Gemini CLI substitutes it, not JavaScript.
  const tools = 'The tools available to you in this run: ${AvailableTools}';
  return `${contract.trimEnd()}\n\n## Tools\n\n${tools}\n`;
}

/**
 * `gemini --output-format stream-json` for one stage. There is no `-p`: with stdin not a
 * terminal Gemini CLI runs headless and takes its whole input from stdin, so a prompt of
 * any length stays out of argv.
 */
export function buildGeminiCommand(
  request: StageRequest,
  defaults: RuntimeSettings = {},
): CommandSpec {
  const settings: RuntimeSettings = { ...defaults, ...request.settings };
  const args: string[] = [
    '--output-format',
    'stream-json',
    '--approval-mode',
    APPROVAL_MODES[request.access],
  ];
  const model = request.model ?? settings.model;
  if (model !== undefined && model !== '') args.push('--model', model);
  if (request.profile !== null) args.push('--extensions', nativeProfileName(request.profile));
  if (request.resumeSessionId !== undefined) args.push('--resume', request.resumeSessionId);

  const env: Record<string, string> = {};
  const inputFiles: Record<string, string> = {};
  if (request.contract.trim() !== '') {
    const path = join(request.scratchDir, SYSTEM_PROMPT_FILE);
    inputFiles[path] = renderSystemPrompt(request.contract);
    env.GEMINI_SYSTEM_MD = path;
  }
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') {
    Object.assign(env, gatewayEnvironment(settings, request.env));
  }
  return {
    file: settings.binary ?? 'gemini',
    args,
    env,
    cwd: request.cwd,
    stdin: request.prompt,
    ...(Object.keys(inputFiles).length > 0 ? { inputFiles } : {}),
  };
}

/**
 * `base_url` becomes `GOOGLE_GEMINI_BASE_URL`, which Gemini CLI honours with API-key
 * authentication; the gateway must speak the Gemini API (generateContent), not OpenAI's.
 * The variable names travel in config; the key's value is copied into the child's
 * environment only (CommandSpec.env is never journaled). Environment switches that would
 * pick another authentication method first are turned off.
 */
export function gatewayEnvironment(
  settings: RuntimeSettings,
  env: StageRequest['env'],
): Record<string, string> {
  const result: Record<string, string> = {
    GOOGLE_GEMINI_BASE_URL: settings.baseUrl ?? '',
    GOOGLE_GENAI_USE_VERTEXAI: 'false',
    GOOGLE_GENAI_USE_GCA: 'false',
  };
  const keyName = settings.apiKeyEnv;
  if (keyName !== undefined && keyName !== '') {
    const key = env[keyName];
    if (key !== undefined && key !== '') result.GEMINI_API_KEY = key;
  }
  return result;
}
