import {
  ensureJournalDirectory,
  Journal,
  journalPath,
  type RunContext,
  type RunSummary,
  recordRunError,
  startRun,
} from '@baton/run';
import { askOnTerminal } from '../approval-prompt.js';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { ownRun, recordOnOwnedRun } from '../failures.js';
import { formatDuration } from '../figures.js';
import { createLiveView, type LiveViewMode } from '../live-view.js';
import { type Loaded, loadForCommand } from '../load.js';
import { nextStep, outcomeOf } from '../next-step.js';
import { styles, usageError, writeJson } from '../output.js';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export const command: Command = {
  name: 'run',
  summary: 'Run a mission: each stage on the runtime the config routes it to.',
  usage: [
    'Usage: baton run "<goal>" [--mission NAME] [--quiet | --verbose] [--json] [--config FILE]',
    '',
    'Runs a mission (default "deliver": interview → execute → evaluate → reflect), each stage on',
    'the runtime the config routes it to, and journals every step in .baton/journal.db.',
    'Missions of your own go in baton.toml under [missions.<name>].',
    '',
    'Before the first stage, the cheap doctor checks of every runtime the mission uses must pass.',
    'Progress goes to stderr: on a terminal, a status line with the time taken, tool calls and',
    'tokens so far and what the agent is doing now; elsewhere, a line per tool call (at most every',
    'few seconds) and a heartbeat every 30 s. --quiet shows only stage starts and ends; --verbose',
    'every event the runtime reports, messages in full.',
    '',
    'A human step shows the result it asks about, then asks inline on a terminal (approve,',
    'reject, or add a note); otherwise the run pauses (status "waiting") and',
    '`baton resume <run-id> --approve` or `--reject "<why>"` continues it. Ctrl-C stops the',
    'running stage and records the run as interrupted; `baton resume <run-id>` continues it.',
    "`baton show <run-id>` tells the whole run, every stage's full output included.",
    '',
    'Exit codes: 0 succeeded; 1 failed, rejected, or paused waiting for an answer; 2 usage or',
    'config error; 130 interrupted.',
    '',
    'JSON: {"runId", "status", "cause", "question", "stages": [{"stage", "runtime", "status", "durationMs"}]}',
  ].join('\n'),
  async run(context: CommandContext) {
    const parsed = parseCommandArguments(
      'run',
      context.args,
      { mission: { type: 'string', value: 'NAME' }, ...PROGRESS_OPTIONS },
      { allowPositionals: true },
    );
    const goal = parsed.positionals.join(' ').trim();
    if (goal === '') throw usageError('run: give the goal, e.g. baton run "Add a --verbose flag".');
    const mission = parsed.values.mission;
    if (mission === '') throw usageError('run: --mission needs a name.');
    const mode = progressMode('run', parsed.values);
    const loaded = loadForCommand(context);
    return withTerminal(context, loaded, mode, (runContext) =>
      startRun(runContext, { goal, ...(mission ? { mission } : {}) }),
    );
  },
};

/** `--quiet` and `--verbose`, taken by `run` and `resume`. */
export const PROGRESS_OPTIONS = {
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

/** How much progress to show; both flags at once is a usage error. */
export function progressMode(
  command: string,
  values: { readonly quiet?: boolean; readonly verbose?: boolean },
): LiveViewMode {
  if (values.quiet === true && values.verbose === true)
    throw usageError(`${command}: choose one of --quiet and --verbose.`);
  return values.quiet === true ? 'quiet' : values.verbose === true ? 'verbose' : 'normal';
}

/**
 * Runs `body` with what a terminal session needs: the journal, progress output, inline
 * questions on a TTY, and Ctrl-C (SIGINT, SIGTERM, SIGHUP) turned into an orderly
 * interrupt that stops the running stage's process group. Shared by `run` and `resume`.
 */
export async function withTerminal(
  context: CommandContext,
  loaded: Loaded,
  mode: LiveViewMode,
  body: (runContext: RunContext) => Promise<RunSummary>,
): Promise<number> {
  ensureJournalDirectory(loaded.config.projectRoot);
  const journal = Journal.open(journalPath(loaded.config.projectRoot));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      if (!context.json)
        context.stderr.write(`\nbaton: ${signal} received, stopping the running stage…\n`);
      controller.abort(`interrupted by ${signal}`);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  const redactor = context.secrets.redactor;
  let disown = () => {};
  const started = performance.now();
  const view = context.json
    ? null
    : createLiveView({
        color: context.color,
        stderr: context.stderr,
        mode,
        workspace: loaded.config.projectRoot,
      });
  try {
    const summary = await body({
      config: loaded.config,
      registry: loaded.registry,
      journal,
      env: context.env,
      signal: controller.signal,
      ...(view === null ? {} : { observer: view }),
      ...(interactive(context) ? { ask: askOnTerminal(controller, context.secrets) } : {}),
      onRunOwned: (runId) => {
        disown = ownRun({
          runId,
          record: (error) => recordRunError(journal, runId, error, redactor),
        });
      },
    });
    view?.close();
    report(context, summary, performance.now() - started);
    return exitCodeOf(summary);
  } catch (error) {
    view?.close();
    // Whatever stops a run this process owns is recorded on it before it is reported.
    recordOnOwnedRun(error);
    throw error;
  } finally {
    disown();
    for (const signal of signals) process.off(signal, onSignal);
    journal.close();
  }
}

export function exitCodeOf(summary: Pick<RunSummary, 'status'>): number {
  switch (summary.status) {
    case 'succeeded':
      return EXIT_OK;
    case 'interrupted':
      return EXIT_INTERRUPTED;
    default:
      return EXIT_FAILED;
  }
}

export function runJson(summary: RunSummary) {
  return {
    runId: summary.runId,
    status: summary.status,
    cause: summary.cause,
    question: summary.question,
    stages: summary.stages.map((stage) => ({
      stage: stage.stage,
      runtime: stage.runtime,
      status: stage.status,
      durationMs: stage.durationMs,
    })),
  };
}

function report(context: CommandContext, summary: RunSummary, elapsedMs: number): void {
  if (context.json) {
    writeJson(context, runJson(summary));
    return;
  }
  const style = styles(context.color);
  const id = style.bold(summary.runId);
  switch (summary.status) {
    case 'succeeded':
      context.stdout.write(
        `${style.green('✔')} Run ${id} succeeded (${formatDuration(elapsedMs)}).\n`,
      );
      break;
    case 'failed':
      context.stdout.write(
        `${style.red('✖')} Run ${id} failed: ${summary.cause ?? 'no cause recorded'}\n`,
      );
      break;
    case 'rejected':
      context.stdout.write(`${style.red('✖')} Run ${id} was ${summary.cause ?? 'rejected'}\n`);
      break;
    case 'waiting':
      context.stdout.write(
        `${style.yellow('?')} Run ${id} is waiting for an answer to: ${summary.question}\n`,
      );
      break;
    case 'interrupted':
      context.stdout.write(
        `${style.yellow('■')} Run ${id} was interrupted (${summary.cause ?? 'no cause recorded'}).\n`,
      );
      break;
    case 'running':
      context.stdout.write(`Run ${id} is still running.\n`);
      break;
  }
  const next = nextStep(outcomeOf(summary));
  if (next !== null) context.stdout.write(`  Next: ${next}\n`);
  context.stdout.write(`  The whole run: baton show ${summary.runId}\n`);
}

function interactive(context: CommandContext): boolean {
  return !context.json && process.stdin.isTTY === true && context.stderr.isTTY === true;
}
