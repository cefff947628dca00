import { hostname } from 'node:os';
import type { RunObserver } from '@baton/run';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { formatDuration } from '../figures.js';
import { createRegistry } from '../load.js';
import { usageError } from '../output.js';
import { loadScale, scaleDatabase } from '../scale.js';

/** Exit code of a worker pushed out of the pool (it stopped itself). */
const EXIT_PUSHED_OUT = EXIT_FAILED;

export const command: Command = {
  name: 'worker',
  summary: 'Join the scale pool: run the stages of the runtimes this machine offers.',
  usage: [
    'Usage: baton worker [--runtimes LIST] [--slots N] [--name NAME] [--poll-ms MS] [--verbose]',
    '                    [--config FILE]',
    '',
    'Joins the worker pool of the scale database ([scale] in baton.toml, and the database URL in',
    'BATON_DATABASE_URL or [scale] database_url; see docs/scale.md) and runs missions and stages',
    'until stopped. Run one per machine, in a checkout of the project (its baton.toml says how',
    'each runtime is run, and the pinned application_version every worker must share).',
    '',
    '  --runtimes LIST   the runtimes this machine offers, comma-separated (default: every runtime',
    '                    the routing names); each must pass its doctor checks, or it is not offered',
    '  --slots N         stages of each runtime it runs at once (default 1)',
    '  --name NAME       its name in the pool (default: the host name); started again under the',
    '                    same name, it takes back its own unfinished work',
    '  --poll-ms MS      how often it looks at each of its queues for work (default 20): a stage',
    '                    waits half of it on average; each look is a short database transaction',
    "  --verbose         also DBOS's information lines",
    '',
    'A stage waits on the queue of its runtime (rt-<runtime>) for a worker that offers it. A',
    'worker that dies has its work taken over by a peer; a stage only it could run waits for its',
    'return. Agents run in their own process group and die with their worker. Ctrl-C (SIGINT,',
    'SIGTERM) stops it: its stages in flight are cut off, and run again by a peer or by its',
    'next start.',
    '',
    'Exit codes: 0 stopped; 1 pushed out of the pool (a peer took its work while it could not',
    'reach the database, or while it was stopped); 2 usage or config error.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values } = parseCommandArguments(
      'worker',
      context.args,
      {
        runtimes: { type: 'string', value: 'LIST' },
        slots: { type: 'string', value: 'N' },
        name: { type: 'string', value: 'NAME' },
        'poll-ms': { type: 'string', value: 'MS' },
        verbose: { type: 'boolean' },
      },
      { allowPositionals: false },
    );
    const runtimes =
      values.runtimes === undefined
        ? undefined
        : values.runtimes
            .split(',')
            .map((runtime) => runtime.trim())
            .filter((runtime) => runtime !== '');
    if (runtimes !== undefined && runtimes.length === 0)
      throw usageError(
        'worker: --runtimes needs at least one runtime, e.g. --runtimes codex,claude-code.',
      );
    let slots = 1;
    if (values.slots !== undefined) {
      slots = /^\s*\d+\s*$/.test(values.slots) ? Number(values.slots) : Number.NaN;
      if (!Number.isSafeInteger(slots) || slots < 1)
        throw usageError(
          `worker: --slots takes a whole number of stages, 1 or more (got "${values.slots}").`,
        );
    }
    let pollingIntervalMs: number | undefined;
    if (values['poll-ms'] !== undefined) {
      pollingIntervalMs = /^\s*\d+\s*$/.test(values['poll-ms'])
        ? Number(values['poll-ms'])
        : Number.NaN;
      if (
        !Number.isSafeInteger(pollingIntervalMs) ||
        pollingIntervalMs < 5 ||
        pollingIntervalMs > 60_000
      )
        throw usageError(
          `worker: --poll-ms takes a whole number of milliseconds from 5 to 60000 (got "${values['poll-ms']}").`,
        );
    }
    const scale = await loadScale(context);
    const { url, config } = scaleDatabase(context, 'worker');
    const workerId = values.name ?? defaultName();
    const log = (line: string) => context.stdout.write(`${timestamp()} ${line}\n`);
    const worker = await scale.Worker.start({
      url,
      workerId,
      config,
      registry: createRegistry(context),
      env: context.env,
      ...(runtimes === undefined ? {} : { runtimes }),
      slots,
      ...(pollingIntervalMs === undefined ? {} : { pollingIntervalMs }),
      log,
      observer: progressLog(log),
      verbose: values.verbose === true,
    });
    const stop = (signal: NodeJS.Signals) => {
      log(
        `${signal} received: stopping (stages in flight are run again by a peer or the next start)`,
      );
      void worker.stop(`asked to stop (${signal})`);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, stop);
    try {
      const reason = await worker.stopped;
      log(`stopped: ${reason}`);
      return reason.startsWith('asked to stop') ? EXIT_OK : EXIT_PUSHED_OUT;
    } finally {
      for (const signal of signals) process.off(signal, stop);
    }
  },
};

/** The host name, as a worker name may be written. */
function defaultName(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return name === '' ? 'worker' : name;
}

function timestamp(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}

/** One line as each stage starts and ends on this worker. */
function progressLog(log: (line: string) => void): RunObserver {
  return {
    stageStarted(stage, pid) {
      log(
        `▶ ${stage.runId} ${stage.stage} on ${stage.runtime} (attempt ${stage.attempt}, pid ${pid})`,
      );
    },
    stageEnded(stage, report) {
      const mark = report.status === 'succeeded' ? '✔' : '✖';
      log(
        `${mark} ${stage.runId} ${stage.stage} on ${stage.runtime} ${report.status}` +
          `${report.failureClass ? ` (${report.failureClass})` : ''} in ${formatDuration(report.durationMs)}` +
          `${report.tokens === null ? '' : ` · ${report.tokens} tokens`}`,
      );
    },
  };
}
