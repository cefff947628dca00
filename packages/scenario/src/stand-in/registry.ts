/**
 * `baton test --runtime fake`: each first-party harness replaced by a stand-in process
 * (`harness.ts`) that talks to the scenario's server in the harness's wire API and prints the
 * harness's recorded output format. Everything else of the adapter stays real: its command
 * builder still runs (so settings it refuses are refused alike), and its own decoder reads the
 * stand-in's output. The LiteLLM adapter needs no stand-in: its client is already a plain HTTP
 * client. A runtime without a stand-in fails its check, saying to use `--runtime real`.
 */
import { fileURLToPath } from 'node:url';
import {
  AdapterRegistry,
  type CommandSpec,
  type RuntimeAdapter,
  type StageRequest,
} from '@baton/core';

/** The recorded output format each stand-in prints, and the harness version it was recorded from. */
export const STAND_INS: Readonly<Record<string, { format: string; version: string }>> = {
  codex: { format: 'codex', version: '0.169.0' },
  'claude-code': { format: 'claude', version: '2.1.330' },
  opencode: { format: 'opencode', version: '1.18.33' },
  hermes: { format: 'hermes', version: '0.21.5' },
};

/** Runtimes that run as they are: they need no harness installed. */
const SELF_CONTAINED = new Set(['litellm']);

/** The stand-in's script (Node runs the TypeScript source directly in tests). */
export const STAND_IN_HARNESS = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './harness.ts' : './harness.js', import.meta.url),
);

/** A registry holding a stand-in for each of `runtimes` the base registry has. */
export async function standInRegistry(
  base: AdapterRegistry,
  runtimes: readonly string[],
): Promise<AdapterRegistry> {
  const registry = new AdapterRegistry();
  for (const id of runtimes) {
    if (base.get(id) === undefined) continue;
    const adapter = await base.load(id);
    registry.register(
      SELF_CONTAINED.has(id)
        ? adapter
        : STAND_INS[id] !== undefined
          ? standIn(adapter, STAND_INS[id])
          : withoutStandIn(adapter),
    );
  }
  return registry;
}

function standIn(
  adapter: RuntimeAdapter,
  recorded: { format: string; version: string },
): RuntimeAdapter {
  const name = adapter.identity.displayName;
  return {
    ...adapter,
    identity: { ...adapter.identity, binary: process.execPath },
    doctorChecks: () => [
      {
        id: 'stand-in',
        async run() {
          return {
            status: 'pass',
            summary: `stand-in for ${name} ${recorded.version} (baton test --runtime fake)`,
            version: recorded.version,
          };
        },
      },
    ],
    buildCommand(request: StageRequest): CommandSpec {
      // The adapter's own builder runs first: a setting it refuses is refused here too.
      const real = adapter.buildCommand(request);
      const settings = request.settings;
      const job = {
        stage: request.stage,
        prompt: request.prompt,
        contract: request.contract,
        model: request.model ?? settings.model ?? null,
        baseUrl: settings.baseUrl ?? '',
        apiKeyEnv: settings.apiKeyEnv ?? null,
        resultFiles: real.resultFiles ?? {},
      };
      return {
        file: process.execPath,
        args: [STAND_IN_HARNESS, recorded.format],
        env: real.env,
        cwd: request.cwd,
        stdin: JSON.stringify(job),
        ...(real.inputFiles === undefined ? {} : { inputFiles: real.inputFiles }),
        ...(real.resultFiles === undefined ? {} : { resultFiles: real.resultFiles }),
        ...(real.secretArgs === undefined ? {} : { secretArgs: real.secretArgs }),
      };
    },
  };
}

function withoutStandIn(adapter: RuntimeAdapter): RuntimeAdapter {
  return {
    ...adapter,
    doctorChecks: () => [
      {
        id: 'stand-in',
        async run() {
          return {
            status: 'fail',
            summary: `baton test has no stand-in for ${adapter.identity.displayName}`,
            remediation:
              'Run this scenario with --runtime real, on a machine where it is installed.',
          };
        },
      },
    ],
  };
}
