import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorContext } from '@baton/core';
import { readExecutableHead } from '@baton/core/doctor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentDetails,
  authCheck,
  createOpenCodeDoctorChecks,
  detectOpenCodePlaceholder,
  parseAuthList,
  profileCheck,
  settingsCheck,
} from './doctor.js';
import { OPENCODE_IDENTITY } from './opencode-adapter.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/opencode-1.18.33-${name}`, import.meta.url), 'utf8');

/** The placeholder `bin/opencode.exe` of the opencode-ai 1.18.33 npm package, byte for byte. */
const PLACEHOLDER = `echo "Error: opencode-ai's postinstall script was not run." >&2
echo "" >&2
echo "This occurs when using --ignore-scripts during installation, or when using a" >&2
echo "package manager like pnpm that does not run postinstall scripts by default." >&2
echo "" >&2
echo "To fix this, run the postinstall script manually:" >&2
echo "  cd node_modules/opencode-ai && node postinstall.mjs" >&2
echo "" >&2
echo "Or reinstall opencode-ai without the --ignore-scripts flag." >&2
exit 1
`;

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-opencode-doctor-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function executable(path: string, content: string | Buffer): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  return path;
}

/** A stand-in `opencode` that answers `auth list` and `debug agent` from captured output. */
function fakeOpenCode(): string {
  writeFileSync(join(directory, 'auth-list.txt'), fixture('auth-list-credentials-and-env.txt'));
  writeFileSync(join(directory, 'agent.json'), fixture('debug-agent.json'));
  writeFileSync(join(directory, 'missing.txt'), fixture('debug-agent-missing.txt'));
  return executable(
    join(directory, 'bin', 'opencode'),
    `#!/bin/sh
case "$1 $2" in
  "auth list") cat "${directory}/auth-list.txt" ;;
  "debug agent") if [ "$3" = baton-worker ]; then cat "${directory}/agent.json"; else cat "${directory}/missing.txt" >&2; exit 1; fi ;;
  *) exit 2 ;;
esac
`,
  );
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function context(overrides: Partial<DoctorContext> = {}): DoctorContext {
  return {
    settings: {},
    profile: null,
    env: { PATH: '/usr/bin:/bin' },
    cwd: directory,
    stages: ['execute'],
    signal: new AbortController().signal,
    results: {},
    ...overrides,
  };
}

describe('detectOpenCodePlaceholder', () => {
  it('recognises the npm placeholder and names the fix', () => {
    const path = executable(join(directory, 'opencode-ai', 'bin', 'opencode.exe'), PLACEHOLDER);
    expect(detectOpenCodePlaceholder(readExecutableHead(path))).toBe(
      "opencode-ai's postinstall did not run, so the native binary was never put in place " +
        `(it only prints "Error: opencode-ai's postinstall script was not run."). Run it: cd ` +
        `${join(directory, 'opencode-ai')} && node postinstall.mjs; or reinstall without --ignore-scripts.`,
    );
  });

  it('follows a pnpm shell shim to the placeholder, and passes a native binary', () => {
    executable(join(directory, 'opencode-ai', 'bin', 'opencode.exe'), PLACEHOLDER);
    const shim = executable(
      join(directory, 'node_modules', '.bin', 'opencode'),
      '#!/bin/sh\nexec "$basedir/../../opencode-ai/bin/opencode.exe" "$@"\n# cmd-shim-target=../../opencode-ai/bin/opencode.exe\n',
    );
    expect(detectOpenCodePlaceholder(readExecutableHead(shim))).toMatch(/postinstall did not run/);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(200)]);
    executable(join(directory, 'opencode-ai', 'bin', 'opencode.exe'), elf);
    expect(detectOpenCodePlaceholder(readExecutableHead(shim))).toBeNull();
    expect(
      detectOpenCodePlaceholder(
        readExecutableHead(join(directory, 'opencode-ai', 'bin', 'opencode.exe')),
      ),
    ).toBeNull();
  });

  it('passes an unrelated script', () => {
    const path = executable(join(directory, 'opencode'), '#!/bin/sh\nexec /opt/opencode "$@"\n');
    expect(detectOpenCodePlaceholder(readExecutableHead(path))).toBeNull();
  });
});

describe('parseAuthList', () => {
  it('reads credentials and environment keys from `opencode auth list`', () => {
    expect(parseAuthList(fixture('auth-list-credentials-and-env.txt'))).toEqual({
      credentials: ['Anthropic api', 'OpenRouter oauth'],
      environment: ['Groq GROQ_API_KEY', 'OpenAI OPENAI_API_KEY'],
    });
    expect(parseAuthList(fixture('auth-list-empty.txt'))).toEqual({
      credentials: [],
      environment: [],
    });
    expect(parseAuthList('something else')).toBeNull();
  });
});

describe('agentDetails', () => {
  it('reads model and mode from `opencode debug agent`', () => {
    expect(agentDetails(fixture('debug-agent.json'))).toEqual({
      model: 'stub/agent-model',
      mode: 'primary',
    });
    expect(agentDetails('not json')).toEqual({ model: null, mode: null });
  });
});

describe('settingsCheck', () => {
  it('passes and names the model OpenCode will use', () => {
    expect(settingsCheck(context())).toEqual({
      status: 'pass',
      summary: "model: chosen by OpenCode's config (no model in [runtimes.opencode])",
    });
    expect(
      settingsCheck(
        context({ settings: { baseUrl: 'http://127.0.0.1:4000/v1', model: 'gpt-4o' } }),
      ),
    ).toEqual({
      status: 'pass',
      summary: 'model: baton/gpt-4o, sent to http://127.0.0.1:4000/v1 (Chat Completions)',
    });
  });

  it('fails what the command builder would refuse', () => {
    expect(
      settingsCheck(context({ settings: { baseUrl: 'http://127.0.0.1:4000/v1' } })),
    ).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/base_url needs a model/),
    });
    expect(settingsCheck(context({ settings: { model: 'gpt-4o' } }))).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/provider\/model form/),
    });
  });

  it('warns about an api_key_env that goes nowhere', () => {
    expect(settingsCheck(context({ settings: { apiKeyEnv: 'KEY' } })).status).toBe('warn');
  });
});

