import { createInterface } from 'node:readline/promises';
import type { RuntimeEvent } from '@baton/core';
import {
  type AskHuman,
  ensureJournalDirectory,
  Journal,
  journalPath,
  type RunContext,
  type RunObserver,
  type RunSummary,
  recordRunError,
  startRun,
} from '@baton/run';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { ownRun, recordOnOwnedRun } from '../failures.js';
import { type Loaded, loadForCommand } from '../load.js';
import { styles, usageError, writeJson } from '../output.js';
import { escapeControlCharacters } from '../terminal-text.js';
import type { Writer } from '../writer.js';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export const command: Command = {
  name: 'run',
  summary: 'Run a mission: each stage on the runtime the config routes it to.',
  usage: [
    'Usage: baton run "<goal>" [--mission NAME] [--json] [--config FILE]',
    '',
    'Runs a mission (default "deliver": interview → execute → evaluate → reflect), each stage on',
    'the runtime the config routes it to, and journals every step in .baton/journal.db.',
    'Missions of your own go in baton.toml under [missions.<name>].',
    '',
    'Before the first stage, the cheap doctor checks of every runtime the mission uses must pass.',
    'A human step asks inline on a terminal; otherwise the run pauses (status "waiting") and',
    '`baton resume <run-id> --input TEXT` continues it. Ctrl-C stops the running stage and',
    'records the run as interrupted; `baton resume <run-id>` continues it.',
    '',
    'Exit codes: 0 succeeded; 1 failed, or paused waiting for an answer; 2 usage or config error;',
    '130 interrupted.',
    '',
    'JSON: {"runId", "status", "cause", "question", "stages": [{"stage", "runtime", "status", "durationMs"}]}',
  ].join('\n'),
  async run(context: CommandContext) {
    const parsed = parseCommandArguments(
      'run',
      context.args,
      { mission: { type: 'string', value: 'NAME' } },
      { allowPositionals: true },
    );
    const goal = parsed.positionals.join(' ').trim();
    if (goal === '') throw usageError('run: give the goal, e.g. baton run "Add a --verbose flag".');
    const mission = parsed.values.mission;
    if (mission === '') throw usageError('run: --mission needs a name.');
    const loaded = loadForCommand(context);
    return withTerminal(context, loaded, (runContext) =>
      startRun(runContext, { goal, ...(mission ? { mission } : {}) }),
    );
  },
};

/**
 * Runs `body` with what a terminal session needs: the journal, progress output, inline
 * questions on a TTY, and Ctrl-C (SIGINT, SIGTERM, SIGHUP) turned into an orderly
 * interrupt that stops the running stage's process group. Shared by `run` and `resume`.
 */
export async function withTerminal(
  context: CommandContext,
  loaded: Loaded,
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
  try {
    const summary = await body({
      config: loaded.config,
      registry: loaded.registry,
      journal,
      env: context.env,
      signal: controller.signal,
      ...(context.json ? {} : { observer: progressObserver(context) }),
      ...(interactive(context) ? { ask: askOnTerminal(controller, context) } : {}),
      onRunOwned: (runId) => {
        disown = ownRun({
          runId,
          record: (error) => recordRunError(journal, runId, error, redactor),
        });
      },
    });
    report(context, summary, performance.now() - started);
    return exitCodeOf(summary);
  } catch (error) {
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
      context.stdout.write(`${style.green('✔')} Run ${id} succeeded (${seconds(elapsedMs)}).\n`);
      break;
    case 'failed':
      context.stdout.write(
        `${style.red('✖')} Run ${id} failed: ${summary.cause ?? 'no cause recorded'}\n`,
      );
      break;
    case 'waiting':
      context.stdout.write(
        `${style.yellow('?')} Run ${id} is waiting for an answer to: ${summary.question}\n` +
          `  Continue it with: baton resume ${summary.runId} --input "<answer>"\n`,
      );
      break;
    case 'interrupted':
      context.stdout.write(
        `${style.yellow('■')} Run ${id} was interrupted (${summary.cause ?? 'no cause recorded'}).\n` +
          `  Continue it with: baton resume ${summary.runId}\n`,
      );
      break;
    case 'running':
      context.stdout.write(`Run ${id} is still running.\n`);
      break;
  }
  context.stdout.write(`  Events: baton events ${summary.runId}\n`);
}

