#!/usr/bin/env node
// Benchmarks of `baton run`'s machinery: journal append throughput and replay speed (each
// against a raw node:sqlite loop over the same schema, in the same process), orchestration
// overhead per stage (against spawning the same fake runtime directly), and peak memory of
// `baton run` while a runtime prints a flood of output. Prints a markdown table.
//
// Needs the built packages: pnpm --filter @baton/core build && pnpm --filter @baton/run build
//   && pnpm --filter @baton/cli build
// Usage: node scripts/bench-run.mjs [--flood-mb N] [--events N] [--runs N] [--skip-flood]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const paths = {
  run: join(root, 'packages/run/dist/index.js'),
  core: join(root, 'packages/core/dist/index.js'),
  cliMain: join(root, 'packages/cli/dist/bundle/main.js'),
  fakes: join(root, 'packages/run/src/test-support/fake-adapters.mjs'),
};
for (const [name, path] of Object.entries(paths)) {
  if (!existsSync(path)) {
    console.error(`bench-run: ${path} is missing (${name}); build first: pnpm build`);
    process.exit(2);
  }
}

const { values } = parseArgs({
  options: {
    'flood-mb': { type: 'string', default: '1024' },
    events: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '5' },
    'skip-flood': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
const FLOOD_MB = Number(values['flood-mb']);

const batonRun = await import(pathToFileURL(paths.run).href);
const core = await import(pathToFileURL(paths.core).href);
const fakes = await import(pathToFileURL(paths.fakes).href);
const {
  Journal,
  applyEvent,
  encodeEvent,
  encodeDirective,
  stateHash,
  DIRECTIVE_EVENT_TYPE,
  replayRun,
} = batonRun;

const work = mkdtempSync(join(tmpdir(), 'baton-bench-'));
const rows = [];
const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];
const owner = { pid: process.pid, start: null };

/** A runtime.event payload as the runner journals it (~250 bytes). */
function runtimeEventPayload(index) {
  return {
    runtime_id: 'codex',
    stage: 'execute',
    step: 1,
    attempt: 1,
    loop: 0,
    event: {
      type: 'text',
      text: `line ${index}: ${'the runtime is working on the goal; '.repeat(4)}`,
    },
  };
}

// ---------------------------------------------------------------------------------------
// 1. Journal append throughput: Journal.append vs the same statements in a raw loop.
//    Each side appends to its own file, in short alternating batches, so disk noise from
//    anything else on the machine falls on all sides alike.
// ---------------------------------------------------------------------------------------
function rawAppender(path, runId) {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  const lastSeq = db.prepare('SELECT last_seq FROM runs WHERE run_id = ?');
  const insert = db.prepare(
    'INSERT INTO events (run_id, seq, type, at, payload) VALUES (?, ?, ?, ?, ?)',
  );
  const touch = db.prepare('UPDATE runs SET last_seq = ?, updated_at = ? WHERE run_id = ?');
  return {
    append(from, count) {
      for (let index = from; index < from + count; index++) {
        db.exec('BEGIN IMMEDIATE');
        const seq = lastSeq.get(runId).last_seq + 1;
        const at = new Date().toISOString();
        insert.run(runId, seq, 'runtime.event', at, JSON.stringify(runtimeEventPayload(index)));
        touch.run(seq, at, runId);
        db.exec('COMMIT');
      }
    },
    close: () => db.close(),
  };
}

function journalAppender(journal, runId, redactor) {
  return {
    append(from, count) {
      for (let index = from; index < from + count; index++) {
        const payload = runtimeEventPayload(index);
        journal.append(runId, [
          { type: 'runtime.event', payload: redactor ? redactor.value(payload) : payload },
        ]);
      }
    },
    close: () => journal.close(),
  };
}

function freshJournal(name) {
  const path = join(work, `${name}.db`);
  const journal = Journal.open(path);
  journal.createRun({ runId: 'bench', goal: 'g', mission: 'deliver', configHash: 'h', owner }, []);
  return { path, journal };
}

{
  const redactor = batonRun.createRedactor({
    env: {
      GATEWAY_KEY: 'gk-bench-secret-0123456789',
      SERVICE_TOKEN: 'tok-bench-secret-9876543210',
    },
    config: { runtimes: {} },
  });
  const rawFile = freshJournal('raw');
  rawFile.journal.close();
  const sides = [
    { name: 'raw', appender: rawAppender(rawFile.path, 'bench'), ms: 0 },
    { name: 'journal', appender: journalAppender(freshJournal('ours').journal, 'bench'), ms: 0 },
    {
      name: 'redacted',
      appender: journalAppender(freshJournal('redacted').journal, 'bench', redactor),
      ms: 0,
    },
  ];
  const batch = 250;
  for (let round = 0, from = 0; from < EVENTS; round++, from += batch) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const started = performance.now();
      side.appender.append(from, batch);
      side.ms += performance.now() - started;
    }
  }
  for (const side of sides) side.appender.close();
  const [raw, ours, redacted] = sides.map((side) => side.ms);
  const rate = (ms) => Math.round((EVENTS / ms) * 1000);
  rows.push([
    'Journal append (1 event per transaction)',
    `${rate(ours).toLocaleString('en-US')} events/s`,
    `${rate(raw).toLocaleString('en-US')} events/s`,
    (raw / ours).toFixed(2),
  ]);
  rows.push([
    'Journal append + redaction (2 secrets)',
    `${rate(redacted).toLocaleString('en-US')} events/s`,
    `${rate(raw).toLocaleString('en-US')} events/s`,
    (raw / redacted).toFixed(2),
  ]);
}

