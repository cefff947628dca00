import { findStoredRun, replayStoredRun, runNotFound } from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { styles, writeJson } from '../output.js';
import { LOCAL_OPTION, LOCAL_USAGE, openJournalForReading } from '../read-journal.js';

export const command: Command = {
  name: 'replay',
  summary: "Re-derive a run's state from its journal and check it matches.",
  usage: [
    'Usage: baton replay <run-id> [--local] [--json] [--config FILE]',
    '',
    "Feeds the run's journaled events through the engine again and checks every directive and",
    'state hash against the ones recorded. Exit 0 when everything matches, 1 when not. In scale',
    "mode it reads the pool's journal.",
    LOCAL_USAGE,
    '',
    'JSON: {"runId", "matches", "status", "stateHash", "recordedStateHash", "events", "engineEvents",',
    '       "directives": {"derived", "recorded"}, "mismatches": [...]}',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments('replay', context.args, LOCAL_OPTION, {
      allowPositionals: true,
    });
    const runId = runIdArgument('replay', positionals);
    const journal = await openJournalForReading(context, { local: values.local });
    if (journal === null) throw runNotFound(runId);
    try {
      const { run, status } = await findStoredRun(journal, runId);
      const report = await replayStoredRun(journal, run.runId);
      if (context.json) {
        writeJson(context, {
          runId: report.runId,
          matches: report.matches,
          status,
          stateHash: report.stateHash,
          recordedStateHash: report.recordedStateHash,
          events: report.events,
          engineEvents: report.engineEvents,
          directives: report.directives,
          mismatches: report.mismatches,
        });
      } else {
        const style = styles(context.color);
        const summary =
          `${report.events} events (${report.engineEvents} engine events, ${report.directives.derived} directives derived, ` +
          `${report.directives.recorded} recorded)`;
        if (report.matches) {
          context.stdout.write(
            `${style.green('✔')} Run ${style.bold(report.runId)} replays to its recorded state: ${summary}.\n` +
              `  state hash ${report.stateHash}\n`,
          );
        } else {
          context.stdout.write(
            `${style.red('✖')} Run ${style.bold(report.runId)} does not replay to its recorded state: ${summary}.\n` +
              `  derived  ${report.stateHash}\n  recorded ${report.recordedStateHash}\n` +
              report.mismatches.map((line) => `  - ${line}\n`).join(''),
          );
        }
      }
      return report.matches ? EXIT_OK : EXIT_FAILED;
    } finally {
      await journal.close();
    }
  },
};
