/**
 * A worker of the pool (`baton worker`): it checks the runtimes it offers (the cheap doctor
 * checks; it offers only those that pass), joins the pool (its lock and row, before DBOS
 * launches, so no peer claims it while it recovers its own earlier work), launches DBOS as
 * its executor, and then, at every heartbeat, takes over the work of peers that are gone —
 * crashed, killed, stopped — and of executors that left work behind, re-queueing it on the
 * queues it came from (so a stage still goes only to a worker that offers its runtime).
 *
 * A worker pushed out of the pool (its lock or row taken while it could not reach the
 * database, or while it was stopped) stops at once: its stages are cut off, their agents
 * stopped, and nothing more of theirs is recorded.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  type AdapterRegistry,
  type BatonConfig,
  BatonError,
  type Environment,
  type RuntimeAdapter,
} from '@baton/core';
import { runChecks } from '@baton/core/doctor';
import {
  assertDepth,
  type BinaryRecord,
  createRedactor,
  currentProcess,
  fingerprintBinary,
  JOURNAL_DIRECTORY,
  type RunnerOptions,
  type RunObserver,
  resolveRunnerOptions,
} from '@baton/run';
import type { WorkflowQueue } from '@dbos-inc/dbos-sdk/internal/wfqueue';
import type pg from 'pg';
import { createPool, displayDatabaseUrl, passwordsOfUrl } from './database.js';
import {
  applyRuntimeLimit,
  dbosLogger,
  launchDbos,
  recoverExecutors,
  registerPoolWorkflows,
  registerWorkerQueues,
} from './dbos-app.js';
import { PgJournal } from './pg-journal.js';
import { DEFAULT_TIMING, type PoolTiming, setPoolRuntime } from './pool.js';
import { readRuntimeLimits } from './runtime-limits.js';
import { ScaleWorkspaces } from './scale-workspace.js';
import { DEFAULT_DBOS_SCHEMA, DEFAULT_SCHEMA, schemaName } from './schema.js';
import { type LivenessOptions, WorkerPresence } from './workers.js';

/**
 * How often a worker looks at each of its queues for work, unless told otherwise. DBOS finds
 * queued work by polling (one short transaction per queue per look): a stage waits on its
 * queue half of this on average, and each worker costs the database about 1000/20 = 50
 * looks a second per queue it listens to. `baton worker --poll-ms` trades one for the other.
 */
export const DEFAULT_POLLING_MS = 20;

export interface WorkerOptions {
  readonly url: string;
  /** The worker's name in the pool, and DBOS's executor id (the same after a restart). */
  readonly workerId: string;
  /** The project's configuration; `[scale]` is required. */
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  readonly env: Environment;
  /** The runtimes to offer; default: every runtime the routing names. Each must pass its checks. */
  readonly runtimes?: readonly string[];
  /** Stages of each runtime this worker runs at once (default 1). */
  readonly slots?: number;
  /** Where the worker keeps its workspaces and scratch folders (default `.baton/worker/<id>`). */
  readonly dataDir?: string;
  readonly schema?: string;
  readonly dbosSchema?: string;
  readonly liveness?: Pick<LivenessOptions, 'heartbeatMs' | 'staleAfterMs'>;
  /** How often each queue is looked at for work (default `DEFAULT_POLLING_MS`). */
  readonly pollingIntervalMs?: number;
  readonly timing?: Partial<PoolTiming>;
  readonly runner?: RunnerOptions;
  /** The worker's log: one line each, redacted. */
  readonly log?: (line: string) => void;
  readonly observer?: RunObserver;
  /** DBOS's information lines too (not only its warnings and errors). */
  readonly verbose?: boolean;
}

/** A runtime the worker does not offer, and why. */
export interface RefusedRuntime {
  readonly runtime: string;
  readonly why: string;
}

