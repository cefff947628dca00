/**
 * Helpers for the Claude Code real-CLI tests: an isolated HOME and CLAUDE_CONFIG_DIR per
 * test, a stage request aimed at the scripted model server, and a runner that does what
 * Baton's runner does with a CommandSpec (writes its input files, starts file + args with
 * env on top of the request's environment in cwd, writes stdin) and decodes the real stdout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  CommandSpec,
  Environment,
  ProcessExit,
  RuntimeAdapter,
  RuntimeEvent,
  StageOutcome,
  StageRequest,
} from '@baton/core';
import type { LoggedRequest, ModelServer } from '@baton/testkit';
import { requireCli } from '../binaries.js';

export const KEY_VARIABLE = 'BATON_TEST_GATEWAY_KEY';
export const KEY = 'test-key-claude-7d21';

export interface Sandbox {
  readonly root: string;
  readonly workspace: string;
  readonly configDir: string;
  readonly scratchDir: string;
  readonly env: Environment;
  remove(): void;
}

/** A temp root with a workspace, a HOME and a CLAUDE_CONFIG_DIR of its own. */
export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'baton-claude-real-'));
  const workspace = join(root, 'workspace');
  const configDir = join(root, 'claude-config');
  const home = join(root, 'home');
  const scratchDir = join(root, 'scratch');
  for (const directory of [workspace, configDir, home, scratchDir]) mkdirSync(directory);
  return {
    root,
    workspace,
    configDir,
    scratchDir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      CLAUDE_CONFIG_DIR: configDir,
      [KEY_VARIABLE]: KEY,
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A request for the scripted server: `base_url` = its root, the key from KEY_VARIABLE. */
export function stageRequest(
  sandbox: Sandbox,
  baseUrl: string,
  overrides: Partial<StageRequest> = {},
): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Say hello.',
    contract: 'You are the Builder.',
    cwd: sandbox.workspace,
    access: 'read-only',
    profile: null,
    settings: { binary: requireCli('claude'), baseUrl, apiKeyEnv: KEY_VARIABLE },
    scratchDir: sandbox.scratchDir,
    env: sandbox.env,
    ...overrides,
  };
}

export interface RawRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: ProcessExit;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Writes the spec's input files, starts it in its own process group, kills the group at the limit. */
export function runSpec(
  command: CommandSpec,
  baseEnv: Environment,
  timeoutMs = 25_000,
): Promise<RawRun> {
  for (const [path, text] of Object.entries(command.inputFiles ?? {})) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, [...command.args], {
      cwd: command.cwd,
      env: { ...baseEnv, ...command.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
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
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        stdout,
        stderr,
        timedOut,
        durationMs: performance.now() - started,
        exit: { exitCode, signal, stderrTail: stderr.slice(-4000), resultFiles: {} },
      });
    });
    child.stdin.on('error', () => {
      // The child may exit before reading all of stdin.
    });
    child.stdin.end(command.stdin ?? '');
  });
}

export interface DecodedRun extends RawRun {
  readonly command: CommandSpec;
  readonly events: RuntimeEvent[];
  readonly outcome: StageOutcome;
  /** stdout parsed line by line (every line of claude's stream-json is one object). */
  readonly json: Array<Record<string, unknown>>;
}

/** Builds the adapter's command for a request, runs the real CLI, decodes its real stdout. */
export async function runStage(
  adapter: RuntimeAdapter,
  request: StageRequest,
  timeoutMs?: number,
): Promise<DecodedRun> {
  const command = adapter.buildCommand(request);
  const raw = await runSpec(command, request.env, timeoutMs);
  const decoder = adapter.createDecoder(request);
  const events: RuntimeEvent[] = [];
  const json: Array<Record<string, unknown>> = [];
  for (const line of raw.stdout.split('\n')) {
    events.push(...decoder.push(line));
    if (line.trim() !== '') json.push(JSON.parse(line));
  }
  return { ...raw, command, events, json, outcome: decoder.finish(raw.exit) };
}

/**
 * A bearer token Claude Code takes for a Claude gateway's: a JWT whose audience is
 * `claude-gateway` (Claude Code reads the claim and checks no signature). Behind such a
 * gateway Claude Code renders the server's plan-limit headers
 * (`anthropic-ratelimit-unified-*`) as it does for a claude.ai subscription, which cannot
 * be signed in to offline; with an ordinary key it shows a plain "Request rejected (429)".
 */
export function claudeGatewayToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const expires = Math.floor(Date.now() / 1000) + 86_400;
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'claude-gateway', exp: expires })}.unsigned`;
}

/** The Anthropic Messages requests the scripted server received for `model`, in order. */
export function messageRequests(server: ModelServer, model: string): LoggedRequest[] {
  return server.requests.filter(
    (request) => request.endpoint === 'messages' && request.model === model,
  );
}
