import { ACCESS_LEVELS, BatonError, type StageRequest } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { buildHermesCommand, HERMES_EFFORTS, normaliseBaseUrl } from './command.js';

const SCRATCH = '/srv/.baton/scratch/run-7/reflect-1';
const USAGE = `${SCRATCH}/usage.json`;

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'reflect',
    prompt: 'Summarise what went well.',
    contract: 'You are the Reflector.',
    cwd: '/srv/project',
    access: 'read-only',
    profile: null,
    settings: {},
    scratchDir: SCRATCH,
    env: { PATH: '/usr/bin', GATEWAY_KEY: 'sk-secret-value' },
    ...overrides,
  };
}

const BASE = [
  '--usage-file',
  USAGE,
  'chat',
  '--query-file',
  '-',
  '--oneshot',
  '-Q',
  '--source',
  'tool',
];

describe('buildHermesCommand', () => {
  it('builds the plain one-shot command with the prompt on stdin', () => {
    const command = buildHermesCommand(request());
    expect(command).toEqual({
      file: 'hermes',
      args: BASE,
      env: {
        HERMES_EPHEMERAL_SYSTEM_PROMPT: 'You are the Reflector.',
        HERMES_STREAM_RETRIES: '0',
        HERMES_WRITE_SAFE_ROOT: SCRATCH,
      },
      cwd: '/srv/project',
      stdin: 'Summarise what went well.',
      resultFiles: { usage: USAGE },
    });
  });

  it('puts -p before the subcommand, once, for a backend profile', () => {
    expect(buildHermesCommand(request({ profile: 'worker' })).args).toEqual([
      '-p',
      'baton-worker',
      ...BASE,
    ]);
  });

  it('passes the model with -m (request model over settings model)', () => {
    expect(
      buildHermesCommand(request({ settings: { model: 'anthropic/claude-sonnet-4.6' } })).args,
    ).toEqual([...BASE, '-m', 'anthropic/claude-sonnet-4.6']);
    expect(
      buildHermesCommand(
        request({ model: 'openai/gpt-5.5', settings: { model: 'anthropic/claude-sonnet-4.6' } }),
      ).args,
    ).toEqual([...BASE, '-m', 'openai/gpt-5.5']);
  });

  it('maps base_url onto the custom provider through OPENAI_BASE_URL and OPENAI_API_KEY', () => {
    const command = buildHermesCommand(
      request({
        model: 'coder',
        settings: { baseUrl: 'http://127.0.0.1:4000/v1/', apiKeyEnv: 'GATEWAY_KEY' },
      }),
    );
    expect(command.args).toEqual([...BASE, '-m', 'coder', '--provider', 'custom']);
    expect(command.env).toEqual({
      HERMES_EPHEMERAL_SYSTEM_PROMPT: 'You are the Reflector.',
      HERMES_STREAM_RETRIES: '0',
      HERMES_WRITE_SAFE_ROOT: SCRATCH,
      OPENAI_BASE_URL: 'http://127.0.0.1:4000/v1',
      OPENAI_API_KEY: 'sk-secret-value',
    });
    expect(command.args.join(' ')).not.toContain('sk-secret-value');
    expect(command.secretArgs).toBeUndefined();
  });

  it('leaves OPENAI_API_KEY alone when the named variable is unset', () => {
    const command = buildHermesCommand(
      request({ settings: { baseUrl: 'http://gw/v1', apiKeyEnv: 'MISSING_KEY' } }),
    );
    expect(command.env.OPENAI_API_KEY).toBeUndefined();
    expect(command.env.OPENAI_BASE_URL).toBe('http://gw/v1');
  });

  it('resumes a session with --resume', () => {
    expect(buildHermesCommand(request({ resumeSessionId: '20261121_093000_a1b2c3' })).args).toEqual(
      [...BASE, '--resume', '20261121_093000_a1b2c3'],
    );
  });

  it('maps the access levels', () => {
    const readOnly = buildHermesCommand(request({ access: 'read-only' }));
    const write = buildHermesCommand(request({ access: 'workspace-write' }));
    const full = buildHermesCommand(request({ access: 'full' }));
    expect(readOnly.args).toEqual(BASE);
    expect(readOnly.env.HERMES_WRITE_SAFE_ROOT).toBe(SCRATCH);
    expect(write.args).toEqual(BASE);
    expect(write.env.HERMES_WRITE_SAFE_ROOT).toBe('/srv/project');
    expect(full.args).toEqual([...BASE, '--yolo']);
    expect(full.env.HERMES_WRITE_SAFE_ROOT).toBeUndefined();
  });

  it('builds every combination with options in a fixed order', () => {
    for (const access of ACCESS_LEVELS) {
      for (const profile of [null, 'worker']) {
        for (const model of [undefined, 'm-1']) {
          for (const baseUrl of [undefined, 'http://127.0.0.1:4000/v1']) {
            for (const resumeSessionId of [undefined, 's-1']) {
              const command = buildHermesCommand(
                request({
                  access,
                  profile,
                  model,
                  resumeSessionId,
                  settings: baseUrl ? { baseUrl } : {},
                }),
              );
              const expected = [
                ...(profile ? ['-p', 'baton-worker'] : []),
                ...BASE,
                ...(model ? ['-m', model] : []),
                ...(baseUrl ? ['--provider', 'custom'] : []),
                ...(resumeSessionId ? ['--resume', resumeSessionId] : []),
                ...(access === 'full' ? ['--yolo'] : []),
              ];
              expect(command.args).toEqual(expected);
              expect(command.args.filter((arg) => arg === 'baton-worker')).toHaveLength(
                profile ? 1 : 0,
              );
              expect(command.stdin).toBe('Summarise what went well.');
              expect(command.env.HERMES_EPHEMERAL_SYSTEM_PROMPT).toBe('You are the Reflector.');
              expect(command.env.OPENAI_BASE_URL).toBe(baseUrl);
            }
          }
        }
      }
    }
  });

  it('delivers an empty contract as an empty system prompt', () => {
    expect(buildHermesCommand(request({ contract: '' })).env.HERMES_EPHEMERAL_SYSTEM_PROMPT).toBe(
      '',
    );
  });

  it('uses the configured binary and appends --max-turns when asked', () => {
    const command = buildHermesCommand(
      request({ settings: { binary: '/opt/hermes/bin/hermes' } }),
      { maxTurns: 1 },
    );
    expect(command.file).toBe('/opt/hermes/bin/hermes');
    expect(command.args).toEqual([...BASE, '--max-turns', '1']);
  });

  it('takes the effort as the top-level --reasoning, before the subcommand', () => {
    expect(buildHermesCommand(request({ effort: 'high', profile: 'worker' })).args).toEqual([
      '-p',
      'baton-worker',
      '--usage-file',
      USAGE,
      '--reasoning',
      'high',
      ...BASE.slice(2),
    ]);
    for (const effort of HERMES_EFFORTS) {
      const args = buildHermesCommand(request({ effort })).args;
      expect(args.slice(2, 4)).toEqual(['--reasoning', effort]);
    }
  });

  it('refuses an effort Hermes does not know, naming the ones it does', () => {
    expect(() => buildHermesCommand(request({ effort: 'extreme' }))).toThrow(BatonError);
    expect(() => buildHermesCommand(request({ effort: 'extreme' }))).toThrow(
      'Hermes has no reasoning effort "extreme"; use one of none, minimal, low, medium, high, xhigh, max, ultra.',
    );
  });

  it("caps the stage's turns with --max-turns; a cost budget has no Hermes flag", () => {
    expect(buildHermesCommand(request({ budget: { maxTurns: 8 } })).args).toEqual([
      ...BASE,
      '--max-turns',
      '8',
    ]);
    expect(buildHermesCommand(request({ budget: { maxCostUsd: 2.5 } })).args).toEqual(BASE);
    // The doctor probe's own cap wins over a stage budget.
    expect(buildHermesCommand(request({ budget: { maxTurns: 8 } }), { maxTurns: 1 }).args).toEqual([
      ...BASE,
      '--max-turns',
      '1',
    ]);
    for (const maxTurns of [0, 2.5, -1]) {
      expect(() => buildHermesCommand(request({ budget: { maxTurns } }))).toThrow(
        `A stage's turn budget must be a whole number of turns, 1 or more; got ${maxTurns}.`,
      );
    }
  });

  it('keeps a 300 kB prompt out of argv', () => {
    const prompt = 'x'.repeat(300_000);
    const command = buildHermesCommand(request({ prompt }));
    expect(command.stdin).toBe(prompt);
    expect(command.args.join('').length).toBeLessThan(200);
  });
});

describe('normaliseBaseUrl', () => {
  it('trims whitespace and trailing slashes only', () => {
    expect(normaliseBaseUrl(' http://gw:4000/v1// ')).toBe('http://gw:4000/v1');
    expect(normaliseBaseUrl('http://gw:4000')).toBe('http://gw:4000');
  });
});