export class Worker {
  readonly workerId: string;
  readonly offered: readonly string[];
  readonly refused: readonly RefusedRuntime[];
  readonly slots: number;
  /** Resolves with why the worker stopped: asked to, or pushed out of the pool. */
  readonly stopped: Promise<string>;
  private readonly presence: WorkerPresence;
  private readonly journal: PgJournal;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly dbosSchema: string;
  private readonly applicationVersion: string;
  private readonly controller: AbortController;
  private readonly log: (line: string) => void;
  private readonly heartbeatMs: number;
  /** The stages this worker runs, by workflow id, and how to stop each (`PoolRuntime.stages`). */
  private readonly stages = new Map<string, () => void>();
  /** This worker's runtime queues, and the pool-wide limit each was last given. */
  private queues = new Map<string, WorkflowQueue>();
  private limits: ReadonlyMap<string, number> = new Map();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private resolveStopped: (reason: string) => void = () => {};

  private constructor(init: {
    workerId: string;
    offered: string[];
    refused: RefusedRuntime[];
    slots: number;
    presence: WorkerPresence;
    journal: PgJournal;
    pool: pg.Pool;
    schema: string;
    dbosSchema: string;
    applicationVersion: string;
    controller: AbortController;
    log: (line: string) => void;
    heartbeatMs: number;
  }) {
    this.workerId = init.workerId;
    this.offered = init.offered;
    this.refused = init.refused;
    this.slots = init.slots;
    this.presence = init.presence;
    this.journal = init.journal;
    this.pool = init.pool;
    this.schema = init.schema;
    this.dbosSchema = init.dbosSchema;
    this.applicationVersion = init.applicationVersion;
    this.controller = init.controller;
    this.log = init.log;
    this.heartbeatMs = init.heartbeatMs;
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  static async start(options: WorkerOptions): Promise<Worker> {
    const depth = assertDepth(options.env);
    const scale = options.config.scale;
    if (scale === null) {
      throw new BatonError(
        'USAGE',
        'A worker needs [scale] in baton.toml (its application_version and workspace); see docs/scale.md.',
      );
    }
    const slots = options.slots ?? 1;
    const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
    const dbosSchema = schemaName(options.dbosSchema ?? DEFAULT_DBOS_SCHEMA);
    const log = options.log ?? (() => {});
    const redactor = createRedactor({
      env: options.env,
      config: options.config,
      extra: passwordsOfUrl(options.url),
    });
    const runnerOptions = resolveRunnerOptions(options.runner);
    const checked = await checkRuntimes(options, runnerOptions.doctorTimeoutMs);
    for (const refused of checked.refused) log(`not offering ${refused.runtime}: ${refused.why}`);
    if (checked.offered.length === 0) {
      throw new BatonError(
        'RUNTIME_FAILED',
        `Worker ${options.workerId} has no runtime to offer: ${
          checked.refused.map((refused) => `${refused.runtime} (${refused.why})`).join('; ') ||
          'none was named'
        }. Run \`baton doctor\` to see why.`,
        { details: { workerId: options.workerId, refused: checked.refused } },
      );
    }
    const dataDir =
      options.dataDir ??
      join(options.config.projectRoot, JOURNAL_DIRECTORY, 'worker', options.workerId);
    const host = hostname();
    const journal = await PgJournal.open(options.url, { schema, dbosSchema, host });
    const liveness = { schema, ...options.liveness };
    let presence: WorkerPresence;
    try {
      presence = await WorkerPresence.start(
        options.url,
        {
          workerId: options.workerId,
          runtimes: checked.offered,
          slots,
          applicationVersion: scale.applicationVersion,
          host,
        },
        liveness,
      );
    } catch (error) {
      await journal.close();
      throw error;
    }
    const controller = new AbortController();
    const pool = createPool(options.url, { applicationName: 'baton-worker', max: 2 });
    const worker = new Worker({
      workerId: options.workerId,
      offered: checked.offered,
      refused: checked.refused,
      slots,
      presence,
      journal,
      pool,
      schema,
      dbosSchema,
      applicationVersion: scale.applicationVersion,
      controller,
      log,
      heartbeatMs: options.liveness?.heartbeatMs ?? 1_000,
    });
    setPoolRuntime({
      workerId: options.workerId,
      journal,
      config: options.config,
      registry: options.registry,
      env: options.env,
      depth,
      redactor,
      adapters: checked.adapters,
      binaries: checked.binaries,
      options: runnerOptions,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
      workspaces: new ScaleWorkspaces(scale.workspace, dataDir, options.env),
      scratchRoot: join(dataDir, 'scratch'),
      owner: currentProcess(),
      signal: controller.signal,
      stages: worker.stages,
      timing: { ...DEFAULT_TIMING, ...options.timing },
      log,
    });
    try {
      worker.limits = await readRuntimeLimits(pool, schema);
      registerPoolWorkflows();
      worker.queues = registerWorkerQueues(
        checked.offered,
        slots,
        options.pollingIntervalMs ?? DEFAULT_POLLING_MS,
        worker.limits,
      );
      await launchDbos({
        url: options.url,
        dbosSchema,
        applicationVersion: scale.applicationVersion,
        workerId: options.workerId,
        logger: dbosLogger(log, redactor, { verbose: options.verbose === true }),
        env: options.env,
      });
    } catch (error) {
      setPoolRuntime(null);
      await presence.stop();
      await journal.close();
      await pool.end();
      throw error;
    }
    presence.onLost((reason) => {
      log(`pushed out of the pool: ${reason}; stopping`);
      void worker.stop(`pushed out of the pool: ${reason}`);
    });
    worker.schedule();
    log(
      `worker ${options.workerId} joined the pool at ${displayDatabaseUrl(options.url)}: ` +
        `${checked.offered.join(', ')} (${slots} slot${slots === 1 ? '' : 's'} each), version ${scale.applicationVersion}`,
    );
    for (const runtime of checked.offered) {
      const limit = worker.limits.get(runtime);
      if (limit !== undefined) log(limitLine(runtime, limit));
    }
    return worker;
  }

  private schedule(): void {
    if (this.stopping !== null) return;
    this.timer = setTimeout(() => {
      this.sweeping = Promise.all([
        this.refreshLimits().catch((error: unknown) =>
          this.log(`could not read the runtime limits: ${messageOf(error)}`),
        ),
        this.stopCancelledStages().catch((error: unknown) =>
          this.log(`could not check for stopped runs: ${messageOf(error)}`),
        ),
      ])
        .then(() => this.takeOver())
        .catch((error: unknown) => this.log(`could not check the pool: ${messageOf(error)}`))
        .finally(() => this.schedule());
    }, this.heartbeatMs);
  }

  /** Reads the pool-wide limits again and gives each of its queues its own, if it changed. */
  private async refreshLimits(): Promise<void> {
    const limits = await readRuntimeLimits(this.pool, this.schema);
    for (const [runtime, queue] of this.queues) {
      const limit = limits.get(runtime);
      if (limit === this.limits.get(runtime)) continue;
      applyRuntimeLimit(queue, this.slots, limit);
      this.log(limitLine(runtime, limit));
    }
    this.limits = limits;
  }

  /** Stops the agents of the stages whose workflows were cancelled (their runs were stopped). */
  private async stopCancelledStages(): Promise<void> {
    if (this.stages.size === 0) return;
    const { rows } = await this.pool.query<{ workflow_uuid: string }>(
      `SELECT workflow_uuid FROM ${this.dbosSchema}.workflow_status
       WHERE workflow_uuid = ANY($1::text[]) AND status = 'CANCELLED'`,
      [[...this.stages.keys()]],
    );
    for (const { workflow_uuid: workflowId } of rows) {
      this.stages.get(workflowId)?.();
      this.stages.delete(workflowId);
      this.log(`stopped the stage ${workflowId}: its run was stopped`);
    }
  }

  /** Recovers the work of gone peers, then of executors that left work and no worker. */
  private async takeOver(): Promise<void> {
    for (const peer of await this.presence.claimGonePeers()) {
      try {
        const count = await recoverExecutors([peer.worker.workerId]);
        this.log(
          `took over from ${peer.worker.workerId} (${peer.reason === 'connection-closed' ? 'its connection closed' : 'its heartbeat stopped'}): ${count} workflow${count === 1 ? '' : 's'} re-queued`,
        );
      } finally {
        await peer.release();
      }
    }
    const { rows } = await this.pool.query<{ executor_id: string }>(
      `SELECT DISTINCT ws.executor_id FROM ${this.dbosSchema}.workflow_status ws
       WHERE ws.status = 'PENDING' AND ws.application_version = $1 AND ws.executor_id <> $2
         AND NOT EXISTS (SELECT 1 FROM ${this.schema}.workers w WHERE w.worker_id = ws.executor_id)`,
      [this.applicationVersion, this.workerId],
    );
    if (rows.length === 0) return;
    for (const orphan of await this.presence.claimOrphans(rows.map((row) => row.executor_id))) {
      try {
        const count = await recoverExecutors([orphan.executorId]);
        if (count > 0)
          this.log(
            `took over ${count} workflow${count === 1 ? '' : 's'} ${orphan.executorId} left behind`,
          );
      } finally {
        await orphan.release();
      }
    }
  }

  /**
   * Leaves the pool: stages in flight are cut off (their agents stopped, nothing recorded),
   * DBOS stops, the worker's row goes. Its unfinished work is taken over by a peer at once,
   * or by this worker's next start.
   */
  stop(reason = 'asked to stop'): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.timer);
      this.controller.abort(reason);
      await this.sweeping;
      const { DBOS } = await import('@dbos-inc/dbos-sdk');
      await DBOS.shutdown().catch((error: unknown) =>
        this.log(`DBOS did not stop cleanly: ${messageOf(error)}`),
      );
      await this.presence.stop();
      await this.journal.close().catch(() => {});
      await this.pool.end().catch(() => {});
      setPoolRuntime(null);
      this.resolveStopped(reason);
    })();
    return this.stopping;
  }
}

