/**
 * The Claude Code adapter's doctor against the real pinned `claude` 2.1.330: the binary
 * behind pnpm's shim, the version, `claude auth status`, the profile file, and the probe
 * against the scripted model server (success, refused key, dead provider).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClaudeCodeAdapter } from '@baton/claude-code';
import type { DoctorContext, RuntimeSettings } from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import { describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, KEY_VARIABLE } from './support.js';

const adapter = createClaudeCodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function context(
  settings: RuntimeSettings,
  profile: string | null = null,
  env = sandbox().env,
): DoctorContext {
  return {
    settings: { binary: requireCli('claude'), ...settings },
    profile,
    env,
    cwd: sandbox().workspace,
    stages: ['evaluate'],
    signal: new AbortController().signal,
    results: {},
  };
}

function check(id: string) {
  return adapter.doctorChecks().find((candidate) => candidate.id === id)!;
}

describe('claude-code doctor with claude 2.1.330', () => {
  it('passes binary (through the pnpm shim to the native binary) and version', async () => {
    expect(await check('binary').run(context({}))).toEqual({
      status: 'pass',
      summary: `found ${requireCli('claude')}`,
    });
    expect(await check('version').run(context({}))).toEqual({
      status: 'pass',
      version: '2.1.330',
      summary: 'version 2.1.330 (tested: >=2.1.197 <2.2.0)',
    });
  });

  it('fails auth in an empty CLAUDE_CONFIG_DIR without keys, passes with ANTHROPIC_API_KEY (real `claude auth status`)', async () => {
    expect(await check('auth').run(context({}))).toEqual({
      status: 'fail',
      summary:
        'not logged in (claude auth status) and neither $ANTHROPIC_API_KEY nor $ANTHROPIC_AUTH_TOKEN is set',
      remediation: 'Run `claude auth login`, or export ANTHROPIC_API_KEY=<Anthropic API key>.',
    });
    const withKey = await check('auth').run(
      context({}, null, { ...sandbox().env, ANTHROPIC_API_KEY: 'sk-ant-test' }),
    );
    expect(withKey).toEqual({
      status: 'pass',
      summary: 'logged in: api_key from $ANTHROPIC_API_KEY (claude auth status)',
    });
  });

  it('fails a profile file that claude -p would silently ignore', async () => {
    writeFileSync(join(sandbox().configDir, 'baton-worker.settings.json'), '{"model": ');
    const result = await check('profile').run(context({}, 'worker'));
    expect(result.status).toBe('fail');
    expect(result.summary).toMatch(
      /baton-worker\.settings\.json is not valid JSON .*claude -p would ignore it silently$/,
    );
  });

  it('probes: healthy when the model answers, through the whole doctor run', async () => {
    server().script({ model: 'probe-model' }, [{ text: 'OK' }]);
    const report = await runChecks({
      adapter,
      context: {
        settings: {
          binary: requireCli('claude'),
          baseUrl: server().url,
          apiKeyEnv: KEY_VARIABLE,
          model: 'probe-model',
        },
        profile: null,
        env: sandbox().env,
        cwd: sandbox().workspace,
        stages: ['evaluate'],
      },
      probe: true,
      timeoutMs: 30_000,
    });
    expect(report.checks.map((entry) => [entry.id, entry.status])).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['probe', 'pass'],
    ]);
    expect(report.checks.find((entry) => entry.id === 'probe')!.summary).toMatch(
      /^a real `claude -p` answered "OK" in \d+(\.\d)?s$/,
    );
    expect(report.version).toBe('2.1.330');
    const probeRequest = server().requests.find((request) => request.model === 'probe-model')!;
    expect(probeRequest.text).toContain('Reply with the single word OK.');
    // `--tools ''`: no tool definitions, so the probe costs few tokens.
    expect((probeRequest.body as { tools?: unknown[] }).tools ?? []).toEqual([]);
  });

  it('probes: an auth failure when the gateway refuses the key, a network failure when nothing listens', async () => {
    const refused = await check('probe').run(
      context({ baseUrl: server().url, apiKeyEnv: 'WRONG_KEY', model: 'probe-model' }, null, {
        ...sandbox().env,
        WRONG_KEY: 'not-the-key',
      }),
    );
    expect(refused).toEqual({
      status: 'fail',
      summary: 'auth error: Failed to authenticate. API Error: 401 Incorrect API key provided',
      remediation: `Check the key in $WRONG_KEY for ${server().url}.`,
    });
    const dead = await check('probe').run(
      context({ baseUrl: 'http://127.0.0.1:9', apiKeyEnv: KEY_VARIABLE, model: 'probe-model' }),
    );
    expect(dead).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/^network error: API Error: Connection refused/),
      remediation: 'Check that http://127.0.0.1:9 is reachable from this machine.',
    });
  });
});
