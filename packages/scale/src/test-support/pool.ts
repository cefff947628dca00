/**
 * A worker pool for tests: a project with `[scale]` and the fake runtimes of @baton/run's
 * test support (real processes printing the real CLIs' output), a schema pair of its own in
 * the test file's PostgreSQL, and workers — each a real `Worker` in a process of its own,
 * killed, stopped and restarted as the tests need.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AdapterRegistry, type BatonConfig, loadConfig } from '@baton/core';
import { isProcessAlive, type JournalEvent, type RunSummary } from '@baton/run';
import {
  createFakeAdapter,
  FAKE_FORMATS,
  writeFakeBinaries,
} from '../../../run/src/test-support/fake-adapters.mjs';
import { initScale } from '../init.js';
import { PgJournal } from '../pg-journal.js';
import { followRemoteRun } from '../remote-run.js';
import { sourceModule, spawnSource } from './child.js';
import { sql, uniqueSchema } from './postgres.js';

/** Short enough for quick tests, long enough that a busy machine does not look like a stopped worker. */
export const TEST_LIVENESS = { heartbeatMs: 100, staleAfterMs: 2_000 };

export const ALL_RUNTIMES = ['claude-code', 'codex', 'hermes', 'opencode'];

export interface PoolProjectOptions {
  /** The routing of the deliver mission's stages: runtime ids of the fakes, or TOML chains. */
  readonly routing?: Readonly<Record<string, string>>;
  readonly workspace?: 'shared-path' | 'git';
  /** More TOML after the routing (missions, retry …). */
  readonly extraToml?: string;
  /** More variables for the runs (workers and the starting command alike). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface WorkerHandle {
  readonly workerId: string;
  readonly child: ChildProcess;
  output(): string;
  ready(): Promise<void>;
  exited(): Promise<number | null>;
}

export class PoolProject {
  readonly base: string;
  readonly root: string;
  readonly url: string;
  readonly schema: string;
  readonly dbosSchema: string;
  readonly planFile: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;
  readonly registry: AdapterRegistry;
  readonly sharedRoot: string;
  readonly remote: string;
  private readonly workers: WorkerHandle[] = [];

  private constructor(url: string, options: PoolProjectOptions) {
    this.url = url;
    this.schema = uniqueSchema('pool');
    this.dbosSchema = uniqueSchema('pool_dbos');
    this.base = mkdtempSync(join(tmpdir(), 'baton-pool-'));
    this.root = join(this.base, 'project');
    this.sharedRoot = join(this.base, 'shared');
    this.remote = join(this.base, 'remote.git');
    mkdirSync(this.root);
    mkdirSync(this.sharedRoot);
    const bin = join(this.base, 'bin');
    writeFakeBinaries(bin);
    this.planFile = join(this.base, 'plan.json');
    this.stateDir = join(this.base, 'state');
    mkdirSync(this.stateDir);
    writeFileSync(this.planFile, '{}');
    this.env = {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: join(this.base, 'home'),
      XDG_CONFIG_HOME: join(this.base, 'xdg'),
      FAKE_PLAN: this.planFile,
      FAKE_LOG: join(this.base, 'invocations.jsonl'),
      FAKE_STATE_DIR: this.stateDir,
      ...options.env,
    };
    this.registry = new AdapterRegistry();
    for (const format of FAKE_FORMATS) this.registry.register(createFakeAdapter(format));
    const routing = options.routing ?? {
      interview: 'codex',
      execute: 'claude-code',
      evaluate: 'opencode',
      reflect: 'codex',
    };
    const workspace = options.workspace ?? 'shared-path';
    writeFileSync(
      join(this.root, 'baton.toml'),
      [
        '[orchestrator.runtime_profile.stages]',
        // A runtime's name, or a chain or table written as TOML.
        ...Object.entries(routing).map(([stage, value]) =>
          /^[[{]/.test(value) ? `${stage} = ${value}` : `${stage} = "${value}"`,
        ),
        '',
        '[orchestrator.retry]',
        'base_delay = "20ms"',
        '',
        options.extraToml ?? '',
        '[scale]',
        'application_version = "test-1"',
        `workspace = "${workspace}"`,
        workspace === 'git' ? '[scale.git]' : '[scale.shared_path]',
        workspace === 'git' ? `remote = "${this.remote}"` : `root = "${this.sharedRoot}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.root, 'README.md'), '# the project\n');
    if (workspace === 'git') this.makeRemote();
  }

  /** A project with its own schemas, made ready (`baton scale init`) in the database at `url`. */
  static async create(url: string, options: PoolProjectOptions = {}): Promise<PoolProject> {
    const project = new PoolProject(url, options);
    await initScale(url, { schema: project.schema, dbosSchema: project.dbosSchema });
    return project;
  }

