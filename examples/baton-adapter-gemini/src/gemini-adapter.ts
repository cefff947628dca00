import {
  type AdapterCapabilities,
  type AdapterIdentity,
  type RuntimeAdapter,
  type RuntimeSettings,
  SPECIFICATION_VERSION,
} from '@baton/core';
import { buildGeminiCommand } from './command.js';
import { createGeminiDecoder } from './decode.js';
import { createGeminiDoctorChecks } from './doctor.js';
import { geminiProfileMapping } from './profile.js';
import { createGeminiNativeConfig } from './setup.js';

/** Settings of the Gemini adapter: defaults for `[runtimes.gemini]`, which overrides them per key. */
export type GeminiSettings = RuntimeSettings;

/**
 * Also published as the `baton.adapter` manifest in package.json (a test keeps them equal).
 * The version range is the release whose documentation and source this example follows;
 * no version was run (see README), so doctor warns outside it on purpose.
 */
export const GEMINI_IDENTITY: AdapterIdentity = {
  id: 'gemini',
  aliases: ['gemini-cli', 'google-gemini'],
  displayName: 'Gemini CLI',
  binary: 'gemini',
  testedVersions: '>=0.56.0 <0.57.0',
  contractChannel: 'GEMINI_SYSTEM_MD (a system prompt file replacing the built-in one)',
};

/** What Baton may ask of this runtime beyond running a stage (see the adapter spec). */
export const GEMINI_CAPABILITIES: AdapterCapabilities = {
  resumeSession: false,
  efforts: [],
  costCap: false,
  turnCap: false,
  reportsCost: false,
};

export function createGeminiAdapter(settings: GeminiSettings = {}): RuntimeAdapter {
  const defaults: RuntimeSettings = { ...settings };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: GEMINI_CAPABILITIES,
    identity: GEMINI_IDENTITY,
    profile: geminiProfileMapping,
    doctorChecks: () => createGeminiDoctorChecks({ identity: GEMINI_IDENTITY, defaults }),
    buildCommand: (request) => buildGeminiCommand(request, defaults),
    createDecoder: () => createGeminiDecoder(),
    nativeConfig: createGeminiNativeConfig(),
  };
}

/** The instance with no factory settings; the package's entry point exports it as `default`. */
export const geminiAdapter: RuntimeAdapter = createGeminiAdapter();
