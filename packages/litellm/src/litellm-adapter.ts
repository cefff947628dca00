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
import { buildLitellmCommand, LITELLM_EFFORTS } from './command.js';
import { createLitellmDecoder } from './decode.js';
import { litellmDoctorChecks } from './doctor.js';
import { litellmProfileMapping } from './profile.js';
import { litellmNativeConfig } from './setup.js';

/** Defaults under `[runtimes.litellm]`; the settings in a request (from config) win. */
export type LitellmSettings = RuntimeSettings;

export const LITELLM_IDENTITY: AdapterIdentity = {
  id: 'litellm',
  aliases: ['litellm-proxy', 'lite-llm'],
  displayName: 'LiteLLM proxy',
  // Reached over HTTP only; stages run the package's own HTTP client with Node.
  binary: null,
  // The health and Chat Completions formats used were documented from LiteLLM 1.40 on.
  testedVersions: '>=1.40.0 <2.0.0',
  contractChannel: 'system message of the chat completion request',
};

/**
 * What Baton may ask of this runtime beyond running a stage (see the adapter spec and
 * docs/adapters/litellm.md): the effort travels as `reasoning_effort`. A chat completion has
 * no session to continue, and one request has no turns or spend to cap. The proxy prices a
 * streamed call only when its `include_cost_in_streaming_usage` setting is on, so cost is not
 * promised (it is read whenever the proxy sends it).
 */
export const LITELLM_CAPABILITIES: AdapterCapabilities = {
  resumeSession: false,
  efforts: LITELLM_EFFORTS,
  costCap: false,
  turnCap: false,
  reportsCost: false,
};

export function createLitellmAdapter(settings: LitellmSettings = {}): RuntimeAdapter {
  const withDefaults = (request: StageRequest): StageRequest => ({
    ...request,
    settings: { ...settings, ...request.settings },
  });
  const checks = litellmDoctorChecks(LITELLM_IDENTITY);
  return {
    specificationVersion: SPECIFICATION_VERSION,
    capabilities: LITELLM_CAPABILITIES,
    identity: LITELLM_IDENTITY,
    profile: litellmProfileMapping,
    doctorChecks(): readonly DoctorCheck[] {
      return checks.map((check) => ({
        ...check,
        run: (context) => check.run({ ...context, settings: { ...settings, ...context.settings } }),
      }));
    },
    buildCommand(request: StageRequest): CommandSpec {
      return buildLitellmCommand(withDefaults(request));
    },
    createDecoder() {
      return createLitellmDecoder();
    },
    nativeConfig: litellmNativeConfig,
  };
}

/** The adapter with default settings: what the registry loads. */
const litellmAdapter = createLitellmAdapter();
export default litellmAdapter;
