import { BatonError, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_PERMISSIONS,
  buildOpenCodeCommand,
  CONTRACT_FILE_NAME,
  GATEWAY_HEADER_TIMEOUT_MS,
  mergeConfig,
  OPENCODE_EFFORTS,
} from './command.js';

const SCRATCH = '/workspace/.baton/scratch/run-1/execute-1';

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Add a README that says hello.',
    contract: 'You are the Builder.\nKeep evidence.\n',
    cwd: '/workspace/project',
    access: 'workspace-write',
    profile: null,
    settings: {},
    scratchDir: SCRATCH,
    env: { PATH: '/usr/bin:/bin', HOME: '/home/user' },
    ...overrides,
  };
}

function config(overrides: Partial<StageRequest> = {}): Record<string, unknown> {
  const command = buildOpenCodeCommand(request(overrides));
  return JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!) as Record<string, unknown>;
}

describe('buildOpenCodeCommand', () => {
  it('builds the profile-less command: no --agent, the contract agent chosen by default_agent', () => {
    const command = buildOpenCodeCommand(request());
    expect(command.file).toBe('opencode');
    expect(command.args).toEqual([
      'run',
      '--format',
      'json',
      '--dir',
      '/workspace/project',
      '--title',
      'baton execute',
    ]);
    expect(command.cwd).toBe('/workspace/project');
    expect(command.stdin).toBe('Add a README that says hello.');
    expect(command.inputFiles).toEqual({
      [`${SCRATCH}/${CONTRACT_FILE_NAME}`]: 'You are the Builder.\nKeep evidence.\n',
    });
    expect(Object.keys(command.env).sort()).toEqual([
      'OPENCODE_CONFIG_CONTENT',
      'OPENCODE_DISABLE_AUTOUPDATE',
    ]);
    expect(command.env.OPENCODE_DISABLE_AUTOUPDATE).toBe('1');
    expect(JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!)).toEqual({
      agent: {
        baton_execute: { mode: 'primary', prompt: `{file:${SCRATCH}/${CONTRACT_FILE_NAME}}` },
      },
      default_agent: 'baton_execute',
    });
  });

  it('selects the profile agent with exactly one --agent and lays the contract over it', () => {
    const command = buildOpenCodeCommand(request({ profile: 'worker' }));
    expect(command.args).toEqual([
      'run',
      '--format',
      'json',
      '--dir',
      '/workspace/project',
      '--title',
      'baton execute',
      '--agent',
      'baton-worker',
    ]);
    expect(JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!)).toEqual({
      agent: {
        'baton-worker': { mode: 'primary', prompt: `{file:${SCRATCH}/${CONTRACT_FILE_NAME}}` },
      },
    });
  });

  it('differs from the profile-less command only in the agent selection', () => {
    const without = buildOpenCodeCommand(request());
    const withProfile = buildOpenCodeCommand(request({ profile: 'worker' }));
    expect(withProfile.args.slice(0, without.args.length)).toEqual(without.args);
    expect(withProfile.args.filter((arg) => arg === '--agent')).toHaveLength(1);
    expect(without.args.some((arg) => arg.includes('baton-'))).toBe(false);
    expect(withProfile.stdin).toBe(without.stdin);
    expect(withProfile.inputFiles).toEqual(without.inputFiles);
  });

  it('names the contract agent after the stage', () => {
    expect(config({ stage: 'evaluate', access: 'read-only' })).toMatchObject({
      default_agent: 'baton_evaluate',
      agent: { baton_evaluate: { mode: 'primary' } },
    });
    expect(buildOpenCodeCommand(request({ stage: 'reflect' })).args).toContain('baton reflect');
  });

  it('sends an empty contract nowhere and keeps the agent’s own prompt', () => {
    const command = buildOpenCodeCommand(request({ contract: '', profile: 'worker' }));
    expect(command.inputFiles).toEqual({});
    expect(JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!)).toEqual({
      agent: { 'baton-worker': { mode: 'primary' } },
    });
  });

  it('maps read-only to denied edit, bash and task, at agent and top level', () => {
    const layer = config({ access: 'read-only', profile: 'worker' });
    const denied = { edit: 'deny', bash: 'deny', task: 'deny' };
    expect(layer.permission).toEqual(denied);
    expect(
      (layer.agent as Record<string, { permission: unknown }>)['baton-worker']!.permission,
    ).toEqual(denied);
    expect(buildOpenCodeCommand(request({ access: 'read-only' })).args).not.toContain('--auto');
  });

  it('maps full to every tool allowed plus --auto', () => {
    const command = buildOpenCodeCommand(request({ access: 'full' }));
    expect(command.args.at(-1)).toBe('--auto');
    expect(command.args.filter((arg) => arg === '--auto')).toHaveLength(1);
    expect(JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!).permission).toEqual({
      edit: 'allow',
      bash: 'allow',
      task: 'allow',
      webfetch: 'allow',
      external_directory: 'allow',
    });
    expect(ACCESS_PERMISSIONS['workspace-write']).toEqual({});
  });

  it('passes a provider/model with --model; request.model beats settings.model', () => {
    expect(
      buildOpenCodeCommand(
        request({ settings: { model: 'anthropic/claude-sonnet-4-5' } }),
      ).args.slice(-2),
    ).toEqual(['--model', 'anthropic/claude-sonnet-4-5']);
    expect(
      buildOpenCodeCommand(
        request({ model: 'openai/gpt-5', settings: { model: 'anthropic/claude-sonnet-4-5' } }),
      ).args.slice(-2),
    ).toEqual(['--model', 'openai/gpt-5']);
  });

  it('refuses a model without a provider when there is no base_url', () => {
    expect(() => buildOpenCodeCommand(request({ settings: { model: 'gpt-5' } }))).toThrow(
      /provider\/model form/,
    );
    try {
      buildOpenCodeCommand(request({ settings: { model: 'gpt-5' } }));
    } catch (error) {
      expect(BatonError.isInstance(error) && error.code).toBe('CONFIG_INVALID');
    }
  });

  it('points base_url at a declared Chat Completions provider, key by env reference only', () => {
    const env = { PATH: '/usr/bin', GATEWAY_KEY: 'secret-value-123' };
    const command = buildOpenCodeCommand(
      request({
        env,
        settings: {
          baseUrl: 'http://127.0.0.1:4000/v1/',
          apiKeyEnv: 'GATEWAY_KEY',
          model: 'openai/gpt-4o',
        },
      }),
    );
    expect(command.args.slice(-2)).toEqual(['--model', 'baton/openai/gpt-4o']);
    const layer = JSON.parse(command.env.OPENCODE_CONFIG_CONTENT!);
    expect(layer.provider).toEqual({
      baton: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Baton gateway',
        options: {
          baseURL: 'http://127.0.0.1:4000/v1',
          apiKey: '{env:GATEWAY_KEY}',
          headerTimeout: GATEWAY_HEADER_TIMEOUT_MS,
        },
        models: { 'openai/gpt-4o': { name: 'openai/gpt-4o' } },
      },
    });
    expect(layer.small_model).toBe('baton/openai/gpt-4o');
    const everything = JSON.stringify(command);
    expect(everything).not.toContain('secret-value-123');
    expect(command.secretArgs ?? []).toEqual([]);
  });

  it('declares no key for a gateway without api_key_env', () => {
    const layer = config({ settings: { baseUrl: 'http://127.0.0.1:4000/v1', model: 'm' } });
    expect((layer.provider as { baton: { options: unknown } }).baton.options).toEqual({
      baseURL: 'http://127.0.0.1:4000/v1',
      headerTimeout: GATEWAY_HEADER_TIMEOUT_MS,
    });
  });

  it('needs a model with base_url', () => {
    expect(() =>
      buildOpenCodeCommand(request({ settings: { baseUrl: 'http://127.0.0.1:4000/v1' } })),
    ).toThrow(/base_url needs a model/);
  });

  it('without base_url gives api_key_env to the model’s provider', () => {
    const layer = config({
      settings: { model: 'anthropic/claude-sonnet-4-5', apiKeyEnv: 'MY_KEY' },
    });
    expect(layer.provider).toEqual({ anthropic: { options: { apiKey: '{env:MY_KEY}' } } });
  });

  it('refuses an api_key_env that is not a variable name', () => {
    expect(() =>
      buildOpenCodeCommand(
        request({ settings: { baseUrl: 'http://h/v1', model: 'm', apiKeyEnv: 'sk-live-abc' } }),
      ),
    ).toThrow(/not an environment variable name/);
  });

  it('resumes a session with --session', () => {
    expect(buildOpenCodeCommand(request({ resumeSessionId: 'ses_abc' })).args.slice(-2)).toEqual([
      '--session',
      'ses_abc',
    ]);
  });

  it('maps an effort onto --variant; with base_url the gateway model declares that variant', () => {
    const builtIn = buildOpenCodeCommand(
      request({ effort: 'high', settings: { model: 'openai/gpt-5' } }),
    );
    expect(builtIn.args.slice(-4)).toEqual(['--model', 'openai/gpt-5', '--variant', 'high']);
    // A built-in model's variants are OpenCode's own: Baton declares none for it.
    expect(JSON.parse(builtIn.env.OPENCODE_CONFIG_CONTENT!).provider).toBeUndefined();

    const gateway = buildOpenCodeCommand(
      request({ effort: 'max', settings: { baseUrl: 'http://127.0.0.1:4000/v1', model: 'm' } }),
    );
    expect(gateway.args.slice(-4)).toEqual(['--model', 'baton/m', '--variant', 'max']);
    expect(JSON.parse(gateway.env.OPENCODE_CONFIG_CONTENT!).provider.baton.models).toEqual({
      m: { name: 'm', variants: { max: { reasoningEffort: 'max' } } },
    });
  });

  it('gives every declared effort, and refuses any other', () => {
    for (const effort of OPENCODE_EFFORTS) {
      expect(buildOpenCodeCommand(request({ effort })).args.slice(-2)).toEqual([
        '--variant',
        effort,
      ]);
    }
    expect(() => buildOpenCodeCommand(request({ effort: 'extreme' }))).toThrow(
      'OpenCode has no reasoning effort "extreme"; use one of none, minimal, low, medium, high, xhigh, max.',
    );
  });

  it('maps a turn budget onto the selected agent’s steps, and ignores a cost budget', () => {
    expect(config({ budget: { maxTurns: 12 } }).agent).toEqual({
      baton_execute: {
        mode: 'primary',
        prompt: `{file:${SCRATCH}/${CONTRACT_FILE_NAME}}`,
        steps: 12,
      },
    });
    expect(config({ profile: 'worker', budget: { maxTurns: 3 } }).agent).toMatchObject({
      'baton-worker': { steps: 3 },
    });
    // OpenCode has no spending cap: Baton enforces that between stages.
    expect(buildOpenCodeCommand(request({ budget: { maxCostUsd: 1.5 } }))).toEqual(
      buildOpenCodeCommand(request()),
    );
    for (const maxTurns of [0, -1, 2.5, Number.NaN]) {
      expect(
        () => buildOpenCodeCommand(request({ budget: { maxTurns } })),
        String(maxTurns),
      ).toThrow(/turn budget must be a whole number of turns, 1 or more/);
    }
  });

  it('uses the configured binary; request settings beat factory defaults', () => {
    expect(buildOpenCodeCommand(request(), { binary: '/opt/opencode' }).file).toBe('/opt/opencode');
    expect(
      buildOpenCodeCommand(request({ settings: { binary: '/usr/local/bin/opencode' } }), {
        binary: '/opt/opencode',
      }).file,
    ).toBe('/usr/local/bin/opencode');
  });

  it('keeps a user’s own OPENCODE_CONFIG_CONTENT under Baton’s layer', () => {
    const layer = config({
      profile: 'worker',
      access: 'read-only',
      env: {
        OPENCODE_CONFIG_CONTENT: JSON.stringify({
          theme: 'dark',
          agent: {
            'baton-worker': {
              model: 'anthropic/x',
              permission: { bash: { 'git status': 'allow' } },
            },
          },
        }),
      },
    });
    expect(layer.theme).toBe('dark');
    expect(layer.agent).toEqual({
      'baton-worker': {
        model: 'anthropic/x',
        mode: 'primary',
        prompt: `{file:${SCRATCH}/${CONTRACT_FILE_NAME}}`,
        permission: { bash: 'deny', edit: 'deny', task: 'deny' },
      },
    });
  });

  it('replaces an inherited OPENCODE_CONFIG_CONTENT that is not a JSON object', () => {
    expect(config({ env: { OPENCODE_CONFIG_CONTENT: '{ not json' } })).toHaveProperty(
      'default_agent',
    );
    expect(config({ env: { OPENCODE_CONFIG_CONTENT: '[1]' } })).not.toHaveProperty('0');
  });

  it('refuses a scratch directory a {file:} reference cannot carry', () => {
    expect(() => buildOpenCodeCommand(request({ scratchDir: '/tmp/a}b' }))).toThrow(/\{file:\}/);
  });

  it('keeps a huge prompt out of argv', () => {
    const prompt = 'x'.repeat(500_000);
    const command = buildOpenCodeCommand(request({ prompt }));
    expect(command.stdin).toBe(prompt);
    expect(command.args.join('').length).toBeLessThan(200);
  });
});

describe('mergeConfig', () => {
  it('merges objects key by key and replaces everything else', () => {
    expect(
      mergeConfig(
        { a: { b: 1, c: [1, 2] }, d: 'x', e: { f: 1 } },
        { a: { c: [3], g: 2 }, d: { h: 1 }, e: 'y' },
      ),
    ).toEqual({ a: { b: 1, c: [3], g: 2 }, d: { h: 1 }, e: 'y' });
  });
});
