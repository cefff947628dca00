import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorContext } from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import { describe, expect, it } from 'vitest';
import { authCheck, createGeminiDoctorChecks, envFileWithKey, profileCheck } from './doctor.js';
import { createGeminiAdapter, GEMINI_IDENTITY } from './gemini-adapter.js';
import { tempDirectory, writeExecutable, writeTree } from './test-support/temp.js';

function context(overrides: Partial<DoctorContext> = {}): DoctorContext {
  return {
    settings: {},
    profile: null,
    env: { PATH: '/nonexistent', HOME: '/nonexistent-home' },
    cwd: '/',
    stages: ['evaluate'],
    signal: new AbortController().signal,
    results: {},
    ...overrides,
  };
}

/** A fake `gemini` on a private PATH that answers --version and a headless run. */
function fakeGemini(root: string, headless: string): { PATH: string; log: string } {
  const log = join(root, 'calls.log');
  writeExecutable(
    join(root, 'bin', 'gemini'),
    [
      'if [ "$1" = "--version" ]; then echo 0.56.0; exit 0; fi',
      `echo "$@" >> '${log}'`,
      `cat >> '${log}'`,
      headless,
    ].join('\n'),
  );
  return { PATH: `${join(root, 'bin')}:/usr/bin:/bin`, log };
}

const ANSWER = [
  `echo '{"type":"init","timestamp":"t","session_id":"probe-1","model":"gemini-2.5-flash"}'`,
  `echo '{"type":"message","timestamp":"t","role":"assistant","content":"OK","delta":true}'`,
  `echo '{"type":"result","timestamp":"t","status":"success","stats":{"total_tokens":9,"input_tokens":8,"output_tokens":1,"cached":0,"input":8,"duration_ms":5,"tool_calls":0}}'`,
].join('\n');

describe('the Gemini doctor checks', () => {
  it('offers binary, version, auth and profile cheaply and the probe only when asked', () => {
    const checks = createGeminiDoctorChecks({ identity: GEMINI_IDENTITY });
    expect(checks.map((check) => [check.id, check.probe === true, check.dependsOn ?? []])).toEqual([
      ['binary', false, []],
      ['version', false, ['binary']],
      ['auth', false, []],
      ['profile', false, []],
      ['probe', true, ['binary', 'auth']],
    ]);
  });

  it('passes a healthy install end to end, the probe included (a stand-in binary)', async () => {
    const root = tempDirectory();
    const { PATH, log } = fakeGemini(root, ANSWER);
    const report = await runChecks({
      adapter: createGeminiAdapter(),
      context: {
        settings: {},
        profile: null,
        env: { PATH, HOME: root, GEMINI_API_KEY: 'key' },
        cwd: root,
        stages: ['evaluate'],
      },
      probe: true,
      timeoutMs: 10_000,
    });
    expect(report.checks.map((check) => [check.id, check.status, check.summary])).toEqual([
      ['binary', 'pass', `found ${join(root, 'bin', 'gemini')}`],
      ['version', 'pass', 'version 0.56.0 (tested: >=0.56.0 <0.57.0)'],
      ['auth', 'pass', 'Gemini API key from $GEMINI_API_KEY'],
      ['profile', 'skip', 'no backend profile configured'],
      ['probe', 'pass', expect.stringMatching(/^gemini answered in \d+(\.\d)?s$/)],
    ]);
    expect(report.version).toBe('0.56.0');
    // The probe ran read-only, headless, with its prompt on stdin and no system prompt file.
    expect(readFileSync(log, 'utf8')).toBe(
      '--output-format stream-json --approval-mode default\nReply with the single word OK. Do not use any tool.',
    );
  });

  it('fails the probe with the decoded cause when the API refuses', async () => {
    const root = tempDirectory();
    const { PATH } = fakeGemini(
      root,
      [
        `echo '{"type":"init","timestamp":"t","session_id":"probe-2","model":"gemini-2.5-flash"}'`,
        `echo '{"type":"result","timestamp":"t","status":"error","error":{"type":"unknown","message":"[API Error: quota (Status: RESOURCE_EXHAUSTED)]"}}'`,
        'exit 1',
      ].join('\n'),
    );
    const probe = createGeminiDoctorChecks({ identity: GEMINI_IDENTITY }).find(
      (check) => check.id === 'probe',
    )!;
    expect(await probe.run(context({ env: { PATH, HOME: root }, cwd: root }))).toEqual({
      status: 'fail',
      summary: 'rate-limit error: [API Error: quota (Status: RESOURCE_EXHAUSTED)]',
      remediation: 'Wait, or check the quota of the account or key.',
    });
  });

  it('warns on a version outside the range this example was written for', async () => {
    const root = tempDirectory();
    writeExecutable(join(root, 'bin', 'gemini'), 'echo 0.61.0');
    const report = await runChecks({
      adapter: createGeminiAdapter(),
      context: {
        settings: {},
        profile: null,
        env: { PATH: join(root, 'bin'), HOME: root, GEMINI_API_KEY: 'key' },
        cwd: root,
        stages: ['execute'],
      },
      probe: false,
      timeoutMs: 10_000,
    });
    expect(report.status).toBe('warn');
    expect(report.checks.find((check) => check.id === 'version')).toMatchObject({
      status: 'warn',
      summary: 'version 0.61.0 is outside the tested range >=0.56.0 <0.57.0',
    });
    expect(report.checks.map((check) => check.id)).not.toContain('probe');
  });

  it('fails a missing binary with the install command, skipping what depends on it', async () => {
    const report = await runChecks({
      adapter: createGeminiAdapter(),
      context: {
        settings: {},
        profile: null,
        env: { PATH: '/nonexistent', HOME: '/nonexistent-home', GEMINI_API_KEY: 'key' },
        cwd: '/',
        stages: ['execute'],
      },
      probe: true,
      timeoutMs: 10_000,
    });
    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ['binary', 'fail'],
      ['version', 'skip'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['probe', 'skip'],
    ]);
    expect(report.checks[0]).toMatchObject({
      summary: 'gemini not found on PATH',
      remediation: 'Install Gemini CLI: npm install -g @google/gemini-cli@0.56.0',
    });
  });
});

