/**
 * Doctor checks against stand-in executables that replay real Claude Code 2.1.330 output
 * (the fixtures); the same checks run against the real binary in packages/real-cli-tests.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckResult, DoctorCheck, DoctorContext, RuntimeSettings } from '@baton/core';
import { readExecutableHead } from '@baton/core/doctor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_IDENTITY } from './claude-code-adapter.js';
import {
  createClaudeCodeDoctorChecks,
  detectClaudePlaceholder,
  PROBE_PROMPT,
  parseAuthStatus,
  profileCheck,
} from './doctor.js';

const fixtures = join(import.meta.dirname, '__fixtures__');
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-claude-doctor-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A stand-in `claude`: `--version`, `auth status` and `-p` print what the test gives them. */
function fakeClaude(
  options: {
    authFixture?: string;
    authExit?: number;
    stdoutFixture?: string;
    exitCode?: number;
  } = {},
): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  const path = join(bin, 'claude');
  const auth = options.authFixture ? join(fixtures, options.authFixture) : '/dev/null';
  const stdout = options.stdoutFixture ? join(fixtures, options.stdoutFixture) : '/dev/null';
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > "${join(root, 'argv')}"`,
      'env > "' + join(root, 'env') + '"',
      'case "$1" in',
      `  --version) echo "2.1.330 (Claude Code)" ;;`,
      `  auth) cat "${auth}"; exit ${options.authExit ?? 0} ;;`,
      `  -p) cat > "${join(root, 'stdin')}"; cat "${stdout}"; exit ${options.exitCode ?? 0} ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function context(
  overrides: Partial<DoctorContext> & { settings?: RuntimeSettings } = {},
): DoctorContext {
  return {
    settings: {},
    profile: null,
    env: { PATH: `${join(root, 'bin')}:/usr/bin:/bin`, HOME: join(root, 'home') },
    cwd: root,
    stages: ['evaluate'],
    signal: new AbortController().signal,
    results: {},
    ...overrides,
  };
}

const checks = createClaudeCodeDoctorChecks({ identity: CLAUDE_CODE_IDENTITY, defaults: {} });
function check(id: string): DoctorCheck {
  return checks.find((candidate) => candidate.id === id)!;
}

describe('the check list', () => {
  it('has binary, version, auth, profile and a probe, in dependency order', () => {
    expect(checks.map((entry) => [entry.id, entry.dependsOn ?? [], entry.probe === true])).toEqual([
      ['binary', [], false],
      ['version', ['binary'], false],
      ['auth', ['binary'], false],
      ['profile', [], false],
      ['probe', ['version', 'auth'], true],
    ]);
  });
});

describe('binary', () => {
  it('finds claude on PATH', async () => {
    const path = fakeClaude();
    expect(await check('binary').run(context())).toEqual({
      status: 'pass',
      summary: `found ${path}`,
    });
  });

  it('says how to install when claude is missing', async () => {
    expect(await check('binary').run(context({ env: { PATH: '/nonexistent' } }))).toMatchObject({
      status: 'fail',
      summary: 'claude not found on PATH',
      remediation: expect.stringContaining('npm install -g @anthropic-ai/claude-code'),
    });
  });

  it('recognises the npm placeholder left when the postinstall did not run, behind a pnpm shim too', async () => {
    const packageDirectory = join(root, 'node_modules', '@anthropic-ai', 'claude-code');
    mkdirSync(join(packageDirectory, 'bin'), { recursive: true });
    const placeholder = join(packageDirectory, 'bin', 'claude.exe');
    copyFileSync(join(fixtures, 'claude-2.1.330-npm-placeholder-claude.exe'), placeholder);
    writeFileSync(join(packageDirectory, 'install.cjs'), '// postinstall\n');
    chmodSync(placeholder, 0o755);
    const expected =
      'the @anthropic-ai/claude-code postinstall did not run, so the native binary was never put in place ' +
      '(it only prints "Error: claude native binary not installed."). Run the postinstall: ' +
      `node ${join(packageDirectory, 'install.cjs')}; or reinstall without --ignore-scripts / --omit=optional.`;
    expect(detectClaudePlaceholder(readExecutableHead(placeholder))).toBe(expected);

    // pnpm's shell shim: a few KiB of sh ending in `# cmd-shim-target=<relative path>`.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const shim = join(bin, 'claude');
    writeFileSync(
      shim,
      `#!/bin/sh\n# ${'padding '.repeat(600)}\nexec "$basedir/../node_modules/@anthropic-ai/claude-code/bin/claude.exe" "$@"\n# cmd-shim-target=../node_modules/@anthropic-ai/claude-code/bin/claude.exe\n`,
    );
    chmodSync(shim, 0o755);
    expect(detectClaudePlaceholder(readExecutableHead(shim))).toBe(expected);
    expect(await check('binary').run(context())).toMatchObject({
      status: 'fail',
      summary: `${shim} is a placeholder: ${expected}`,
    });
  });

  it('does not take an ordinary shim or script for the placeholder', () => {
    const script = join(root, 'claude');
    writeFileSync(
      script,
      '#!/bin/sh\nexec /opt/claude/bin/claude "$@"\n# cmd-shim-target=does/not/exist\n',
    );
    chmodSync(script, 0o755);
    expect(detectClaudePlaceholder(readExecutableHead(script))).toBeNull();
  });
});

