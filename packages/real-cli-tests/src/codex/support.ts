/**
 * Helpers for the Codex real-CLI tests: an isolated home per test, a stage request aimed at
 * the scripted model server, and a runner that starts the adapter's command exactly as
 * built (file, args, env, cwd, stdin) and feeds its stdout through the adapter's decoder.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  CommandSpec,
  Environment,
  ProcessExit,
  RuntimeAdapter,
  RuntimeEvent,
  StageOutcome,
  StageRequest,
} from '@baton/core';
import { requireCli } from '../binaries.js';

export const KEY_VARIABLE = 'BATON_TEST_GATEWAY_KEY';
export const KEY = 'test-key-5f3a';

/** A temp root with a workspace, a CODEX_HOME and a HOME of its own; nothing touches the real home. */
export interface Sandbox {
  readonly root: string;
  readonly workspace: string;
  readonly codexHome: string;
  readonly env: Environment;
  remove(): void;
}

export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'baton-codex-real-'));
  const workspace = join(root, 'workspace');
  const codexHome = join(root, 'codex-home');
  const home = join(root, 'home');
  for (const directory of [workspace, codexHome, home]) mkdirSync(directory);
  return {
    root,
    workspace,
    codexHome,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      CODEX_HOME: codexHome,
      [KEY_VARIABLE]: KEY,
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function stageRequest(
  sandbox: Sandbox,
  baseUrl: string | null,
  overrides: Partial<StageRequest> = {},
): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Say hello.',
    contract: 'You are the Builder.',
    cwd: sandbox.workspace,
    access: 'read-only',
    profile: null,
    settings: {
      binary: requireCli('codex'),
      ...(baseUrl === null ? {} : { baseUrl, apiKeyEnv: KEY_VARIABLE }),
    },
    scratchDir: join(sandbox.root, 'scratch'),
    env: sandbox.env,
    ...overrides,
  };
}

export interface RawRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: ProcessExit;
  readonly timedOut: boolean;
}

/** Starts a command spec in its own process group; kills the group at the time limit. */
export function runSpec(
  command: CommandSpec,
  baseEnv: Environment,
  timeoutMs = 20_000,
): Promise<RawRun> {
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
  for (const line of raw.stdout.split('\n')) events.push(...decoder.push(line));
  return { ...raw, command, events, outcome: decoder.finish(raw.exit) };
}
