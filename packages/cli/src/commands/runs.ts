import {
  causeOf,
  displayStatuses,
  type RunStatus,
  readStoredRunUsage,
  type UsageSummary,
} from '@baton/run';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { formatUsd } from '../figures.js';
import { styles, table, usageError, visibleLength, writeJson } from '../output.js';
import { LOCAL_OPTION, LOCAL_USAGE, openJournalForReading } from '../read-journal.js';

export const command: Command = {
  name: 'runs',
  summary: 'List the runs in the journal, newest first.',
  usage: [
    'Usage: baton runs [--limit N] [--local] [--json] [--config FILE]',
    '',
    'Lists runs from .baton/journal.db in the workspace (the nearest folder with a baton.toml',
    'or a .git, or --workspace DIR; --config does not move it). A run whose process',
    'was killed while it ran shows as "interrupted"; `baton resume <run-id>` continues it.',
    "In scale mode ([scale] in baton.toml, or BATON_DATABASE_URL set) it lists the pool's runs,",
    'from any machine; a run of the pool whose worker died still runs (a peer takes it over).',
    LOCAL_USAGE,
    '',
    'COST is what the run has cost so far: "?" when no attempt reported one, and a "+" after',
    "the figure when some attempt's cost is unknown (price its model in [pricing]).",
    '',
    'JSON: [{"runId", "status", "mission", "goal", "cause", "createdAt", "updatedAt", "events",',
    '"usage"}]; usage as in `baton run --json`.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values } = parseCommandArguments(
      'runs',
      context.args,
      { limit: { type: 'string', value: 'N' }, ...LOCAL_OPTION },
      { allowPositionals: false },
    );
    let limit = 50;
    if (values.limit !== undefined) {
      limit = /^\s*\d+\s*$/.test(values.limit) ? Number(values.limit) : Number.NaN;
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw usageError(
          `runs: --limit takes a whole number of runs, 1 or more (got "${values.limit}").`,
        );
    }
    const journal = await openJournalForReading(context, { local: values.local });
    const rows: RunRow[] = [];
    try {
      const runs = journal === null ? [] : await journal.listRuns(limit);
      const statuses = journal === null ? new Map() : await displayStatuses(journal, runs);
      for (const run of runs) {
        const status: RunStatus = statuses.get(run.runId)!;
        rows.push({
          runId: run.runId,
          status,
          mission: run.mission,
          goal: run.goal,
          cause: causeOf(run, status),
          createdAt: run.createdAt,
          updatedAt: run.updatedAt,
          events: run.lastSeq,
          usage: await readStoredRunUsage(journal!, run.runId),
        });
      }
    } finally {
      await journal?.close();
    }
    if (context.json) {
      writeJson(context, rows);
      return EXIT_OK;
    }
    if (rows.length === 0) {
      context.stdout.write('No runs yet. Start one with: baton run "<goal>"\n');
      return EXIT_OK;
    }
    const style = styles(context.color);
    const colour = (status: RunStatus) =>
      status === 'succeeded'
        ? style.green(status)
        : status === 'failed' || status === 'rejected'
          ? style.red(status)
          : style.yellow(status);
    context.stdout.write(
      `${table(
        [
          ['RUN', 'STATUS', 'MISSION', 'STARTED', 'COST', 'GOAL'].map(style.bold),
          ...rows.map((row) => [
            row.runId,
            colour(row.status),
            row.mission,
            row.createdAt.slice(0, 19).replace('T', ' '),
            costCell(row.usage),
            oneLine(row.goal, 60),
          ]),
        ],
        visibleLength,
      )}\n`,
    );
    return EXIT_OK;
  },
};

interface RunRow {
  readonly runId: string;
  readonly status: RunStatus;
  readonly mission: string;
  readonly goal: string;
  readonly cause: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly events: number;
  readonly usage: UsageSummary;
}

/** `$0.0123`; `$0.0123+` when some attempt's cost is unknown; `?` when none is known. */
function costCell(usage: UsageSummary): string {
  if (usage.costUsd === null) return '?';
  return `${formatUsd(usage.costUsd)}${usage.costComplete ? '' : '+'}`;
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