describe('authCheck', () => {
  it('finds an API key, Vertex AI, or a cached sign-in, in that order', () => {
    const home = tempDirectory();
    expect(authCheck(context({ env: { HOME: home, GEMINI_API_KEY: 'k' } }))).toEqual({
      status: 'pass',
      summary: 'Gemini API key from $GEMINI_API_KEY',
    });
    expect(
      authCheck(
        context({
          env: {
            HOME: home,
            GOOGLE_GENAI_USE_VERTEXAI: 'true',
            GOOGLE_CLOUD_PROJECT: 'p-1',
            GOOGLE_CLOUD_LOCATION: 'europe-west4',
          },
        }),
      ),
    ).toEqual({ status: 'pass', summary: 'Vertex AI in project p-1 (europe-west4)' });
    expect(
      authCheck(context({ env: { HOME: home, GOOGLE_GENAI_USE_VERTEXAI: 'true' } })).status,
    ).toBe('fail');
    writeTree(home, { '.gemini/oauth_creds.json': '{}' });
    expect(authCheck(context({ env: { HOME: home } }))).toEqual({
      status: 'pass',
      summary: `cached Google sign-in (${join(home, '.gemini', 'oauth_creds.json')})`,
    });
  });

  it('fails with what to do when nothing is there', () => {
    const home = tempDirectory();
    expect(authCheck(context({ env: { HOME: home }, cwd: home }))).toEqual({
      status: 'fail',
      summary: `no credentials: $GEMINI_API_KEY is not set and ${join(home, '.gemini', 'oauth_creds.json')} does not exist`,
      remediation:
        'export GEMINI_API_KEY=<key from Google AI Studio>, or run `gemini` once and sign in with Google.',
    });
  });

  it('reads GEMINI_API_KEY from the one .env file Gemini CLI would load', () => {
    const root = tempDirectory();
    const home = join(root, 'home');
    const project = join(root, 'work', 'project');
    writeTree(root, {
      'work/.env': 'GEMINI_API_KEY=from-parent\n',
      'home/.gemini/.env': 'GEMINI_API_KEY=from-home\n',
      'work/project/src/.keep': '',
    });
    const env = { HOME: home };
    expect(envFileWithKey(join(project, 'src'), env)).toBe(join(root, 'work', '.env'));
    expect(authCheck(context({ env, cwd: project }))).toEqual({
      status: 'pass',
      summary: `GEMINI_API_KEY in ${join(root, 'work', '.env')}`,
    });
    // The nearest file wins even without the key: Gemini CLI loads only one.
    writeTree(root, { 'work/project/.gemini/.env': 'OTHER=1\n' });
    expect(envFileWithKey(project, env)).toBeNull();
  });

  it('checks the gateway: URL, HTTPS unless local, and the named key', () => {
    const env = { HOME: '/nonexistent-home', GATEWAY_KEY: 'gk' };
    expect(
      authCheck(
        context({ env, settings: { baseUrl: 'http://127.0.0.1:4000', apiKeyEnv: 'GATEWAY_KEY' } }),
      ),
    ).toEqual({ status: 'pass', summary: 'key for base_url from $GATEWAY_KEY' });
    expect(
      authCheck(context({ env, settings: { baseUrl: 'http://gateway.internal:4000' } })),
    ).toEqual({
      status: 'fail',
      summary:
        'base_url http://gateway.internal:4000 is plain HTTP to a remote host, which Gemini CLI refuses',
      remediation: 'Use an https:// URL, or a gateway on localhost.',
    });
    expect(
      authCheck(context({ env, settings: { baseUrl: 'https://gw.example', apiKeyEnv: 'NOPE' } })),
    ).toEqual({
      status: 'fail',
      summary: '$NOPE (api_key_env for base_url) is not set',
      remediation: 'export NOPE=<key for https://gw.example>',
    });
    expect(authCheck(context({ env, settings: { baseUrl: 'not a url' } })).status).toBe('fail');
  });
});

