import {
  type AdapterCapabilities,
  type AdapterIdentity,
  type RuntimeAdapter,
  type RuntimeSettings,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { buildOpenCodeCommand, OPENCODE_EFFORTS } from './command.js';
import { createOpenCodeDecoder } from './decode.js';
import { createOpenCodeDoctorChecks } from './doctor.js';
import { openCodeProfileMapping } from './profile.js';
import { createOpenCodeNativeConfig } from './setup.js';

/** Settings of the OpenCode adapter: defaults for `[runtimes.opencode]`, which overrides them per key. */
export type OpencodeSettings = RuntimeSettings;

/** Also published as the `baton.adapter` manifest in package.json (a test keeps them equal). */
export const OPENCODE_IDENTITY: AdapterIdentity = {
  id: 'opencode',
  aliases: ['opencode-cli', 'open-code'],
  displayName: 'OpenCode',
  binary: 'opencode',
  testedVersions: '>=1.18.33 <1.19.0',
  contractChannel:
    "OpenCode agent prompt (the selected agent's `prompt`, via OPENCODE_CONFIG_CONTENT)",
};

/**
 * What Baton may ask of this runtime beyond running a stage (see the adapter spec and
 * docs/adapters/opencode.md): `opencode run --session <id>` continues a session; efforts
 * are OpenCode model variants (`--variant`); a turn budget is the agent's `steps`; OpenCode
 * has no spending cap; it prices each step itself where its catalogue or config has the
 * model's price.
 */
export const OPENCODE_CAPABILITIES: AdapterCapabilities = {
  resumeSession: true,
  efforts: OPENCODE_EFFORTS,
  costCap: false,
  turnCap: true,
  reportsCost: true,
};

export function createOpencodeAdapter(settings: OpencodeSettings = {}): RuntimeAdapter {
  const defaults: RuntimeSettings = { ...settings };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: OPENCODE_CAPABILITIES,
    identity: OPENCODE_IDENTITY,
    profile: openCodeProfileMapping,
    doctorChecks: () => createOpenCodeDoctorChecks({ identity: OPENCODE_IDENTITY, defaults }),
    buildCommand: (request) => buildOpenCodeCommand(request, defaults),
    createDecoder: (request) => createOpenCodeDecoder(request),
    nativeConfig: createOpenCodeNativeConfig(defaults),
  };
}

/** The adapter with no factory settings: what the registry loads. */
const openCodeAdapter: RuntimeAdapter = createOpencodeAdapter();
export default openCodeAdapter;
