/**
 * The OpenCode adapter's doctor against the real pinned `opencode` 1.18.33: binary and
 * version, `opencode auth list` in an empty and a keyed environment, the profile agent as
 * OpenCode itself resolves it (`opencode debug agent`), and the probe against the scripted
 * model server, healthy and not.
 */
import type { DoctorContext, RuntimeSettings } from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import { createOpencodeAdapter } from '@baton/opencode';
import { describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, KEY_VARIABLE } from './support.js';

const adapter = createOpencodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function context(
  settings: RuntimeSettings,
  profile: string | null = null,
  env: Record<string, string> = {},
): DoctorContext {
  return {
    settings: { binary: requireCli('opencode'), ...settings },
    profile,
    env: { ...sandbox().env, ...env },
    cwd: sandbox().workspace,
    stages: ['execute'],
    signal: new AbortController().signal,
    results: {},
  };
}

function check(id: string) {
  return adapter.doctorChecks().find((candidate) => candidate.id === id)!;
}

const gateway = (model: string): RuntimeSettings => ({
  baseUrl: `${server().url}/v1`,
  apiKeyEnv: KEY_VARIABLE,
  model,
});

describe('opencode doctor with opencode 1.18.33', () => {
  it('passes binary, version and settings', async () => {
    expect(await check('binary').run(context({}))).toEqual({
      status: 'pass',
      summary: `found ${requireCli('opencode')}`,
    });
    expect(await check('version').run(context({}))).toEqual({
      status: 'pass',
      version: '1.18.33',
      summary: 'version 1.18.33 (tested: >=1.18.33 <1.19.0)',
    });
    expect(await check('settings').run(context(gateway('stub-model')))).toEqual({
      status: 'pass',
      summary: `model: baton/stub-model, sent to ${server().url}/v1 (Chat Completions)`,
    });
  });

  it('reads the real `opencode auth list`: nothing in an empty home, a provider key from the environment', async () => {
    const empty = await check('auth').run(context({}));
    expect(empty).toEqual({
      status: 'warn',
      summary: '`opencode auth list` shows no credentials and no provider key in the environment',
      remediation:
        'Run `opencode auth login`, export a provider key (e.g. ANTHROPIC_API_KEY), or set base_url and api_key_env in [runtimes.opencode].',
    });
    const keyed = await check('auth').run(
      context({ model: 'anthropic/claude-sonnet-4-5' }, null, { ANTHROPIC_API_KEY: 'sk-test' }),
    );
    expect(keyed).toEqual({
      status: 'pass',
      summary: 'credentials for anthropic: Anthropic ANTHROPIC_API_KEY (opencode auth list)',
    });
  });

  it('fails a backend profile OpenCode does not know, passes one defined in the user’s config', async () => {
    const missing = await check('profile').run(context({}, 'worker'));
    expect(missing).toEqual({
      status: 'fail',
      summary:
        'OpenCode has no agent "baton-worker" (Agent baton-worker not found, run \'opencode.exe agent list\' to get an agent list); `--agent baton-worker` would silently fall back to the default agent',
      remediation:
        'Run `baton setup opencode`, or define agent "baton-worker" in opencode.json or agents/baton-worker.md.',
    });
    sandbox().writeUserConfig({
      provider: {
        stub: {
          npm: '@ai-sdk/openai-compatible',
          options: { baseURL: `${server().url}/v1` },
          models: { 'profile-model': {} },
        },
      },
      agent: { 'baton-worker': { mode: 'primary', model: 'stub/profile-model' } },
    });
    expect(await check('profile').run(context({}, 'worker'))).toEqual({
      status: 'pass',
      summary: 'agent "baton-worker" found (model stub/profile-model, mode primary)',
    });
  });

  it('probes with one real run: healthy when the model answers, an auth failure on 401', async () => {
    server().script({ model: 'probe-model' }, [{ text: 'ready' }]);
    server().script({ model: 'probe-denied' }, [{ error: { status: 401 } }]);
    const report = await runChecks({
      adapter,
      context: {
        settings: { binary: requireCli('opencode'), ...gateway('probe-model') },
        profile: null,
        env: sandbox().env,
        cwd: sandbox().workspace,
        stages: ['execute'],
      },
      probe: true,
      timeoutMs: 60_000,
    });
    expect(report.checks.map((entry) => [entry.id, entry.status])).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
      ['settings', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['probe', 'pass'],
    ]);
    expect(report.checks.at(-1)!.summary).toMatch(
      /^a real `opencode run` answered "ready" in [\d.]+s$/,
    );
    const [probeRequest] = server().requests.filter((request) => request.model === 'probe-model');
    expect(probeRequest!.text).toContain('Reply with the single word: ready');

    const denied = await check('probe').run(context(gateway('probe-denied')));
    expect(denied).toEqual({
      status: 'fail',
      summary: 'auth error: APIError: Scripted error: HTTP 401',
      remediation: `Check the key in $${KEY_VARIABLE} for ${server().url}/v1.`,
    });
  });
});
