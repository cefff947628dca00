import { parseArgs } from 'node:util';
import { resumeRun } from '@baton/run';
import type { Command, CommandContext } from '../context.js';
import { loadForCommand } from '../load.js';
import { usageError } from '../output.js';
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
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(context.args);
    } catch (error) {
      throw usageError(`resume: ${(error as Error).message}`);
    }
    if (parsed.positionals.length !== 1)
      throw usageError('resume: give exactly one run id (see baton runs).');
    const runId = parsed.positionals[0]!;
    const input = parsed.values.input;
    const loaded = loadForCommand(context);
    return withTerminal(context, loaded, (runContext) =>
      resumeRun(runContext, { runId, ...(input !== undefined ? { input } : {}) }),
    );
  },
};

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: { input: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
}
