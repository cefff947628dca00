/**
 * End to end: the adapter's real commands, spawned against the Hermes stand-in (an
 * executable built from Hermes's documented interface), decoded by the adapter's decoder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_LEVELS, type StageRequest, UNKNOWN_USAGE } from '@baton/core';
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
  history: Array<{ role: string; content: string }>;
  env: Record<string, string | null>;
} {
  const lines = readFileSync(join(root, 'invocations.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1)!);
}

describe('Hermes adapter against the stand-in', () => {
  it('runs a stage end to end: prompt on stdin, contract in the system prompt, effort and turn cap on the command line', async () => {
    const stageRequest = request({
      profile: 'worker',
      model: 'coder',
      effort: 'high',
      budget: { maxTurns: 12, maxCostUsd: 0.5 },
      access: 'workspace-write',
      settings: { baseUrl: 'http://127.0.0.1:4000/v1', apiKeyEnv: 'GATEWAY_KEY' },
    });
    const { command, outcome, events, exitCode } = await run(stageRequest);
    expect(exitCode).toBe(0);
    // Hermes 0.21's chat writes no usage report: tokens and cost stay unknown.
    expect(outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hermes stand-in answer.\nThe prompt had 51 characters.',
      sessionId: '20261121_093000_a1b2c3',
      usage: UNKNOWN_USAGE,
      error: null,
    });
    expect(events).toEqual([
      { type: 'text', text: 'Hermes stand-in answer.', partial: true },
      { type: 'text', text: '\nThe prompt had 51 characters.', partial: true },
    ]);
    const invocation = lastInvocation();
    expect(invocation.argv).toEqual(command.args);
    expect(invocation.argv.slice(0, 6)).toEqual([
      '-p',
      'baton-worker',
      '--usage-file',
      join(stageRequest.scratchDir, 'usage.json'),
      '--reasoning',
      'high',
    ]);
    expect(invocation.argv.slice(-2)).toEqual(['--max-turns', '12']);
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

  it('reads the usage report of a Hermes whose chat writes one', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_CHAT_USAGE_FILE: '1' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.usage).toEqual({
      known: true,
      inputTokens: 1500,
      cachedInputTokens: 300,
      outputTokens: 80,
      reasoningTokens: 10,
      totalTokens: 1580,
      costUsd: 0.0042,
    });
  });

  it('is accepted by the stand-in for every access level, profile, model, base_url, effort, turn cap and resume', async () => {
    const resumable = (await run(request())).outcome.sessionId!;
    for (const access of ACCESS_LEVELS) {
      for (const profile of [null, 'worker']) {
        for (const model of [undefined, 'coder']) {
          for (const baseUrl of [undefined, 'http://127.0.0.1:4000/v1']) {
            for (const resumeSessionId of [undefined, resumable]) {
              for (const effort of [undefined, 'xhigh']) {
                const { outcome, exitCode, stderr } = await run(
                  request({
                    access,
                    profile,
                    model,
                    resumeSessionId,
                    effort,
                    budget: effort === undefined ? undefined : { maxTurns: 3 },
                    settings: baseUrl ? { baseUrl } : {},
                  }),
                );
                expect({ exitCode, stderr, status: outcome.status }).toEqual({
                  exitCode: 0,
                  stderr: `\nsession_id: ${resumable}\n`,
                  status: 'succeeded',
                });
              }
            }
          }
        }
      }
    }
  }, 180_000);

  it('accepts every effort Hermes knows', async () => {
    for (const effort of adapter.capabilities.efforts) {
      const { outcome } = await run(request({ effort }));
      expect(outcome.status).toBe('succeeded');
      expect(lastInvocation().argv).toContain(effort);
    }
  }, 60_000);

  it('resumes a session: the session id reaches argv and the earlier conversation is sent again', async () => {
    const sessionsHome = join(root, 'resume-home');
    mkdirSync(sessionsHome);
    const env = baseEnv({ HERMES_HOME: sessionsHome });
    const first = await run(request({ prompt: 'Write NOTES.md.', env }), {
      HERMES_STANDIN_SESSION: '20261121_101010_c0ffee',
      HERMES_STANDIN_REPLY: 'NOTES.md is written.',
    });
    expect(first.outcome.status).toBe('succeeded');
    const sessionId = first.outcome.sessionId!;
    expect(sessionId).toBe('20261121_101010_c0ffee');
    expect(lastInvocation().history).toEqual([]);

    const second = await run(
      request({ prompt: 'Continue where you stopped.', resumeSessionId: sessionId, env }),
    );
    expect(second.outcome.status).toBe('succeeded');
    expect(second.outcome.sessionId).toBe(sessionId);
    const invocation = lastInvocation();
    expect(invocation.argv.slice(invocation.argv.indexOf('--resume'))).toEqual([
      '--resume',
      sessionId,
    ]);
    expect(invocation.history).toEqual([
      { role: 'user', content: 'Write NOTES.md.' },
      { role: 'assistant', content: 'NOTES.md is written.' },
    ]);
  });

  it('fails a resume of a session Hermes does not have, as the task', async () => {
    const { outcome } = await run(request({ resumeSessionId: '20200101_000000_000000' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      failureClass: 'task',
      retryable: false,
      sessionNotFound: true,
    });
    expect(outcome.error?.message).toContain('Session not found: 20200101_000000_000000');
  });

  it('delivers a 300 kB prompt whole through stdin', async () => {
    const prompt = `Goal: ${'y'.repeat(300_000)}`;
    const { outcome } = await run(request({ prompt }));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.finalText).toBe(
      `Hermes stand-in answer.\nThe prompt had ${prompt.length} characters.`,
    );
    expect(lastInvocation().stdin).toBe(prompt);
  });

  it.each([
    ['auth-error', 'auth', 'auth', 401, null, 'HTTP 401: Invalid API key provided'],
    ['billing', 'quota_exhausted', 'rate-limit', 402, null, 'HTTP 402: Insufficient credits'],
    ['quota', 'quota_exhausted', 'rate-limit', 429, null, 'exceeded your current quota'],
    ['rate-limit', 'rate_limited', 'rate-limit', 429, 20_000, 'Please try again in 20s.'],
    ['server-error', 'transient', 'server', 500, null, 'HTTP 500: Internal server error'],
    ['overloaded', 'transient', 'server', 529, null, 'HTTP 529: Overloaded'],
    ['network-error', 'unavailable', 'network', null, null, 'Connection error.'],
    ['offline', 'unavailable', 'network', null, null, "can't reach the model provider"],
    ['context-overflow', 'task', 'model', null, null, 'Context length exceeded'],
    ['error-no-response', 'transient', 'server', 503, null, 'Error: HTTP 503'],
    ['not-configured', 'auth', 'auth', null, null, "Hermes isn't configured yet"],
    ['model-refused', 'unavailable', 'unknown', null, null, 'Refusing this startup model override'],
    ['crash', 'unavailable', 'unknown', null, null, 'ModuleNotFoundError'],
    ['empty-sentinel', 'task', 'model', null, null, 'Hermes answered "(empty)"'],
  ] as const)(
    'classifies %s as %s',
    async (script, failureClass, kind, status, retryAfterMs, words) => {
      const { outcome } = await run(request({ model: 'coder' }), {
        HERMES_STANDIN_SCRIPT: script,
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatchObject({ failureClass, kind, status, retryAfterMs });
      expect(outcome.error?.message).toContain(words);
    },
  );

  it('keeps the session id of a failed turn, so the stage can go on in it', async () => {
    const { outcome } = await run(request(), { HERMES_STANDIN_SCRIPT: 'rate-limit' });
    expect(outcome.sessionId).toBe('20261121_093000_a1b2c3');
  });

  it('reports a turn stopped by --max-turns as done (chat -Q exits 0), and as incomplete when a usage report says so', async () => {
    const plain = await run(request({ budget: { maxTurns: 3 } }), {
      HERMES_STANDIN_SCRIPT: 'turn-cap',
    });
    expect(plain.exitCode).toBe(0);
    expect(plain.outcome.status).toBe('succeeded');
    const reported = await run(request({ budget: { maxTurns: 3 } }), {
      HERMES_STANDIN_SCRIPT: 'turn-cap',
      HERMES_STANDIN_CHAT_USAGE_FILE: '1',
    });
    expect(reported.outcome.status).toBe('failed');
    expect(reported.outcome.error).toMatchObject({
      message: 'Hermes did not complete the run (max_iterations_reached(3/3))',
      failureClass: 'task',
      limitReached: 'turns',
    });
  });

  it('turns garbage output with an unreadable usage report into a clear failure', async () => {
    const { outcome } = await run(request(), {
      HERMES_STANDIN_SCRIPT: 'garbage',
      HERMES_STANDIN_CHAT_USAGE_FILE: '1',
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(
      /^hermes exited 0 but its usage report is unreadable \(not JSON/,
    );
  });

  it('fails a stage whose profile does not exist: Hermes cannot run here', async () => {
    const { outcome } = await run(request({ profile: 'missing' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain("profile 'baton-missing' does not exist");
    expect(outcome.error?.failureClass).toBe('unavailable');
  });

  it('reads the session id a turn interrupted by SIGTERM prints', async () => {
    const stageRequest = request();
    const command = adapter.buildCommand(stageRequest);
    const child = spawn(command.file, [...command.args], {
      cwd: command.cwd,
      env: { ...stageRequest.env, ...command.env, HERMES_STANDIN_SCRIPT: 'wait-for-signal' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(command.stdin);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The stand-in logs its invocation once it is inside the turn.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        if (
          lastInvocation().stdin === stageRequest.prompt &&
          lastInvocation().argv.join() === command.args.join()
        )
          break;
      } catch {
        // Not logged yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    const exitCode = await exited;
    const decoder = adapter.createDecoder(stageRequest);
    const outcome = decoder.finish({ exitCode, signal: null, stderrTail: stderr, resultFiles: {} });
    expect(exitCode).toBe(130);
    expect(outcome.status).toBe('failed');
    expect(outcome.sessionId).toBe('20261121_093000_a1b2c3');
    expect(outcome.error?.failureClass).toBe('transient');
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
