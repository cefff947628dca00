/** A minimal, valid adapter for tests of core itself: no runtime behind it. */
import { V1_CAPABILITIES } from '../adapter/v1/upgrade.js';
import type { AdapterIdentity, DoctorCheck, RuntimeAdapter } from '../adapter/v2/spec.js';
import { SPECIFICATION_VERSION } from '../adapter/v2/spec.js';

export function fakeAdapter(
  identity: Partial<AdapterIdentity> & { id: string },
  checks: readonly DoctorCheck[] = [],
): RuntimeAdapter {
  const fullIdentity: AdapterIdentity = {
    aliases: [],
    displayName: identity.id,
    binary: identity.id,
    testedVersions: '>=1.0.0 <2.0.0',
    contractChannel: 'stdin preamble',
    ...identity,
  };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    identity: fullIdentity,
    capabilities: V1_CAPABILITIES,
    profile: {
      nativeName: (profile) => `baton-${profile}`,
      describe: (profile) => `profile baton-${profile}`,
    },
    doctorChecks: () => checks,
    buildCommand: (request) => ({
      file: fullIdentity.binary ?? 'node',
      args: request.profile ? ['--profile', `baton-${request.profile}`] : [],
      env: {},
      cwd: request.cwd,
      stdin: request.prompt,
    }),
    createDecoder: () => ({
      push: () => [],
      finish: (exit) => ({
        status: exit.exitCode === 0 ? 'succeeded' : 'failed',
        finalText: null,
        sessionId: null,
        usage: {
          known: false,
          inputTokens: null,
          cachedInputTokens: null,
          outputTokens: null,
          reasoningTokens: null,
          totalTokens: null,
          costUsd: null,
        },
        error:
          exit.exitCode === 0
            ? null
            : {
                message: 'failed',
                kind: 'unknown',
                status: null,
                retryable: false,
                failureClass: 'task',
                retryAfterMs: null,
              },
      }),
    }),
    nativeConfig: { plan: async () => [], planRevert: async () => [] },
  };
}

/** A registry vocabulary like a full install: the five first-party runtimes, all installed. */
export const FIRST_PARTY_IDENTITIES: readonly (Partial<AdapterIdentity> & { id: string })[] = [
  { id: 'codex', aliases: ['codex-cli', 'openai-codex'], displayName: 'Codex CLI' },
  {
    id: 'claude-code',
    aliases: ['claude', 'claudecode', 'claude-cli'],
    displayName: 'Claude Code',
    binary: 'claude',
  },
  { id: 'opencode', aliases: ['opencode-cli', 'open-code'], displayName: 'OpenCode' },
  { id: 'hermes', aliases: ['hermes-cli', 'hermes-agent'], displayName: 'Hermes Agent' },
  {
    id: 'litellm',
    aliases: ['litellm-proxy', 'lite-llm'],
    displayName: 'LiteLLM proxy',
    binary: null,
  },
];
