/**
 * The OpenCode adapter's commands run by the real pinned `opencode` 1.18.33 against the
 * scripted model server (Chat Completions through `base_url`), with the real stdout fed
 * through the adapter's decoder: an answer with the contract on the wire, a bash tool call
 * OpenCode really executes, HTTP 401 and 500, resume, and a backend-profile agent from the
 * user's own config.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RuntimeEvent } from '@baton/core';
import { createOpencodeAdapter } from '@baton/opencode';
import type { LoggedRequest } from '@baton/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { useModelServer, useSandbox } from '../test-hooks.js';
import {
  chatBody,
  chatRequests,
  createSandbox,
  KEY,
  KEY_VARIABLE,
  runStage,
  stageRequest,
  stageRequestFor,
} from './support.js';

const adapter = createOpencodeAdapter();
// The key is required: a request reaching the server without it gets 401.
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

/** The native binary behind the package manager's shell shim (a shell would reset PWD). */
function nativeBinary(): string {
  const shim = readFileSync(requireCli('opencode'), 'utf8');
  const target = /^# cmd-shim-target=(.+)$/m.exec(shim)![1]!.trim();
  return realpathSync(resolve(dirname(requireCli('opencode')), target));
}

const system = (request: LoggedRequest) => String(chatBody(request).messages[0]!.content);
const tools = (request: LoggedRequest) =>
  (chatBody(request).tools ?? []).map((tool) => tool.function.name).sort();
const toolUses = (events: RuntimeEvent[]) => events.filter((event) => event.type === 'tool-use');

const SESSION = /^ses_[0-9A-Za-z]+$/;

