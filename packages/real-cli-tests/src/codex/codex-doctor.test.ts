/**
 * The Codex adapter's doctor against the real pinned `codex` 0.169.0: version, login
 * status, profile layering as Codex itself loads it, and the probe against the scripted
 * model server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCodexAdapter } from '@baton/codex';
import type { DoctorContext, RuntimeSettings } from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import { describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, KEY_VARIABLE } from './support.js';

const adapter = createCodexAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function context(settings: RuntimeSettings, profile: string | null = null): DoctorContext {
  return {
    settings: { binary: requireCli('codex'), ...settings },
    profile,
    env: sandbox().env,
    cwd: sandbox().workspace,
    stages: ['interview'],
    signal: new AbortController().signal,
    results: {},
  };
}

function check(id: string) {
  return adapter.doctorChecks().find((candidate) => candidate.id === id)!;
}

describe('codex doctor with codex 0.169.0', () => {
  it('passes binary and version', async () => {
    expect(await check('binary').run(context({}))).toEqual({
      status: 'pass',
      summary: `found ${requireCli('codex')}`,
    });
    expect(await check('version').run(context({}))).toEqual({
      status: 'pass',
      version: '0.169.0',
      summary: 'version 0.169.0 (tested: >=0.169.0 <0.170.0)',
    });
  });

  it('fails auth in an empty CODEX_HOME (real `codex login status`: Not logged in)', async () => {
    expect(await check('auth').run(context({}))).toEqual({
      status: 'fail',
      summary: `not logged in (codex login status, in ${sandbox().codexHome}) and $CODEX_API_KEY is not set`,
      remediation:
        'Run `codex login`, or export CODEX_API_KEY=<OpenAI API key> (codex exec does not read OPENAI_API_KEY).',
    });
  });

  it('passes auth after `codex login --with-api-key`, without showing the key', async () => {
    const { runCommand } = await import('@baton/core/doctor');
    const login = await runCommand(requireCli('codex'), ['login', '--with-api-key'], {
      env: sandbox().env,
      cwd: sandbox().workspace,
      timeoutMs: 15_000,
      input: 'sk-test-0123456789abcdef\n',
    });
    expect(login.exitCode).toBe(0);
    const result = await check('auth').run(context({}));
    expect(result).toEqual({
      status: 'pass',
      summary: `logged in with a stored API key (codex login status, in ${sandbox().codexHome})`,
    });
  });

  it('fails the profile check when Codex cannot load the profile file', async () => {
    writeFileSync(join(sandbox().codexHome, 'baton-worker.config.toml'), 'model = \n');
    const result = await check('profile').run(context({}, 'worker'));
    expect(result.status).toBe('fail');
    expect(result.summary).toMatch(
      /^Codex cannot load its config with --profile baton-worker: Error: failed to load configuration Caused by: .*baton-worker\.config\.toml:1:9/,
    );
  });

  it('passes the profile check for a good profile file, and fails a legacy table', async () => {
    writeFileSync(
      join(sandbox().codexHome, 'baton-worker.config.toml'),
      'model = "profiled-model"\n',
    );
    expect(await check('profile').run(context({}, 'worker'))).toEqual({
      status: 'pass',
      summary: `${join(sandbox().codexHome, 'baton-worker.config.toml')} loads (codex --profile baton-worker)`,
    });
    writeFileSync(
      join(sandbox().codexHome, 'config.toml'),
      '[profiles.baton-worker]\nmodel = "x"\n',
    );
    expect(await check('profile').run(context({}, 'worker'))).toMatchObject({ status: 'fail' });
  });

  it('probes: healthy when the model answers, an auth failure when the key is refused', async () => {
    server().script({ model: 'probe-model' }, [{ text: 'OK' }]);
    const baseUrl = `${server().url}/v1`;
    const report = await runChecks({
      adapter,
      context: {
        settings: {
          binary: requireCli('codex'),
          baseUrl,
          apiKeyEnv: KEY_VARIABLE,
          model: 'probe-model',
        },
        profile: null,
        env: sandbox().env,
        cwd: sandbox().workspace,
        stages: ['interview'],
      },
      probe: true,
      timeoutMs: 20_000,
    });
    expect(report.checks.map((entry) => [entry.id, entry.status])).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['probe', 'pass'],
    ]);
    expect(report.status).toBe('pass');
    expect(report.version).toBe('0.169.0');
    const probeRequest = server().requests.find((request) => request.model === 'probe-model')!;
    expect(probeRequest.text).toContain('Reply with the single word OK.');

    const refused = await check('probe').run({
      ...context({ baseUrl, apiKeyEnv: 'WRONG_KEY', model: 'probe-model' }),
      env: { ...sandbox().env, WRONG_KEY: 'not-the-key' },
    });
    expect(refused).toEqual({
      status: 'fail',
      summary: expect.stringMatching(
        /^auth error: unexpected status 401 Unauthorized: Incorrect API key provided/,
      ),
      remediation: `Check the key in $WRONG_KEY for ${baseUrl}.`,
    });
  });
});
