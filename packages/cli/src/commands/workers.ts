import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { styles, table, visibleLength, writeJson } from '../output.js';
import { loadScale, scaleDatabase } from '../scale.js';

export const command: Command = {
  name: 'workers',
  summary: 'List the workers of the scale pool: their runtimes, slots and last heartbeat.',
  usage: [
    'Usage: baton workers [--json] [--config FILE]',
    '',
    'Lists the workers registered in the scale database ([scale] in baton.toml, or',
    'BATON_DATABASE_URL), by name. STATE is:',
    '  alive  its connection holds its lock and its heartbeat is recent',
    '  stale  no heartbeat for longer than the limit (stopped, or its machine is gone)',
    '  gone   its connection closed (it crashed); a peer will recover its work',
    'HEARTBEAT is how long ago the last one was, by the database clock. The pool-wide limits',
    'per runtime (baton scale limit) follow the table.',
    '',
    'JSON: [{"workerId", "state", "host", "pid", "runtimes", "slots", "applicationVersion",',
    '        "startedAt", "lastHeartbeat", "heartbeatAgeMs"}]',
  ].join('\n'),
  async run(context: CommandContext) {
    parseCommandArguments('workers', context.args, {}, { allowPositionals: false });
    const scale = await loadScale(context);
    const { url } = scaleDatabase(context, 'workers');
    const workers = await scale.listWorkers(url);
    const limits = context.json ? [] : await scale.listRuntimeLimits(url);
    if (context.json) {
      writeJson(
        context,
        workers.map((worker) => ({
          workerId: worker.workerId,
          state: worker.state,
          host: worker.host,
          pid: worker.pid,
          runtimes: worker.runtimes,
          slots: worker.slots,
          applicationVersion: worker.applicationVersion,
          startedAt: worker.startedAt,
          lastHeartbeat: worker.lastHeartbeat,
          heartbeatAgeMs: worker.heartbeatAgeMs,
        })),
      );
      return EXIT_OK;
    }
    if (workers.length === 0) {
      context.stdout.write(`No workers in the pool at ${scale.displayDatabaseUrl(url)}.\n`);
      return EXIT_OK;
    }
    const style = styles(context.color);
    const state = (name: string) =>
      name === 'alive'
        ? style.green(name)
        : name === 'stale'
          ? style.yellow(name)
          : style.red(name);
    context.stdout.write(
      `${table(
        [
          ['WORKER', 'STATE', 'HOST', 'PID', 'RUNTIMES', 'SLOTS', 'VERSION', 'HEARTBEAT'].map(
            style.bold,
          ),
          ...workers.map((worker) => [
            worker.workerId,
            state(worker.state),
            worker.host,
            String(worker.pid),
            worker.runtimes.join(', '),
            String(worker.slots),
            worker.applicationVersion,
            `${ago(worker.heartbeatAgeMs)} ago`,
          ]),
        ],
        visibleLength,
      )}\n`,
    );
    if (limits.length > 0) {
      context.stdout.write(
        `\nAt most at once across the pool (baton scale limit): ${limits
          .map((entry) => `${entry.runtime} ${entry.maxConcurrent}`)
          .join(', ')}\n`,
      );
    }
    return EXIT_OK;
  },
};

function ago(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
