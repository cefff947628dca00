import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment, RuntimeSettings } from '@baton/core';
import { type RuntimeReport, runChecks } from '@baton/core/doctor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialNamesInDotEnv, parseHermesVersion } from './doctor.js';
import { createHermesAdapter } from './hermes-adapter.js';
import { installHermesStandIn, standInPath } from './test-support/index.js';

let root: string;
let binDir: string;
let emptyBinDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-hermes-doctor-'));
  binDir = join(root, 'bin');
  emptyBinDir = join(root, 'empty-bin');
  mkdirSync(binDir);
  mkdirSync(emptyBinDir);
  installHermesStandIn(binDir);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function freshHome(): string {
  return mkdtempSync(join(root, 'home-'));
}

interface DoctorOptions {
  env?: Environment;
  settings?: RuntimeSettings;
  profile?: string | null;
  probe?: boolean;
  timeoutMs?: number;
  probeTimeoutMs?: number;
}

function doctor(options: DoctorOptions = {}): Promise<RuntimeReport> {
  const home = freshHome();
  return runChecks({
    adapter: createHermesAdapter(),
    probe: options.probe ?? false,
    timeoutMs: options.timeoutMs ?? 15_000,
    probeTimeoutMs: options.probeTimeoutMs ?? 30_000,
    context: {
      settings: options.settings ?? {},
      profile: options.profile ?? null,
      env: {
        PATH: standInPath(binDir),
        HOME: home,
        HERMES_HOME: join(home, '.hermes'),
        OPENROUTER_API_KEY: 'sk-or-test',
        ...options.env,
      },
      cwd: root,
      stages: ['reflect'],
    },
  });
}

function check(report: RuntimeReport, id: string) {
  const found = report.checks.find((entry) => entry.id === id);
  if (!found) throw new Error(`no check ${id} in ${JSON.stringify(report)}`);
  return found;
}

