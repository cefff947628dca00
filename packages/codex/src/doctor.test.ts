import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DoctorCheck, DoctorContext, Environment, RuntimeSettings } from '@baton/core';
import { readExecutableHead, runChecks } from '@baton/core/doctor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCodexAdapter } from './codex-adapter.js';
import { detectMissingPlatformPackage, parseCodexVersion } from './doctor.js';

let root: string;
let home: string;
let fake: string;

// A stand-in with the real CLI's observable behaviour for these commands (exit codes and
// texts captured from codex 0.169.0); the real binary is exercised in real-cli-tests.
const FAKE_CODEX = `#!/bin/sh
case "$1" in
  --version) echo "codex-cli \${FAKE_VERSION:-0.169.0}" ;;
  login)
    if [ "\${FAKE_LOGIN:-no}" = yes ]; then echo "API key configured - sk-test-***bcdef" >&2; exit 0; fi
    echo "Not logged in" >&2; exit 1 ;;
  --profile)
    if [ -n "$FAKE_PROFILE_ERROR" ]; then
      printf 'Error: failed to load configuration\\n\\nCaused by:\\n    %s\\n\\nStack backtrace:\\n   0: <unknown>\\n' "$FAKE_PROFILE_ERROR" >&2; exit 1
    fi
    echo "[]" ;;
  exec)
    cat > "$FAKE_STDIN_COPY"
    printf '%s\\n' "$@" > "$FAKE_ARGS_COPY"
    printf '%s\\n' "$FAKE_EXEC_OUTPUT"; exit "\${FAKE_EXEC_RC:-0}" ;;
esac
`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-codex-doctor-'));
  home = join(root, 'codex-home');
  mkdirSync(home);
  fake = join(root, 'bin', 'codex');
  mkdirSync(join(root, 'bin'));
  writeFileSync(fake, FAKE_CODEX);
  chmodSync(fake, 0o755);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function environment(extra: Environment = {}): Environment {
  return {
    PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}`,
    CODEX_HOME: home,
    FAKE_STDIN_COPY: join(root, 'stdin.txt'),
    FAKE_ARGS_COPY: join(root, 'args.txt'),
    ...extra,
  };
}

function check(id: string): DoctorCheck {
  return createCodexAdapter()
    .doctorChecks()
    .find((candidate) => candidate.id === id)!;
}

function context(
  overrides: { env?: Environment; settings?: RuntimeSettings; profile?: string | null } = {},
): DoctorContext {
  return {
    settings: overrides.settings ?? {},
    profile: overrides.profile ?? null,
    env: overrides.env ?? environment(),
    cwd: root,
    stages: ['interview'],
    signal: new AbortController().signal,
    results: {},
  };
}

describe('codex doctor checks', () => {
  it('lists binary, version, auth, profile and a probe that runs only when asked', () => {
    const checks = createCodexAdapter().doctorChecks();
    expect(
      checks.map((candidate) => [
        candidate.id,
        candidate.probe === true,
        candidate.dependsOn ?? [],
      ]),
    ).toEqual([
      ['binary', false, []],
      ['version', false, ['binary']],
      ['auth', false, ['binary']],
      ['profile', false, ['binary']],
      ['probe', true, ['binary', 'auth']],
    ]);
  });

  it('fails a missing binary with an install hint', async () => {
    const result = await check('binary').run(context({ env: { PATH: join(root, 'nowhere') } }));
    expect(result).toEqual({
      status: 'fail',
      summary: 'codex not found on PATH',
      remediation: 'Install Codex CLI: npm install -g @openai/codex@0.169.0',
    });
  });

  it('uses the binary from factory defaults or settings', async () => {
    const adapter = createCodexAdapter({ binary: fake });
    const binary = adapter.doctorChecks()[0]!;
    expect(await binary.run(context({ env: { PATH: '' } }))).toEqual({
      status: 'pass',
      summary: `found ${fake}`,
    });
  });

  it('reads the version and warns outside the tested range', async () => {
    expect(await check('version').run(context())).toEqual({
      status: 'pass',
      version: '0.169.0',
      summary: 'version 0.169.0 (tested: >=0.169.0 <0.170.0)',
    });
    expect(
      await check('version').run(context({ env: environment({ FAKE_VERSION: '0.171.2' }) })),
    ).toMatchObject({
      status: 'warn',
      version: '0.171.2',
    });
    expect(parseCodexVersion('WARNING: x\ncodex-cli 0.169.0\n')).toBe('0.169.0');
    expect(parseCodexVersion('opencode 1.2.3')).toBeUndefined();
  });

  describe('auth', () => {
    it('passes when codex login status says logged in, without repeating the key', async () => {
      const result = await check('auth').run(context({ env: environment({ FAKE_LOGIN: 'yes' }) }));
      expect(result).toEqual({
        status: 'pass',
        summary: `logged in with a stored API key (codex login status, in ${home})`,
      });
    });

    it('falls back to CODEX_API_KEY', async () => {
      expect(
        await check('auth').run(context({ env: environment({ CODEX_API_KEY: 'sk-x' }) })),
      ).toEqual({
        status: 'pass',
        summary: 'not logged in; key from $CODEX_API_KEY',
      });
    });

    it('fails with neither, and says OPENAI_API_KEY is not read', async () => {
      const result = await check('auth').run(
        context({ env: environment({ OPENAI_API_KEY: 'sk-x' }) }),
      );
      expect(result).toEqual({
        status: 'fail',
        summary: `not logged in (codex login status, in ${home}) and $CODEX_API_KEY is not set`,
        remediation:
          'Run `codex login`, or export CODEX_API_KEY=<OpenAI API key> (codex exec does not read OPENAI_API_KEY).',
      });
    });

    it('checks the api_key_env variable when base_url is set', async () => {
      const settings = { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' };
      expect(
        await check('auth').run(context({ settings, env: environment({ GATEWAY_KEY: 'k' }) })),
      ).toEqual({
        status: 'pass',
        summary: 'key for base_url from $GATEWAY_KEY',
      });
      expect(
        await check('auth').run(context({ settings, env: environment({ FAKE_LOGIN: 'yes' }) })),
      ).toEqual({
        status: 'fail',
        summary: '$GATEWAY_KEY (api_key_env for base_url) is not set',
        remediation: 'export GATEWAY_KEY=<key for http://127.0.0.1:4000/v1>',
      });
      expect(await check('auth').run(context({ settings: { baseUrl: 'http://gw/v1' } }))).toEqual({
        status: 'pass',
        summary: 'base_url http://gw/v1 without api_key_env: requests carry no key',
      });
    });
  });

  describe('profile', () => {
    it('is skipped without a backend profile', async () => {
      expect(await check('profile').run(context())).toEqual({
        status: 'skip',
        summary: 'no backend profile configured',
      });
    });

    it('fails a top-level profile selector even without a backend profile', async () => {
      writeFileSync(join(home, 'config.toml'), 'model = "m"\nprofile = "fast"\n');
      expect(await check('profile').run(context())).toEqual({
        status: 'fail',
        summary: `${join(home, 'config.toml')}:2 has \`profile = "fast"\`, which Codex ≥ 0.134 refuses on every run`,
        remediation:
          'Delete that line; to use a profile, set backend_profile in baton.toml and run `baton setup codex`.',
      });
    });

    it('fails when the profile file is missing (Codex would ignore the profile silently)', async () => {
      const result = await check('profile').run(context({ profile: 'worker' }));
      expect(result).toEqual({
        status: 'fail',
        summary: `profile baton-worker has no ${join(home, 'baton-worker.config.toml')}; Codex would silently run with the base config`,
        remediation: `Run \`baton setup codex\`, or create ${join(home, 'baton-worker.config.toml')} (top-level keys, e.g. model = "…").`,
      });
    });

    it('fails a legacy [profiles.baton-worker] table in config.toml', async () => {
      writeFileSync(join(home, 'baton-worker.config.toml'), 'model = "m"\n');
      writeFileSync(join(home, 'config.toml'), '[profiles.baton-worker]\nmodel = "old"\n');
      const result = await check('profile').run(context({ profile: 'worker' }));
      expect(result.status).toBe('fail');
      expect(result.summary).toBe(
        `${join(home, 'config.toml')}:1 has legacy \`[profiles.baton-worker]\`; Codex ≥ 0.134 refuses --profile baton-worker while it is there`,
      );
    });

    it('fails an invalid profile name', async () => {
      expect(await check('profile').run(context({ profile: 'my.profile' }))).toMatchObject({
        status: 'fail',
      });
    });

    it('passes when Codex loads the layered config, and reports its error otherwise', async () => {
      writeFileSync(join(home, 'baton-worker.config.toml'), 'model = "m"\n');
      expect(await check('profile').run(context({ profile: 'worker' }))).toEqual({
        status: 'pass',
        summary: `${join(home, 'baton-worker.config.toml')} loads (codex --profile baton-worker)`,
      });
      const broken = await check('profile').run(
        context({
          profile: 'worker',
          env: environment({
            FAKE_PROFILE_ERROR: 'baton-worker.config.toml:1:9: string values must be quoted',
          }),
        }),
      );
      expect(broken.status).toBe('fail');
      expect(broken.summary).toBe(
        'Codex cannot load its config with --profile baton-worker: Error: failed to load configuration Caused by: baton-worker.config.toml:1:9: string values must be quoted',
      );
    });
  });

  describe('probe', () => {
    const answer = [
      '{"type":"thread.started","thread_id":"t"}',
      '{"type":"turn.started"}',
      '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"OK"}}',
      '{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":0,"output_tokens":1}}',
    ].join('\n');

    it('passes on a real answer and runs an ephemeral read-only exec with the prompt on stdin', async () => {
      const result = await check('probe').run(
        context({ env: environment({ FAKE_EXEC_OUTPUT: answer }) }),
      );
      expect(result.status).toBe('pass');
      expect(result.summary).toMatch(/^codex exec answered in \d+(\.\d)?s$/);
      expect(readFileSync(join(root, 'stdin.txt'), 'utf8')).toBe(
        'Reply with the single word OK. Do not run any command.',
      );
      expect(readFileSync(join(root, 'args.txt'), 'utf8').split('\n').slice(0, 9)).toEqual([
        'exec',
        '--json',
        '--skip-git-repo-check',
        '-C',
        root,
        '-s',
        'read-only',
        '--ephemeral',
        '--disable',
      ]);
    });

    it('fails an auth error reply, naming the kind', async () => {
      const output = [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: bad key"}}',
      ].join('\n');
      const result = await check('probe').run(
        context({
          settings: { baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'GATEWAY_KEY' },
          env: environment({ FAKE_EXEC_OUTPUT: output, FAKE_EXEC_RC: '1', GATEWAY_KEY: 'k' }),
        }),
      );
      expect(result).toEqual({
        status: 'fail',
        summary: 'auth error: unexpected status 401 Unauthorized: bad key',
        remediation: 'Check the key in $GATEWAY_KEY for http://127.0.0.1:9/v1.',
      });
    });

    it('never calls an empty success healthy', async () => {
      const output = [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"turn.completed","usage":{}}',
      ].join('\n');
      expect(
        await check('probe').run(context({ env: environment({ FAKE_EXEC_OUTPUT: output }) })),
      ).toMatchObject({
        status: 'fail',
        summary: 'codex exec finished without an answer',
      });
    });
  });

  it('runs through core’s runner: a failing binary skips the rest', async () => {
    const report = await runChecks({
      adapter: createCodexAdapter(),
      context: {
        settings: {},
        profile: null,
        env: { PATH: join(root, 'nowhere') },
        cwd: root,
        stages: ['interview'],
      },
      probe: true,
      timeoutMs: 5_000,
    });
    expect(report.status).toBe('fail');
    expect(report.checks.map((entry) => [entry.id, entry.status])).toEqual([
      ['binary', 'fail'],
      ['version', 'skip'],
      ['auth', 'skip'],
      ['profile', 'skip'],
      ['probe', 'skip'],
    ]);
  });
});

