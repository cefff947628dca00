import { lookupError } from '@baton/core';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { createRegistry } from '../load.js';
import { styles, table, usageError, visibleLength, writeJson } from '../output.js';
import { loadScale, type ScaleModule, scaleDatabase } from '../scale.js';

const SUBCOMMANDS = ['init', 'limit'] as const;

export const command: Command = {
  name: 'scale',
  summary: 'Prepare the database of a scale pool (baton scale init) and set its runtime limits.',
  usage: [
    'Usage: baton scale init [--json] [--config FILE]',
    '       baton scale limit [<runtime> <N|none>] [--json] [--config FILE]',
    '',
    'init   Creates (or upgrades) the tables scale mode needs in the database that [scale] in',
    "       baton.toml names (or BATON_DATABASE_URL): Baton's journal, workers and limits in",
    "       the schema baton, DBOS's workflow tables in the schema baton_dbos. The database is",
    '       created too when it is missing and the user may create it. Safe to run again: it',
    '       changes only what is missing or older, and two at once take turns.',
    '',
    'limit  Sets how many stages of a runtime may run at once across the whole pool (an API',
    "       plan's concurrent sessions, a team's seats), beside each worker's own slots:",
    '       baton scale limit claude-code 2. "none" removes the limit. Without arguments, lists',
    '       the limits. Workers apply a change within a heartbeat; running stages finish.',
    '',
    'JSON: init  {"database", "schema", "versionBefore", "version", "dbosSchema", "log"}',
    '      limit [{"runtime", "maxConcurrent"}] (the limits after the change)',
  ].join('\n'),
  async run(context: CommandContext) {
    const { positionals } = parseCommandArguments(
      'scale',
      context.args,
      {},
      { allowPositionals: true },
    );
    const [subcommand, ...rest] = positionals;
    if (subcommand === 'init') {
      if (rest.length > 0) throw usageError(`scale init: unexpected argument "${rest[0]}".`);
      return init(context);
    }
    if (subcommand === 'limit') return limit(context, rest);
    throw usageError(
      subcommand === undefined
        ? `scale: say what to do: baton scale ${SUBCOMMANDS.join('|')} (see baton scale --help).`
        : `scale: unknown subcommand "${subcommand}"; the ones there are: ${SUBCOMMANDS.join(', ')} (see baton scale --help).`,
    );
  },
};

async function init(context: CommandContext): Promise<number> {
  const scale = await loadScale(context);
  const { url } = scaleDatabase(context, 'scale init');
  const log: string[] = [];
  const report = await scale.initScale(url, { log: (line) => log.push(line) });
  if (context.json) {
    writeJson(context, { ...report, log });
    return EXIT_OK;
  }
  for (const line of log) context.stderr.write(`${line}\n`);
  const style = styles(context.color);
  const baton =
    report.versionBefore === report.version
      ? `already at version ${report.version}`
      : report.versionBefore === 0
        ? `created at version ${report.version}`
        : `upgraded from version ${report.versionBefore} to ${report.version}`;
  context.stdout.write(
    `${style.green('✓')} The scale database ${report.database} is ready.\n` +
      `  Baton's tables  schema ${report.schema}: ${baton}\n` +
      `  DBOS's tables   schema ${report.dbosSchema}: migrated\n`,
  );
  return EXIT_OK;
}

async function limit(context: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length === 1 || args.length > 2) {
    throw usageError(
      'scale limit: give a runtime and a number (or none), e.g. baton scale limit claude-code 2; or nothing, to list the limits.',
    );
  }
  const scale = await loadScale(context);
  const { url } = scaleDatabase(context, 'scale limit');
  if (args.length === 2) {
    const runtime = runtimeId(context, args[0]!);
    await scale.setRuntimeLimit(url, runtime, parseLimit(scale, runtime, args[1]!));
  }
  const limits = await scale.listRuntimeLimits(url);
  if (context.json) {
    writeJson(context, limits);
    return EXIT_OK;
  }
  const pool = scale.displayDatabaseUrl(url);
  if (limits.length === 0) {
    context.stdout.write(
      `No runtime limits in the pool at ${pool}: each worker's slots are the only limit.\n`,
    );
    return EXIT_OK;
  }
  const style = styles(context.color);
  context.stdout.write(
    `${table(
      [
        ['RUNTIME', 'AT ONCE ACROSS THE POOL'].map(style.bold),
        ...limits.map((entry) => [entry.runtime, String(entry.maxConcurrent)]),
      ],
      visibleLength,
    )}\n`,
  );
  return EXIT_OK;
}

/** The canonical id of a runtime name; a first-party runtime not installed here is fine too. */
function runtimeId(context: CommandContext, name: string): string {
  const lookup = createRegistry(context).lookup(name);
  if (lookup.status === 'found' || lookup.status === 'not-installed') return lookup.id;
  throw lookupError(name, lookup);
}

function parseLimit(scale: ScaleModule, runtime: string, text: string): number | null {
  if (text === 'none') return null;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= scale.MAX_RUNTIME_LIMIT)) {
    throw usageError(
      `scale limit: the limit of ${runtime} must be a whole number from 1 to ${scale.MAX_RUNTIME_LIMIT}, or none (got "${text}").`,
    );
  }
  return value;
}