// ---------------------------------------------------------------------------------------
// 2. Replay: replayRun (read, decode, re-run the engine, check every directive and hash)
//    vs a raw loop reading the same rows and parsing their payloads.
// ---------------------------------------------------------------------------------------
{
  const { path, journal } = (() => {
    const file = join(work, 'replay.db');
    return { path: file, journal: Journal.open(file) };
  })();
  const runId = 'replay-bench';
  let state = null;
  const record = (event, first) => {
    const payload = encodeEvent(event);
    const transition = applyEvent(state, event);
    state = transition.state;
    const hash = stateHash(state);
    const entries = [
      { type: event.type, payload },
      ...transition.directives.map((directive) => ({
        type: DIRECTIVE_EVENT_TYPE,
        payload: { ...encodeDirective(directive), state_hash: hash },
      })),
    ];
    const update = { status: state.status, stateHash: hash };
    if (first)
      journal.createRun(
        { runId, goal: 'g', mission: 'deliver', configHash: 'h', owner },
        entries,
        update,
      );
    else journal.append(runId, entries, update);
    return transition.directives;
  };
  let directives = record(
    {
      type: 'run.started',
      runId,
      goal: 'Benchmark the replay',
      mission: { name: 'deliver', steps: core.DELIVER_MISSION.steps, maxLoops: 0 },
      routing: {
        stages: Object.fromEntries(
          core.STAGES.map((stage) => [
            stage,
            {
              runtime: 'codex',
              source: 'fallback',
              chain: [{ runtime: 'codex', model: null, modelSource: 'harness', effort: null }],
            },
          ]),
        ),
        backendProfile: null,
      },
      retry: { ...core.DEFAULT_RETRY_SETTINGS, baseDelayMs: 1000 },
      // A budget, so replay checks it before every dispatch as a budgeted run does.
      budget: { maxCostUsd: 100, maxTokens: null },
    },
    true,
  );
  const perStage = Math.floor(EVENTS / 4);
  while (directives[0]?.kind === 'dispatch') {
    const dispatch = directives[0];
    for (let index = 0; index < perStage; index++)
      journal.append(runId, [{ type: 'runtime.event', payload: runtimeEventPayload(index) }]);
    directives = record({
      type: 'stage.ended',
      step: dispatch.step,
      stage: dispatch.stage,
      attempt: dispatch.attempt,
      runtime: dispatch.runtime,
      status: 'succeeded',
      finalText: `${dispatch.stage} done\nVERDICT: PASS`,
      sessionId: null,
      error: null,
      verdict: dispatch.stage === 'evaluate' ? { outcome: 'pass' } : null,
      failureClass: null,
      retryAfterMs: null,
      // Each stage's usage and cost, summed into the run's spend as a run does.
      usage: {
        inputTokens: 1000,
        cachedInputTokens: 0,
        outputTokens: 20,
        reasoningTokens: 0,
        costUsd: 0.001,
        costSource: 'runtime',
      },
    });
  }
  const total = journal.getRun(runId).lastSeq;
  const ours = [];
  const raw = [];
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    const report = replayRun(journal, runId);
    ours.push(performance.now() - started);
    if (!report.matches) throw new Error(`replay did not match: ${report.mismatches.join('; ')}`);
    const db = new DatabaseSync(path, { readOnly: true });
    const select = db.prepare(
      'SELECT run_id, seq, type, at, payload FROM events WHERE run_id = ? AND seq > ? ORDER BY seq',
    );
    started = performance.now();
    let count = 0;
    for (const row of select.iterate(runId, 0)) {
      JSON.parse(row.payload);
      count += 1;
    }
    raw.push(performance.now() - started);
    db.close();
    if (count !== total) throw new Error('raw replay read a different number of events');
  }
  journal.close();
  const rate = (ms) => Math.round((total / ms) * 1000);
  rows.push([
    `Replay of a ${total.toLocaleString('en-US')}-event run (read + engine + checks)`,
    `${rate(median(ours)).toLocaleString('en-US')} events/s (${median(ours).toFixed(0)} ms)`,
    `${rate(median(raw)).toLocaleString('en-US')} events/s (${median(raw).toFixed(0)} ms)`,
    (median(raw) / median(ours)).toFixed(2),
  ]);
}