describe('profileCheck', () => {
  it('skips without a backend profile', () => {
    expect(profileCheck({ profile: null, env: {} })).toEqual({
      status: 'skip',
      summary: 'no backend profile configured',
    });
  });

  it('fails a missing, malformed, misnamed or unversioned extension, and passes a good one', () => {
    const home = tempDirectory();
    const env = { HOME: home };
    const manifest = join(home, '.gemini', 'extensions', 'baton-worker', 'gemini-extension.json');
    expect(profileCheck({ profile: 'worker', env })).toEqual({
      status: 'fail',
      summary: `profile baton-worker has no ${manifest}; Gemini CLI would run without it`,
      remediation: 'Run `baton setup gemini`.',
    });
    writeTree(home, { '.gemini/extensions/baton-worker/gemini-extension.json': '{ "name": ' });
    expect(profileCheck({ profile: 'worker', env }).summary).toMatch(/is not valid JSON/);
    writeTree(home, {
      '.gemini/extensions/baton-worker/gemini-extension.json': '{"name":"other","version":"1"}',
    });
    expect(profileCheck({ profile: 'worker', env })).toMatchObject({
      status: 'fail',
      summary: `${manifest} names the extension "other", not "baton-worker"`,
    });
    writeTree(home, {
      '.gemini/extensions/baton-worker/gemini-extension.json': '{"name":"baton-worker"}',
    });
    expect(profileCheck({ profile: 'worker', env }).status).toBe('fail');
    writeTree(home, {
      '.gemini/extensions/baton-worker/gemini-extension.json':
        '{"name":"baton-worker","version":"1.0.0"}',
    });
    expect(profileCheck({ profile: 'worker', env })).toEqual({
      status: 'pass',
      summary: `extension baton-worker (${manifest})`,
    });
  });

  it('fails a profile name Gemini CLI cannot use', () => {
    expect(profileCheck({ profile: 'my_profile', env: {} })).toEqual({
      status: 'fail',
      summary:
        '"baton-my_profile" is not a valid Gemini CLI extension name (letters, digits and "-" only)',
      remediation: 'Choose a backend_profile of letters, digits and "-" in baton.toml.',
    });
  });
});