describe('detectMissingPlatformPackage', () => {
  const shim =
    '#!/usr/bin/env node\n// Unified entry point for the Codex CLI.\nconst PLATFORM_PACKAGE_BY_TARGET = { "x86_64-unknown-linux-musl": "@openai/codex-linux-x64" };\n';

  // Node's resolution without NODE_PATH (which the package manager's test runner sets).
  const resolvePackageJson = (specifier: string, from: string): string => {
    for (
      let directory = dirname(from);
      directory !== dirname(directory);
      directory = dirname(directory)
    ) {
      const candidate = join(directory, 'node_modules', specifier);
      if (existsSync(candidate)) return candidate;
    }
    throw new Error(`cannot resolve ${specifier}`);
  };
  const linux = { platform: 'linux', arch: 'x64', resolvePackageJson };

  function installShim(): string {
    const packageRoot = join(root, 'node_modules', '@openai', 'codex');
    mkdirSync(join(packageRoot, 'bin'), { recursive: true });
    writeFileSync(
      join(packageRoot, 'package.json'),
      '{"name":"@openai/codex","version":"0.169.0"}',
    );
    const path = join(packageRoot, 'bin', 'codex.js');
    writeFileSync(path, shim);
    chmodSync(path, 0o755);
    return path;
  }

  it('says which optional dependency npm skipped', () => {
    const path = installShim();
    expect(detectMissingPlatformPackage(readExecutableHead(path), linux)).toBe(
      'the npm shim cannot find its native binary: optional dependency @openai/codex-linux-x64 is missing (npm skipped it)',
    );
  });

  it('accepts the shim once the platform package is there', () => {
    const path = installShim();
    const platformRoot = join(root, 'node_modules', '@openai', 'codex-linux-x64');
    mkdirSync(join(platformRoot, 'vendor', 'x86_64-unknown-linux-musl', 'bin'), {
      recursive: true,
    });
    writeFileSync(
      join(platformRoot, 'package.json'),
      '{"name":"@openai/codex-linux-x64","version":"0.169.0-linux-x64"}',
    );
    writeFileSync(join(platformRoot, 'vendor', 'x86_64-unknown-linux-musl', 'bin', 'codex'), '');
    expect(detectMissingPlatformPackage(readExecutableHead(path), linux)).toBeNull();
  });

  it('leaves other executables alone and names unsupported platforms', () => {
    expect(detectMissingPlatformPackage(readExecutableHead(fake), linux)).toBeNull();
    const path = installShim();
    expect(
      detectMissingPlatformPackage(readExecutableHead(path), {
        ...linux,
        platform: 'aix',
        arch: 'ppc64',
      }),
    ).toBe('Codex has no native binary for aix-ppc64');
  });
});
