import { existsSync } from 'node:fs';
import { BatonError, closestMatch, isStage, STAGES, type Stage } from '@baton/core';
import {
  displayStatus,
  type HumanAnswer,
  Journal,
  journalPath,
  type ResumeOptions,
  resumeRun,
} from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import type { LiveViewMode } from '../live-view.js';
import { type Loaded, loadForCommand } from '../load.js';
import { usageError } from '../output.js';
import { poolUrl } from '../read-journal.js';
import { loadScale, scaleDatabase } from '../scale.js';
import {
  BUDGET_OPTIONS,
  budgetFlags,
  exitCodeOf,
  PROGRESS_OPTIONS,
  progressMode,
  reportRun,
  withTerminal,
} from './run.js';

export const command: Command = {
  name: 'resume',
  summary: 'Continue a run that is waiting, was interrupted, failed or ran out of budget.',
  usage: [
    'Usage: baton resume <run-id> [--approve [--input TEXT] | --reject WHY] [--quiet | --verbose]',
    '       baton resume <run-id> [--from STAGE] [--force] [--max-cost USD] [--max-tokens N]',
    '       baton resume --last [...]',
    '',
    'Continues a run from its journal, in this process. A run waiting at a human step needs a',
    'decision: --approve goes on (--input gives the next steps an answer or instructions);',
    '--reject WHY sends the result back to the stage before the question, with WHY in its',
    'prompt, when the mission has a loop left (max_loops), or else ends the run as rejected.',
    'Without either, a terminal shows the result and asks.',
    '',
    'An interrupted run — by Ctrl-C, or because the process running it was killed — continues',
    "the stage that was in flight in its harness's session, where the harness announced one",
    'and can resume it; otherwise that stage starts again from its checkpoint. A failed run',
    'starts again at its failed stage (--from STAGE: at that earlier stage), earlier results',
    'reused; if the workspace changed since the run stopped, --force is needed (your changes',
    'are kept in a ref under refs/baton/<run-id>/). A run out of budget continues with a',
    'larger one: --max-cost and --max-tokens replace the run budget.',
    '',
    'The run keeps the mission and routing it started with. A unique prefix of the run id is',
    'enough; --last takes the most recent run that can be continued.',
    '',
    'In scale mode a run of the worker pool is continued from any machine: --approve or --reject',
    'sends the answer to its mission (sent twice, it counts once); a run that failed, ran out of',
    'budget or was interrupted is resumed on the pool (--from, --max-cost, --max-tokens as above;',
    'its stage starts again from the last result the pool recorded before it). This command then',
    "follows the run until it ends or asks again. --local resumes a run of this machine's journal.",
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
        from: { type: 'string', value: 'STAGE' },
        force: { type: 'boolean' },
        local: { type: 'boolean' },
        ...BUDGET_OPTIONS,
        ...PROGRESS_OPTIONS,
      },
      { allowPositionals: true },
    );
    const { values } = parsed;
    const answer = humanAnswer(values);
    const budget = budgetFlags('resume', values);
    const from = values.from === undefined ? undefined : stageFlag(values.from);
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
    if (values.local !== true && values.last !== true && poolUrl(context) !== null) {
      const onPool = await resumeOnPool(context, loaded, runId, answer, mode, {
        from,
        budget,
        force: values.force,
      });
      if (onPool !== null) return onPool;
    }
    return withTerminal(context, loaded, mode, (runContext) =>
      resumeRun(runContext, {
        runId,
        ...(answer === null ? {} : { answer }),
        ...(from === undefined ? {} : { from }),
        ...(budget === undefined ? {} : { budget }),
        ...(values.force === true ? { force: true } : {}),
      }),
    );
  },
};

/**
 * A run of the worker pool: its question answered, or — when it stopped — resumed on the
 * pool, which drives it on. `null` when the run is not the pool's, so that this machine's
 * journal is tried.
 */
async function resumeOnPool(
  context: CommandContext,
  loaded: Loaded,
  runId: string,
  answer: HumanAnswer | null,
  mode: LiveViewMode,
  other: {
    readonly from?: Stage | undefined;
    readonly budget?: ResumeOptions['budget'] | undefined;
    readonly force?: boolean | undefined;
  },
): Promise<number | null> {
  const options = { mode, detach: false, report: reportRun, exitCodeOf };
  const { answerOnPool, resumeStoppedOnPool } = await import('../pool-run.js');
  if (answer !== null && other.from === undefined && other.budget === undefined && !other.force) {
    return answerOnPool(context, loaded, runId, answer, options);
  }
  if (answer !== null) {
    throw usageError(
      'resume: --approve and --reject answer a waiting run; --from, --force, --max-cost and --max-tokens resume one that stopped.',
    );
  }
  if (other.force === true) {
    const scale = await loadScale(context);
    const { url } = scaleDatabase(context, 'resume');
    const journal = await scale.PgJournal.open(url, { readOnly: true });
    try {
      await journal.findRun(runId);
    } catch (error) {
      if (BatonError.isInstance(error) && error.code === 'RUN_NOT_FOUND') return null;
      throw error;
    } finally {
      await journal.close();
    }
    throw usageError(
      'resume: --force is for runs of this machine; a run of the worker pool starts again from the last result the pool recorded, so there is nothing to force.',
    );
  }
  return resumeStoppedOnPool(
    context,
    loaded,
    runId,
    {
      ...(other.from === undefined ? {} : { from: other.from }),
      ...(other.budget === undefined ? {} : { budget: other.budget }),
    },
    options,
  );
}

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

/** `--from STAGE`: a stage name. */
function stageFlag(value: string): Stage {
  const stage = value.trim().toLowerCase();
  if (isStage(stage)) return stage;
  const guess = closestMatch(stage, [...STAGES]);
  throw usageError(
    `resume: --from takes a stage, one of ${STAGES.join(', ')} (got "${value}")` +
      (guess === undefined ? '.' : `; did you mean ${guess}?`),
  );
}

/** The most recent run that can be continued: waiting, interrupted, failed or out of budget. */
function lastResumable(loaded: Loaded): string {
  const path = journalPath(loaded.config.projectRoot);
  const journal = existsSync(path) ? Journal.open(path, { readOnly: true }) : null;
  try {
    const run = journal
      ?.listRuns(1000)
      .find((candidate) =>
        ['waiting', 'interrupted', 'failed', 'budget_exhausted'].includes(displayStatus(candidate)),
      );
    if (run === undefined) {
      throw usageError(
        'resume: no run is waiting, interrupted, failed or out of budget, so there is nothing to continue (see baton runs).',
      );
    }
    return run.runId;
  } finally {
    journal?.close();
  }
}
