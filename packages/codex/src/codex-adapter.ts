import {
  type AdapterCapabilities,
  type AdapterIdentity,
  type RuntimeAdapter,
  type RuntimeSettings,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { buildCodexCommand, CODEX_EFFORTS } from './command.js';
import { createCodexDecoder } from './decode.js';
import { createCodexDoctorChecks } from './doctor.js';
import { codexProfileMapping } from './profile.js';
import { createCodexNativeConfig } from './setup.js';

/** Settings of the Codex adapter: defaults for `[runtimes.codex]`, which overrides them per key. */
export type CodexSettings = RuntimeSettings;

/** Also published as the `baton.adapter` manifest in package.json (a test keeps them equal). */
export const CODEX_IDENTITY: AdapterIdentity = {
  id: 'codex',
  aliases: ['codex-cli', 'openai-codex'],
  displayName: 'Codex CLI',
  binary: 'codex',
  testedVersions: '>=0.169.0 <0.170.0',
  contractChannel: 'developer instructions (codex exec -c developer_instructions=…)',
};

/**
 * What Baton may ask of this runtime beyond running a stage (see the adapter spec and
 * docs/adapters/codex.md): `codex exec resume <id>` continues a session; efforts map onto
 * `model_reasoning_effort`. `codex exec` 0.169 has no spend or turn cap (its token budgets
 * are unfinished features), and it reports tokens, never a price.
 */
export const CODEX_CAPABILITIES: AdapterCapabilities = {
  resumeSession: true,
  efforts: CODEX_EFFORTS,
  costCap: false,
  turnCap: false,
  reportsCost: false,
};

export function createCodexAdapter(settings: CodexSettings = {}): RuntimeAdapter {
  const defaults: RuntimeSettings = { ...settings };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: CODEX_CAPABILITIES,
    identity: CODEX_IDENTITY,
    profile: codexProfileMapping,
    doctorChecks: () => createCodexDoctorChecks({ identity: CODEX_IDENTITY, defaults }),
    buildCommand: (request) => buildCodexCommand(request, defaults),
    createDecoder: (request) => createCodexDecoder(request),
    nativeConfig: createCodexNativeConfig(defaults),
  };
}

/** The adapter with no factory settings: what the registry loads. */
const codexAdapter: RuntimeAdapter = createCodexAdapter();
export default codexAdapter;