describe('authCheck', () => {
  it('checks the api_key_env variable for a gateway, and says where the key goes', async () => {
    const settings = {
      baseUrl: 'https://gateway.example/v1',
      apiKeyEnv: 'GATEWAY_KEY',
      model: 'm',
    };
    expect(await authCheck(OPENCODE_IDENTITY, context({ settings }))).toEqual({
      status: 'fail',
      summary: '$GATEWAY_KEY (api_key_env) is not set',
      remediation: 'export GATEWAY_KEY=<key for https://gateway.example/v1>',
    });
    expect(
      await authCheck(OPENCODE_IDENTITY, context({ settings, env: { GATEWAY_KEY: 'k' } })),
    ).toEqual({
      status: 'pass',
      summary:
        'key from $GATEWAY_KEY, referenced as {env:GATEWAY_KEY} in the provider options for https://gateway.example/v1',
    });
  });

  it('accepts a keyless local gateway and warns about a keyless remote one', async () => {
    expect(
      (
        await authCheck(
          OPENCODE_IDENTITY,
          context({ settings: { baseUrl: 'http://127.0.0.1:4000/v1', model: 'm' } }),
        )
      ).status,
    ).toBe('pass');
    expect(
      (
        await authCheck(
          OPENCODE_IDENTITY,
          context({ settings: { baseUrl: 'https://gw.example/v1', model: 'm' } }),
        )
      ).status,
    ).toBe('warn');
  });

  it('asks `opencode auth list` otherwise, matching the model’s provider', async () => {
    const binary = fakeOpenCode();
    expect(await authCheck(OPENCODE_IDENTITY, context({ settings: { binary } }))).toEqual({
      status: 'pass',
      summary:
        'credentials: Anthropic api (auth.json), OpenRouter oauth (auth.json), Groq GROQ_API_KEY (environment), OpenAI OPENAI_API_KEY (environment) (opencode auth list)',
    });
    expect(
      await authCheck(OPENCODE_IDENTITY, context({ settings: { binary, model: 'openai/gpt-5' } })),
    ).toEqual({
      status: 'pass',
      summary: 'credentials for openai: OpenAI OPENAI_API_KEY (opencode auth list)',
    });
    const missing = await authCheck(
      OPENCODE_IDENTITY,
      context({ settings: { binary, model: 'google/gemini' } }),
    );
    expect(missing.status).toBe('warn');
    expect(missing.summary).toMatch(/^`opencode auth list` shows no credentials for google/);
  });
});

describe('profileCheck', () => {
  it('skips without a backend profile', async () => {
    expect(await profileCheck(OPENCODE_IDENTITY, context())).toEqual({
      status: 'skip',
      summary: 'no backend profile configured',
    });
  });

  it('asks OpenCode for the agent', async () => {
    const binary = fakeOpenCode();
    expect(
      await profileCheck(OPENCODE_IDENTITY, context({ profile: 'worker', settings: { binary } })),
    ).toEqual({
      status: 'pass',
      summary: 'agent "baton-worker" found (model stub/agent-model, mode primary)',
    });
    expect(
      await profileCheck(OPENCODE_IDENTITY, context({ profile: 'missing', settings: { binary } })),
    ).toEqual({
      status: 'fail',
      summary:
        'OpenCode has no agent "baton-missing" (Agent baton-missing not found, run \'opencode.exe agent list\' to get an agent list); `--agent baton-missing` would silently fall back to the default agent',
      remediation:
        'Run `baton setup opencode`, or define agent "baton-missing" in opencode.json or agents/baton-missing.md.',
    });
  });
});

describe('createOpenCodeDoctorChecks', () => {
  it('has cheap checks and one probe, in dependency order', () => {
    const checks = createOpenCodeDoctorChecks({ identity: OPENCODE_IDENTITY, defaults: {} });
    expect(checks.map((check) => [check.id, check.dependsOn ?? [], check.probe === true])).toEqual([
      ['binary', [], false],
      ['version', ['binary'], false],
      ['settings', [], false],
      ['auth', ['binary', 'settings'], false],
      ['profile', ['binary'], false],
      ['probe', ['version', 'settings', 'auth'], true],
    ]);
  });

  it('lets [runtimes.opencode] override factory defaults', async () => {
    const checks = createOpenCodeDoctorChecks({
      identity: OPENCODE_IDENTITY,
      defaults: { model: 'gpt-4o' },
    });
    const settings = checks.find((check) => check.id === 'settings')!;
    expect((await settings.run(context())).status).toBe('fail');
    expect((await settings.run(context({ settings: { model: 'openai/gpt-4o' } }))).status).toBe(
      'pass',
    );
  });

  it('fails the probe at once on an unreachable gateway', async () => {
    const checks = createOpenCodeDoctorChecks({ identity: OPENCODE_IDENTITY, defaults: {} });
    const probe = checks.find((check) => check.id === 'probe')!;
    const port = await closedPort();
    const result = await probe.run(
      context({
        settings: { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', binary: fakeOpenCode() },
      }),
    );
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(
      `network error: http://127.0.0.1:${port}/v1 is unreachable (ECONNREFUSED)`,
    );
  });
});
