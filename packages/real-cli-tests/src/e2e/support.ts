/**
 * Helpers for the end-to-end tests: a temp project whose baton.toml routes each stage of
 * the `deliver` mission to a real pinned CLI (or the LiteLLM adapter's client) aimed at the
 * scripted model server, isolated homes for every runtime, the built `baton` command run as
 * a subprocess, and readers for what it journaled and what reached the server.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stage } from '@baton/core';
import type { LoggedRequest, ModelServer, ScriptTurn } from '@baton/testkit';
import { type REAL_CLIS, requireCli } from '../binaries.js';

const packagesDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The built CLI: the end-to-end tests run exactly what users run, not the sources. */
export const BATON_BIN = join(packagesDirectory, 'cli', 'bin', 'baton.js');
const BATON_BUNDLE = join(packagesDirectory, 'cli', 'dist', 'bundle', 'main.js');

export const KEY_VARIABLE = 'BATON_E2E_GATEWAY_KEY';
export const KEY = 'e2e-key-4c19b7';

/** A PATH that finds this Node first: the runtimes' npm launchers start with `#!/usr/bin/env node`. */
export const NODE_FIRST_PATH = [
  dirname(process.execPath),
  process.env.PATH ?? '/usr/bin:/bin',
].join(delimiter);

export const STAGE_ORDER = ['interview', 'execute', 'evaluate', 'reflect'] as const;

export type RuntimeId = 'codex' | 'claude-code' | 'opencode' | 'litellm';

/** The mission's routing under test: stage → runtime. */
export type Routing = Readonly<Record<Stage, RuntimeId>>;

/**
 * Each runtime asks for a model of its own, so every request on the server can be traced
 * back to the runtime that sent it (besides its wire API).
 */
export const MODELS: Readonly<Record<RuntimeId, string>> = {
  codex: 'codex-e2e-model',
  'claude-code': 'claude-e2e-model',
  opencode: 'opencode-e2e-model',
  litellm: 'litellm-e2e-model',
};

/** The wire API each runtime speaks to the server. */
export const WIRE_APIS: Readonly<Record<RuntimeId, LoggedRequest['api']>> = {
  codex: 'responses',
  'claude-code': 'messages',
  opencode: 'chat',
  litellm: 'chat',
};

/** The line the execute stage's tool call writes, and the file it writes it to. */
export const WRITTEN_FILE = 'hello.txt';
export const WRITTEN_LINE = 'hello from baton';

export const GOAL = `Add a file ${WRITTEN_FILE} whose only line is: ${WRITTEN_LINE}`;

/** Text every request of a stage carries: the first line of its rendered role contract. */
export function contractMarker(stage: Stage): string {
  return `(stage: ${stage})`;
}

/** Token counts each scripted answer reports, so each stage's journaled usage is exact. */
export const TURN_USAGE = { inputTokens: 1000, outputTokens: 20 } as const;

/** The scripted turns of each stage when everything goes well. */
export const STAGE_SCRIPTS: Readonly<Record<Stage, readonly ScriptTurn[]>> = {
  interview: [
    {
      text:
        `Specification: create ${WRITTEN_FILE} in the workspace root.\n` +
        `Work class: code-only.\n1. ${WRITTEN_FILE} exists and its only line is "${WRITTEN_LINE}".`,
      usage: TURN_USAGE,
    },
  ],
  execute: [
    { toolCall: { command: `printf '${WRITTEN_LINE}\\n' > ${WRITTEN_FILE}` }, usage: TURN_USAGE },
    {
      text: `Created ${WRITTEN_FILE}. Evidence: criterion 1, the file holds "${WRITTEN_LINE}".`,
      usage: TURN_USAGE,
    },
  ],
  evaluate: [
    { toolCall: { command: `cat ${WRITTEN_FILE}` }, usage: TURN_USAGE },
    {
      text: `Criterion 1: PASS — cat ${WRITTEN_FILE} printed "${WRITTEN_LINE}".\nVERDICT: PASS`,
      usage: TURN_USAGE,
    },
  ],
  reflect: [
    {
      text: 'Went well: a one-criterion spec, verified by reading the file.\nNext: nothing.',
      usage: TURN_USAGE,
    },
  ],
};

