import { ACCESS_LEVELS, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { APPROVAL_MODES, buildGeminiCommand, renderSystemPrompt } from './command.js';

const SCRATCH = '/workspace/.baton/scratch/run-3/execute-1';
const SYSTEM = `${SCRATCH}/gemini-system.md`;
// biome-ignore lint/suspicious/noTemplateCurlyInString: Gemini CLI's own placeholder.
const TOOLS = '\n\n## Tools\n\nThe tools available to you in this run: ${AvailableTools}\n';

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Add a README that says hello.',
    contract: 'You are the Builder.',
    cwd: '/workspace/project',
    access: 'workspace-write',
    profile: null,
    settings: {},
    scratchDir: SCRATCH,
    env: { PATH: '/usr/bin', GATEWAY_KEY: 'gk-secret-value', GEMINI_API_KEY: 'user-key' },
    ...overrides,
  };
}

describe('buildGeminiCommand', () => {
  it('runs headless stream-json with the prompt on stdin and the contract in a system prompt file', () => {
    expect(buildGeminiCommand(request())).toEqual({
      file: 'gemini',
      args: ['--output-format', 'stream-json', '--approval-mode', 'auto_edit'],
      env: { GEMINI_SYSTEM_MD: SYSTEM },
      cwd: '/workspace/project',
      stdin: 'Add a README that says hello.',
      inputFiles: {
        [SYSTEM]: `You are the Builder.${TOOLS}`,
      },
    });
  });

  it('maps every access level to an explicit approval mode, never plan', () => {
    expect(APPROVAL_MODES).toEqual({
      'read-only': 'default',
      'workspace-write': 'auto_edit',
      full: 'yolo',
    });
    for (const access of ACCESS_LEVELS) {
      expect(buildGeminiCommand(request({ access })).args.slice(2)).toEqual([
        '--approval-mode',
        APPROVAL_MODES[access],
      ]);
    }
  });

  it('selects a backend profile with exactly one --extensions baton-<profile>', () => {
    expect(buildGeminiCommand(request({ profile: 'worker', access: 'read-only' })).args).toEqual([
      '--output-format',
      'stream-json',
      '--approval-mode',
      'default',
      '--extensions',
      'baton-worker',
    ]);
  });

  it('passes the model with --model, the request model over the settings model', () => {
    expect(buildGeminiCommand(request({ settings: { model: 'gemini-2.5-flash' } })).args).toEqual([
      '--output-format',
      'stream-json',
      '--approval-mode',
      'auto_edit',
      '--model',
      'gemini-2.5-flash',
    ]);
    const both = buildGeminiCommand(
      request({ model: 'gemini-2.5-pro', settings: { model: 'gemini-2.5-flash' } }),
    );
    expect(both.args.slice(4)).toEqual(['--model', 'gemini-2.5-pro']);
  });

  it('resumes a session by id, after the profile', () => {
    const command = buildGeminiCommand(
      request({ profile: 'worker', resumeSessionId: '5f0c2f8e-0a4b-4c1e-9d7a-3e2b1c0d9f8a' }),
    );
    expect(command.args.slice(4)).toEqual([
      '--extensions',
      'baton-worker',
      '--resume',
      '5f0c2f8e-0a4b-4c1e-9d7a-3e2b1c0d9f8a',
    ]);
  });

  it('leaves the built-in system prompt alone when the contract is empty', () => {
    const command = buildGeminiCommand(request({ contract: '  \n' }));
    expect(command.env).toEqual({});
    expect(command.inputFiles).toBeUndefined();
  });

  it('keeps a long prompt out of argv', () => {
    const prompt = 'x'.repeat(500_000);
    const command = buildGeminiCommand(request({ prompt }));
    expect(command.stdin).toBe(prompt);
    expect(command.args.join(' ').length).toBeLessThan(100);
  });

  it('routes base_url through GOOGLE_GEMINI_BASE_URL with the key named by api_key_env', () => {
    const command = buildGeminiCommand(
      request({
        settings: { baseUrl: 'http://127.0.0.1:4000/gemini', apiKeyEnv: 'GATEWAY_KEY' },
      }),
    );
    expect(command.env).toEqual({
      GEMINI_SYSTEM_MD: SYSTEM,
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:4000/gemini',
      GOOGLE_GENAI_USE_VERTEXAI: 'false',
      GOOGLE_GENAI_USE_GCA: 'false',
      GEMINI_API_KEY: 'gk-secret-value',
    });
    expect(command.args.join(' ')).not.toContain('gk-secret-value');
  });

  it('sets no key when api_key_env names an unset variable', () => {
    const command = buildGeminiCommand(
      request({ settings: { baseUrl: 'https://gateway.example', apiKeyEnv: 'MISSING_KEY' } }),
    );
    expect(command.env.GEMINI_API_KEY).toBeUndefined();
    expect(command.env.GOOGLE_GEMINI_BASE_URL).toBe('https://gateway.example');
  });

  it('uses the configured binary, and factory defaults under the request settings', () => {
    const command = buildGeminiCommand(request({ settings: { model: 'from-config' } }), {
      binary: '/opt/gemini/bin/gemini',
      model: 'from-factory',
    });
    expect(command.file).toBe('/opt/gemini/bin/gemini');
    expect(command.args.slice(4)).toEqual(['--model', 'from-config']);
  });

  it('is pure: the same request gives an equal command', () => {
    const first = buildGeminiCommand(request({ profile: 'worker' }));
    expect(buildGeminiCommand(request({ profile: 'worker' }))).toEqual(first);
  });
});

describe('renderSystemPrompt', () => {
  it('puts the contract first and trims its trailing space', () => {
    expect(renderSystemPrompt('Be the Reviewer.\n\n')).toBe(`Be the Reviewer.${TOOLS}`);
  });
});