function limitLine(runtime: string, limit: number | undefined): string {
  return limit === undefined
    ? `${runtime}: no limit across the pool now (this worker's slots only)`
    : `${runtime}: at most ${limit} at once across the pool`;
}

interface CheckedRuntimes {
  readonly offered: string[];
  readonly refused: RefusedRuntime[];
  readonly adapters: Map<string, RuntimeAdapter>;
  readonly binaries: Map<string, BinaryRecord>;
}

/** Every runtime the routing names (stage chains, default chain, single backend). */
export function routedRuntimes(config: BatonConfig): string[] {
  const runtimes = new Set<string>([config.runtimeBackend]);
  for (const target of config.defaultTargets ?? []) runtimes.add(target.runtime);
  for (const chain of Object.values(config.stages)) {
    for (const target of chain ?? []) runtimes.add(target.runtime);
  }
  return [...runtimes];
}

/** The cheap doctor checks of each runtime to offer; those that fail are not offered. */
async function checkRuntimes(options: WorkerOptions, timeoutMs: number): Promise<CheckedRuntimes> {
  const wanted = [...new Set(options.runtimes ?? routedRuntimes(options.config))];
  const checked: CheckedRuntimes = {
    offered: [],
    refused: [],
    adapters: new Map(),
    binaries: new Map(),
  };
  await Promise.all(
    wanted.map(async (requested) => {
      let adapter: RuntimeAdapter;
      try {
        adapter = await options.registry.load(requested);
      } catch (error) {
        checked.refused.push({ runtime: requested, why: messageOf(error) });
        return;
      }
      const id = adapter.identity.id;
      const settings = options.config.runtimes[id] ?? {};
      const report = await runChecks({
        adapter,
        context: {
          settings,
          profile: options.config.backendProfile,
          env: options.env,
          cwd: options.config.projectRoot,
          stages: [],
        },
        probe: false,
        timeoutMs,
      });
      const failed = report.checks.filter((check) => check.status === 'fail');
      if (failed.length > 0) {
        checked.refused.push({
          runtime: id,
          why: failed.map((check) => `${check.id}: ${check.summary}`).join('; '),
        });
        return;
      }
      checked.offered.push(id);
      checked.adapters.set(id, adapter);
      checked.binaries.set(
        id,
        fingerprintBinary({
          runtimeId: id,
          identity: adapter.identity,
          settings,
          env: options.env,
          cwd: options.config.projectRoot,
          version: report.version,
        }),
      );
    }),
  );
  checked.offered.sort();
  return checked;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
