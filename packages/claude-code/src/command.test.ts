import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCESS_LEVELS, BatonError, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import {
  anthropicRoot,
  buildClaudeCodeCommand,
  CLAUDE_CODE_EFFORTS,
  CONTRACT_FILE_NAME,
} from './command.js';

const scratch = '/workspace/.baton/scratch/run-1/execute-1';

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Add a README that says hello.',
    contract: 'You are the Builder.',
    cwd: '/workspace/project',
    access: 'workspace-write',
    profile: null,
    settings: {},
    scratchDir: scratch,
    env: { PATH: '/usr/bin:/bin', HOME: '/home/user' },
    ...overrides,
  };
}

const contractPath = join(scratch, CONTRACT_FILE_NAME);
const BASE = ['-p', '--output-format', 'stream-json', '--verbose'];
const FAIL_FAST = {
  CLAUDE_CODE_MAX_RETRIES: '2',
  CLAUDE_CODE_RETRY_WATCHDOG: '0',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
};

describe('buildClaudeCodeCommand', () => {
  it('builds the workspace-write command with the prompt on stdin and the contract in a file', () => {
    expect(buildClaudeCodeCommand(request())).toEqual({
      file: 'claude',
      args: [
        ...BASE,
        '--permission-mode',
        'acceptEdits',
        '--append-system-prompt-file',
        contractPath,
      ],
      env: FAIL_FAST,
      cwd: '/workspace/project',
      stdin: 'Add a README that says hello.',
      inputFiles: { [contractPath]: 'You are the Builder.' },
    });
  });

  it('maps read-only to default mode without the file-writing tools', () => {
    expect(buildClaudeCodeCommand(request({ access: 'read-only' })).args).toEqual([
      ...BASE,
      '--permission-mode',
      'default',
      '--disallowedTools',
      'Edit,Write,NotebookEdit',
      '--append-system-prompt-file',
      contractPath,
    ]);
  });

  it('maps full to bypassPermissions and never sets IS_SANDBOX itself', () => {
    const command = buildClaudeCodeCommand(request({ access: 'full' }));
    expect(command.args).toEqual([
      ...BASE,
      '--permission-mode',
      'bypassPermissions',
      '--append-system-prompt-file',
      contractPath,
    ]);
    expect(command.env).not.toHaveProperty('IS_SANDBOX');
  });

  it('passes the model from the request over the one in settings, and the binary from settings', () => {
    const command = buildClaudeCodeCommand(
      request({
        model: 'claude-opus-4-1',
        settings: { model: 'sonnet', binary: '/opt/claude/bin/claude' },
      }),
    );
    expect(command.file).toBe('/opt/claude/bin/claude');
    expect(command.args).toEqual([
      ...BASE,
      '--model',
      'claude-opus-4-1',
      '--permission-mode',
      'acceptEdits',
      '--append-system-prompt-file',
      contractPath,
    ]);
    expect(
      buildClaudeCodeCommand(request({ settings: { model: 'sonnet' } })).args.slice(4, 6),
    ).toEqual(['--model', 'sonnet']);
  });

  it('uses the factory defaults under the request settings', () => {
    const command = buildClaudeCodeCommand(request({ settings: { model: 'from-config' } }), {
      model: 'from-factory',
      binary: '/factory/claude',
    });
    expect(command.file).toBe('/factory/claude');
    expect(command.args).toContain('from-config');
    expect(command.args).not.toContain('from-factory');
  });

  it('selects a backend profile with exactly one --settings, and nothing else changes', () => {
    const without = buildClaudeCodeCommand(request());
    const withProfile = buildClaudeCodeCommand(
      request({ profile: 'worker', env: { HOME: '/home/user', CLAUDE_CONFIG_DIR: '/cfg/claude' } }),
    );
    expect(withProfile.args).toEqual([
      ...BASE,
      '--permission-mode',
      'acceptEdits',
      '--settings',
      '/cfg/claude/baton-worker.settings.json',
      '--append-system-prompt-file',
      contractPath,
    ]);
    expect(withProfile.args.filter((arg) => arg.includes('baton-worker'))).toHaveLength(1);
    expect({
      ...withProfile,
      args: withProfile.args.filter(
        (arg, index, all) => arg !== '--settings' && all[index - 1] !== '--settings',
      ),
    }).toEqual(without);
    expect(
      buildClaudeCodeCommand(request({ profile: 'worker', env: { HOME: '/home/user' } })).args,
    ).toContain('/home/user/.claude/baton-worker.settings.json');
  });

  it('refuses a profile name that would leave the config directory', () => {
    expect(() => buildClaudeCodeCommand(request({ profile: '../evil' }))).toThrow(
      /without slashes/,
    );
  });

  it('resumes a session', () => {
    expect(
      buildClaudeCodeCommand(request({ resumeSessionId: '4cb922db-f10d-41ff-aeff-a5437125240f' }))
        .args,
    ).toEqual([
      ...BASE,
      '--permission-mode',
      'acceptEdits',
      '--append-system-prompt-file',
      contractPath,
      '--resume',
      '4cb922db-f10d-41ff-aeff-a5437125240f',
    ]);
  });

  it("passes the effort after the model, and a budget as Claude Code's own caps", () => {
    expect(
      buildClaudeCodeCommand(
        request({
          model: 'claude-opus-4-6',
          effort: 'high',
          access: 'read-only',
          budget: { maxCostUsd: 1.25, maxTurns: 12 },
          resumeSessionId: 'abc',
        }),
      ).args,
    ).toEqual([
      ...BASE,
      '--model',
      'claude-opus-4-6',
      '--effort',
      'high',
      '--permission-mode',
      'default',
      '--disallowedTools',
      'Edit,Write,NotebookEdit',
      '--max-turns',
      '12',
      '--max-budget-usd',
      '1.25',
      '--append-system-prompt-file',
      contractPath,
      '--resume',
      'abc',
    ]);
    for (const effort of CLAUDE_CODE_EFFORTS) {
      expect(buildClaudeCodeCommand(request({ effort })).args.slice(4, 6)).toEqual([
        '--effort',
        effort,
      ]);
    }
    expect(buildClaudeCodeCommand(request({ budget: { maxCostUsd: 0.0004 } })).args).toContain(
      '0.0004',
    );
    // No budget, no cap: the command is the plain one.
    expect(buildClaudeCodeCommand(request({ budget: {} }))).toEqual(
      buildClaudeCodeCommand(request()),
    );
  });

  it('refuses an effort Claude Code does not take, and a budget it would refuse, saying which', () => {
    expect(() => buildClaudeCodeCommand(request({ effort: 'extreme' }))).toThrow(
      'Claude Code takes the effort low, medium, high, xhigh, max; "extreme" is none of them.',
    );
    for (const maxCostUsd of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => buildClaudeCodeCommand(request({ budget: { maxCostUsd } }))).toThrow(
        /A stage's cost budget must be more than 0 USD/,
      );
    }
    for (const maxTurns of [0, 2.5, -3]) {
      expect(() => buildClaudeCodeCommand(request({ budget: { maxTurns } }))).toThrow(
        /A stage's turn budget must be a whole number of turns, 1 or more/,
      );
    }
    expect(() => buildClaudeCodeCommand(request({ effort: 'extreme' }))).toThrow(BatonError);
  });

  it('switches off an inherited retry watchdog, which would retry for hours', () => {
    const command = buildClaudeCodeCommand(
      request({ env: { HOME: '/h', CLAUDE_CODE_RETRY_WATCHDOG: '1' } }),
    );
    expect(command.env.CLAUDE_CODE_RETRY_WATCHDOG).toBe('0');
  });

  it('delivers an empty contract as nothing at all', () => {
    const command = buildClaudeCodeCommand(request({ contract: '' }));
    expect(command.args).toEqual([...BASE, '--permission-mode', 'acceptEdits']);
    expect(command.inputFiles).toEqual({});
  });

  it('keeps a huge prompt and contract out of argv', () => {
    const prompt = 'p'.repeat(500_000);
    const contract = 'c'.repeat(300_000);
    const command = buildClaudeCodeCommand(request({ prompt, contract }));
    expect(command.stdin).toBe(prompt);
    expect(command.inputFiles?.[contractPath]).toBe(contract);
    expect(command.args.join(' ').length).toBeLessThan(500);
  });

  it('points Claude Code at a gateway: the root URL, the key as a bearer token, never in argv', () => {
    const command = buildClaudeCodeCommand(
      request({
        settings: { baseUrl: 'http://127.0.0.1:4000/v1/', apiKeyEnv: 'GATEWAY_KEY' },
        env: {
          HOME: '/home/user',
          GATEWAY_KEY: 'sk-gateway-123',
          ANTHROPIC_API_KEY: 'sk-ant-real',
        },
      }),
    );
    expect(command.env).toEqual({
      ...FAIL_FAST,
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000',
      ANTHROPIC_AUTH_TOKEN: 'sk-gateway-123',
      // Blank, or Claude Code would also send the inherited Anthropic key to the gateway.
      ANTHROPIC_API_KEY: '',
    });
    expect(command.args.some((arg) => arg.includes('sk-'))).toBe(false);
    expect(command.secretArgs).toBeUndefined();
  });

  it('without base_url sends the api_key_env key to Anthropic as ANTHROPIC_API_KEY', () => {
    const command = buildClaudeCodeCommand(
      request({ settings: { apiKeyEnv: 'MY_KEY' }, env: { HOME: '/h', MY_KEY: 'sk-ant-1' } }),
    );
    expect(command.env).toEqual({
      ...FAIL_FAST,
      ANTHROPIC_API_KEY: 'sk-ant-1',
      ANTHROPIC_AUTH_TOKEN: '',
    });
  });

  it('with base_url and no api_key_env sets only the URL', () => {
    const command = buildClaudeCodeCommand(
      request({ settings: { baseUrl: 'https://gw.example/anthropic' } }),
    );
    expect(command.env).toEqual({
      ...FAIL_FAST,
      ANTHROPIC_BASE_URL: 'https://gw.example/anthropic',
    });
  });

  it('fails clearly when api_key_env names an unset variable', () => {
    const build = () =>
      buildClaudeCodeCommand(
        request({ settings: { baseUrl: 'http://gw', apiKeyEnv: 'MISSING_KEY' } }),
      );
    expect(build).toThrow(BatonError);
    expect(build).toThrow(
      '[runtimes.claude-code] api_key_env names $MISSING_KEY, which is not set. Export MISSING_KEY=<key> for http://gw, or remove api_key_env.',
    );
  });

  it('caps Claude Code retries at 2 and keeps a lower inherited value', () => {
    const retries = (value: string | undefined) =>
      buildClaudeCodeCommand(request({ env: { HOME: '/h', CLAUDE_CODE_MAX_RETRIES: value } })).env
        .CLAUDE_CODE_MAX_RETRIES;
    expect(retries(undefined)).toBe('2');
    expect(retries('0')).toBe('0');
    expect(retries('1')).toBe('1');
    expect(retries('10')).toBe('2');
    expect(retries('lots')).toBe('2');
  });

  it('is pure', () => {
    for (const access of ACCESS_LEVELS) {
      expect(buildClaudeCodeCommand(request({ access, profile: 'worker' }))).toEqual(
        buildClaudeCodeCommand(request({ access, profile: 'worker' })),
      );
    }
  });
});

