/**
 * The first-party runtimes Baton knows by name even when their adapter is not installed,
 * so that config naming one can say which package to install instead of "unknown runtime".
 * Data only: core never imports an adapter. Each adapter's own identity must agree with
 * its entry here (the adapter packages' shape test checks it).
 */
export interface KnownRuntime {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly packageName: string;
}

export const FIRST_PARTY_RUNTIMES: readonly KnownRuntime[] = [
  { id: 'codex', aliases: ['codex-cli', 'openai-codex'], packageName: '@baton/codex' },
  {
    id: 'claude-code',
    aliases: ['claude', 'claudecode', 'claude-cli'],
    packageName: '@baton/claude-code',
  },
  { id: 'opencode', aliases: ['opencode-cli', 'open-code'], packageName: '@baton/opencode' },
  { id: 'hermes', aliases: ['hermes-cli', 'hermes-agent'], packageName: '@baton/hermes' },
  { id: 'litellm', aliases: ['litellm-proxy', 'lite-llm'], packageName: '@baton/litellm' },
];

/**
 * Runtime names compare case-insensitively and with `_` equal to `-`, so `claude_code`,
 * `Claude-Code` and `claude-code` are one name. Ids and aliases are stored in this form.
 */
export function normaliseRuntimeName(name: string): string {
  return name.trim().toLowerCase().replaceAll('_', '-');
}