  private makeRemote(): void {
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, {
        cwd,
        env: {
          ...this.env,
          GIT_AUTHOR_NAME: 'T',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 'T',
          GIT_COMMITTER_EMAIL: 't@example.com',
        },
      });
    git(this.base, 'init', '-q', '--bare', '-b', 'main', this.remote);
    git(this.root, 'init', '-q', '-b', 'main');
    writeFileSync(join(this.root, '.gitignore'), '.baton/\n');
    git(this.root, 'add', '-A');
    git(this.root, 'commit', '-q', '-m', 'start');
    git(this.root, 'push', '-q', this.remote, 'main');
  }

  config(): BatonConfig {
    const loaded = loadConfig({ cwd: this.root, env: this.env, registry: this.registry });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
    return loaded.config;
  }

  get pool() {
    return { url: this.url, schema: this.schema, dbosSchema: this.dbosSchema };
  }

  /** Behaviours of the fake runtimes by `<stage>@<format>`, `<stage>` or `*`. */
  plan(plan: Record<string, unknown>): void {
    writeFileSync(this.planFile, JSON.stringify(plan));
  }

  /** Starts a worker in a process of its own; its stdout is its log, then `ready`. */
  worker(
    workerId: string,
    runtimes: readonly string[],
    options: { slots?: number; timing?: Record<string, number> } = {},
  ): WorkerHandle {
    const child = spawnSource(
      `
      const { Worker } = await import(${sourceModule('worker.ts')});
      const { AdapterRegistry, loadConfig } = await import('@baton/core');
      const { createFakeAdapter, FAKE_FORMATS } = await import(${JSON.stringify(
        new URL('../../../run/src/test-support/fake-adapters.mjs', import.meta.url).href,
      )});
      const options = JSON.parse(process.argv[1]);
      const registry = new AdapterRegistry();
      for (const format of FAKE_FORMATS) registry.register(createFakeAdapter(format));
      const loaded = loadConfig({ cwd: options.root, env: options.env, registry });
      if (!loaded.ok) { console.error(JSON.stringify(loaded.issues)); process.exit(3); }
      const worker = await Worker.start({
        url: options.url, schema: options.schema, dbosSchema: options.dbosSchema,
        workerId: options.workerId, config: loaded.config, registry, env: options.env,
        runtimes: options.runtimes, slots: options.slots, dataDir: options.dataDir,
        liveness: options.liveness, pollingIntervalMs: 20, timing: options.timing,
        runner: { killGraceMs: 300, retry: { baseDelayMs: 20 } },
        log: (line) => console.log(new Date().toISOString().slice(11, 23) + ' ' + line),
      });
      console.log('ready');
      process.on('SIGTERM', () => { void worker.stop(); });
      const reason = await worker.stopped;
      console.log('stopped: ' + reason);
      process.exit(reason === 'asked to stop' ? 0 : 1);
      `,
      [
        JSON.stringify({
          url: this.url,
          schema: this.schema,
          dbosSchema: this.dbosSchema,
          workerId,
          root: this.root,
          env: this.env,
          runtimes,
          slots: options.slots ?? 2,
          dataDir: join(this.base, 'workers', workerId),
          liveness: TEST_LIVENESS,
          timing: options.timing ?? { stageCheckSeconds: 5 },
        }),
      ],
    );
    let output = '';
    let errors = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const handle: WorkerHandle = {
      workerId,
      child,
      output: () => `${output}${errors === '' ? '' : `\n[stderr]\n${errors}`}`,
      ready: async () => {
        const deadline = Date.now() + 30_000;
        while (!/^ready$/m.test(output)) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`worker ${workerId} did not start:\n${output}\n${errors}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      },
      exited: () => exit,
    };
    this.workers.push(handle);
    return handle;
  }

  /**
   * Follows a run until it ends or waits (as `baton run` does), at most `timeoutMs`; past it,
   * fails with what the workers logged and where the pool's workflows stand.
   */
  async follow(
    runId: string,
    options: { untilWaiting?: boolean; timeoutMs?: number } = {},
  ): Promise<RunSummary> {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 45_000);
    const summary = await followRemoteRun(this.pool, runId, {
      signal,
      ...(options.untilWaiting === undefined ? {} : { untilWaiting: options.untilWaiting }),
    });
    if (signal.aborted && ['running', 'waiting'].includes(summary.status)) {
      const workflows = await sql(
        this.url,
        `SELECT workflow_uuid, status, queue_name, executor_id, recovery_attempts FROM ${this.dbosSchema}.workflow_status ORDER BY created_at`,
      );
      const events = (await this.events(runId)).map(
        (event) =>
          `${event.at.slice(11, 23)} ${event.seq} ${event.type} ${event.payload.stage ?? ''} ${event.payload.worker ?? ''}`,
      );
      throw new Error(
        `run ${runId} still ${summary.status}:\n${JSON.stringify(workflows, null, 1)}\n${events.join('\n')}\n` +
          this.workers.map((worker) => `--- ${worker.workerId}\n${worker.output()}`).join('\n'),
      );
    }
    return summary;
  }

  /** The run's events, as the pool journaled them. */
  async events(runId: string): Promise<JournalEvent[]> {
    const journal = await PgJournal.open(this.url, {
      schema: this.schema,
      dbosSchema: this.dbosSchema,
      readOnly: true,
    });
    try {
      const events: JournalEvent[] = [];
      for await (const event of journal.events(runId)) events.push(event);
      return events;
    } finally {
      await journal.close();
    }
  }

  /** How many times the fake runtimes were started for `stage` (each logs itself once it has its behaviour). */
  invocations(stage: string): number {
    const file = this.env.FAKE_LOG!;
    if (!existsSync(file)) return 0;
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && (JSON.parse(line) as { stage: string }).stage === stage)
      .length;
  }

  /** Processes the fake runtimes started that still run. */
  survivors(): number[] {
    const file = join(this.stateDir, 'pids.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { pid: number }).pid)
      .filter((pid) => isProcessAlive({ pid, start: null }));
  }

  /** Kills every worker and every runtime still running; removes the project. */
  async dispose(): Promise<void> {
    for (const worker of this.workers) {
      worker.child.kill('SIGCONT');
      worker.child.kill('SIGKILL');
    }
    await Promise.all(this.workers.map((worker) => worker.exited()));
    // The runtimes' watchdogs stop them once their worker is gone: give them a moment.
    const deadline = Date.now() + 5_000;
    while (this.survivors().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const pid of this.survivors()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Waits until `condition` holds, or fails saying what it waited for. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  explain: () => string | Promise<string> = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
