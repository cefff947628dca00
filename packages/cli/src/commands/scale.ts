import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { styles, usageError, writeJson } from '../output.js';
import { loadScale, scaleDatabase } from '../scale.js';

const SUBCOMMANDS = ['init'] as const;

export const command: Command = {
  name: 'scale',
  summary: 'Prepare the PostgreSQL database of a scale pool (baton scale init).',
  usage: [
    'Usage: baton scale init [--json] [--config FILE]',
    '',
    'Creates (or upgrades) the tables scale mode needs in the database that [scale] in',
    "baton.toml names (or BATON_DATABASE_URL): Baton's journal and workers in the schema",
    "baton, DBOS's workflow tables in the schema baton_dbos. The database is created too when",
    'it is missing and the user may create it. Safe to run again: it changes only what is',
    'missing or older, and two at once take turns.',
    '',
    'JSON: {"database", "schema", "versionBefore", "version", "dbosSchema", "log"}',
  ].join('\n'),
  async run(context: CommandContext) {
    const { positionals } = parseCommandArguments(
      'scale',
      context.args,
      {},
      { allowPositionals: true },
    );
    const [subcommand, extra] = positionals;
    if (subcommand !== 'init') {
      throw usageError(
        subcommand === undefined
          ? `scale: say what to do: baton scale ${SUBCOMMANDS.join('|')} (see baton scale --help).`
          : `scale: unknown subcommand "${subcommand}"; the one there is: ${SUBCOMMANDS.join(', ')} (see baton scale --help).`,
      );
    }
    if (extra !== undefined) throw usageError(`scale init: unexpected argument "${extra}".`);
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
  },
};