/** Model requests each stage makes with its scripts: one per turn (a tool call adds one). */
export const REQUESTS_PER_STAGE: Readonly<Record<Stage, number>> = {
  interview: 1,
  execute: 2,
  evaluate: 2,
  reflect: 1,
};

/** Routes each stage's requests by its contract, the way the demo does. */
export function scriptStages(
  server: ModelServer,
  overrides: Partial<Record<Stage, readonly ScriptTurn[]>> = {},
): void {
  for (const stage of STAGE_ORDER) {
    server.script({ text: contractMarker(stage) }, [...(overrides[stage] ?? STAGE_SCRIPTS[stage])]);
  }
}

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** A temp project with its baton.toml and a home of its own for every runtime. */
export interface Pipeline {
  readonly root: string;
  readonly workspace: string;
  readonly env: Readonly<Record<string, string>>;
  /** Runs the built `baton` in the workspace; the whole process group dies at the limit. */
  baton(args: readonly string[], timeoutMs: number): Promise<ProcessResult>;
  remove(): void;
}

export function createPipeline(serverUrl: string, routing: Routing): Pipeline {
  if (!existsSync(BATON_BUNDLE)) {
    throw new Error(`${BATON_BUNDLE} is missing: build first (pnpm build at the repo root).`);
  }
  const root = mkdtempSync(join(tmpdir(), 'baton-e2e-'));
  const directory = (name: string) => {
    const path = join(root, name);
    mkdirSync(path);
    return path;
  };
  const workspace = directory('workspace');
  const env: Record<string, string> = {
    PATH: NODE_FIRST_PATH,
    HOME: directory('home'),
    CODEX_HOME: directory('codex-home'),
    CLAUDE_CONFIG_DIR: directory('claude-config'),
    XDG_CONFIG_HOME: directory('xdg-config'),
    XDG_DATA_HOME: directory('xdg-data'),
    XDG_CACHE_HOME: directory('xdg-cache'),
    XDG_STATE_HOME: directory('xdg-state'),
    [KEY_VARIABLE]: KEY,
  };
  writeFileSync(join(workspace, 'baton.toml'), batonToml(serverUrl, routing));
  return {
    root,
    workspace,
    env,
    baton: (args, timeoutMs) =>
      runProcess(process.execPath, [BATON_BIN, ...args], { cwd: workspace, env, timeoutMs }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The project's baton.toml: the routing, and every runtime it uses aimed at the server. */
export function batonToml(serverUrl: string, routing: Routing): string {
  const string = (value: string) => JSON.stringify(value);
  const lines = ['[orchestrator.runtime_profile.stages]'];
  for (const stage of STAGE_ORDER) lines.push(`${stage} = ${string(routing[stage])}`);
  return `${lines.join('\n')}\n${runtimeSections(serverUrl, new Set(Object.values(routing)))}`;
}

/**
 * `[runtimes.<id>]` for each runtime, aimed at the server: its pinned CLI, its own model,
 * the server's URL in the runtime's convention, the key's variable, a bounded timeout.
 */
export function runtimeSections(serverUrl: string, runtimes: Iterable<RuntimeId>): string {
  const string = (value: string) => JSON.stringify(value);
  // The pinned CLI of each runtime that has one (the LiteLLM adapter runs its own client).
  const clis: Partial<Record<RuntimeId, keyof typeof REAL_CLIS>> = {
    codex: 'codex',
    'claude-code': 'claude',
    opencode: 'opencode',
  };
  // Each CLI's own base URL convention: Codex and OpenCode take the /v1 URL, Claude Code
  // and the LiteLLM client the root (both adapters accept either).
  const baseUrls: Record<RuntimeId, string> = {
    codex: `${serverUrl}/v1`,
    'claude-code': serverUrl,
    opencode: `${serverUrl}/v1`,
    litellm: serverUrl,
  };
  const lines: string[] = [];
  for (const runtime of new Set(runtimes)) {
    lines.push('', `[runtimes.${runtime}]`);
    const cli = clis[runtime];
    if (cli !== undefined) lines.push(`binary = ${string(requireCli(cli))}`);
    lines.push(
      `model = ${string(MODELS[runtime])}`,
      `base_url = ${string(baseUrls[runtime])}`,
      `api_key_env = ${string(KEY_VARIABLE)}`,
      'timeout = "2m"',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function runProcess(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: Readonly<Record<string, string>>; timeoutMs: number },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut });
    });
  });
}