describe('version', () => {
  it('reads "2.1.330 (Claude Code)"', async () => {
    fakeClaude();
    expect(await check('version').run(context())).toEqual({
      status: 'pass',
      version: '2.1.330',
      summary: 'version 2.1.330 (tested: >=2.1.197 <2.2.0)',
    });
  });

  it('tells to run the postinstall when the placeholder answers', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    copyFileSync(join(fixtures, 'claude-2.1.330-npm-placeholder-claude.exe'), join(bin, 'claude'));
    chmodSync(join(bin, 'claude'), 0o755);
    const result = await check('version').run(context());
    expect(result.status).toBe('fail');
    expect(result.summary).toBe(
      '`claude --version` exited with 1: Error: claude native binary not installed.',
    );
    expect(result.remediation).toMatch(
      /^The Claude Code npm package was installed without its postinstall: run `node <package>\/install\.cjs`/,
    );
  });
});

describe('auth', () => {
  it('parses `claude auth status --json`', () => {
    expect(
      parseAuthStatus(
        readFileSync(join(fixtures, 'claude-2.1.330-auth-status-api-key.json'), 'utf8'),
      ),
    ).toEqual({
      loggedIn: true,
      authMethod: 'api_key',
      apiProvider: 'firstParty',
      apiKeySource: 'ANTHROPIC_API_KEY',
    });
    expect(parseAuthStatus('not json')).toBeNull();
    expect(parseAuthStatus('{"loggedIn":"yes"}')).toBeNull();
  });

  it('passes when Claude Code says it is logged in', async () => {
    fakeClaude({ authFixture: 'claude-2.1.330-auth-status-api-key.json' });
    expect(await check('auth').run(context())).toEqual({
      status: 'pass',
      summary: 'logged in: api_key from $ANTHROPIC_API_KEY (claude auth status)',
    });
    expect(readFileSync(join(root, 'argv'), 'utf8')).toBe('auth\nstatus\n--json\n');
  });

  it('fails when it is not', async () => {
    fakeClaude({ authFixture: 'claude-2.1.330-auth-status-logged-out.json', authExit: 1 });
    expect(await check('auth').run(context())).toEqual({
      status: 'fail',
      summary:
        'not logged in (claude auth status) and neither $ANTHROPIC_API_KEY nor $ANTHROPIC_AUTH_TOKEN is set',
      remediation: 'Run `claude auth login`, or export ANTHROPIC_API_KEY=<Anthropic API key>.',
    });
  });

  it('checks the api_key_env variable without running claude, and never shows the key', async () => {
    const settings = { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' };
    const pass = await check('auth').run(
      context({ settings, env: { GATEWAY_KEY: 'sk-secret-1' } }),
    );
    expect(pass).toEqual({
      status: 'pass',
      summary:
        'key from $GATEWAY_KEY, sent to http://127.0.0.1:4000 as ANTHROPIC_AUTH_TOKEN (Authorization: Bearer)',
    });
    expect(JSON.stringify(pass)).not.toContain('sk-secret-1');
    expect(await check('auth').run(context({ settings, env: {} }))).toEqual({
      status: 'fail',
      summary: '$GATEWAY_KEY (api_key_env) is not set',
      remediation: 'export GATEWAY_KEY=<key for http://127.0.0.1:4000>',
    });
  });

  it('warns when base_url is set without api_key_env: the own credential would go to the gateway', async () => {
    fakeClaude({ authFixture: 'claude-2.1.330-auth-status-api-key.json' });
    expect(await check('auth').run(context({ settings: { baseUrl: 'http://gw:4000' } }))).toEqual({
      status: 'warn',
      summary:
        'base_url is set without api_key_env: Claude Code sends its own credential (api_key from $ANTHROPIC_API_KEY) to http://gw:4000',
      remediation:
        'Set api_key_env in [runtimes.claude-code] to the variable holding the gateway key.',
    });
  });
});

describe('profile', () => {
  const env = () => ({ CLAUDE_CONFIG_DIR: join(root, 'claude-config') });
  const path = () => join(root, 'claude-config', 'baton-worker.settings.json');
  function write(text: string): void {
    mkdirSync(join(root, 'claude-config'), { recursive: true });
    writeFileSync(path(), text);
  }

  it('skips without a backend profile', () => {
    expect(profileCheck({ profile: null, settings: {}, env: env() })).toEqual({
      status: 'skip',
      summary: 'no backend profile configured',
    });
  });

  it('fails when the settings file is missing', () => {
    expect(profileCheck({ profile: 'worker', settings: {}, env: env() })).toEqual({
      status: 'fail',
      summary: `${path()} does not exist (claude -p stops with "Settings file not found")`,
      remediation:
        'Run `baton setup claude-code` to create it, or write it yourself (a Claude Code settings file).',
    });
  });

  it('fails broken JSON and ill-typed keys, which claude -p would ignore silently', () => {
    write('{"model": ');
    expect(profileCheck({ profile: 'worker', settings: {}, env: env() }).summary).toMatch(
      /baton-worker\.settings\.json is not valid JSON \(.+\); claude -p would ignore it silently$/,
    );
    write('{"model": 5, "env": {"A": 1}, "permissions": []}');
    expect(profileCheck({ profile: 'worker', settings: {}, env: env() })).toEqual({
      status: 'fail',
      summary: `${path()}: "model" must be a non-empty string; "env.A" must be a string; "permissions" must be an object; claude -p ignores a settings file that fails validation`,
      remediation: `Fix ${path()} (see the Claude Code settings documentation).`,
    });
  });

  it('passes a valid file, and warns when its env would override base_url', () => {
    write('{"model": "sonnet", "env": {"ANTHROPIC_BASE_URL": "http://elsewhere"}}');
    expect(profileCheck({ profile: 'worker', settings: {}, env: env() })).toEqual({
      status: 'pass',
      summary: `${path()} is a valid settings file (selected with --settings)`,
    });
    expect(
      profileCheck({ profile: 'worker', settings: { baseUrl: 'http://gw' }, env: env() }),
    ).toEqual({
      status: 'warn',
      summary: `${path()} sets ANTHROPIC_BASE_URL in "env", which overrides base_url from baton.toml`,
      remediation: `Remove ANTHROPIC_BASE_URL from ${path()}, or remove base_url.`,
    });
  });
});

describe('probe', () => {
  async function probe(
    options: Parameters<typeof fakeClaude>[0],
    settings: RuntimeSettings = {},
  ): Promise<CheckResult> {
    fakeClaude(options);
    const base = context();
    return check('probe').run(
      context({ settings, env: { ...base.env, GATEWAY_KEY: 'sk-gateway' } }),
    );
  }

  it('passes when the model answers, running the adapter command without tools or a saved session', async () => {
    const result = await probe(
      { stdoutFixture: 'claude-2.1.330-stream-json-simple.jsonl' },
      { model: 'sonnet' },
    );
    expect(result.status).toBe('pass');
    expect(result.summary).toMatch(
      /^a real `claude -p` answered "Hello from stub" in \d+(\.\d)?s$/,
    );
    expect(readFileSync(join(root, 'argv'), 'utf8').split('\n').slice(0, -1)).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'sonnet',
      '--permission-mode',
      'default',
      '--disallowedTools',
      'Edit,Write,NotebookEdit',
      '--no-session-persistence',
      '--tools',
      '',
    ]);
    expect(readFileSync(join(root, 'stdin'), 'utf8')).toBe(PROBE_PROMPT);
    expect(readFileSync(join(root, 'env'), 'utf8')).toContain('CLAUDE_CODE_MAX_RETRIES=0');
  });

  it('fails an auth error with what to check', async () => {
    const result = await probe(
      { stdoutFixture: 'claude-2.1.330-stream-json-http-401.jsonl', exitCode: 1 },
      { baseUrl: 'http://gw:4000', apiKeyEnv: 'GATEWAY_KEY' },
    );
    expect(result).toEqual({
      status: 'fail',
      summary: 'auth error: Failed to authenticate. API Error: 401 Scripted error: HTTP 401',
      remediation: 'Check the key in $GATEWAY_KEY for http://gw:4000.',
    });
  });

  it('fails a network error, a server error and a rate limit: an error reply is never healthy', async () => {
    expect(
      await probe({
        stdoutFixture: 'claude-2.1.330-stream-json-connection-refused.jsonl',
        exitCode: 1,
      }),
    ).toMatchObject({
      status: 'fail',
      summary:
        'network error: API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
      remediation: 'Check that the Anthropic API is reachable from this machine.',
    });
    expect(
      await probe({
        stdoutFixture: 'claude-2.1.330-stream-json-http-500-retries.jsonl',
        exitCode: 1,
      }),
    ).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/^server error: API Error: 500/),
    });
    expect(
      await probe({ stdoutFixture: 'claude-2.1.330-stream-json-http-429.jsonl', exitCode: 1 }),
    ).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/^rate-limit error: /),
      remediation:
        "the Anthropic API is rate-limiting requests; wait, or check the account's limits.",
    });
  });

  it('fails a usage limit or exhausted credit with what to check, not a wait', async () => {
    expect(
      await probe({
        stdoutFixture: 'claude-2.1.330-stream-json-credit-balance-too-low.jsonl',
        exitCode: 1,
      }),
    ).toEqual({
      status: 'fail',
      summary: 'rate-limit error: Credit balance is too low',
      remediation:
        'The account has reached its usage limit or is out of credit: check its plan, spend cap or credit balance.',
    });
    // The recorded limit reset two hours after it was written; the delay comes from the output.
    expect(
      await probe({ stdoutFixture: 'claude-2.1.330-stream-json-usage-limit.jsonl', exitCode: 1 }),
    ).toMatchObject({
      status: 'fail',
      remediation: expect.stringMatching(/ The limit resets in about 120 min\.$/),
    });
  });
});