describe('opencode 1.18.33 runs the adapter command', () => {
  it('answers on the prompt from stdin, the contract is the system prompt, the key comes by env reference', async () => {
    server().script({ model: 'plain-model' }, [
      { text: 'Hello from the scripted server', usage: { inputTokens: 120, outputTokens: 7 } },
    ]);
    // Braces that look like OpenCode's own substitutions must arrive as written.
    const contract =
      'You are the "Builder".\n\tKeep evidence — {env:HOME} and {file:x} stay literal ✓';
    const prompt = 'Build the change.\nLine two with `backticks` and "quotes".';
    const run = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        contract,
        prompt,
        // The native binary, started by the runner with an unrelated $PWD: --dir must win.
        settings: {
          binary: nativeBinary(),
          baseUrl: `${server().url}/v1`,
          apiKeyEnv: KEY_VARIABLE,
          model: 'plain-model',
        },
      }),
    );

    expect(run.exitCode).toBe(0);
    expect(run.stdin).toBe(prompt);
    expect(run.args.join(' ')).not.toContain('Build the change');
    expect(run.outcome).toEqual({
      status: 'succeeded',
      finalText: 'Hello from the scripted server',
      sessionId: expect.stringMatching(SESSION),
      usage: {
        known: true,
        inputTokens: 120,
        cachedInputTokens: 0,
        outputTokens: 7,
        reasoningTokens: 0,
        totalTokens: 127,
        // The gateway's model has no price in OpenCode: unknown, not free.
        costUsd: null,
      },
      error: null,
    });
    expect(run.events.filter((event) => event.type === 'text')).toEqual([
      { type: 'text', text: 'Hello from the scripted server' },
    ]);

    // One request: --title spares the title-generation request.
    const requests = chatRequests(server(), 'plain-model');
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.status).toBe(200);
    expect(request!.headers.authorization).toBe('[redacted]');
    expect(
      system(request!).startsWith(`${contract}\nYou are powered by the model named plain-model.`),
    ).toBe(true);
    expect(system(request!)).toContain(`Working directory: ${sandbox().workspace}\n`);
    expect(chatBody(request!).messages.at(-1)).toEqual({ role: 'user', content: prompt });
    expect(tools(request!)).toEqual(
      expect.arrayContaining(['bash', 'edit', 'glob', 'grep', 'read', 'write']),
    );
    // Nothing in argv or env carries the key itself.
    expect(
      JSON.stringify(adapter.buildCommand(stageRequest(sandbox(), server().url))),
    ).not.toContain(KEY);
  });

  it('workspace-write: OpenCode runs a bash command that writes into the workspace', async () => {
    server().script({ model: 'tool-model' }, [
      {
        toolCall: { command: 'printf made > made.txt && echo created' },
        usage: { inputTokens: 50, outputTokens: 5 },
      },
      { text: 'Created made.txt.', usage: { inputTokens: 80, outputTokens: 4 } },
    ]);
    const run = await runStage(adapter, stageRequestFor(sandbox(), server().url, 'tool-model'));
    expect(readFileSync(join(sandbox().workspace, 'made.txt'), 'utf8')).toBe('made');
    expect(toolUses(run.events)).toEqual([
      {
        type: 'tool-use',
        name: 'bash',
        id: expect.any(String),
        status: 'completed',
        // OpenCode 1.18.33's bash tool declares no `description` parameter, so none is sent.
        input: { command: 'printf made > made.txt && echo created' },
        output: 'created\n',
      },
    ]);
    expect(run.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Created made.txt.',
      usage: { known: true, inputTokens: 130, outputTokens: 9, totalTokens: 139 },
      error: null,
    });
    const requests = chatRequests(server(), 'tool-model');
    expect(requests).toHaveLength(2);
    expect(chatBody(requests[1]!).messages.some((message) => message.role === 'tool')).toBe(true);
  });

  it('read-only and HTTP 401: no write tools offered; an auth failure, not retried', async () => {
    server().script({ model: 'auth-model' }, [{ error: { status: 401 } }]);
    const run = await runStage(
      adapter,
      stageRequestFor(sandbox(), server().url, 'auth-model', {
        access: 'read-only',
        stage: 'evaluate',
      }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.outcome).toEqual({
      status: 'failed',
      finalText: null,
      sessionId: expect.stringMatching(SESSION),
      usage: {
        known: false,
        inputTokens: null,
        cachedInputTokens: null,
        outputTokens: null,
        reasoningTokens: null,
        totalTokens: null,
        costUsd: null,
      },
      error: {
        message: 'APIError: Scripted error: HTTP 401',
        kind: 'auth',
        status: 401,
        retryable: false,
        failureClass: 'auth',
        retryAfterMs: null,
      },
    });
    const requests = chatRequests(server(), 'auth-model');
    expect(requests).toHaveLength(1);
    // No bash, edit, write or task: denied tools are not offered at all.
    expect(tools(requests[0]!)).toEqual(['glob', 'grep', 'read', 'skill', 'todowrite', 'webfetch']);
  });

  it('HTTP 500: OpenCode retries five times on its own, then the stage fails as transient', async () => {
    // retry-after-ms keeps OpenCode's back-off (2 s doubling to 30 s) out of the test.
    server().script({ model: 'server-model' }, [
      { error: { status: 500, headers: { 'retry-after-ms': '0' } } },
    ]);
    const run = await runStage(adapter, stageRequestFor(sandbox(), server().url, 'server-model'));
    expect(run.exitCode).toBe(1);
    expect(run.outcome.status).toBe('failed');
    expect(run.outcome.error).toEqual({
      message: 'APIError: Scripted error: HTTP 500',
      kind: 'server',
      status: 500,
      retryable: true,
      failureClass: 'transient',
      // OpenCode's own header for its back-off, read like any stated delay.
      retryAfterMs: 0,
    });
    expect(chatRequests(server(), 'server-model')).toHaveLength(6);
    expect(run.events.filter((event) => event.type === 'error')).toHaveLength(1);
  });

  it('resumes the session it announced first thing, with the earlier turn in the request', async () => {
    expect(adapter.capabilities.resumeSession).toBe(true);
    server().script({ model: 'resume-model', text: 'second question' }, [
      { text: 'Second answer' },
    ]);
    server().script({ model: 'resume-model', text: /^(?![\s\S]*second question)/ }, [
      { text: 'First answer' },
    ]);
    const base = stageRequestFor(sandbox(), server().url, 'resume-model');
    const first = await runStage(adapter, { ...base, prompt: 'first question' });
    expect(first.outcome.finalText).toBe('First answer');
    // The session id is the first thing decoded, so an interrupted stage can still name it.
    expect(first.events[0]).toEqual({ type: 'session', sessionId: first.outcome.sessionId });
    const second = await runStage(adapter, {
      ...base,
      prompt: 'second question',
      resumeSessionId: first.outcome.sessionId!,
    });
    expect(second.args.slice(-2)).toEqual(['--session', first.outcome.sessionId]);
    expect(second.events[0]).toEqual({ type: 'session', sessionId: first.outcome.sessionId });
    expect(second.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Second answer',
      sessionId: first.outcome.sessionId,
    });
    const last = chatRequests(server(), 'resume-model').at(-1)!;
    expect(chatBody(last).messages.map((message) => [message.role, message.content])).toEqual(
      expect.arrayContaining([
        ['user', 'first question'],
        ['assistant', 'First answer'],
        ['user', 'second question'],
      ]),
    );
  });

  describe('a backend profile: agent baton-worker in the user’s own opencode.json', () => {
    beforeEach(() => {
      sandbox().writeUserConfig({
        provider: {
          stub: {
            npm: '@ai-sdk/openai-compatible',
            options: { baseURL: `${server().url}/v1`, apiKey: `{env:${KEY_VARIABLE}}` },
            models: { 'profile-model': {}, 'other-model': {} },
          },
        },
        model: 'stub/other-model',
        agent: {
          'baton-worker': {
            description: 'the worker profile',
            mode: 'primary',
            model: 'stub/profile-model',
            prompt: 'PROFILE PROMPT: work in small steps.',
          },
        },
      });
      server().script({ model: 'profile-model' }, [{ text: 'Profile answer' }]);
    });

    it('is selected with one --agent; its model and, with no contract, its prompt reach the request', async () => {
      const run = await runStage(adapter, {
        ...stageRequest(sandbox(), server().url),
        profile: 'worker',
        contract: '',
        settings: { binary: requireCli('opencode') },
      });
      expect(run.args.filter((arg) => arg === '--agent')).toHaveLength(1);
      expect(run.args[run.args.indexOf('--agent') + 1]).toBe('baton-worker');
      expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Profile answer' });
      const [request] = chatRequests(server(), 'profile-model');
      expect(request).toBeDefined();
      expect(system(request!).startsWith('PROFILE PROMPT: work in small steps.\n')).toBe(true);
      expect(chatRequests(server(), 'other-model')).toHaveLength(0);
    });

    it('with a contract, the contract replaces the agent’s prompt and its model stays', async () => {
      const run = await runStage(adapter, {
        ...stageRequest(sandbox(), server().url),
        profile: 'worker',
        contract: 'You are the Builder. Keep evidence.',
        settings: { binary: requireCli('opencode') },
      });
      expect(run.outcome).toMatchObject({ status: 'succeeded', finalText: 'Profile answer' });
      const request = chatRequests(server(), 'profile-model').at(-1);
      expect(system(request!).startsWith('You are the Builder. Keep evidence.\n')).toBe(true);
      expect(system(request!)).not.toContain('PROFILE PROMPT');
    });
  });
});
