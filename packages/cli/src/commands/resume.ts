import { existsSync } from 'node:fs';
import { displayStatus, type HumanAnswer, Journal, journalPath, resumeRun } from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { type Loaded, loadForCommand } from '../load.js';
import { usageError } from '../output.js';
import { PROGRESS_OPTIONS, progressMode, withTerminal } from './run.js';

export const command: Command = {
  name: 'resume',
  summary: 'Continue a run that is waiting for an answer or was interrupted.',
  usage: [
    'Usage: baton resume <run-id> [--approve [--input TEXT] | --reject WHY] [--quiet | --verbose]',
    '       baton resume --last [...]',
    '',
    'Continues a run from its journal, in this process. A run waiting at a human step needs a',
    'decision: --approve goes on (--input gives the next steps an answer or instructions);',
    '--reject WHY sends the result back to the stage before the question, with WHY in its',
    'prompt, when the mission has a loop left (max_loops), or else ends the run as rejected.',
    'Without either, a terminal shows the result and asks. An interrupted run — by Ctrl-C, or',
    'because the process running it was killed — runs again the stage that was in flight.',
    'The run keeps the mission and routing it started with. A unique prefix of the run id is',
    'enough; --last takes the most recent run that can be continued.',
    '',
    'Exit codes and JSON as for `baton run`.',
  ].join('\n'),
  async run(context: CommandContext) {
    const parsed = parseCommandArguments(
      'resume',
      context.args,
      {
        approve: { type: 'boolean' },
        reject: { type: 'string', value: 'WHY' },
        input: { type: 'string', value: 'TEXT' },
        last: { type: 'boolean' },
        ...PROGRESS_OPTIONS,
      },
      { allowPositionals: true },
    );
    const { values } = parsed;
    const answer = humanAnswer(values);
    const mode = progressMode('resume', values);
    const loaded = loadForCommand(context);
    let runId: string;
    if (values.last === true) {
      if (parsed.positionals.length > 0)
        throw usageError('resume: give a run id or --last, not both.');
      runId = lastResumable(loaded);
    } else {
      runId = runIdArgument('resume', parsed.positionals);
    }
    return withTerminal(context, loaded, mode, (runContext) =>
      resumeRun(runContext, { runId, ...(answer === null ? {} : { answer }) }),
    );
  },
};

/** The decision the flags give, or `null` when none was given. */
function humanAnswer(values: {
  readonly approve?: boolean;
  readonly reject?: string;
  readonly input?: string;
}): HumanAnswer | null {
  if (values.approve === true && values.reject !== undefined)
    throw usageError('resume: give one decision, --approve or --reject, not both.');
  if (values.reject !== undefined) {
    if (values.input !== undefined)
      throw usageError('resume: --input goes with --approve; with --reject, say why in its value.');
    return { decision: 'reject', text: values.reject };
  }
  if (values.approve === true) return { decision: 'approve', text: values.input ?? '' };
  if (values.input !== undefined) {
    throw usageError(
      'resume: --input alone does not say whether you approve: use --approve --input TEXT, ' +
        'or --reject "<why>".',
    );
  }
  return null;
}

/** The most recent run that is waiting or was interrupted. */
function lastResumable(loaded: Loaded): string {
  const path = journalPath(loaded.config.projectRoot);
  const journal = existsSync(path) ? Journal.open(path, { readOnly: true }) : null;
  try {
    const run = journal
      ?.listRuns(1000)
      .find((candidate) => ['waiting', 'interrupted'].includes(displayStatus(candidate)));
    if (run === undefined) {
      throw usageError(
        'resume: no run is waiting or interrupted, so there is nothing to continue (see baton runs).',
      );
    }
    return run.runId;
  } finally {
    journal?.close();
  }
}
