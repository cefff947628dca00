import {
  type AdapterCapabilities,
  type AdapterIdentity,
  type RuntimeAdapter,
  type RuntimeSettings,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { buildClaudeCodeCommand, CLAUDE_CODE_EFFORTS } from './command.js';
import { createClaudeCodeDecoder } from './decode.js';
import { createClaudeCodeDoctorChecks } from './doctor.js';
import { claudeCodeProfileMapping } from './profile.js';
import { createClaudeCodeNativeConfig } from './setup.js';

/** Settings of the Claude Code adapter: defaults for `[runtimes.claude-code]`, which overrides them per key. */
export type ClaudeCodeSettings = RuntimeSettings;

/** Also published as the `baton.adapter` manifest in package.json (a test keeps them equal). */
export const CLAUDE_CODE_IDENTITY: AdapterIdentity = {
  id: 'claude-code',
  aliases: ['claude', 'claudecode', 'claude-cli'],
  displayName: 'Claude Code',
  binary: 'claude',
  testedVersions: '>=2.1.197 <2.2.0',
  contractChannel: '--append-system-prompt-file',
};

/**
 * What Baton may ask of this runtime beyond running a stage (see the adapter spec), each
 * proven with the real claude 2.1.330 against the scripted server: `--resume <id>` carries
 * the earlier conversation, `--effort` reaches the wire as `output_config.effort`,
 * `--max-budget-usd` and `--max-turns` stop a run, and the `result` states its cost.
 */
export const CLAUDE_CODE_CAPABILITIES: AdapterCapabilities = {
  resumeSession: true,
  efforts: CLAUDE_CODE_EFFORTS,
  costCap: true,
  turnCap: true,
  reportsCost: true,
};

export function createClaudeCodeAdapter(settings: ClaudeCodeSettings = {}): RuntimeAdapter {
  const defaults: RuntimeSettings = { ...settings };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: CLAUDE_CODE_CAPABILITIES,
    identity: CLAUDE_CODE_IDENTITY,
    profile: claudeCodeProfileMapping,
    doctorChecks: () => createClaudeCodeDoctorChecks({ identity: CLAUDE_CODE_IDENTITY, defaults }),
    buildCommand: (request) => buildClaudeCodeCommand(request, defaults),
    createDecoder: (request) =>
      createClaudeCodeDecoder({
        resumed: request.resumeSessionId !== undefined && request.resumeSessionId !== '',
      }),
    nativeConfig: createClaudeCodeNativeConfig(defaults),
  };
}

/** The adapter with no factory settings: what the registry loads. */
const claudeCodeAdapter: RuntimeAdapter = createClaudeCodeAdapter();
export default claudeCodeAdapter;
