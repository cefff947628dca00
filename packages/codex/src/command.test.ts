import { BatonError, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import {
  buildCodexCommand,
  CODEX_EFFORTS,
  contractOverride,
  MAX_ARGUMENT_BYTES,
  providerTable,
  tomlString,
} from './command.js';

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Build the thing.',
    contract: 'You are the Builder.',
    cwd: '/srv/project',
    access: 'workspace-write',
    profile: null,
    settings: {},
    scratchDir: '/tmp/scratch',
    env: {},
    ...overrides,
  };
}

describe('buildCodexCommand', () => {
  it('builds the plain command with the prompt on stdin', () => {
    expect(buildCodexCommand(request())).toEqual({
      file: 'codex',
      args: [
        'exec',
        '--json',
        '--skip-git-repo-check',
        '-C',
        '/srv/project',
        '-s',
        'workspace-write',
        '--disable',
        'unbounded_connection_retries',
        '-c',
        'developer_instructions="You are the Builder."',
        '-',
      ],
      env: {},
      cwd: '/srv/project',
      stdin: 'Build the thing.',
    });
  });

  it('maps each access level onto one sandbox mode', () => {
    const sandbox = (access: StageRequest['access']) => {
      const { args } = buildCodexCommand(request({ access }));
      return args[args.indexOf('-s') + 1];
    };
    expect(sandbox('read-only')).toBe('read-only');
    expect(sandbox('workspace-write')).toBe('workspace-write');
    expect(sandbox('full')).toBe('danger-full-access');
    expect(buildCodexCommand(request({ access: 'full' })).args).not.toContain(
      '--dangerously-bypass-approvals-and-sandbox',
    );
  });

  it('selects a backend profile with exactly one -p, and the model with -m', () => {
    const { args } = buildCodexCommand(request({ profile: 'worker', model: 'gpt-5.5' }));
    expect(args.slice(0, 11)).toEqual([
      'exec',
      '--json',
      '--skip-git-repo-check',
      '-C',
      '/srv/project',
      '-s',
      'workspace-write',
      '-p',
      'baton-worker',
      '-m',
      'gpt-5.5',
    ]);
    expect(args.filter((arg) => arg === '-p' || arg === '--profile')).toHaveLength(1);
  });

  it('is identical to a profile-less command when profile is null', () => {
    const withoutProfile = buildCodexCommand(request({ profile: null }));
    expect(withoutProfile.args).not.toContain('-p');
    expect(withoutProfile.args).not.toContain('--profile');
    expect(withoutProfile).toEqual(buildCodexCommand(request()));
  });

  it('takes the request model over the settings model', () => {
    expect(buildCodexCommand(request({ settings: { model: 'from-settings' } })).args).toContain(
      'from-settings',
    );
    const { args } = buildCodexCommand(
      request({ model: 'from-request', settings: { model: 'from-settings' } }),
    );
    expect(args).toContain('from-request');
    expect(args).not.toContain('from-settings');
  });

  it('uses factory defaults under the request settings', () => {
    const command = buildCodexCommand(request({ settings: { model: 'm2' } }), {
      binary: '/opt/codex',
      model: 'm1',
    });
    expect(command.file).toBe('/opt/codex');
    expect(command.args).toContain('m2');
    expect(command.args).not.toContain('m1');
  });

  it('routes base_url through a custom Responses provider that reads the key from the named variable', () => {
    const command = buildCodexCommand(
      request({
        settings: { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' },
        env: { GATEWAY_KEY: 'sk-secret' },
      }),
    );
    expect(command.args.slice(7, 15)).toEqual([
      '--disable',
      'unbounded_connection_retries',
      '-c',
      'model_provider=baton',
      '-c',
      'model_providers.baton={name="Baton gateway",base_url="http://127.0.0.1:4000/v1",env_key="GATEWAY_KEY",wire_api="responses",request_max_retries=0,stream_max_retries=0}',
      '-c',
      'developer_instructions="You are the Builder."',
    ]);
    expect(command.args.join(' ')).not.toContain('sk-secret');
    expect(command.env).toEqual({});
    expect(command.secretArgs).toBeUndefined();
  });

  it('leaves env_key out without api_key_env, so no Authorization header is sent', () => {
    expect(providerTable({ baseUrl: 'http://gw/v1' })).toBe(
      '{name="Baton gateway",base_url="http://gw/v1",wire_api="responses",request_max_retries=0,stream_max_retries=0}',
    );
  });

  it('resumes a session with exec options before `resume <id>` and the prompt last', () => {
    const { args } = buildCodexCommand(
      request({ resumeSessionId: '01a1ffe5-7184-7220-8660-b0531b834ce8', profile: 'worker' }),
    );
    expect(args.slice(-3)).toEqual(['resume', '01a1ffe5-7184-7220-8660-b0531b834ce8', '-']);
    expect(args.indexOf('-p')).toBeLessThan(args.indexOf('resume'));
    expect(args.indexOf('-s')).toBeLessThan(args.indexOf('resume'));
  });

  it('sets the reasoning effort with one -c model_reasoning_effort, before `resume`', () => {
    expect(buildCodexCommand(request()).args.join(' ')).not.toContain('model_reasoning_effort');
    for (const effort of CODEX_EFFORTS) {
      const { args } = buildCodexCommand(request({ effort }));
      expect(args.filter((arg) => arg.startsWith('model_reasoning_effort='))).toEqual([
        `model_reasoning_effort="${effort}"`,
      ]);
      expect(args[args.indexOf(`model_reasoning_effort="${effort}"`) - 1]).toBe('-c');
    }
    const resumed = buildCodexCommand(request({ effort: 'high', resumeSessionId: 's-1' })).args;
    expect(resumed.indexOf('model_reasoning_effort="high"')).toBeLessThan(
      resumed.indexOf('resume'),
    );
  });

  it('refuses an effort Codex does not send as it is, naming the ones it does', () => {
    for (const effort of ['ultra', 'High', 'extreme', '']) {
      expect(() => buildCodexCommand(request({ effort }))).toThrowError(BatonError);
    }
    expect(() => buildCodexCommand(request({ effort: 'ultra' }))).toThrowError(
      'Codex has no reasoning effort "ultra"; use one of none, minimal, low, medium, high, xhigh, max.',
    );
  });

  it('has no budget flags: a budget changes nothing in the command', () => {
    expect(buildCodexCommand(request({ budget: { maxCostUsd: 1.5, maxTurns: 3 } }))).toEqual(
      buildCodexCommand(request()),
    );
  });

  it('adds --ephemeral only when asked (the doctor probe)', () => {
    expect(buildCodexCommand(request()).args).not.toContain('--ephemeral');
    expect(buildCodexCommand(request(), {}, { ephemeral: true }).args.slice(0, 8)).toEqual([
      'exec',
      '--json',
      '--skip-git-repo-check',
      '-C',
      '/srv/project',
      '-s',
      'workspace-write',
      '--ephemeral',
    ]);
  });

  it('always delivers the contract, even an empty one', () => {
    expect(buildCodexCommand(request({ contract: '' })).args).toContain(
      'developer_instructions=""',
    );
  });

  it('never puts the prompt in argv', () => {
    const prompt = 'x'.repeat(500_000);
    const command = buildCodexCommand(request({ prompt }));
    expect(command.stdin).toBe(prompt);
    expect(command.args.every((arg) => arg.length < 1000)).toBe(true);
  });

  it('is pure: the same request gives the same command', () => {
    const input = request({
      profile: 'worker',
      settings: { baseUrl: 'http://gw/v1', apiKeyEnv: 'K' },
    });
    expect(buildCodexCommand(input)).toEqual(buildCodexCommand(input));
  });
});

describe('tomlString', () => {
  it('quotes every value so TOML never reads it as another type', () => {
    expect(tomlString('true')).toBe('"true"');
    expect(tomlString('[1]')).toBe('"[1]"');
  });

  it('escapes quotes, backslashes and control characters', () => {
    expect(tomlString('a "b" \\ c\nd\te\r\u0001\u007f')).toBe(
      '"a \\"b\\" \\\\ c\\nd\\te\\r\\u0001\\u007f"',
    );
  });

  it('keeps other Unicode as it is and replaces lone surrogates', () => {
    expect(tomlString('é 😀')).toBe('"é 😀"');
    expect(tomlString('a\ud800b')).toBe('"a\\uFFFDb"');
  });
});

describe('contractOverride', () => {
  it('refuses a contract longer than one argument may be', () => {
    const tooLong = 'x'.repeat(MAX_ARGUMENT_BYTES);
    expect(() => contractOverride(tooLong)).toThrowError(BatonError);
    expect(() => contractOverride(tooLong)).toThrowError(/too long for Codex/);
    expect(
      contractOverride('x'.repeat(MAX_ARGUMENT_BYTES - 'developer_instructions=""'.length)),
    ).toHaveLength(MAX_ARGUMENT_BYTES);
  });
});
