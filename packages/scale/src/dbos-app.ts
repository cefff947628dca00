/**
 * DBOS as the pool uses it: the two workflows registered once per process, the queues a
 * worker dispatches, and DBOS's own log lines sent through Baton's redaction instead of the
 * console (DBOS logs a failing step's message, which may quote what a run holds).
 *
 * Slots are per worker. DBOS's public queue settings are one row per queue for the whole
 * pool (the last worker to register a queue would set every worker's concurrency), so each
 * worker registers its queues as process-local ones (`registerInternalQueue`, an internal API
 * of the pinned DBOS version, covered by the slots test): `rt-<runtime>` with its slots as
 * the worker's concurrency (and the pool-wide limit of the runtime, if any, as the queue's),
 * `missions` without a limit (missions mostly wait). Process-local
 * queues are dispatched whatever `listenQueues` says, so `listenQueues` is empty: no queue
 * a worker did not register here is ever dispatched by it.
 */

import { BatonError } from '@baton/core';
import type { Redactor } from '@baton/run';
import { DBOS, DBOSClient, type DLogger } from '@dbos-inc/dbos-sdk';
import { registerInternalQueue, type WorkflowQueue } from '@dbos-inc/dbos-sdk/internal/wfqueue';
import { withSessionSettings } from './database.js';
import { type MissionResult, missionWorkflow } from './mission-workflow.js';
import {
  APPLICATION,
  MISSION_WORKFLOW,
  MISSIONS_QUEUE,
  runtimeQueue,
  STAGE_WORKFLOW,
} from './pool.js';
import { type StageInput, stageWorkflow } from './stage-workflow.js';

/** Recoveries a mission may go through (each worker restart while it waits is one). */
const MISSION_RECOVERY_ATTEMPTS = 100_000;

let registered: {
  readonly mission: (runId: string) => Promise<MissionResult>;
  readonly stage: (input: StageInput) => Promise<{ status: string }>;
} | null = null;

/** Registers the mission and stage workflows with DBOS (before launch), once per process. */
export function registerPoolWorkflows(): void {
  if (registered !== null) return;
  const stage = DBOS.registerWorkflow(stageWorkflow, { name: STAGE_WORKFLOW });
  const mission = DBOS.registerWorkflow(missionWorkflow(stage), {
    name: MISSION_WORKFLOW,
    maxRecoveryAttempts: MISSION_RECOVERY_ATTEMPTS,
  });
  registered = { mission, stage };
}

/** The queues this worker dispatches: `missions`, and one per runtime it offers (by runtime). */
export function registerWorkerQueues(
  runtimes: readonly string[],
  slots: number,
  pollingIntervalMs: number,
  limits: ReadonlyMap<string, number>,
): Map<string, WorkflowQueue> {
  registerInternalQueue(MISSIONS_QUEUE, { minPollingIntervalMs: pollingIntervalMs });
  const queues = new Map<string, WorkflowQueue>();
  for (const runtime of runtimes) {
    const queue = registerInternalQueue(runtimeQueue(runtime), {
      minPollingIntervalMs: pollingIntervalMs,
    });
    applyRuntimeLimit(queue, slots, limits.get(runtime));
    queues.set(runtime, queue);
  }
  return queues;
}

/**
 * A runtime queue's limits: this worker's slots, and the pool-wide limit (`runtime-limits.ts`)
 * as the queue's concurrency, which DBOS checks against the queue's running workflows in the
 * database. A process-local queue's settings are plain fields DBOS reads at each look, so a
 * changed limit applies from the next one. DBOS wants a worker's concurrency no higher than the
 * queue's, so a limit below the slots lowers both.
 */
export function applyRuntimeLimit(
  queue: WorkflowQueue,
  slots: number,
  limit: number | undefined,
): void {
  queue.concurrency = limit;
  queue.workerConcurrency = limit === undefined ? slots : Math.min(slots, limit);
}

export interface LaunchOptions {
  readonly url: string;
  readonly dbosSchema: string;
  readonly applicationVersion: string;
  readonly workerId: string;
  readonly logger: DLogger;
  readonly env: Record<string, string | undefined>;
}

