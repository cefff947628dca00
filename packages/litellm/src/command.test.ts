import { existsSync } from 'node:fs';
import { ACCESS_LEVELS, BatonError, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import {
  buildLitellmCommand,
  CLIENT_PATH,
  chatCompletionsUrl,
  chatRequestBody,
  LITELLM_EFFORTS,
  proxyRoot,
} from './command.js';

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'interview',
    prompt: 'Ask what the feature must do.',
    contract: 'You are the Architect.',
    cwd: '/srv/project',
    access: 'read-only',
    profile: null,
    settings: { baseUrl: 'http://127.0.0.1:4000', apiKeyEnv: 'LITELLM_KEY', model: 'coder' },
    scratchDir: '/srv/.baton/scratch/1',
    env: { LITELLM_KEY: 'sk-master-secret' },
    ...overrides,
  };
}

describe('buildLitellmCommand', () => {
  it('runs the package client with Node; the request travels on stdin, the key stays in the env', () => {
    const command = buildLitellmCommand(request());
    expect(command).toEqual({
      file: process.execPath,
      args: [
        CLIENT_PATH,
        '--url',
        'http://127.0.0.1:4000/v1/chat/completions',
        '--api-key-env',
        'LITELLM_KEY',
      ],
      env: {},
      cwd: '/srv/project',
      stdin: JSON.stringify({
        model: 'coder',
        messages: [
          { role: 'system', content: 'You are the Architect.' },
          { role: 'user', content: 'Ask what the feature must do.' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(JSON.stringify(command)).not.toContain('sk-master-secret');
  });

  it('ships a client next to the command module', () => {
    expect(CLIENT_PATH.endsWith('/src/client.ts')).toBe(true);
    expect(existsSync(CLIENT_PATH)).toBe(true);
  });

  it('selects the profile alias as the one model, ignoring the model setting', () => {
    const command = buildLitellmCommand(request({ profile: 'worker', model: 'other' }));
    expect(JSON.parse(command.stdin!).model).toBe('baton-worker');
    expect(command.stdin!.split('baton-worker')).toHaveLength(2);
    expect(command.args.some((arg) => arg.includes('baton-worker'))).toBe(false);
  });

  it('prefers the request model over the settings model without a profile', () => {
    expect(JSON.parse(buildLitellmCommand(request({ model: 'gpt-x' })).stdin!).model).toBe('gpt-x');
  });

  it('omits the model when none is configured, and the system message for an empty contract', () => {
    const body = JSON.parse(
      buildLitellmCommand(request({ contract: '', settings: { baseUrl: 'http://gw' } })).stdin!,
    );
    expect(body).toEqual({
      messages: [{ role: 'user', content: 'Ask what the feature must do.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('leaves out --url without base_url and --api-key-env without api_key_env', () => {
    expect(buildLitellmCommand(request({ settings: {} })).args).toEqual([CLIENT_PATH]);
    expect(
      buildLitellmCommand(request({ settings: { baseUrl: 'http://gw:4000/v1/' } })).args,
    ).toEqual([CLIENT_PATH, '--url', 'http://gw:4000/v1/chat/completions']);
  });

  it('builds the same request for every access level, and ignores resume', () => {
    const reference = buildLitellmCommand(request());
    for (const access of ACCESS_LEVELS) {
      expect(buildLitellmCommand(request({ access }))).toEqual(reference);
      expect(buildLitellmCommand(request({ access, resumeSessionId: 'chatcmpl-1' }))).toEqual(
        reference,
      );
    }
  });

  it('builds every combination with exactly one model selector', () => {
    for (const access of ACCESS_LEVELS) {
      for (const profile of [null, 'worker']) {
        for (const model of [undefined, 'stage-model']) {
          for (const baseUrl of [undefined, 'http://127.0.0.1:4000/v1']) {
            const command = buildLitellmCommand(
              request({ access, profile, model, settings: baseUrl ? { baseUrl } : {} }),
            );
            const body = JSON.parse(command.stdin!);
            expect(body.model).toBe(profile ? 'baton-worker' : model);
            expect(command.args).toEqual(
              baseUrl
                ? [CLIENT_PATH, '--url', 'http://127.0.0.1:4000/v1/chat/completions']
                : [CLIENT_PATH],
            );
          }
        }
      }
    }
  });

  it('adds max_tokens when asked (the doctor probe)', () => {
    expect(chatRequestBody(request(), { maxTokens: 8 }).max_tokens).toBe(8);
  });

  it('sends the effort as reasoning_effort, and refuses one LiteLLM does not take', () => {
    for (const effort of LITELLM_EFFORTS) {
      expect(chatRequestBody(request({ effort })).reasoning_effort).toBe(effort);
    }
    expect(chatRequestBody(request())).not.toHaveProperty('reasoning_effort');
    expect(() => chatRequestBody(request({ effort: 'ultra' }))).toThrow(BatonError);
    expect(() => chatRequestBody(request({ effort: 'ultra' }))).toThrow(
      'LiteLLM has no reasoning effort "ultra"; use one of none, minimal, low, medium, high, xhigh.',
    );
  });

  it('has no cap to pass a budget to: the request is the same with one', () => {
    expect(buildLitellmCommand(request({ budget: { maxCostUsd: 1, maxTurns: 3 } }))).toEqual(
      buildLitellmCommand(request()),
    );
  });
});

describe('proxy URLs', () => {
  it('normalise the root with or without /v1', () => {
    for (const url of [
      'http://gw:4000',
      'http://gw:4000/',
      'http://gw:4000/v1',
      ' http://gw:4000/v1// ',
    ]) {
      expect(proxyRoot(url)).toBe('http://gw:4000');
      expect(chatCompletionsUrl(url)).toBe('http://gw:4000/v1/chat/completions');
    }
    expect(proxyRoot('https://gw.example.com/litellm/v1')).toBe('https://gw.example.com/litellm');
  });
});
