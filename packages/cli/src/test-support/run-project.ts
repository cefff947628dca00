/**
 * A temporary project for CLI tests of runs: the four fake runtimes of @baton/run's test
 * support (real processes printing the real CLIs' output formats) behind adapter packages in
 * its node_modules, a behaviour plan for them, and ways to run the built CLI in it — piped,
 * in the background, or on a pseudo-terminal (`script` from util-linux), with input typed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  installFakeAdapterPackages,
  writeFakeBinaries,
} from '../../../run/src/test-support/fake-adapters.mjs';

export const CLI_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'baton.js');

export const MIXED_ROUTING = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"
`;

export interface Output {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Invocation {
  readonly stage: string;
  readonly stdin: string;
  /** The folder the runtime ran in. */
  readonly cwd: string;
}

export class RunProject {
  readonly root: string;
  /**
   * Where the fake runtimes keep what they write while they run (their counters, pids and
   * log): outside the project, so an attempt changes only what its plan says.
   */
  readonly outside: string;
  readonly env: Record<string, string>;

  constructor(config: string = MIXED_ROUTING) {
    this.root = mkdtempSync(join(tmpdir(), 'baton-cli-run-'));
    this.outside = mkdtempSync(join(tmpdir(), 'baton-cli-fakes-'));
    const bin = join(this.root, 'bin');
    writeFakeBinaries(bin);
    installFakeAdapterPackages(this.root);
    mkdirSync(join(this.outside, 'state'));
    writeFileSync(join(this.root, 'baton.toml'), config);
    writeFileSync(join(this.root, 'plan.json'), '{}');
    this.env = {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: this.root,
      XDG_CONFIG_HOME: join(this.root, 'xdg'),
      FAKE_PLAN: join(this.root, 'plan.json'),
      FAKE_STATE_DIR: join(this.outside, 'state'),
      FAKE_LOG: join(this.outside, 'invocations.jsonl'),
    };
  }

  config(toml: string): void {
    writeFileSync(join(this.root, 'baton.toml'), toml);
  }

  plan(plan: Record<string, unknown>): void {
    writeFileSync(join(this.root, 'plan.json'), JSON.stringify(plan));
  }

  /** The built CLI, its output piped; run in the project unless `cwd` says where. */
  baton(args: readonly string[], extra: Record<string, string> = {}, cwd = this.root): Output {
    const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
      cwd,
      env: { ...this.env, ...extra },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The built CLI, without blocking this process (for a server it talks to in this process). */
  batonAsync(args: readonly string[], extra: Record<string, string> = {}): Promise<Output> {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: this.root,
      env: { ...this.env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    return new Promise((resolve) =>
      child.on('close', (status) => resolve({ status, stdout, stderr })),
    );
  }

  json<T = unknown>(
    args: readonly string[],
    extra: Record<string, string> = {},
    cwd = this.root,
  ): T {
    const result = this.baton([...args, '--json'], extra, cwd);
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`not JSON (exit ${result.status}): ${result.stdout}\n${result.stderr}`);
    }
  }

  /**
   * The built CLI on a pseudo-terminal (stdin, stdout and stderr a TTY); `input` is typed
   * line by line, each once the terminal shows `waitFor` (or at once). Returns all it showed,
   * colours taken out.
   */
  async onTerminal(
    args: readonly string[],
    input: readonly { readonly waitFor: string; readonly type: string }[] = [],
  ): Promise<Output> {
    const command = [process.execPath, CLI_BIN, ...args]
      .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: this.root,
      env: { ...this.env, TERM: 'xterm', COLUMNS: '200' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let shown = '';
    child.stdout.on('data', (chunk) => {
      shown += chunk;
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    let from = 0;
    for (const step of input) {
      const deadline = Date.now() + 30_000;
      while (shown.indexOf(step.waitFor, from) === -1) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`the terminal never showed ${JSON.stringify(step.waitFor)}:\n${shown}`);
        }
        await sleep(20);
      }
      from = shown.indexOf(step.waitFor, from) + step.waitFor.length;
      child.stdin.write(`${step.type}\r`);
    }
    const status = await closed;
    child.stdin.destroy();
    // Colours taken out, so tests read the text; every other control stays.
    const text = shown.replaceAll('\r\n', '\n').replace(/\u001b\[[0-9;]*m/g, '');
    return { status, stdout: text, stderr: '' };
  }

  latestRunId(): string {
    return this.json<{ runId: string }[]>(['runs'])[0]!.runId;
  }

  events(runId: string): { type: string; payload: Record<string, unknown> }[] {
    return this.json(['events', runId]);
  }

  invocations(): Invocation[] {
    const file = this.env.FAKE_LOG!;
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Invocation)
      : [];
  }

  /** Processes the fake runtimes started that still run. */
  survivors(): number[] {
    const file = join(this.outside, 'state', 'pids.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { pid: number }).pid)
      .filter(running);
  }

  cleanup(): number[] {
    const survivors = this.survivors();
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.outside, { recursive: true, force: true });
    return survivors;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (dead, not reaped) runs nothing.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