/** Stage progress on stderr: a line per stage start and end; on a TTY, the runtime's messages too. */
export function progressObserver(context: {
  readonly color: boolean;
  readonly stderr: Pick<Writer, 'write' | 'isTTY'>;
}): RunObserver {
  const style = styles(context.color);
  const write = (text: string) => context.stderr.write(text);
  const live = context.stderr.isTTY === true;
  const text = liveText((line) => write(`  ${style.dim(line)}\n`));
  const label = (stage: { stage: string; runtime: string; attempt: number; loop: number }) =>
    `${style.bold(stage.stage)} · ${style.cyan(stage.runtime)}` +
    (stage.attempt > 1 ? style.dim(` (attempt ${stage.attempt})`) : '') +
    (stage.loop > 0 ? style.dim(` (loop ${stage.loop})`) : '');
  return {
    stageStarted(stage, pid) {
      write(`${style.cyan('▶')} ${label(stage)} ${style.dim(`pid ${pid}`)}\n`);
    },
    runtimeEvent(_stage, event) {
      if (!live) return;
      if (event.type === 'text') {
        text.add(event.text);
        return;
      }
      text.flush();
      const line = describeEvent(event);
      if (line !== null) write(`  ${style.dim(line)}\n`);
    },
    stageEnded(stage, result) {
      if (live) text.flush();
      const tokens =
        result.tokens === null
          ? 'tokens unknown'
          : `${result.tokens.toLocaleString('en-US')} tokens`;
      const facts = `${seconds(result.durationMs)} · ${tokens}`;
      if (result.status === 'succeeded') {
        const verdict =
          result.verdict === null ? '' : ` · verdict ${result.verdict.outcome.toUpperCase()}`;
        write(`${style.green('✔')} ${label(stage)} · ${facts}${verdict}\n`);
      } else {
        write(
          `${style.red('✖')} ${label(stage)} · ${facts} · ${result.status}${result.error ? `: ${result.error}` : ''}\n`,
        );
      }
    },
    retryScheduled(stage, delayMs) {
      write(
        `${style.yellow('↻')} retrying ${stage.stage} on ${stage.runtime} in ${seconds(delayMs)}\n`,
      );
    },
    question(step, question) {
      write(`${style.yellow('?')} step ${step + 1} asks: ${question}\n`);
    },
  };
}

const LIVE_LINE_CHARS = 160;

/** The first line of a text, cut to one terminal-friendly line. */
function clip(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > LIVE_LINE_CHARS ? `${first.slice(0, LIVE_LINE_CHARS - 3)}...` : first;
}

/**
 * The live view of a runtime's messages: the first line of each. Runtimes send a message
 * whole (Codex, Claude Code) or in many small pieces (a LiteLLM stream's deltas), and both
 * arrive as `text` events; pieces are joined until the first line is complete (or long
 * enough), so a streamed answer reads as one line, never a word per line. The rest of the
 * message is skipped until the next non-text event, which starts a new message.
 */
export function liveText(print: (line: string) => void): {
  add(text: string): void;
  flush(): void;
} {
  let pending = '';
  let shown = false;
  return {
    add(text) {
      if (shown) return;
      pending += text;
      const start = pending.trimStart();
      if (start.includes('\n') || start.length >= LIVE_LINE_CHARS) {
        print(`│ ${clip(pending)}`);
        shown = true;
      }
    },
    flush() {
      if (!shown && pending.trim() !== '') print(`│ ${clip(pending)}`);
      pending = '';
      shown = false;
    },
  };
}

function describeEvent(event: RuntimeEvent): string | null {
  switch (event.type) {
    case 'tool-use':
      return `⚙ ${event.name} ${event.status}`;
    case 'error':
      return `! ${clip(event.message)}`;
    case 'warning':
      return `~ ${clip(event.message)}`;
    default:
      return null;
  }
}

function interactive(context: CommandContext): boolean {
  return !context.json && process.stdin.isTTY === true && context.stderr.isTTY === true;
}

/** Asks on the terminal; an empty answer or Ctrl-C leaves the run waiting. */
function askOnTerminal(
  controller: AbortController,
  context: Pick<CommandContext, 'secrets'>,
): AskHuman {
  return async (question) => {
    const terminal = createInterface({ input: process.stdin, output: process.stderr });
    // On a terminal, readline takes Ctrl-C itself; treat it as the run's interrupt.
    terminal.on('SIGINT', () => controller.abort('interrupted by SIGINT'));
    try {
      // readline writes to the terminal itself, so the question is made safe to print here.
      const printable = escapeControlCharacters(context.secrets.redactor.text(question));
      const answer = await terminal.question(
        `${printable}\n(answer, or press Enter to pause and answer later) > `,
        {
          signal: controller.signal,
        },
      );
      return answer.trim() === '' ? null : answer;
    } catch {
      return null;
    } finally {
      terminal.close();
    }
  };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
