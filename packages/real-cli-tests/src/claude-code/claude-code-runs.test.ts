/**
 * The Claude Code adapter's commands run by the real pinned `claude` 2.1.330 against the
 * scripted model server (Anthropic Messages), with the real stdout fed through the
 * adapter's decoder: an answer, tool calls Claude Code really executes (or refuses) under
 * each access level, HTTP 401 and 500, resume, the contract on the wire, a backend profile.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClaudeCodeAdapter } from '@baton/claude-code';
import type { LoggedRequest } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, messageRequests, runStage, stageRequest } from './support.js';

const adapter = createClaudeCodeAdapter();
// The key is required: a request reaching the server without it gets 401.
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

function systemBlocks(request: LoggedRequest): string[] {
  const system = (request.body as { system?: Array<{ text?: string }> }).system ?? [];
  return system.map((block) => block.text ?? '');
}

function init(json: Array<Record<string, unknown>>): Record<string, unknown> {
  return json.find((event) => event.type === 'system' && event.subtype === 'init')!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('claude 2.1.330 runs the adapter command', () => {
  it('answers, with usage and a session id; the contract ends the system prompt, the prompt travels on stdin', async () => {
    server().script({ model: 'plain-model' }, [
      { text: 'Hello from the scripted server', usage: { inputTokens: 120, outputTokens: 7 } },
    ]);
    const contract = 'You are the "Reviewer".\n\tCheck every criterion — keep evidence.\n\\ end ✓';
    const prompt = 'Review the change.\nLine two with `backticks` and "quotes".';
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'plain-model', contract, prompt }),
    );

    expect(run.exit.exitCode).toBe(0);
    expect(run.command.stdin).toBe(prompt);
    expect(run.command.args.join(' ')).not.toContain('Review the change');
    const sessionId = init(run.json).session_id as string;
    expect(sessionId).toMatch(UUID);
    expect(init(run.json).permissionMode).toBe('default');
    expect(init(run.json).tools).not.toContain('Write');
    expect(init(run.json).tools).not.toContain('Edit');
    expect(run.outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from the scripted server',
      sessionId,
      usage: {
        known: true,
        inputTokens: 120,
        cachedInputTokens: 0,
        outputTokens: 7,
        reasoningTokens: 0,
        totalTokens: 127,
        // Claude Code has no price for "plain-model": it guesses at its default model's rate
        // and says so (costBasis "unknown"); a guess is no cost.
        costUsd: null,
      },
      error: null,
    });
    expect(run.events.filter((event) => event.type === 'text')).toEqual([
      { type: 'text', text: 'Hello from the scripted server' },
    ]);

    const [request] = messageRequests(server(), 'plain-model');
    expect(request!.path).toBe('/v1/messages');
    // The gateway key went as a bearer token only; no x-api-key header at all.
    expect(request!.headers.authorization).toBe('[redacted]');
    expect(request!.headers['x-api-key']).toBeUndefined();
    const blocks = systemBlocks(request!);
    expect(blocks.at(-1)!.endsWith(`\n\n${contract}`)).toBe(true);
    expect(blocks.join('\n').split(contract)).toHaveLength(2);
    expect(request!.text).toContain(prompt);
  });

  it('workspace-write: Claude Code runs a Bash command that writes into the workspace', async () => {
    server().script({ model: 'write-model' }, [
      { toolCall: { command: 'printf made > made.txt && echo created' } },
      { text: 'Created made.txt.' },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'write-model', access: 'workspace-write' }),
    );
    expect(init(run.json).permissionMode).toBe('acceptEdits');
    expect(readFileSync(join(sandbox().workspace, 'made.txt'), 'utf8')).toBe('made');
    const input = {
      command: 'printf made > made.txt && echo created',
      description: 'Run a scripted command',
    };
    const tools = run.events.filter((event) => event.type === 'tool-use');
    expect(tools).toEqual([
      {
        type: 'tool-use',
        name: 'Bash',
        id: expect.any(String),
        status: 'started',
        input,
        output: null,
      },
      {
        type: 'tool-use',
        name: 'Bash',
        id: tools[0]!.type === 'tool-use' ? tools[0]!.id : null,
        status: 'completed',
        input,
        output: 'created',
      },
    ]);
    expect(run.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Created made.txt.',
      error: null,
    });
    // The tool result went back to the model in the second request.
    expect(messageRequests(server(), 'write-model')[1]!.text).toContain('created');
  });

  it('read-only: the same command is denied (a warning and a failed tool use); Write is not offered', async () => {
    server().script({ model: 'readonly-model' }, [
      { toolCall: { command: 'printf made > made.txt' } },
      { text: 'Could not write.' },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'readonly-model', access: 'read-only' }),
    );
    expect(existsSync(join(sandbox().workspace, 'made.txt'))).toBe(false);
    expect(run.events.filter((event) => event.type === 'warning')).toEqual([
      { type: 'warning', message: expect.stringMatching(/^Claude Code denied Bash: /) },
    ]);
    expect(
      run.events
        .filter((event) => event.type === 'tool-use')
        .map((event) => event.type === 'tool-use' && event.status),
    ).toEqual(['started', 'failed']);
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Could not write.' });
    const tools = (
      (messageRequests(server(), 'readonly-model')[0]!.body as { tools?: Array<{ name: string }> })
        .tools ?? []
    ).map((tool) => tool.name);
    expect(tools).toContain('Bash');
    expect(tools).not.toContain('Write');
    expect(tools).not.toContain('Edit');
  });

  it('full: bypassPermissions, refused as root unless IS_SANDBOX=1 (Baton never sets it)', async () => {
    server().script({ model: 'full-model' }, [
      { toolCall: { command: 'printf full > full.txt' } },
      { text: 'Done.' },
    ]);
    const asRoot = process.getuid?.() === 0;
    const refused = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'full-model', access: 'full' }),
    );
    if (asRoot) {
      expect(refused.outcome).toMatchObject({
        status: 'failed',
        error: {
          kind: 'permission',
          retryable: false,
          message: expect.stringMatching(
            /^--dangerously-skip-permissions cannot be used with root\/sudo privileges/,
          ),
        },
      });
      expect(messageRequests(server(), 'full-model')).toHaveLength(0);
    } else {
      expect(refused.outcome.status).toBe('succeeded');
    }
    const allowed = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model: 'full-model',
        access: 'full',
        env: { ...sandbox().env, IS_SANDBOX: '1' },
      }),
    );
    expect(init(allowed.json).permissionMode).toBe('bypassPermissions');
    expect(allowed.outcome).toMatchObject({ status: 'succeeded', finalText: 'Done.' });
    expect(readFileSync(join(sandbox().workspace, 'full.txt'), 'utf8')).toBe('full');
  });

  it('HTTP 401: a failed stage with an auth error, not retried, in well under the timeout', async () => {
    server().script({ model: 'denied-model' }, [{ error: { status: 401 } }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model: 'denied-model',
        env: { ...sandbox().env, CLAUDE_CODE_MAX_RETRIES: '0' },
      }),
    );
    expect(run.command.env.CLAUDE_CODE_MAX_RETRIES).toBe('0');
    expect(run.exit.exitCode).toBe(1);
    expect(run.outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: init(run.json).session_id,
      usage: {
        known: true,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
        reasoningTokens: 0,
        totalTokens: 0,
        costUsd: 0,
      },
      error: {
        message: 'Failed to authenticate. API Error: 401 Scripted error: HTTP 401',
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
    expect(messageRequests(server(), 'denied-model')).toHaveLength(1);
    expect(run.events.filter((event) => event.type === 'text')).toEqual([]);
  });

  it('HTTP 500: two quick retries (reported, not fatal), then a retryable server error', async () => {
    server().script({ model: 'broken-model' }, [{ error: { status: 500 } }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model: 'broken-model' }),
    );
    expect(run.command.env.CLAUDE_CODE_MAX_RETRIES).toBe('2');
    expect(messageRequests(server(), 'broken-model')).toHaveLength(3);
    expect(run.durationMs).toBeLessThan(15_000);
    expect(run.events.filter((event) => event.type === 'error')).toEqual([
      {
        type: 'error',
        message: expect.stringMatching(
          /^Claude Code retries after 500 server_error in \d\.\d s \(attempt 1 of 2\)$/,
        ),
        kind: 'server',
        status: 500,
        fatal: false,
      },
      {
        type: 'error',
        message: expect.stringMatching(
          /^Claude Code retries after 500 server_error in \d\.\d s \(attempt 2 of 2\)$/,
        ),
        kind: 'server',
        status: 500,
        fatal: false,
      },
      {
        type: 'error',
        message: expect.stringMatching(/^API Error: 500 Scripted error: HTTP 500\./),
        kind: 'server',
        status: 500,
        fatal: true,
      },
    ]);
    expect(run.outcome).toMatchObject({
      status: 'failed',
      finalText: null,
      error: {
        kind: 'server',
        status: 500,
        retryable: true,
        failureClass: 'transient',
        retryAfterMs: null,
      },
    });
  });

  it('resumes the session it reported, with the earlier turn in the request, and costs each run apart', async () => {
    // A model Claude Code prices (list price), routed by the conversation's first question.
    const model = 'claude-sonnet-4-5';
    server().script({ model, text: 'first question' }, [
      { text: 'First answer.', usage: { inputTokens: 100, outputTokens: 5 } },
      { text: 'Second answer.', usage: { inputTokens: 150, outputTokens: 6 } },
    ]);
    const first = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { model, prompt: 'first question' }),
    );
    expect(first.outcome.status).toBe('succeeded');
    const sessionId = first.outcome.sessionId!;
    expect(sessionId).toMatch(UUID);
    // The session is announced by the first event, long before the result.
    expect(first.events[0]).toEqual({ type: 'session', sessionId });
    const before = messageRequests(server(), model).length;

    const second = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model,
        prompt: 'second question',
        resumeSessionId: sessionId,
      }),
    );
    expect(second.command.args.slice(-2)).toEqual(['--resume', sessionId]);
    expect(second.events[0]).toEqual({ type: 'session', sessionId });
    expect(second.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Second answer.',
      sessionId,
    });
    // The server saw the earlier conversation in the resumed run's request.
    const resumed = messageRequests(server(), model).slice(before);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.text).toContain('first question');
    expect(resumed[0]!.text).toContain('First answer.');
    expect(resumed[0]!.text).toContain('second question');
    // Usage and cost are each run's; total_cost_usd counts the whole session.
    expect(first.outcome.usage).toMatchObject({
      inputTokens: 100,
      outputTokens: 5,
      costUsd: 0.000375,
    });
    expect(second.outcome.usage).toMatchObject({
      inputTokens: 150,
      outputTokens: 6,
      costUsd: 0.00054,
    });
    const sessionCost = second.json.find((event) => event.type === 'result')!
      .total_cost_usd as number;
    expect(second.outcome.usage.costUsd! + first.outcome.usage.costUsd!).toBeCloseTo(
      sessionCost,
      10,
    );
  });

  it('sums the usage and cost of a tool call and its answer, cache reads included', async () => {
    const model = 'claude-sonnet-4-5';
    server().script({ model, text: 'sum the turns' }, [
      {
        toolCall: { command: 'echo counted' },
        usage: { inputTokens: 1200, cachedInputTokens: 1000, outputTokens: 20 },
      },
      { text: 'Counted.', usage: { inputTokens: 1500, cachedInputTokens: 1200, outputTokens: 30 } },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model,
        prompt: 'sum the turns',
        access: 'workspace-write',
      }),
    );
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Counted.' });
    expect(run.outcome.usage).toEqual({
      known: true,
      inputTokens: 2700,
      cachedInputTokens: 2200,
      outputTokens: 50,
      reasoningTokens: 0,
      totalTokens: 2750,
      // 500 input × $3/M + 2200 cache reads × $0.30/M + 50 output × $15/M.
      costUsd: expect.closeTo(0.00291, 10),
    });
    const result = run.json.find((event) => event.type === 'result')!;
    expect(run.outcome.usage.costUsd).toBe(result.total_cost_usd);
  });

  it("sends the stage's model over the runtime's, and the effort as output_config.effort", async () => {
    server().script({ model: 'claude-opus-4-6' }, [{ text: 'Thought hard.' }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model: 'claude-opus-4-6',
        effort: 'low',
        settings: {
          ...stageRequest(sandbox(), server().url).settings,
          model: 'claude-sonnet-4-5',
        },
      }),
    );
    expect(run.command.args.slice(4, 8)).toEqual(['--model', 'claude-opus-4-6', '--effort', 'low']);
    expect(run.command.args).not.toContain('claude-sonnet-4-5');
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Thought hard.' });
    const requests = messageRequests(server(), 'claude-opus-4-6');
    expect(requests).toHaveLength(1);
    expect((requests[0]!.body as { output_config?: unknown }).output_config).toEqual({
      effort: 'low',
    });
  });

  it('with a backend profile, the settings file selected by --settings is honoured (model and env)', async () => {
    writeFileSync(
      join(sandbox().configDir, 'baton-worker.settings.json'),
      JSON.stringify({
        model: 'profile-model',
        env: { ANTHROPIC_CUSTOM_HEADERS: 'x-baton-profile: worker' },
      }),
    );
    server().script({ model: 'profile-model' }, [{ text: 'From the profile.' }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { profile: 'worker' }),
    );
    expect(run.command.args.filter((arg) => arg.includes('baton-worker'))).toEqual([
      join(sandbox().configDir, 'baton-worker.settings.json'),
    ]);
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'From the profile.' });
    const [request] = messageRequests(server(), 'profile-model');
    expect(request!.headers['x-baton-profile']).toBe('worker');
  });

  it('with a backend profile whose file is missing, fails before any request with what to do', async () => {
    const before = server().requests.length;
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, { profile: 'absent' }),
    );
    expect(run.outcome).toMatchObject({
      status: 'failed',
      error: {
        message: `Claude Code cannot find the backend profile's settings file ${join(sandbox().configDir, 'baton-absent.settings.json')}: run \`baton setup claude-code\`.`,
        retryable: false,
      },
    });
    expect(server().requests.length).toBe(before);
  });
});