describe('anthropicRoot', () => {
  it('strips trailing slashes and one /v1', () => {
    expect(anthropicRoot('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(anthropicRoot('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(anthropicRoot('http://127.0.0.1:4000/v1')).toBe('http://127.0.0.1:4000');
    expect(anthropicRoot(' https://gw.example/anthropic/v1/ ')).toBe(
      'https://gw.example/anthropic',
    );
    expect(anthropicRoot('https://gw.example/v1beta')).toBe('https://gw.example/v1beta');
  });
});

/**
 * Every option the builder emits is printed by both tested versions' `--help` (captured
 * output of 2.1.197 and 2.1.330). `--append-system-prompt-file` is not an option line of its
 * own: both pages name it inside `--bare` ("--append-system-prompt[-file]"), and the real-CLI
 * tests show 2.1.330 accepting it and putting the file's text in the system prompt.
 */
describe.each(['2.1.197', '2.1.330'])('flags against the captured claude %s --help', (version) => {
  const help = readFileSync(
    join(import.meta.dirname, '__fixtures__', `claude-${version}--help.txt`),
    'utf8',
  );
  const optionLines = help.split('\n').filter((line) => /^\s{2}-/.test(line));
  const hasOption = (flag: string) =>
    optionLines.some((line) =>
      line
        .split(/\s{2,}/)[1]!
        .split(/[ ,]+/)
        .includes(flag),
    );

  it('knows every option any command uses', () => {
    const flags = new Set<string>();
    for (const access of ACCESS_LEVELS) {
      for (const profile of [null, 'worker']) {
        const command = buildClaudeCodeCommand(
          request({
            access,
            profile,
            model: 'm',
            resumeSessionId: 'id',
            effort: 'max',
            budget: { maxCostUsd: 2, maxTurns: 5 },
          }),
        );
        for (const arg of command.args) if (arg.startsWith('-')) flags.add(arg);
      }
    }
    expect([...flags].sort()).toEqual([
      '--append-system-prompt-file',
      '--disallowedTools',
      '--effort',
      '--max-budget-usd',
      '--max-turns',
      '--model',
      '--output-format',
      '--permission-mode',
      '--resume',
      '--settings',
      '--verbose',
      '-p',
    ]);
    for (const flag of flags) {
      if (flag === '--append-system-prompt-file') {
        expect(help).toContain('--append-system-prompt[-file]');
        continue;
      }
      if (flag === '--max-turns') {
        // Hidden from --help ("Stop after this many turns (only works with --print)" in the
        // binary); the real-CLI tests show 2.1.330 taking it and stopping at the limit.
        expect(hasOption(flag)).toBe(false);
        continue;
      }
      expect(hasOption(flag), `${flag} in claude ${version} --help`).toBe(true);
    }
    expect(help).toContain(`(${CLAUDE_CODE_EFFORTS.join(', ')})`);
    expect(help).toContain('"stream-json"');
    for (const mode of ['acceptEdits', 'bypassPermissions']) expect(help).toContain(`"${mode}"`);
  });
});
