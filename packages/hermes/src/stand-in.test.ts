/**
 * End to end: the adapter's real commands, spawned against the Hermes stand-in (an
 * executable built from Hermes's documented interface), decoded by the adapter's decoder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_LEVELS, type StageRequest } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHermesAdapter } from './hermes-adapter.js';
import { installHermesStandIn, runCommandSpec, standInPath } from './test-support/index.js';

const adapter = createHermesAdapter();
let root: string;
let binDir: string;
let home: string;
let workspace: string;
let runCount = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-hermes-e2e-'));
  binDir = join(root, 'bin');
  home = join(root, 'home');
  workspace = join(root, 'workspace');
  mkdirSync(binDir);
  mkdirSync(join(home, '.hermes', 'profiles', 'baton-worker'), { recursive: true });
  mkdirSync(workspace);
  installHermesStandIn(binDir);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: standInPath(binDir),
    HOME: home,
    HERMES_HOME: join(home, '.hermes'),
    HERMES_STANDIN_LOG: join(root, 'invocations.jsonl'),
    ...extra,
  };
}

function request(overrides: Partial<StageRequest> = {}): StageRequest {
  runCount += 1;
  const scratchDir = join(root, `scratch-${runCount}`);
  mkdirSync(scratchDir);
  return {
    stage: 'reflect',
    prompt: 'Reflect on the run: what went well, what to change.',
    contract: 'You are the Reflector.\nCite evidence for every claim.',
    cwd: workspace,
    access: 'read-only',
    profile: null,
    settings: {},
    scratchDir,
    env: baseEnv({ GATEWAY_KEY: 'sk-gateway' }),
    ...overrides,
  };
}

async function run(
  stageRequest: StageRequest,
  extraEnv: Record<string, string> = {},
  timeoutMs = 20_000,
) {
  const command = adapter.buildCommand(stageRequest);
  const result = await runCommandSpec(command, adapter.createDecoder(stageRequest), {
    baseEnv: { ...stageRequest.env, ...extraEnv },
    timeoutMs,
  });
  return { command, ...result };
}

function lastInvocation(): {
  argv: string[];
  stdin: string;
  cwd: string;
  home: string;
  env: Record<string, string | null>;
} {
  const lines = readFileSync(join(root, 'invocations.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1)!);
}

describe('Hermes adapter against the stand-in', () => {
  it('runs a stage end to end: prompt on stdin, contract in the system prompt, usage decoded', async () => {
    const stageRequest = request({
      profile: 'worker',
      model: 'coder',
      access: 'workspace-write',
      settings: { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' },
    });
    const { command, outcome, events, exitCode } = await run(stageRequest);
    expect(exitCode).toBe(0);
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hermes stand-in answer.\nThe prompt had 51 characters.',
      sessionId: '20261121_093000_a1b2c3',
      usage: {
        known: true,
        inputTokens: 1500,
        cachedInputTokens: 300,
        outputTokens: 80,
        reasoningTokens: 10,
        totalTokens: 1580,
        costUsd: 0.0042,
      },
      error: null,
    });
    expect(events).toEqual([
      { type: 'text', text: 'Hermes stand-in answer.' },
      { type: 'text', text: 'The prompt had 51 characters.' },
    ]);
    const invocation = lastInvocation();
    expect(invocation.argv).toEqual(command.args);
    expect(invocation.stdin).toBe(stageRequest.prompt);
    expect(invocation.cwd).toBe(workspace);
    expect(invocation.home).toBe(join(home, '.hermes', 'profiles', 'baton-worker'));
    expect(invocation.env).toEqual({
      HERMES_EPHEMERAL_SYSTEM_PROMPT: 'You are the Reflector.\nCite evidence for every claim.',
      HERMES_STREAM_RETRIES: '0',
      HERMES_WRITE_SAFE_ROOT: workspace,
      OPENAI_BASE_URL: 'http://127.0.0.1:4000/v1',
      OPENAI_API_KEY: 'sk-gateway',
    });
  });

  it('is accepted by the stand-in for every access level, profile, model, base_url and resume', async () => {
    for (const access of ACCESS_LEVELS) {
      for (const profile of [null, 'worker']) {
        for (const model of [undefined, 'coder']) {
          for (const baseUrl of [undefined, 'http://127.0.0.1:4000/v1']) {
            for (const resumeSessionId of [undefined, '20261120_080000_feed00']) {
              const { outcome, exitCode, stderr } = await run(
                request({
                  access,
                  profile,
                  model,
                  resumeSessionId,
                  settings: baseUrl ? { baseUrl } : {},
                }),
              );
              expect({ exitCode, stderr, status: outcome.status }).toEqual({
                exitCode: 0,
                stderr: `\nsession_id: ${resumeSessionId ?? '20261121_093000_a1b2c3'}\n`,
                status: 'succeeded',
              });
            }
          }
        }
      }
    }
  }, 120_000);

  it('delivers a 300 kB prompt whole through stdin', async () => {
    const prompt = `Goal: ${'y'.repeat(300_000)}`;
    const { outcome } = await run(request({ prompt }));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe(
      `Hermes stand-in answer.\nThe prompt had ${prompt.length} characters.`,
    );
    expect(lastInvocation().stdin).toBe(prompt);
  });

  it('reports an authentication failure as auth, not retryable', async () => {
    const { outcome, exitCode } = await run(request(), { HERMES_STANDIN_SCRIPT: 'auth-error' });
    expect(exitCode).toBe(1);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(outcome.error?.message).toContain('Invalid API key provided');
  });

  it('reports a server error as retryable', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'server-error' });
    expect(outcome.error).toMatchObject({ kind: 'server', status: 500, retryable: true });
  });

  it('fails a run that exits 0 while its usage report says failed', async () => {
    const { outcome, exitCode } = await run(request(), { HERMES_STANDIN_SCRIPT: 'failed-exit0' });
    expect(exitCode).toBe(0);
    expect(outcome.status).toBe('failed');
    expect(outcome.finalText).toBe('I could not finish: the provider returned an error.');
    expect(outcome.error).toMatchObject({ kind: 'server', status: 503, retryable: true });
  });

  it('fails a partial run', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'partial' });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('hermes exited with 2: Hermes stopped partway (max_turns)');
  });

  it('turns garbage output into a clear failure', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'garbage' });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(
      /^hermes exited 0 but its usage report is unreadable \(not JSON/,
    );
  });

  it('marks a crash before any output as retryable', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'crash' });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ kind: 'unknown', retryable: true });
    expect(outcome.error?.message).toContain(
      "ModuleNotFoundError: No module named 'hermes_cli.oneshot'",
    );
  });

  it('succeeds without a usage report, with usage unknown and the session from stderr', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'no-usage' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage.known).toBe(false);
    expect(outcome.sessionId).toBe('20261121_093000_a1b2c3');
  });

  it('fails a stage whose profile does not exist', async () => {
    const { outcome } = await run(request({ profile: 'missing' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain("profile 'baton-missing' does not exist");
  });

  it('stops a hanging run at its time limit, with its process group', async () => {
    const started = Date.now();
    const { outcome, timedOut, signal } = await run(
      request(),
      { HERMES_STANDIN_SCRIPT: 'hang' },
      1_500,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(timedOut).toBe(true);
    expect(signal).toBe('SIGKILL');
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('hermes was stopped by SIGKILL');
  });

  it('rejects options it does not know, and top-level options after the subcommand, like argparse', () => {
    const attempt = (args: string[]) => {
      try {
        execFileSync(join(binDir, 'hermes'), args, { env: baseEnv(), input: 'hi', stdio: 'pipe' });
        return { status: 0, stderr: '' };
      } catch (error) {
        const failure = error as { status: number; stderr: Buffer };
        return { status: failure.status, stderr: failure.stderr.toString() };
      }
    };
    expect(attempt(['chat', '--query-file', '-', '--frobnicate'])).toEqual({
      status: 2,
      stderr: expect.stringContaining('hermes: error: unrecognized arguments: --frobnicate'),
    });
    expect(attempt(['chat', '--query-file', '-', '--usage-file', '/tmp/u.json']).status).toBe(2);
    expect(attempt(['chat', '--query-file', '-', '-q', 'x']).stderr).toContain(
      'not allowed with argument',
    );
    expect(attempt(['chat', '--max-turns', 'one', '--query-file', '-']).stderr).toContain(
      "invalid int value: 'one'",
    );
  });
});
