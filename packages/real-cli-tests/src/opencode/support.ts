/**
 * Helpers for the OpenCode real-CLI tests: a temp root per test with a workspace, a HOME and
 * the four XDG directories OpenCode keeps config, data (sessions, auth.json), cache and
 * state in, so nothing touches the real home; a stage request aimed at the scripted model
 * server; and a run of the adapter's real command through core's `runCommandSpec`, which
 * does what Baton's runner does (input files first, env over the base environment, stdin).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Environment, OutputDecoder, RuntimeAdapter, StageRequest } from '@baton/core';
import { runCommandSpec, type SpecRun } from '@baton/core/testing';
import type { LoggedRequest, ModelServer } from '@baton/testkit';
import { requireCli } from '../binaries.js';

export const KEY_VARIABLE = 'BATON_TEST_GATEWAY_KEY';
export const KEY = 'test-key-opencode-5c3e';

export interface Sandbox {
  readonly root: string;
  readonly workspace: string;
  readonly scratchDir: string;
  /** `$XDG_CONFIG_HOME/opencode`: the user's global OpenCode config directory. */
  readonly configDir: string;
  readonly env: Environment;
  /** Writes the user's global opencode.json. */
  writeUserConfig(config: unknown): void;
  remove(): void;
}

export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'baton-opencode-real-'));
  const directory = (name: string) => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const workspace = directory('workspace');
  const scratchDir = directory('scratch');
  const xdgConfig = directory('xdg-config');
  const configDir = directory('xdg-config/opencode');
  const env: Environment = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: directory('home'),
    XDG_CONFIG_HOME: xdgConfig,
    XDG_DATA_HOME: directory('xdg-data'),
    XDG_CACHE_HOME: directory('xdg-cache'),
    XDG_STATE_HOME: directory('xdg-state'),
    // The PWD of the test process, as a runner would pass it on: the adapter's --dir must win.
    PWD: process.cwd(),
    [KEY_VARIABLE]: KEY,
  };
  return {
    root,
    workspace,
    scratchDir,
    configDir,
    env,
    writeUserConfig: (config) =>
      writeFileSync(join(configDir, 'opencode.json'), JSON.stringify(config, null, 2)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A request for the scripted server: `base_url` = its `/v1` URL, the key from KEY_VARIABLE. */
export function stageRequest(
  sandbox: Sandbox,
  serverUrl: string,
  overrides: Partial<StageRequest> = {},
): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Say hello.',
    contract: 'You are the Builder.',
    cwd: sandbox.workspace,
    access: 'workspace-write',
    profile: null,
    settings: {
      binary: requireCli('opencode'),
      baseUrl: `${serverUrl}/v1`,
      apiKeyEnv: KEY_VARIABLE,
      model: 'stub-model',
    },
    scratchDir: sandbox.scratchDir,
    env: sandbox.env,
    ...overrides,
  };
}

/**
 * A request for the scripted server whose runtime settings name `runtimeModel` (what
 * baton.toml's `model` for OpenCode says), with `overrides` on top.
 */
export function stageRequestFor(
  sandbox: Sandbox,
  serverUrl: string,
  runtimeModel: string,
  overrides: Partial<StageRequest> = {},
): StageRequest {
  const request = stageRequest(sandbox, serverUrl, overrides);
  return { ...request, settings: { ...request.settings, model: runtimeModel } };
}

export interface StageRun extends SpecRun {
  readonly args: readonly string[];
  readonly stdin: string | null;
  /** The CLI's stdout, line by line, as the decoder received it. */
  readonly lines: readonly string[];
}

/** Builds the adapter's command for the request, runs the real CLI, decodes its real stdout. */
export async function runStage(
  adapter: RuntimeAdapter,
  request: StageRequest,
  timeoutMs = 45_000,
): Promise<StageRun> {
  const command = adapter.buildCommand(request);
  const lines: string[] = [];
  const decoder = adapter.createDecoder(request);
  const recording: OutputDecoder = {
    push: (line) => {
      lines.push(line);
      return decoder.push(line);
    },
    finish: (exit) => decoder.finish(exit),
  };
  const run = await runCommandSpec(command, recording, { baseEnv: request.env, timeoutMs });
  return { ...run, args: command.args, stdin: command.stdin, lines };
}

/** The Chat Completions requests the scripted server received for `model`, in order. */
export function chatRequests(server: ModelServer, model: string): LoggedRequest[] {
  return server.requests.filter(
    (request) => request.endpoint === 'chat.completions' && request.model === model,
  );
}

/** What the tests read of a Chat Completions request's body. */
export interface ChatBody {
  messages: Array<{ role: string; content: unknown }>;
  tools?: Array<{ function: { name: string } }>;
  reasoning_effort?: string;
}

export const chatBody = (request: LoggedRequest) => request.body as ChatBody;
