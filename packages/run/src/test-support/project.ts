/**
 * A temporary project for run tests: a baton.toml, the four fake runtime executables, a
 * behaviour plan for them, and the logs they write (invocations, pids).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AdapterRegistry, type BatonConfig, loadConfig, type RuntimeAdapter } from '@baton/core';
import { Journal } from '../journal/journal.js';
import { ensureJournalDirectory, journalPath } from '../journal/location.js';
import { processRunning } from '../runner/process-group.js';
import { createFakeAdapter, type FakeFormat, writeFakeBinaries } from './fake-adapters.mjs';

export interface Behaviour {
  final?: string;
  exitCode?: number;
  fail?: boolean;
  /** With `fail`: an HTTP status, a network failure, or a usage limit (`quota`). */
  status?: number | 'network' | 'quota';
  /** With `fail`: the failure says to retry after this many seconds. */
  retryAfterSeconds?: number;
  /** Appends the working directory's files and texts to this JSONL file (before `files`). */
  recordWorkspace?: string;
  /** Files the runtime writes and deletes in its working directory before it answers. */
  files?: { write?: Record<string, string>; remove?: string[] };
  /** Token counts and cost the runtime reports (where its format has them). */
  usage?: { input: number; output: number; cost?: number | null };
  /** Asked to continue a session, the runtime does not know it. */
  unknownSession?: boolean;
  /** Stopped by its own cap (Claude Code's `--max-budget-usd` / `--max-turns`). */
  limit?: 'cost' | 'turns';
  hang?: boolean;
  spawnChild?: boolean;
  /** Leaves a helper in a new session (`setsid`), holding stdout, alive this many seconds. */
  sessionHelperSeconds?: number;
  childIgnoresTerm?: boolean;
  ignoreTerm?: boolean;
  crash?: boolean;
  echoEnv?: string;
  floodBytes?: number;
  sleepMs?: number;
  /** Tool calls in the runtime's format, `toolIntervalMs` apart, before the answer. */
  tools?: { kind: 'edit' | 'command'; target: string }[];
  toolIntervalMs?: number;
  stderr?: string;
  startedFile?: string;
  /** Appends a line to this file (e.g. the runtime's own executable, to change it under the run). */
  appendFile?: string;
  /** One behaviour per invocation (the last repeats), counted per plan key. */
  attempts?: Behaviour[];
}

export interface Invocation {
  format: FakeFormat;
  stage: string;
  args: string[];
  stdin: string;
  pid: number;
  cwd: string;
  depth: string | null;
  runId: string | null;
}

export const MIXED_ROUTING = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"
`;

export class FakeProject {
  /** The project (its baton.toml, its workspace). */
  readonly root: string;
  /**
   * Holds the project and, beside it, the fake runtimes' executables, plan, logs and home:
   * none of their bookkeeping is in the workspace, so it is never part of a checkpoint.
   */
  readonly base: string;
  readonly binDir: string;
  readonly binaries: Record<FakeFormat, string>;
  readonly planFile: string;
  readonly logFile: string;
  readonly stateDir: string;
  readonly registry: AdapterRegistry;
  private readonly journals: Journal[] = [];

  constructor(adapters: readonly RuntimeAdapter[] = defaultAdapters()) {
    this.base = mkdtempSync(join(tmpdir(), 'baton-run-'));
    this.root = join(this.base, 'project');
    mkdirSync(this.root);
    this.binDir = join(this.base, 'bin');
    this.binaries = writeFakeBinaries(this.binDir);
    this.planFile = join(this.base, 'plan.json');
    this.logFile = join(this.base, 'invocations.jsonl');
    this.stateDir = join(this.base, 'state');
    mkdirSync(this.stateDir);
    this.plan({});
    this.registry = new AdapterRegistry();
    for (const adapter of adapters) this.registry.register(adapter);
  }

  /** The environment Baton runs with: fake binaries on PATH, and the plan and logs for them. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${this.binDir}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: join(this.base, 'home'),
      XDG_CONFIG_HOME: join(this.base, 'xdg'),
      FAKE_PLAN: this.planFile,
      FAKE_LOG: this.logFile,
      FAKE_STATE_DIR: this.stateDir,
      ...extra,
    };
  }

  /** Behaviours by `<stage>@<format>`, `<stage>` or `*` (`format`: codex, claude, opencode, hermes). */
  plan(plan: Record<string, Behaviour>): void {
    writeFileSync(this.planFile, JSON.stringify(plan));
  }

  writeConfig(toml: string): void {
    writeFileSync(join(this.root, 'baton.toml'), toml);
  }

  config(env: Record<string, string> = this.env()): BatonConfig {
    const result = loadConfig({ cwd: this.root, env, registry: this.registry });
    if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
    return result.config;
  }

  journal(options: { readOnly?: boolean } = {}): Journal {
    if (!options.readOnly) ensureJournalDirectory(this.root);
    const journal = Journal.open(journalPath(this.root), options);
    this.journals.push(journal);
    return journal;
  }

  invocations(): Invocation[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Invocation);
  }

  /** Every process the fake runtimes started (themselves and their helpers). */
  pids(): { role: string; pid: number; stage: string }[] {
    const file = join(this.stateDir, 'pids.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }

  survivors(): number[] {
    return this.pids()
      .map((entry) => entry.pid)
      .filter((pid) => processRunning(pid));
  }

  /** All bytes of the journal files (database and WAL), for leak checks. */
  journalBytes(): string {
    const base = journalPath(this.root);
    return ['', '-wal', '-shm']
      .map((suffix) =>
        existsSync(base + suffix) ? readFileSync(base + suffix).toString('latin1') : '',
      )
      .join('');
  }

  cleanup(): void {
    for (const journal of this.journals.splice(0)) journal.close();
    for (const pid of this.survivors()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

export function defaultAdapters(options: { naive?: boolean } = {}): RuntimeAdapter[] {
  return (['codex', 'claude', 'opencode', 'hermes'] as const).map((format) =>
    createFakeAdapter(format, options),
  );
}

/** Fast settings for tests: short backoff and grace. */
export const TEST_OPTIONS = {
  retry: { maxRetries: 2, baseDelayMs: 20 },
  killGraceMs: 300,
  doctorTimeoutMs: 10_000,
} as const;