describe('Hermes doctor against the stand-in', () => {
  it('passes every cheap check and reports the version', async () => {
    const report = await doctor();
    expect(report.status).toBe('pass');
    expect(report.version).toBe('0.21.3');
    expect(report.checks.map((entry) => [entry.id, entry.status])).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
    ]);
    expect(check(report, 'binary').summary).toBe(`found ${join(binDir, 'hermes')}`);
    expect(check(report, 'auth').summary).toBe(
      'provider credentials in environment (OPENROUTER_API_KEY)',
    );
    expect(check(report, 'version').summary).toBe('version 0.21.3 (tested: >=0.21.0 <0.22.0)');
  });

  it('passes the probe with a real one-shot run', async () => {
    const report = await doctor({ probe: true });
    const probe = check(report, 'probe');
    expect(probe.status).toBe('pass');
    expect(probe.summary).toMatch(
      /^one-shot run answered in \d+ ms: "Hermes stand-in answer\. The prompt had 32 characters\."$/,
    );
  });

  it('fails when the binary is missing, and skips what depends on it', async () => {
    const report = await doctor({ env: { PATH: standInPath(emptyBinDir) }, probe: true });
    expect(report.status).toBe('fail');
    expect(check(report, 'binary')).toMatchObject({
      status: 'fail',
      summary: 'hermes not found on PATH',
    });
    expect(check(report, 'binary').remediation).toContain('pipx install hermes-agent');
    expect(check(report, 'version').status).toBe('skip');
    expect(check(report, 'probe').status).toBe('skip');
  });

  it('warns outside the tested version range', async () => {
    const report = await doctor({ env: { HERMES_STANDIN_VERSION: '0.22.1' } });
    expect(report.status).toBe('warn');
    expect(check(report, 'version')).toMatchObject({
      status: 'warn',
      summary: 'version 0.22.1 is outside the tested range >=0.21.0 <0.22.0',
    });
  });

  it('bounds a hanging --version by the check time limit', async () => {
    const started = Date.now();
    const report = await doctor({ env: { HERMES_STANDIN_VERSION: 'hang' }, timeoutMs: 1_500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(check(report, 'version')).toMatchObject({
      status: 'fail',
      summary: 'did not finish within 1.5s',
    });
  });

  it('fails a configured profile that does not exist, and passes one that does', async () => {
    const missing = await doctor({ profile: 'worker' });
    expect(check(missing, 'profile').status).toBe('fail');
    expect(check(missing, 'profile').remediation).toBe('hermes profile create baton-worker');

    const home = freshHome();
    const profileDir = join(home, '.hermes', 'profiles', 'baton-worker');
    mkdirSync(profileDir, { recursive: true });
    const noConfig = await doctor({
      profile: 'worker',
      env: { HOME: home, HERMES_HOME: join(home, '.hermes') },
    });
    expect(check(noConfig, 'profile').status).toBe('warn');
    writeFileSync(
      join(profileDir, 'config.yaml'),
      'model:\n  default: anthropic/claude-sonnet-4.6\n',
    );
    const ready = await doctor({
      profile: 'worker',
      env: { HOME: home, HERMES_HOME: join(home, '.hermes') },
    });
    expect(check(ready, 'profile')).toMatchObject({
      status: 'pass',
      summary: `Hermes profile baton-worker at ${profileDir}`,
    });
  });

  it('runs the probe inside the configured profile', async () => {
    const home = freshHome();
    mkdirSync(join(home, '.hermes', 'profiles', 'baton-worker'), { recursive: true });
    const report = await doctor({
      profile: 'worker',
      probe: true,
      env: { HOME: home, HERMES_HOME: join(home, '.hermes') },
    });
    expect(check(report, 'probe').status).toBe('pass');
  });

  it('checks the key for base_url', async () => {
    const settings = { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' };
    const missing = await doctor({ settings });
    expect(check(missing, 'auth')).toMatchObject({
      status: 'fail',
      summary: '$GATEWAY_KEY (api_key_env for http://127.0.0.1:4000/v1) is not set',
    });
    const present = await doctor({ settings, env: { GATEWAY_KEY: 'sk-1' } });
    expect(check(present, 'auth').status).toBe('pass');
    expect(JSON.stringify(present)).not.toContain('sk-1');
  });

  it('finds credentials in the Hermes .env without printing them, and warns when there are none', async () => {
    const home = freshHome();
    mkdirSync(join(home, '.hermes'), { recursive: true });
    writeFileSync(
      join(home, '.hermes', '.env'),
      '# keys\nANTHROPIC_API_KEY=sk-ant-secret\nEMPTY_KEY=\n',
    );
    const found = await doctor({
      env: { HOME: home, HERMES_HOME: join(home, '.hermes'), OPENROUTER_API_KEY: '' },
    });
    expect(check(found, 'auth').summary).toBe(
      `provider credentials in ${join(home, '.hermes', '.env')} (ANTHROPIC_API_KEY)`,
    );
    expect(JSON.stringify(found)).not.toContain('sk-ant-secret');

    const none = await doctor({ env: { OPENROUTER_API_KEY: '' } });
    expect(check(none, 'auth').status).toBe('warn');
    expect(none.status).toBe('warn');
  });

  it.each([
    ['auth-error', 'auth'],
    ['network-error', 'network'],
    ['rate-limit', 'rate-limit'],
    ['server-error', 'server'],
    ['billing', 'rate-limit'],
    ['empty', 'model'],
  ])('fails the probe when Hermes reports %s', async (script, kind) => {
    const report = await doctor({ probe: true, env: { HERMES_STANDIN_SCRIPT: script } });
    const probe = check(report, 'probe');
    expect(probe.status).toBe('fail');
    expect(probe.summary.startsWith(`probe failed (${kind}): `)).toBe(true);
    expect(report.status).toBe('fail');
  });

  it('bounds a hanging probe by the probe time limit', async () => {
    const started = Date.now();
    const report = await doctor({
      probe: true,
      env: { HERMES_STANDIN_SCRIPT: 'hang' },
      probeTimeoutMs: 2_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(check(report, 'probe')).toMatchObject({
      status: 'fail',
      summary: 'did not finish within 2s',
    });
  });
});

describe('parseHermesVersion', () => {
  it('reads the version, not the release date', () => {
    expect(parseHermesVersion('Hermes Agent v0.21.3 (2026.11.14)\nPython: 3.14.0\n')).toBe(
      '0.21.3',
    );
    expect(parseHermesVersion('Hermes Agent v0.21.5 · upstream 1a2b3c (2026.12.01)')).toBe(
      '0.21.5',
    );
    expect(parseHermesVersion('hermes 0.19.0')).toBe('0.19.0');
    expect(parseHermesVersion('no version here')).toBeUndefined();
  });
});

describe('credentialNamesInDotEnv', () => {
  it('lists the names of non-empty keys only', () => {
    expect(
      credentialNamesInDotEnv(
        'OPENROUTER_API_KEY=sk\nexport GLM_API_KEY="z"\nEMPTY_API_KEY=\n#X_API_KEY=1\nLOG_LEVEL=debug\n',
      ),
    ).toEqual(['OPENROUTER_API_KEY', 'GLM_API_KEY']);
  });
});
