import {
  type AdapterCapabilities,
  type AdapterIdentity,
  type CommandSpec,
  type DoctorCheck,
  type RuntimeAdapter,
  type RuntimeSettings,
  SPECIFICATION_VERSION,
  type StageRequest,
} from '@baton/core';
import { buildHermesCommand, HERMES_EFFORTS } from './command.js';
import { createHermesDecoder } from './decode.js';
import { hermesDoctorChecks } from './doctor.js';
import { hermesProfileMapping } from './profile.js';
import { hermesNativeConfig } from './setup.js';

/** Defaults under `[runtimes.hermes]`; the settings in a request (from config) win. */
export type HermesSettings = RuntimeSettings;

export const HERMES_IDENTITY: AdapterIdentity = {
  id: 'hermes',
  aliases: ['hermes-cli', 'hermes-agent'],
  displayName: 'Hermes Agent',
  binary: 'hermes',
  // Flags and the usage-report format were taken from the Hermes 0.21 documentation.
  testedVersions: '>=0.21.0 <0.22.0',
  contractChannel: 'HERMES_EPHEMERAL_SYSTEM_PROMPT (per-run ephemeral system prompt)',
};

/**
 * What Baton may ask of this runtime beyond running a stage (see the adapter spec and
 * docs/adapters/hermes.md): `chat --resume <id>` continues a session (the id Hermes prints
 * as `session_id:` when a turn ends); `--reasoning` takes the effort; `--max-turns` caps the
 * agent loop. Hermes has no spend cap, and 0.21's `chat` writes no usage report, so it
 * reports no cost (a Hermes whose `chat` does write one still has its cost read).
 */
export const HERMES_CAPABILITIES: AdapterCapabilities = {
  resumeSession: true,
  efforts: HERMES_EFFORTS,
  costCap: false,
  turnCap: true,
  reportsCost: false,
};

export function createHermesAdapter(settings: HermesSettings = {}): RuntimeAdapter {
  const withDefaults = (request: StageRequest): StageRequest => ({
    ...request,
    settings: { ...settings, ...request.settings },
  });
  const checks = hermesDoctorChecks(HERMES_IDENTITY);
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: HERMES_CAPABILITIES,
    identity: HERMES_IDENTITY,
    profile: hermesProfileMapping,
    doctorChecks(): readonly DoctorCheck[] {
      return checks.map((check) => ({
        ...check,
        run: (context) => check.run({ ...context, settings: { ...settings, ...context.settings } }),
      }));
    },
    buildCommand(request: StageRequest): CommandSpec {
      return buildHermesCommand(withDefaults(request));
    },
    createDecoder(request: StageRequest) {
      return createHermesDecoder({ turnCapped: request.budget?.maxTurns !== undefined });
    },
    nativeConfig: hermesNativeConfig,
  };
}

/** The adapter with default settings: what the registry loads. */
const hermesAdapter = createHermesAdapter();
export default hermesAdapter;
