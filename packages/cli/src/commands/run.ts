import type { RunBudget } from '@baton/core';
import {
  ensureJournalDirectory,
  Journal,
  journalPath,
  type RunContext,
  type RunSummary,
  recordRunError,
  startRun,
  totalUsage,
} from '@baton/run';
import { askOnTerminal } from '../approval-prompt.js';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { formatDuration, formatUsage } from '../figures.js';
import { createLiveView, type LiveViewMode } from '../live-view.js';
import { type Loaded, loadForCommand } from '../load.js';
import { nextStep, outcomeOf } from '../next-step.js';
import { styles, usageError, writeJson } from '../output.js';
import { ownRun, recordOnOwnedRun } from '../owned-run.js';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export const command: Command = {
  name: 'run',
  summary: 'Run a mission: each stage on the runtime the config routes it to.',
  usage: [
    'Usage: baton run "<goal>" [--mission NAME] [--max-cost USD] [--max-tokens N]',
    '                 [--remote [--detach] | --local] [--quiet | --verbose] [--json] [--config FILE]',
    '',
    'Runs a mission (default "deliver": interview → execute → evaluate → reflect), each stage on',
    'the runtime the config routes it to, and journals every step in .baton/journal.db.',
    'Missions of your own go in baton.toml under [missions.<name>].',
    '',
    'Before the first stage, the cheap doctor checks of every runtime of every stage chain run. A',
    'runtime that fails them is skipped (said so, and journaled): its stages start on the next',
    'runtime of their chain; a stage with no healthy runtime refuses the run.',
    '',
    'A failed attempt is retried or falls back by its class: a rate limit waits (the delay the',
    'harness or server stated, capped) and retries the same runtime; a usage limit, an auth',
    'failure or an unavailable runtime moves to the next runtime of the chain at once; a server',
    'error is retried with backoff, then falls back; a timeout or a failed task stops the run',
    '([orchestrator.retry] bounds each). In a git work tree the workspace is checkpointed when a',
    'stage starts and put back before another attempt; what the failed one left is kept in',
    'refs/baton/<run-id>/… (git diff it).',
    '',
    "--max-cost USD and --max-tokens N set the run budget (over the mission's max_cost_usd and",
    'max_tokens): no attempt starts once it is spent; the run ends "budget_exhausted", and',
    '`baton resume <run-id> --max-cost MORE` continues it. Claude Code gets what is left as its',
    'own cap. Tokens and cost are shown per stage and in total.',
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
    'With [scale] in baton.toml (or --remote) the run goes to the worker pool instead (see',
    "docs/scale.md): checked against the runtimes its workers offer, journaled in the pool's",
    'database and queued; each stage runs on a worker that offers its runtime. This command',
    "follows it in the live view above, fed from the pool's journal (each stage's worker named),",
    'until it ends or waits for an answer (`baton resume <run-id> --approve|--reject` from any',
    'machine); Ctrl-C stops following, not the run. --detach returns once it is queued. --local',
    'runs it here.',
    '',
    'Exit codes: 0 succeeded; 1 failed, rejected, out of budget, or paused waiting for an answer;',
    '2 usage or config error; 130 interrupted.',
    '',
    'JSON: {"runId", "status", "cause", "question", "usage", "stages": [{"stage", "runtime",',
    '"status", "attempt", "failureClass", "durationMs", "usage"}]}; usage: {"inputTokens",',
    '"cachedInputTokens", "outputTokens", "reasoningTokens", "totalTokens", "costUsd",',
    '"costSource" (runtime, pricing, mixed, or null when some cost is unknown), "costComplete"}.',
  ].join('\n'),
  async run(context: CommandContext) {
    const parsed = parseCommandArguments(
      'run',
      context.args,
      {
        mission: { type: 'string', value: 'NAME' },
        remote: { type: 'boolean' },
        local: { type: 'boolean' },
        detach: { type: 'boolean' },
        ...BUDGET_OPTIONS,
        ...PROGRESS_OPTIONS,
      },
      { allowPositionals: true },
    );
    const goal = parsed.positionals.join(' ').trim();
    if (goal === '') throw usageError('run: give the goal, e.g. baton run "Add a --verbose flag".');
    const mission = parsed.values.mission;
    if (mission === '') throw usageError('run: --mission needs a name.');
    const budget = budgetFlags('run', parsed.values);
    const mode = progressMode('run', parsed.values);
    const { remote, local, detach } = parsed.values;
    if (remote === true && local === true)
      throw usageError('run: choose one of --remote (the worker pool) and --local (this machine).');
    const loaded = loadForCommand(context);
    const onPool = remote === true || (loaded.config.scale !== null && local !== true);
    if (detach === true && !onPool)
      throw usageError('run: --detach leaves a run to the worker pool; it goes with --remote.');
    const request = {
      goal,
      ...(mission ? { mission } : {}),
      ...(budget === undefined ? {} : { budget }),
    };
    if (onPool) {
      const { runOnPool } = await import('../pool-run.js');
      return runOnPool(context, loaded, request, {
        mode,
        detach: detach === true,
        report: reportRun,
        exitCodeOf,
      });
    }
    return withTerminal(context, loaded, mode, (runContext) => startRun(runContext, request));
  },
};

