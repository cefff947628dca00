import {
  type AccessLevel,
  BatonError,
  type CommandSpec,
  type RuntimeSettings,
  type StageRequest,
} from '@baton/core';
import { nativeProfileName } from './profile.js';

/** The name of the model provider Baton defines for `settings.baseUrl`. */
export const PROVIDER_ID = 'baton';

/** `codex exec --sandbox` value per access level (0.169: read-only | workspace-write | danger-full-access). */
export const SANDBOX_MODES: Readonly<Record<AccessLevel, string>> = {
  'read-only': 'read-only',
  'workspace-write': 'workspace-write',
  // `codex exec` never asks for approval (its policy is fixed to `never`), so the sandbox
  // mode alone grants full access; `--dangerously-bypass-approvals-and-sandbox` would add
  // nothing but also switch off hook-trust checks.
  full: 'danger-full-access',
};

/**
 * Linux refuses a single argument longer than MAX_ARG_STRLEN (32 pages = 128 KiB) with
 * E2BIG; the contract travels in one `-c` argument, so it is checked against that limit.
 */
export const MAX_ARGUMENT_BYTES = 128 * 1024 - 1;

/**
 * Values of `model_reasoning_effort` that Codex 0.169 sends to the model as they are
 * (`reasoning.effort` on the wire). Its own `ultra` is left out: Codex turns it into `xhigh`
 * plus agent delegation, which is more than an effort.
 */
export const CODEX_EFFORTS: readonly string[] = Object.freeze([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
]);

export interface BuildOptions {
  /** Do not persist the session (the doctor probe); stages keep sessions so they can resume. */
  readonly ephemeral?: boolean;
}

/**
 * `codex exec --json` for one stage; the prompt goes on stdin (`-`). Every flag is one that
 * `codex exec --help` of the pinned version lists; `resume` comes last, after the exec
 * options, because `codex exec resume --help` has no `--cd`, `--sandbox` or `--profile`
 * (placed before `resume` they apply to the resumed run).
 */
export function buildCodexCommand(
  request: StageRequest,
  defaults: RuntimeSettings = {},
  options: BuildOptions = {},
): CommandSpec {
  const settings: RuntimeSettings = { ...defaults, ...request.settings };
  const args: string[] = [
    'exec',
    '--json',
    '--skip-git-repo-check',
    '-C',
    request.cwd,
    '-s',
    SANDBOX_MODES[request.access],
  ];
  if (options.ephemeral === true) args.push('--ephemeral');
  if (request.profile !== null) args.push('-p', nativeProfileName(request.profile));
  const model = request.model ?? settings.model;
  if (model !== undefined && model !== '') args.push('-m', model);
  // An unreachable provider otherwise makes 0.169 reconnect forever; Baton retries whole stages.
  args.push('--disable', 'unbounded_connection_retries');
  if (settings.baseUrl !== undefined && settings.baseUrl !== '') {
    args.push(
      '-c',
      `model_provider=${PROVIDER_ID}`,
      '-c',
      `model_providers.${PROVIDER_ID}=${providerTable(settings)}`,
    );
  }
  if (request.effort !== undefined) args.push('-c', effortOverride(request.effort));
  args.push('-c', contractOverride(request.contract));
  if (request.resumeSessionId !== undefined) args.push('resume', request.resumeSessionId);
  args.push('-');
  return {
    file: settings.binary ?? 'codex',
    args,
    env: {},
    cwd: request.cwd,
    stdin: request.prompt,
  };
}

/**
 * The custom provider for `baseUrl`, as one TOML inline table. It speaks the Responses API
 * (the only wire API Codex 0.169 accepts), reads its key from the variable `apiKeyEnv`
 * names (the name travels, never the value), and retries nothing itself.
 */
export function providerTable(settings: RuntimeSettings): string {
  const fields: string[] = [
    `name=${tomlString('Baton gateway')}`,
    `base_url=${tomlString(settings.baseUrl ?? '')}`,
  ];
  // Without api_key_env no env_key is set, and Codex sends no Authorization header at all:
  // right for a local gateway without keys.
  if (settings.apiKeyEnv !== undefined && settings.apiKeyEnv !== '')
    fields.push(`env_key=${tomlString(settings.apiKeyEnv)}`);
  fields.push(
    `wire_api=${tomlString('responses')}`,
    'request_max_retries=0',
    'stream_max_retries=0',
  );
  return `{${fields.join(',')}}`;
}

/** `model_reasoning_effort=<effort>` for one of `CODEX_EFFORTS`. */
export function effortOverride(effort: string): string {
  if (!CODEX_EFFORTS.includes(effort)) {
    throw new BatonError(
      'CONFIG_INVALID',
      `Codex has no reasoning effort "${effort}"; use one of ${CODEX_EFFORTS.join(', ')}.`,
      { details: { runtime: 'codex', effort, efforts: [...CODEX_EFFORTS] } },
    );
  }
  return `model_reasoning_effort=${tomlString(effort)}`;
}

/**
 * `developer_instructions=<contract>`: Codex sends it verbatim as a developer message after
 * its own base instructions (`model_instructions_file` would replace those). Always given,
 * even empty, so the stage gets exactly its contract and no leftover developer
 * instructions from the user's config or profile.
 */
export function contractOverride(contract: string): string {
  const argument = `developer_instructions=${tomlString(contract)}`;
  const bytes = Buffer.byteLength(argument, 'utf8');
  if (bytes > MAX_ARGUMENT_BYTES) {
    throw new BatonError(
      'CONFIG_INVALID',
      `The role contract is too long for Codex: it travels as one command-line argument, which is ${bytes} bytes; ` +
        `the operating system's limit is ${MAX_ARGUMENT_BYTES + 1}. Shorten the contract in baton.toml.`,
      { details: { runtime: 'codex', bytes, limit: MAX_ARGUMENT_BYTES + 1 } },
    );
  }
  return argument;
}

/**
 * A TOML basic string. `-c` parses its value as TOML and falls back to the raw text only
 * when that fails, so every value is quoted: `true` or `[x]` must stay text.
 */
export function tomlString(value: string): string {
  let out = '"';
  for (const character of value) {
    const code = character.codePointAt(0)!;
    switch (character) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        out += '\\r';
        break;
      default:
        if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
        // A lone surrogate cannot be encoded in argv (UTF-8) nor in TOML.
        else if (code >= 0xd800 && code <= 0xdfff) out += '\\uFFFD';
        else out += character;
    }
  }
  return `${out}"`;
}
