import { resumeRun } from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { loadForCommand } from '../load.js';
import { withTerminal } from './run.js';

export const command: Command = {
  name: 'resume',
  summary: 'Continue a run that is waiting for an answer or was interrupted.',
  usage: [
    'Usage: baton resume <run-id> [--input TEXT] [--json] [--config FILE]',
    '',
    'Continues a run from its journal, in this process: a run waiting at a human step takes',
    'the answer from --input (or asks on a terminal); an interrupted run — by Ctrl-C, or',
    'because the process running it was killed — runs again the stage that was in flight.',
    'The run keeps the mission and routing it started with. A unique prefix of the run id is enough.',
    '',
    'Exit codes and JSON as for `baton run`.',
  ].join('\n'),
  async run(context: CommandContext) {
    const parsed = parseCommandArguments(
      'resume',
      context.args,
      { input: { type: 'string', value: 'TEXT' } },
      { allowPositionals: true },
    );
    const runId = runIdArgument('resume', parsed.positionals);
    const input = parsed.values.input;
    const loaded = loadForCommand(context);
    return withTerminal(context, loaded, (runContext) =>
      resumeRun(runContext, { runId, ...(input !== undefined ? { input } : {}) }),
    );
  },
};