/** One journal event as `baton events <id> --json` prints it. */
export interface JournalEvent {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  // biome-ignore lint/suspicious/noExplicitAny: journal payloads are JSON of many shapes; the tests compare them with exact expected values.
  readonly payload: Record<string, any>;
}

export async function readEvents(pipeline: Pipeline, runId: string): Promise<JournalEvent[]> {
  const result = await pipeline.baton(['events', runId, '--json'], 20_000);
  if (result.exitCode !== 0) throw new Error(`baton events failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as JournalEvent[];
}

/** `baton contract <stage> --json`, as the runtime of that stage receives it. */
export interface ContractJson {
  readonly stage: Stage;
  readonly role: string;
  readonly runtime: string;
  readonly channel: string | null;
  readonly version: string;
  readonly sha256: string;
  readonly text: string;
}

export async function readContract(pipeline: Pipeline, stage: Stage): Promise<ContractJson> {
  const result = await pipeline.baton(['contract', stage, '--json'], 20_000);
  if (result.exitCode !== 0) throw new Error(`baton contract ${stage} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ContractJson;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The model requests a runtime sent: its wire API and the model configured for it. */
export function requestsFrom(server: ModelServer, runtime: RuntimeId): LoggedRequest[] {
  return server.requests.filter(
    (request) => request.api === WIRE_APIS[runtime] && request.model === MODELS[runtime],
  );
}

/**
 * The texts a request carries in its instruction channel (never the user's prompt): the
 * Responses API's `instructions` and developer/system input messages, the Messages API's
 * `system` blocks, Chat Completions' system messages.
 */
export function instructionTexts(request: LoggedRequest): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are JSON from three wire APIs.
  const body = request.body as Record<string, any>;
  const texts: string[] = [];
  const contentTexts = (content: unknown) => {
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === 'string') texts.push(part.text);
    }
  };
  switch (request.api) {
    case 'responses':
      if (typeof body.instructions === 'string') texts.push(body.instructions);
      for (const item of body.input ?? []) {
        if (item?.role === 'developer' || item?.role === 'system') contentTexts(item.content);
      }
      break;
    case 'messages':
      contentTexts(body.system);
      break;
    case 'chat':
      for (const message of body.messages ?? []) {
        if (message?.role === 'system' || message?.role === 'developer')
          contentTexts(message.content);
      }
      break;
  }
  return texts;
}

/** The tool results a request sends back to the model, whatever its wire API. */
export function toolResults(request: LoggedRequest): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are JSON from three wire APIs.
  const body = request.body as Record<string, any>;
  const results: string[] = [];
  const text = (content: unknown) =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('')
        : '';
  switch (request.api) {
    case 'responses':
      for (const item of body.input ?? []) {
        if (item?.type === 'function_call_output') results.push(text(item.output));
      }
      break;
    case 'messages':
      for (const message of body.messages ?? []) {
        if (!Array.isArray(message?.content)) continue;
        for (const block of message.content) {
          if (block?.type === 'tool_result') results.push(text(block.content));
        }
      }
      break;
    case 'chat':
      for (const message of body.messages ?? []) {
        if (message?.role === 'tool') results.push(text(message.content));
      }
      break;
  }
  return results;
}

/** The text of the file the execute stage wrote, or null when it is not there. */
export function readWorkspaceFile(pipeline: Pipeline, name: string): string | null {
  const path = join(pipeline.workspace, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** The pinned version of a real CLI, from this package's devDependencies. */
export function pinnedVersion(packageName: string): string {
  const manifest = JSON.parse(
    readFileSync(join(packagesDirectory, 'real-cli-tests', 'package.json'), 'utf8'),
  );
  return manifest.devDependencies[packageName];
}