// ---------------------------------------------------------------------------------------
// 3. Orchestration overhead per stage: startRun with fake runtimes vs spawning the same
//    fake runtime directly, with the same prompt on stdin, reading all of its output.
// ---------------------------------------------------------------------------------------
{
  const project = join(work, 'project');
  mkdirSync(project, { recursive: true });
  const bin = join(project, 'bin');
  const binaries = fakes.writeFakeBinaries(bin);
  writeFileSync(
    join(project, 'baton.toml'),
    '[orchestrator]\nruntime_backend = "codex"\n[missions.one]\nsteps = ["interview"]\n[missions.five]\nsteps = ["interview", "execute", "evaluate", "reflect", "execute"]\n',
  );
  const env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: project };
  const registry = new core.AdapterRegistry().register(fakes.createFakeAdapter('codex'));
  const loaded = core.loadConfig({ cwd: project, env, registry });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  batonRun.ensureJournalDirectory(project);
  const journal = Journal.open(batonRun.journalPath(project));
  const context = { config: loaded.config, registry, journal, env };

  const direct = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(binaries.codex, ['exec', '--json', '-'], {
        env: { ...env, BATON_STAGE: 'interview' },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      child.stdout.resume();
      child.on('error', reject);
      child.on('close', () => resolve(performance.now() - started));
      child.stdin.end('Goal:\nBenchmark\n');
    });
  const timed = async (mission) => {
    const started = performance.now();
    const summary = await batonRun.startRun(context, { goal: 'Benchmark', mission });
    if (summary.status !== 'succeeded')
      throw new Error(`bench run ${summary.status}: ${summary.cause}`);
    return performance.now() - started;
  };
  await timed('one'); // warm-up
  await direct();
  const one = [];
  const five = [];
  const spawnOnly = [];
  for (let round = 0; round < RUNS; round++) {
    one.push(await timed('one'));
    five.push(await timed('five'));
    spawnOnly.push(await direct());
  }
  journal.close();
  const stageMarginal = (median(five) - median(one)) / 4;
  const perStageOverhead = stageMarginal - median(spawnOnly);
  const perRunFixed = median(one) - stageMarginal;
  rows.push([
    'Orchestration overhead per stage (marginal stage cost − direct spawn)',
    `${perStageOverhead.toFixed(1)} ms/stage`,
    `direct spawn ${median(spawnOnly).toFixed(1)} ms`,
    '—',
  ]);
  rows.push([
    'One-time cost per run (doctor checks, journal setup)',
    `${perRunFixed.toFixed(1)} ms/run`,
    `5-stage run ${median(five).toFixed(0)} ms, 1-stage run ${median(one).toFixed(0)} ms`,
    '—',
  ]);
}

// ---------------------------------------------------------------------------------------
// 4. Peak memory of `baton run` (the built CLI) while a runtime prints FLOOD_MB of output.
// ---------------------------------------------------------------------------------------
if (!values['skip-flood']) {
  const project = join(work, 'flood');
  mkdirSync(project, { recursive: true });
  fakes.writeFakeBinaries(join(project, 'bin'));
  fakes.installFakeAdapterPackages(project, ['codex']);
  writeFileSync(
    join(project, 'baton.toml'),
    '[orchestrator]\nruntime_backend = "codex"\n[missions.one]\nsteps = ["interview"]\n',
  );
  const plan = join(project, 'plan.json');
  writeFileSync(plan, JSON.stringify({ interview: { floodBytes: FLOOD_MB * 1024 * 1024 } }));
  const script = `const { main } = await import(${JSON.stringify(pathToFileURL(paths.cliMain).href)});
const code = await main(['run', 'Flood', '--mission', 'one', '--json']);
process.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n');
process.exitCode = code;`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project,
    env: {
      PATH: `${join(project, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: project,
      FAKE_PLAN: plan,
    },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const maxRss = Number(/MAXRSS_KB (\d+)/.exec(result.stderr)?.[1] ?? Number.NaN);
  const summary = JSON.parse(result.stdout || '{}');
  if (summary.status !== 'succeeded') {
    throw new Error(
      `flood run ${summary.status ?? 'crashed'} (exit ${result.status}): ${result.stdout}\n${result.stderr}`,
    );
  }
  rows.push([
    `Peak RSS of baton run while the runtime prints ${FLOOD_MB >= 1024 ? `${FLOOD_MB / 1024} GB` : `${FLOOD_MB} MB`}`,
    `${(maxRss / 1024).toFixed(0)} MB`,
    `goal < 150 MB · ${(FLOOD_MB / seconds).toFixed(0)} MB/s through the decoder`,
    '—',
  ]);
}

rmSync(work, { recursive: true, force: true });

console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}; ${EVENTS.toLocaleString('en-US')} events per journal round.\n`,
);
console.log('| Benchmark | Baton | Baseline | Ratio (baseline time / Baton time; goal ≥ 0.7) |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
