/**
 * Scale mode end to end on the real CLIs: a throwaway PostgreSQL, two `baton worker`
 * processes of the built CLI — one offering Codex and Claude Code, the other Codex and
 * OpenCode — and the `deliver` mission started with `baton run` on the pool. Every stage
 * runs on a worker that offers its runtime (checked per stage in the pool's journal), the
 * real harnesses talk to the scripted model server, and what execute wrote reaches evaluate
 * on the other worker through the shared workspace folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@baton/scale/testing';
import { type ModelServer, startModelServer } from '@baton/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BATON_BIN,
  createPipeline,
  GOAL,
  type JournalEvent,
  KEY,
  MODELS,
  type Pipeline,
  type ProcessResult,
  type Routing,
  requestsFrom,
  runProcess,
  STAGE_ORDER,
  scriptStages,
} from './support.js';

const ROUTING: Routing = {
  interview: 'codex',
  execute: 'opencode',
  evaluate: 'claude-code',
  reflect: 'codex',
};

/** Which worker offers what: only host-a has Claude Code, only host-b OpenCode. */
const WORKERS = { 'host-a': ['codex', 'claude-code'], 'host-b': ['codex', 'opencode'] } as const;

let server: ModelServer;
let database: ThrowawayPostgres;
let pipeline: Pipeline;
let shared: string;
const workers: ChildProcess[] = [];

beforeEach(async () => {
  server = await startModelServer({ apiKey: KEY, models: Object.values(MODELS) });
  database = await startThrowawayPostgres();
  pipeline = createPipeline(server.url, ROUTING);
  shared = mkdtempSync(join(tmpdir(), 'baton-pool-shared-'));
  appendFileSync(
    join(pipeline.workspace, 'baton.toml'),
    `\n[scale]\napplication_version = "e2e"\nworkspace = "shared-path"\n[scale.shared_path]\nroot = "${shared}"\n`,
  );
});

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  }
  await server.close();
  await database.dispose();
  pipeline.remove();
  rmSync(shared, { recursive: true, force: true });
});

/** `baton worker` of the built CLI, in the project; resolves once it has joined the pool. */
async function startWorker(name: keyof typeof WORKERS): Promise<() => string> {
  const child = spawn(
    process.execPath,
    [BATON_BIN, 'worker', '--name', name, '--runtimes', WORKERS[name].join(',')],
    {
      cwd: pipeline.workspace,
      env: { ...pipeline.env, BATON_DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  workers.push(child);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes('joined the pool')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`baton worker ${name} did not join the pool:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return () => output;
}

describe('baton run on a pool of two workers with different runtimes, real CLIs', () => {
  it('runs each stage only on a worker that offers its runtime', async () => {
    scriptStages(server);
    const init = await baton(['scale', 'init'], 30_000);
    expect(init.exitCode, init.stderr).toBe(0);
    const logs = await Promise.all([startWorker('host-a'), startWorker('host-b')]);
    // Both offer what they have: their doctor checks passed against the real binaries.
    expect(logs[0]!()).toContain('worker host-a joined the pool');
    expect(logs[0]!()).toContain('claude-code, codex (1 slot each)');
    expect(logs[1]!()).toContain('codex, opencode (1 slot each)');

    const run = await baton(['run', GOAL, '--json'], 150_000);
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.exitCode, `${run.stderr}\n${logs.map((log) => log()).join('\n')}`).toBe(0);
    const json = JSON.parse(run.stdout) as { runId: string; status: string };
    expect(json.status).toBe('succeeded');

    const listed = await baton(['events', json.runId, '--json'], 30_000);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const events = JSON.parse(listed.stdout) as JournalEvent[];
    const exited = events.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => [event.payload.stage, event.payload.runtime_id])).toEqual(
      STAGE_ORDER.map((stage) => [stage, ROUTING[stage]]),
    );
    for (const event of exited) {
      const offers = WORKERS[event.payload.worker as keyof typeof WORKERS] as readonly string[];
      expect(offers, `${event.payload.stage} ran on ${event.payload.worker}`).toContain(
        event.payload.runtime_id,
      );
      expect(event.payload.status).toBe('succeeded');
    }
    const workerOf = (stage: string) =>
      exited.find((event) => event.payload.stage === stage)!.payload.worker;
    expect(workerOf('execute')).toBe('host-b');
    expect(workerOf('evaluate')).toBe('host-a');
    // Evaluate, on the other worker, read the file execute wrote: its verdict passed.
    expect(events.find((event) => event.type === 'verdict.recorded')!.payload.outcome).toBe('pass');
    // Each runtime's requests reached the server; the key never reached the journal.
    for (const runtime of ['codex', 'claude-code', 'opencode'] as const) {
      expect(requestsFrom(server, runtime).length, runtime).toBeGreaterThan(0);
    }
    expect(JSON.stringify(events)).not.toContain(KEY);
  }, 240_000);
});

/** The built `baton` in the project, in scale mode (the pool's database in its environment). */
function baton(args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
  return runProcess(process.execPath, [BATON_BIN, ...args], {
    cwd: pipeline.workspace,
    env: { ...pipeline.env, BATON_DATABASE_URL: database.url },
    timeoutMs,
  });
}
