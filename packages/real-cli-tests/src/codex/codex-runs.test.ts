/**
 * The Codex adapter's commands run by the real pinned `codex` 0.169.0 against the scripted
 * model server (OpenAI Responses API), with the real stdout fed through the adapter's
 * decoder: answers, tool calls Codex really executes under each sandbox mode, HTTP
 * failures, a dead provider, resume, the contract on the wire, and backend profiles.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCodexAdapter } from '@baton/codex';
import type { LoggedRequest } from '@baton/testkit';
import { startModelServer } from '@baton/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, runStage, stageRequest } from './support.js';

const adapter = createCodexAdapter();
// The key is required: a request reaching the server without it gets 401.
const server = useModelServer({ apiKey: KEY, models: ['stub-model'] });
const sandbox = useSandbox(createSandbox);
let baseUrl: string;

beforeAll(() => {
  baseUrl = `${server().url}/v1`;
});

function responsesRequests(model: string): LoggedRequest[] {
  return server().requests.filter(
    (request) => request.endpoint === 'responses' && request.model === model,
  );
}

interface InputMessage {
  type?: string;
  role?: string;
  content?: Array<{ type: string; text?: string }>;
}

function inputMessages(request: LoggedRequest): InputMessage[] {
  return ((request.body as { input?: InputMessage[] }).input ?? []).filter(
    (item) => (item.type ?? 'message') === 'message',
  );
}

// Codex 0.169 sometimes leaves a command that ends at once out of its `exec --json` events
// (the command still runs; see docs/adapters/codex.md); a short sleep keeps them in.
const SETTLE = 'sleep 0.3; ';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('codex 0.169.0 runs the adapter command', () => {
  it('answers, with usage, a session id, the contract as developer instructions and the prompt on stdin', async () => {
    server().script({ model: 'plain-model' }, [
      { text: 'Hello from the scripted server', usage: { inputTokens: 120, outputTokens: 7 } },
    ]);
    const contract =
      'You are the "Architect".\n\tAsk before assuming — keep evidence.\n\\ end \u0001 ✓\n';
    const prompt = 'Plan the work.\nLine two with `backticks` and "quotes".';
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'plain-model', contract, prompt }),
    );

    expect(run.timedOut).toBe(false);
    expect(run.exit.exitCode).toBe(0);
    expect(run.outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from the scripted server',
      sessionId: expect.stringMatching(UUID),
      usage: {
        known: true,
        inputTokens: 120,
        cachedInputTokens: 0,
        outputTokens: 7,
        reasoningTokens: 0,
        totalTokens: 127,
        costUsd: null,
      },
      error: null,
    });
    expect(run.events[0]).toEqual({ type: 'session', sessionId: run.outcome.sessionId });
    expect(run.events.filter((event) => event.type === 'text')).toEqual([
      { type: 'text', text: 'Hello from the scripted server' },
    ]);

    const [request, ...others] = responsesRequests('plain-model');
    expect(others).toEqual([]);
    expect(request!.status).toBe(200);
    expect(request!.headers.authorization).toBe('[redacted]');
    const messages = inputMessages(request!);
    // The contract is one developer content part, byte for byte; Codex's own base
    // instructions stay in place before it.
    const developerParts = messages
      .filter((message) => message.role === 'developer')
      .flatMap((message) => message.content ?? []);
    expect(developerParts.filter((part) => part.text === contract)).toHaveLength(1);
    expect(developerParts[0]!.text).toMatch(/^You are a coding agent running in the Codex CLI/);
    expect(request!.text).toContain(contract.trimEnd());
    // The prompt is the last user message, exactly as sent on stdin.
    expect(messages.at(-1)).toMatchObject({
      role: 'user',
      content: [{ type: 'input_text', text: prompt }],
    });
    // The key travelled by environment only.
    expect(run.command.args.join('\n')).not.toContain(KEY);
  });

  it('runs a tool call with workspace-write: the file appears in the workspace', async () => {
    server().script({ model: 'tool-model' }, [
      {
        toolCall: { command: `${SETTLE}printf tool-ran > created-by-tool.txt` },
        usage: { inputTokens: 100, cachedInputTokens: 40, outputTokens: 10, reasoningTokens: 4 },
      },
      {
        text: 'Wrote the file.',
        usage: { inputTokens: 150, cachedInputTokens: 120, outputTokens: 5, reasoningTokens: 2 },
      },
    ]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'tool-model', access: 'workspace-write' }),
    );

    expect(run.outcome.status).toBe('succeeded');
    expect(run.outcome.finalText).toBe('Wrote the file.');
    expect(readFileSync(join(sandbox().workspace, 'created-by-tool.txt'), 'utf8')).toBe('tool-ran');
    const tools = run.events.filter((event) => event.type === 'tool-use');
    expect(tools.map((event) => event.type === 'tool-use' && [event.name, event.status])).toEqual([
      ['command_execution', 'started'],
      ['command_execution', 'completed'],
    ]);
    expect(tools[1]).toMatchObject({
      input: { command: expect.stringContaining('printf tool-ran > created-by-tool.txt') },
    });
    // Two model requests in one run: Codex's running total adds them up, cached and
    // reasoning tokens included; the decoder reports it once, not once per request.
    expect(run.outcome.usage).toEqual({
      known: true,
      inputTokens: 250,
      cachedInputTokens: 160,
      outputTokens: 15,
      reasoningTokens: 6,
      totalTokens: 265,
      costUsd: null,
    });
    expect(run.events.filter((event) => event.type === 'usage')).toHaveLength(1);
    const requests = responsesRequests('tool-model');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.text).toContain('tool-ran');
  });

  it('keeps read-only runs from writing, and lets only full access write outside the workspace', async () => {
    // Not under /tmp: workspace-write also lets Codex write to /tmp and $TMPDIR.
    const outsideDirectory = mkdtempSync('/var/tmp/baton-codex-outside-');
    const outside = join(outsideDirectory, 'outside.txt');
    onTestFinished(() => rmSync(outsideDirectory, { recursive: true, force: true }));
    const workspaceFile = join(sandbox().workspace, 'read-only-attempt.txt');
    server().script({ model: 'read-only-model' }, [
      { toolCall: { command: `${SETTLE}printf x > ${workspaceFile}` } },
      { text: 'Tried.' },
    ]);
    server().script({ model: 'workspace-model' }, [
      { toolCall: { command: `${SETTLE}printf x > ${outside}` } },
      { text: 'Tried.' },
    ]);
    server().script({ model: 'full-model' }, [
      { toolCall: { command: `${SETTLE}printf full > ${outside}` } },
      { text: 'Done.' },
    ]);

    const readOnly = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'read-only-model', access: 'read-only' }),
    );
    expect(readOnly.outcome.status).toBe('succeeded');
    expect(existsSync(workspaceFile)).toBe(false);
    expect(
      readOnly.events.find((event) => event.type === 'tool-use' && event.status !== 'started'),
    ).toMatchObject({
      status: 'failed',
    });

    const workspaceWrite = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'workspace-model', access: 'workspace-write' }),
    );
    expect(workspaceWrite.outcome.status).toBe('succeeded');
    expect(existsSync(outside)).toBe(false);

    const full = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'full-model', access: 'full' }),
    );
    expect(full.outcome.status).toBe('succeeded');
    expect(readFileSync(outside, 'utf8')).toBe('full');
  });

  it('fails HTTP 401 as auth, after one request (no retries)', async () => {
    server().script({ model: 'auth-model' }, [
      { error: { status: 401, message: 'Incorrect API key provided' } },
    ]);
    const run = await runStage(adapter, stageRequest(sandbox(), baseUrl, { model: 'auth-model' }));
    expect(run.exit.exitCode).toBe(1);
    expect(run.outcome).toMatchObject({
      status: 'failed',
      finalText: null,
      sessionId: expect.stringMatching(UUID),
      usage: { known: false },
      error: {
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
    expect(run.outcome.error!.message).toMatch(
      /^unexpected status 401 Unauthorized: Incorrect API key provided/,
    );
    expect(responsesRequests('auth-model')).toHaveLength(1);
  });

  it('fails HTTP 500 as transient, after one request', async () => {
    server().script({ model: 'broken-model' }, [{ error: { status: 500 } }]);
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'broken-model' }),
    );
    expect(run.exit.exitCode).toBe(1);
    expect(run.outcome).toMatchObject({
      status: 'failed',
      error: {
        message: 'We’re currently experiencing high demand, which may cause temporary errors.',
        kind: 'server',
        status: 500,
        retryable: true,
        failureClass: 'transient',
        retryAfterMs: null,
      },
    });
    expect(responsesRequests('broken-model')).toHaveLength(1);
  });

  it('fails fast as unavailable when nothing listens at base_url', async () => {
    const closed = await startModelServer();
    const deadUrl = `${closed.url}/v1`;
    await closed.close();
    const started = performance.now();
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), deadUrl, { model: 'any-model' }),
      15_000,
    );
    expect(run.timedOut).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.outcome).toMatchObject({
      status: 'failed',
      error: { kind: 'network', retryable: false, failureClass: 'unavailable' },
    });
    expect(run.outcome.error!.message).toMatch(/^Connection failed/);
  });

  it('fails as auth when the api_key_env variable is missing', async () => {
    const request = stageRequest(sandbox(), baseUrl, { model: 'plain-model' });
    const { BATON_TEST_GATEWAY_KEY: _removed, ...env } = request.env;
    const run = await runStage(adapter, { ...request, env });
    expect(run.outcome).toMatchObject({
      status: 'failed',
      error: {
        message: 'Missing environment variable: `BATON_TEST_GATEWAY_KEY`.',
        kind: 'auth',
        retryable: false,
        failureClass: 'auth',
      },
    });
  });

  it('resumes a session: same session id, earlier turns on the wire, usage reported as unknown', async () => {
    server().script({ model: 'resume-model', text: 'first question' }, [
      { text: 'First answer', usage: { inputTokens: 100, outputTokens: 10 } },
    ]);
    const first = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, { model: 'resume-model', prompt: 'first question' }),
    );
    expect(first.outcome.status).toBe('succeeded');
    // The session id is announced first, so an interrupted stage can be resumed.
    expect(first.events[0]).toEqual({ type: 'session', sessionId: first.outcome.sessionId });
    const sessionId = first.outcome.sessionId!;

    // The resumed request carries both questions; the latest matching route answers it.
    server().script({ model: 'resume-model', text: 'second question' }, [
      { text: 'Second answer', usage: { inputTokens: 200, outputTokens: 20 } },
    ]);
    const second = await runStage(
      adapter,
      stageRequest(sandbox(), baseUrl, {
        model: 'resume-model',
        prompt: 'second question',
        resumeSessionId: sessionId,
      }),
    );
    expect(second.command.args.slice(-3)).toEqual(['resume', sessionId, '-']);
    expect(second.events[0]).toEqual({ type: 'session', sessionId });
    expect(second.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Second answer',
      sessionId,
      usage: { known: false },
    });
    // Why unknown: Codex reports the session's running total, the first run included.
    expect(second.stdout).toContain('"input_tokens":300,');
    expect(second.stdout).toContain('"output_tokens":30,');
    const last = responsesRequests('resume-model').at(-1)!;
    expect(last.text).toContain('first question');
    expect(last.text).toContain('First answer');
    expect(last.text).toContain('second question');
  });

  it('takes the stage’s model over the runtime’s, and its effort, to the wire', async () => {
    server().script({ model: 'stage-model' }, [{ text: 'Thought hard.' }]);
    const request = stageRequest(sandbox(), baseUrl, { model: 'stage-model', effort: 'xhigh' });
    const run = await runStage(adapter, {
      ...request,
      settings: { ...request.settings, model: 'runtime-model' },
    });
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Thought hard.' });
    const [wire, ...others] = responsesRequests('stage-model');
    expect(others).toEqual([]);
    expect((wire!.body as { reasoning?: { effort?: string } }).reasoning?.effort).toBe('xhigh');
    expect(server().requests.some((entry) => entry.model === 'runtime-model')).toBe(false);

    // Without an effort, Codex sends its own default, not the last stage's.
    server().script({ model: 'default-effort-model' }, [{ text: 'Default.' }]);
    await runStage(adapter, stageRequest(sandbox(), baseUrl, { model: 'default-effort-model' }));
    const [plain] = responsesRequests('default-effort-model');
    expect((plain!.body as { reasoning?: { effort?: string } }).reasoning?.effort).not.toBe(
      'xhigh',
    );
  });

  it('sends each declared effort as it is', async () => {
    for (const effort of adapter.capabilities.efforts) {
      const model = `effort-${effort}`;
      server().script({ model }, [{ text: effort }]);
      const run = await runStage(adapter, stageRequest(sandbox(), baseUrl, { model, effort }));
      expect(run.outcome.status, run.stderr).toBe('succeeded');
      const [wire] = responsesRequests(model);
      expect((wire!.body as { reasoning?: { effort?: string } }).reasoning?.effort).toBe(effort);
    }
  });
});

describe('codex 0.169.0 with a backend profile', () => {
  it('reads $CODEX_HOME/baton-worker.config.toml: its model reaches the wire', async () => {
    writeFileSync(
      join(sandbox().codexHome, 'baton-worker.config.toml'),
      'model = "profiled-model"\n',
    );
    server().script({ model: 'profiled-model' }, [{ text: 'From the profile' }]);
    const run = await runStage(adapter, stageRequest(sandbox(), baseUrl, { profile: 'worker' }));
    expect(run.command.args.filter((arg) => arg === '-p')).toHaveLength(1);
    expect(run.command.args[run.command.args.indexOf('-p') + 1]).toBe('baton-worker');
    expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'From the profile' });
    expect(responsesRequests('profiled-model')).toHaveLength(1);
  });

  it('fails, with Codex’s reason, while config.toml has a legacy [profiles.baton-worker] table', async () => {
    writeFileSync(
      join(sandbox().codexHome, 'baton-worker.config.toml'),
      'model = "profiled-model"\n',
    );
    writeFileSync(
      join(sandbox().codexHome, 'config.toml'),
      '[profiles.baton-worker]\nmodel = "legacy-model"\n',
    );
    const before = server().requests.length;
    const run = await runStage(adapter, stageRequest(sandbox(), baseUrl, { profile: 'worker' }));
    expect(run.exit.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.outcome.status).toBe('failed');
    // Codex could not start with this config: unavailable here, not a failure of the task.
    expect(run.outcome.error).toMatchObject({
      kind: 'unknown',
      status: null,
      retryable: false,
      failureClass: 'unavailable',
    });
    expect(run.outcome.error!.message).toContain(
      'codex exited with code 1: Error loading config.toml: --profile `baton-worker` cannot be used while',
    );
    expect(run.outcome.error!.message).toContain(
      'legacy `profile = "baton-worker"` or `[profiles.baton-worker]` config',
    );
    expect(server().requests.length).toBe(before);
  });
});
