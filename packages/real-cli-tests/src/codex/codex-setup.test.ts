/**
 * `baton setup codex` proven with the real pinned `codex` 0.169.0: the profile file Baton
 * writes is what `codex exec -p baton-worker` loads (its model and its provider reach the
 * scripted model server), the legacy `[profiles.baton-worker]` layout makes the real codex
 * fail, setup refuses it without `--migrate`, and after `--migrate` the real codex runs with
 * the moved settings.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from '@baton/core';
import type { LoggedRequest } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, KEY_VARIABLE, runSpec } from './support.js';

const BATON = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'cli',
  'bin',
  'baton.js',
);
const HEADER =
  '# managed by baton: codex profile baton-worker — baton setup codex owns only the keys it writes here; edit anything else freely';

// Requests without the key named by env_key get 401: an answer proves the provider wiring.
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function writeBatonToml(model: string | null): void {
  writeFileSync(
    join(sandbox().workspace, 'baton.toml'),
    [
      '[orchestrator]',
      'runtime_backend = "codex"',
      '',
      '[orchestrator.runtime_profile]',
      'backend_profile = "worker"',
      '',
      '[runtimes.codex]',
      `binary = ${JSON.stringify(requireCli('codex'))}`,
      ...(model === null ? [] : [`model = ${JSON.stringify(model)}`]),
      `base_url = ${JSON.stringify(`${server().url}/v1`)}`,
      `api_key_env = "${KEY_VARIABLE}"`,
      '',
    ].join('\n'),
  );
}

function baton(args: readonly string[]) {
  if (!existsSync(BATON)) throw new Error(`the CLI is not built at ${BATON}`);
  const result = spawnSync(process.execPath, [BATON, ...args], {
    cwd: sandbox().workspace,
    encoding: 'utf8',
    env: { ...sandbox().env, XDG_STATE_HOME: join(sandbox().root, 'state') } as NodeJS.ProcessEnv,
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `codex exec -p baton-worker`, nothing else: everything else must come from the profile file. */
function codexWithProfile(): CommandSpec {
  return {
    file: requireCli('codex'),
    args: [
      'exec',
      '--json',
      '--skip-git-repo-check',
      '--ephemeral',
      '-p',
      'baton-worker',
      '--disable',
      'unbounded_connection_retries',
      '-',
    ],
    env: {},
    cwd: sandbox().workspace,
    stdin: 'Say hello.',
  };
}

function modelRequests(): LoggedRequest[] {
  return server().requests.filter((request) => request.endpoint === 'responses');
}

const profilePath = () => join(sandbox().codexHome, 'baton-worker.config.toml');
const configPath = () => join(sandbox().codexHome, 'config.toml');

describe('baton setup codex with the real codex 0.169.0', () => {
  it('writes the profile file that `codex exec -p baton-worker` loads: model and provider', async () => {
    writeBatonToml('profiled-model');
    const setup = baton(['setup', 'codex', '--json']);
    expect(setup.stderr).toBe('');
    expect(setup.status).toBe(0);
    expect(JSON.parse(setup.stdout)).toMatchObject({ runtimeVersion: '0.169.0' });
    expect(readFileSync(profilePath(), 'utf8')).toBe(
      `${HEADER}\nmodel = "profiled-model"\nmodel_provider = "baton"\n\n# managed by baton: [model_providers.baton] — edit outside this block freely\n[model_providers.baton]\nname = "Baton gateway"\nbase_url = "${server().url}/v1"\nenv_key = "${KEY_VARIABLE}"\nwire_api = "responses"\n`,
    );

    const before = modelRequests().length;
    const run = await runSpec(codexWithProfile(), sandbox().env, 30_000);
    expect(run.timedOut).toBe(false);
    expect(run.exit.exitCode).toBe(0);
    const requests = modelRequests().slice(before);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.map((request) => request.model)).toEqual(requests.map(() => 'profiled-model'));
    expect(requests.every((request) => request.status === 200)).toBe(true);
    expect(requests[0]!.headers.authorization).toBe('[redacted]');
  });

  it('fails on the legacy layout, is refused without --migrate, and runs after --migrate', async () => {
    writeBatonToml(null);
    const legacy = [
      '# my codex config',
      'approval_policy = "never"',
      '',
      '[profiles.baton-worker]',
      'model = "legacy-model"   # chosen long ago',
      'model_reasoning_effort = "high"',
      '',
      '[mcp_servers.docs]',
      'command = "docs-server"',
      'enabled = false',
      '',
    ].join('\n');
    writeFileSync(configPath(), legacy);

    // The real codex refuses --profile while config.toml holds the legacy table.
    const refusedByCodex = await runSpec(codexWithProfile(), sandbox().env, 30_000);
    expect(refusedByCodex.exit.exitCode).toBe(1);
    expect(refusedByCodex.stderr).toContain(
      `--profile \`baton-worker\` cannot be used while ${configPath()} contains legacy \`profile = "baton-worker"\` or \`[profiles.baton-worker]\` config`,
    );

    const refused = baton(['setup', 'codex', '--json']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'NATIVE_CONFIG',
      reason: 'legacy-profile',
      remedy: 'baton setup codex --migrate',
    });
    expect(readFileSync(configPath(), 'utf8')).toBe(legacy);
    expect(existsSync(profilePath())).toBe(false);

    const migrated = baton(['setup', 'codex', '--migrate']);
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
    // Exactly the table's lines are gone; the blank lines around it are not the table's.
    expect(readFileSync(configPath(), 'utf8')).toBe(
      '# my codex config\napproval_policy = "never"\n\n\n[mcp_servers.docs]\ncommand = "docs-server"\nenabled = false\n',
    );

    const before = modelRequests().length;
    const run = await runSpec(codexWithProfile(), sandbox().env, 30_000);
    expect(run.stderr).not.toContain('legacy');
    expect(run.exit.exitCode).toBe(0);
    const [request] = modelRequests().slice(before);
    // The moved keys are what codex now reads from baton-worker.config.toml.
    expect(request!.model).toBe('legacy-model');
    expect((request!.body as { reasoning?: { effort?: string } }).reasoning?.effort).toBe('high');

    const doctor = baton(['doctor', '--json']);
    const codex = JSON.parse(doctor.stdout).runtimes.find(
      (runtime: { id: string }) => runtime.id === 'codex',
    );
    expect(codex.checks.find((check: { id: string }) => check.id === 'profile')).toMatchObject({
      status: 'pass',
    });
  });
});