/** `--max-cost` and `--max-tokens`, taken by `run` and `resume`. */
export const BUDGET_OPTIONS = {
  'max-cost': { type: 'string', value: 'USD' },
  'max-tokens': { type: 'string', value: 'N' },
} as const;

/** The budget the flags give, or `undefined` when neither was given. */
export function budgetFlags(
  command: string,
  values: { readonly 'max-cost'?: string; readonly 'max-tokens'?: string },
): Partial<RunBudget> | undefined {
  const cost = values['max-cost'];
  const tokens = values['max-tokens'];
  if (cost === undefined && tokens === undefined) return undefined;
  const budget: { maxCostUsd?: number; maxTokens?: number } = {};
  if (cost !== undefined) {
    const usd = /^\s*\$?\d+(\.\d+)?\s*$/.test(cost)
      ? Number(cost.trim().replace(/^\$/, ''))
      : Number.NaN;
    if (!(usd > 0))
      throw usageError(
        `${command}: --max-cost takes a positive number of US dollars, e.g. 2.50 (got "${cost}").`,
      );
    budget.maxCostUsd = usd;
  }
  if (tokens !== undefined) {
    const count = /^\s*\d+\s*$/.test(tokens) ? Number(tokens) : Number.NaN;
    if (!Number.isSafeInteger(count) || count < 1)
      throw usageError(
        `${command}: --max-tokens takes a whole number of tokens, 1 or more (got "${tokens}").`,
      );
    budget.maxTokens = count;
  }
  return budget;
}

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
    reportRun(context, summary, performance.now() - started);
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
    usage: summary.usage,
    stages: summary.stages.map((stage) => ({
      stage: stage.stage,
      runtime: stage.runtime,
      status: stage.status,
      attempt: stage.attempt,
      failureClass: stage.failureClass,
      durationMs: stage.durationMs,
      usage: stage.usage,
    })),
  };
}

/** How a run ended, as `baton run` and `baton resume` tell it (text, or `--json`). */
export function reportRun(context: CommandContext, summary: RunSummary, elapsedMs: number): void {
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
    case 'budget_exhausted':
      context.stdout.write(
        `${style.yellow('■')} Run ${id} is out of budget: ${summary.cause ?? 'no cause recorded'}\n`,
      );
      break;
    case 'running':
      context.stdout.write(`Run ${id} is still running.\n`);
      break;
  }
  const usage = usageLines(summary);
  if (usage !== '') context.stdout.write(usage);
  const next = nextStep(outcomeOf(summary));
  if (next !== null) context.stdout.write(`  Next: ${next}\n`);
  context.stdout.write(`  The whole run: baton show ${summary.runId}\n`);
}

function interactive(context: CommandContext): boolean {
  return !context.json && process.stdin.isTTY === true && context.stderr.isTTY === true;
}

/**
 * What the run used, per stage (every attempt of it together) and in total:
 * `  interview  codex  1,020 tokens · $0.0012`. Nothing when no stage ran.
 */
function usageLines(summary: RunSummary): string {
  const groups = new Map<
    string,
    { label: string; runtimes: string[]; parts: RunSummary['stages'] }
  >();
  for (const stage of summary.stages) {
    const key = `${stage.step}:${stage.loop}`;
    const group = groups.get(key) ?? {
      label: stage.loop > 0 ? `${stage.stage} (loop ${stage.loop})` : stage.stage,
      runtimes: [],
      parts: [],
    };
    if (!group.runtimes.includes(stage.runtime)) group.runtimes.push(stage.runtime);
    (group.parts as RunSummary['stages'][number][]).push(stage);
    groups.set(key, group);
  }
  if (groups.size === 0) return '';
  const rows = [...groups.values()].map((group) => [
    group.label,
    group.runtimes.join(' → '),
    formatUsage(totalUsage(group.parts.map((part) => part.usage))),
  ]);
  rows.push(['total', '', formatUsage(summary.usage)]);
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `  Usage:\n${rows
    .map((row) => `    ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`)
    .join('\n')}\n`;
}