/** Configures and launches DBOS as this worker's executor (it recovers its own work first). */
export async function launchDbos(options: LaunchOptions): Promise<void> {
  // DBOS Cloud mode rewrites the configuration and exports logs and output elsewhere.
  if (options.env.DBOS__CLOUD === 'true') {
    throw new BatonError(
      'USAGE',
      'DBOS__CLOUD=true is set: a Baton worker runs DBOS on its own database only. Unset it.',
    );
  }
  DBOS.setConfig({
    name: APPLICATION,
    systemDatabaseUrl: withSessionSettings(options.url, { applicationName: 'baton-worker-dbos' }),
    systemDatabaseSchemaName: options.dbosSchema,
    // The server's own idle-in-transaction setting: DBOS's per-connection SET races its first query.
    systemDatabaseIdleTransactionTimeoutMs: 0,
    applicationVersion: options.applicationVersion,
    executorID: options.workerId,
    listenQueues: [],
    // A stage's outcome reaches its waiting mission by NOTIFY: flushed every 5 ms, not 10.
    notificationCoalesceMs: 5,
    runMigrations: false,
    logger: options.logger,
    enableOTLP: false,
  });
  try {
    await DBOS.launch();
  } catch (error) {
    // A failed launch leaves DBOS's handles open: the process would never exit.
    await DBOS.shutdown().catch(() => {});
    throw error;
  }
}

/** Recovers the unfinished workflows of gone executors onto their own queues (routing holds). */
export async function recoverExecutors(executorIds: readonly string[]): Promise<number> {
  const { DBOSExecutor } = await import('@dbos-inc/dbos-sdk/internal/dbos-executor');
  const executor = DBOSExecutor.globalInstance;
  if (executor === undefined) return 0;
  return (await executor.recoverPendingWorkflows([...executorIds])).length;
}

/**
 * DBOS's log lines, redacted, to `log`: warnings and errors, and information (and the
 * warnings of expected contention on a limited queue) when asked.
 * The same line repeated (a database outage makes DBOS say so several times a second per
 * queue) is passed on at most once every 10 seconds.
 */
export function dbosLogger(
  log: (line: string) => void,
  redactor: Redactor,
  options: { readonly verbose?: boolean } = {},
): DLogger {
  const last = new Map<string, number>();
  const line = (level: string) => (entry: unknown) => {
    const text = redactor.text(entryText(entry)).split('\n')[0]!.slice(0, 2000);
    const now = Date.now();
    if ((last.get(text) ?? -Infinity) > now - 10_000) return;
    last.set(text, now);
    if (last.size > 1000) last.clear();
    log(`dbos ${level}: ${text}`);
  };
  const info = options.verbose === true ? line('info') : () => {};
  const warn = line('warn');
  return {
    info,
    debug: () => {},
    // Two workers looking at a limited queue at once is how DBOS keeps the limit, not a fault.
    warn: (entry: unknown) => (EXPECTED_CONTENTION.test(entryText(entry)) ? info : warn)(entry),
    error: line('error'),
  };
}

/** DBOS's warnings when two workers take from a queue with a pool-wide limit at the same moment. */
const EXPECTED_CONTENTION =
  /^(Contention detected in queue|Increasing polling interval for queue) rt-/;

function entryText(entry: unknown): string {
  if (entry instanceof Error) return entry.message;
  if (typeof entry === 'string') return entry;
  try {
    return JSON.stringify(entry);
  } catch {
    return String(entry);
  }
}

/** A DBOS client for a command (never an executor: it enqueues and sends, runs nothing). */
export async function openDbosClient(
  url: string,
  dbosSchema: string,
  logger: DLogger,
): Promise<DBOSClient> {
  return DBOSClient.create({
    systemDatabaseUrl: withSessionSettings(url, { applicationName: 'baton-client' }),
    systemDatabaseSchemaName: dbosSchema,
    applicationName: APPLICATION,
    systemDatabasePoolSize: 2,
    systemDatabaseIdleTransactionTimeoutMs: 0,
    logger,
  });
}
