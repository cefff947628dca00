/**
 * The live view of a run (`baton run`, `baton resume`), on stderr. A person watching must
 * always see that work is happening and what it is:
 * - on a terminal, a status line under the permanent lines, updated in place at most four
 *   times a second: the stage, its runtime, the time it has taken, its tool calls and tokens
 *   so far, and its latest activity — the tool in use and its target ("editing src/cli.ts",
 *   "running pnpm test"), or the first words of the message being written;
 * - elsewhere (a CI log), a line per tool call at most every few seconds and a heartbeat
 *   every 30 seconds, never a cursor control;
 * - `quiet`: only the stage start and end lines (and questions); `verbose`: every decoded
 *   event as a line of its own, messages in full.
 * Everything goes through the writer, which redacts it and makes outside text inert.
 */
import type { RuntimeEvent } from '@baton/core';
import type { ApprovalSubject, RunObserver, StageProgress, StageReport } from '@baton/run';
import { ToolCallCounter } from '@baton/run';
import { formatDuration, formatElapsed, formatTokens, formatUsage, plural } from './figures.js';
import { styles } from './output.js';
import { describeToolCall } from './tool-activity.js';
import type { Writer } from './writer.js';

export type LiveViewMode = 'quiet' | 'normal' | 'verbose';

/** The clock and timers the view uses; tests pass their own. */
export interface LiveViewClock {
  now(): number;
  every(ms: number, tick: () => void): { stop(): void };
}

export interface LiveViewOptions {
  readonly color: boolean;
  readonly stderr: Pick<Writer, 'write' | 'isTTY' | 'status' | 'clearStatus'>;
  readonly mode: LiveViewMode;
  /** The run's workspace: tool targets inside it are shown relative to it. */
  readonly workspace: string;
  readonly clock?: LiveViewClock;
}

/** A run observer that draws the live view; `close` stops its timers and clears the status line. */
export interface LiveView extends RunObserver {
  close(): void;
}

/** The status line is redrawn at most this often (4 Hz). */
export const STATUS_INTERVAL_MS = 250;
/** Without a terminal: at most one tool line this often. */
export const TOOL_LINE_INTERVAL_MS = 3000;
/** Without a terminal: a line saying the stage is still at work, this often. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** Lines of a result shown before a question; a longer one is summarised. */
export const SUBJECT_MAX_LINES = 40;
const SUBJECT_HEAD_LINES = 15;
const FIRST_LINE_CHARS = 160;
const WRITING_WORDS = 12;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const SYSTEM_CLOCK: LiveViewClock = {
  now: () => Date.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    // The view never keeps the process alive on its own.
    timer.unref();
    return { stop: () => clearInterval(timer) };
  },
};

interface Running {
  readonly progress: StageProgress;
  readonly startedAt: number;
  readonly tools: ToolCallCounter;
  tokens: number | null;
  activity: string;
  /** When the last tool line was printed; `null` before the first. */
  lastToolLineAt: number | null;
  toolsNotShown: number;
  readonly timers: { stop(): void }[];
  frame: number;
}

export function createLiveView(options: LiveViewOptions): LiveView {
  const { stderr, mode } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const style = styles(options.color);
  const tty = stderr.isTTY === true;
  const write = (text: string) => stderr.write(text);
  let running: Running | null = null;

  const label = (stage: StageProgress) =>
    `${style.bold(stage.stage)} · ${style.cyan(stage.runtime)}` +
    (stage.worker === undefined ? '' : ` on ${stage.worker}`) +
    (stage.attempt > 1 ? style.dim(` (attempt ${stage.attempt})`) : '') +
    (stage.loop > 0 ? style.dim(` (loop ${stage.loop})`) : '');

  /** `execute · opencode · 2m30s · 14 tool calls · 12k tokens` */
  const facts = (stage: Running) =>
    [
      `${stage.progress.stage} · ${stage.progress.runtime}`,
      formatElapsed(clock.now() - stage.startedAt),
      ...(stage.tools.count > 0 ? [plural(stage.tools.count, 'tool call')] : []),
      ...(stage.tokens !== null ? [formatTokens(stage.tokens)] : []),
    ].join(' · ');

  const drawStatus = () => {
    if (running === null || !tty || mode === 'quiet') return;
    running.frame = (running.frame + 1) % SPINNER.length;
    const activity = running.activity === '' ? 'working' : running.activity;
    stderr.status(`${SPINNER[running.frame]} ${facts(running)} · ${activity}`);
  };

  const stop = () => {
    if (running === null) return;
    for (const timer of running.timers) timer.stop();
    running = null;
    if (tty) stderr.clearStatus();
  };

  const toolLine = (stage: Running, activity: string) => {
    const now = clock.now();
    if (stage.lastToolLineAt !== null && now - stage.lastToolLineAt < TOOL_LINE_INTERVAL_MS) {
      stage.toolsNotShown += 1;
      return;
    }
    const more = stage.toolsNotShown > 0 ? style.dim(` (+${stage.toolsNotShown} more)`) : '';
    stage.lastToolLineAt = now;
    stage.toolsNotShown = 0;
    write(`  ${stage.progress.stage} · ${activity}${more}\n`);
  };

  const verboseLine = (event: RuntimeEvent, stage: Running): string | null => {
    switch (event.type) {
      case 'text':
        return event.partial === true ? null : quoteLines(event.text, style.dim('│ '));
      case 'tool-use': {
        const activity = describeToolCall(event.name, event.input, options.workspace);
        return `  ${style.dim('⚙')} ${event.name} ${event.status}: ${activity}\n`;
      }
      case 'usage':
        return stage.tokens === null
          ? null
          : `  ${style.dim(`Σ ${formatTokens(stage.tokens)} so far`)}\n`;
      case 'session':
        return `  ${style.dim(`session ${event.sessionId}`)}\n`;
      case 'result':
        return `  ${style.dim(`= final result, ${plural(event.text.length, 'character')}`)}\n`;
      case 'error':
        return `  ${style.red('!')} ${event.message}\n`;
      case 'warning':
        return `  ${style.yellow('~')} ${event.message}\n`;
    }
  };

  return {
    stageStarted(progress, pid) {
      stop();
      write(`${style.cyan('▶')} ${label(progress)} ${style.dim(`pid ${pid}`)}\n`);
      const stage: Running = {
        progress,
        startedAt: clock.now(),
        tools: new ToolCallCounter(),
        tokens: null,
        activity: '',
        lastToolLineAt: null,
        toolsNotShown: 0,
        timers: [],
        frame: 0,
      };
      running = stage;
      if (mode === 'quiet') return;
      if (tty) {
        stage.timers.push(clock.every(STATUS_INTERVAL_MS, drawStatus));
        drawStatus();
      } else {
        stage.timers.push(
          clock.every(HEARTBEAT_INTERVAL_MS, () => write(`  ${style.dim(facts(stage))}\n`)),
        );
      }
    },

    runtimeEvent(progress, event) {
      const stage = running;
      if (stage === null || stage.progress.step !== progress.step) return;
      const firstOfCall = stage.tools.see(event);
      if (event.type === 'usage') stage.tokens = tokensOf(event) ?? stage.tokens;
      let activity: string | null = null;
      if (event.type === 'tool-use' && firstOfCall)
        activity = describeToolCall(event.name, event.input, options.workspace);
      else if (event.type === 'text' && event.partial === true)
        activity = `writing: ${firstWords(event.text)}…`;
      else if (event.type === 'text') activity = `wrote: ${firstWords(event.text)}`;
      if (activity !== null) stage.activity = activity;

      if (mode === 'quiet') return;
      if (mode === 'verbose') {
        const line = verboseLine(event, stage);
        if (line !== null) write(line);
      } else if (tty) {
        // The status line shows tools and messages as they come; the first line of each
        // whole message, and every error and warning, stay on screen.
        if (event.type === 'text' && event.partial !== true && event.text.trim() !== '')
          write(`  ${style.dim(`│ ${firstLine(event.text)}`)}\n`);
        else if (event.type === 'error') write(`  ${style.red('!')} ${firstLine(event.message)}\n`);
        else if (event.type === 'warning')
          write(`  ${style.yellow('~')} ${firstLine(event.message)}\n`);
      } else if (event.type === 'tool-use' && firstOfCall && activity !== null) {
        toolLine(stage, activity);
      } else if (event.type === 'error') {
        write(`  ! ${firstLine(event.message)}\n`);
      }
      if (tty) drawStatus();
    },

    stageEnded(progress, report) {
      stop();
      write(endLine(progress, report));
    },

    retryScheduled(progress, delayMs) {
      stop();
      write(
        `${style.yellow('↻')} retrying ${progress.stage} on ${progress.runtime} in ${formatDuration(delayMs)}\n`,
      );
    },

    attemptPlanned(progress, plan) {
      stop();
      const from = plan.fallbackFrom;
      if (from !== null) {
        write(
          `${style.yellow('↪')} ${progress.stage}: ${from.runtime} ${from.failureClass === 'unavailable' && plan.reason === 'first' ? 'is skipped' : `failed (${from.failureClass}: ${firstLine(from.cause)})`}; ` +
            `${plan.reason === 'first' ? 'starting' : 'falling back'} on ${progress.runtime}\n`,
        );
      } else if (plan.reason === 'session-resume' && plan.sessionId !== null) {
        write(
          `${style.cyan('↻')} continuing ${progress.stage} on ${progress.runtime} in its session ${plan.sessionId}\n`,
        );
      } else if (plan.reason === 'resume' || plan.reason === 'session-resume') {
        write(`${style.cyan('↻')} ${progress.stage} starts again on ${progress.runtime}\n`);
      }
      if (plan.abandonedRef !== null) {
        write(
          `  ${style.dim(`workspace put back to ${progress.stage}'s checkpoint; what was there is kept in ${plan.abandonedRef}`)}\n`,
        );
      }
      if (plan.note !== null) write(`  ${style.yellow('~')} ${plan.note}\n`);
    },

    notice(text) {
      stop();
      write(`${style.yellow('~')} ${text}\n`);
    },

    question(step, question, subject) {
      stop();
      write(`${style.yellow('?')} step ${step + 1} asks: ${question}\n`);
      if (subject !== null) write(subjectText(subject, style));
    },

    close: stop,
  };

  function endLine(progress: StageProgress, report: StageReport): string {
    const parts = [
      formatDuration(report.durationMs),
      formatUsage({
        totalTokens: report.tokens,
        costUsd: report.usage?.costUsd ?? null,
        costComplete: (report.usage?.costUsd ?? null) !== null,
      }),
      ...(report.toolCalls > 0 ? [plural(report.toolCalls, 'tool call')] : []),
    ];
    const dropped =
      report.eventsDropped > 0
        ? style.yellow(
            ` · ${plural(report.eventsDropped, 'event')} past the journal's cap, not kept`,
          )
        : '';
    if (report.status === 'succeeded') {
      const verdict =
        report.verdict === null
          ? ''
          : report.verdict.outcome === 'pass'
            ? ' · verdict PASS'
            : report.verdict.outcome === 'fail'
              ? ` · verdict FAIL: ${report.verdict.reason}`
              : ` · no verdict: ${report.verdict.reason}`;
      return `${style.green('✔')} ${label(progress)} · ${parts.join(' · ')}${verdict}${dropped}\n`;
    }
    const why = report.failureClass === null ? '' : ` (${report.failureClass})`;
    return (
      `${style.red('✖')} ${label(progress)} · ${parts.join(' · ')} · ${report.status}${why}` +
      `${report.error ? `: ${report.error}` : ''}${dropped}\n`
    );
  }
}

/** What a human step asks about, shown before the question: whole, or summarised when long. */
function subjectText(subject: ApprovalSubject, style: ReturnType<typeof styles>): string {
  const where = `${subject.stage} result (step ${subject.step + 1}, on ${subject.runtime})`;
  const text = subject.finalText?.replace(/\s+$/, '') ?? '';
  if (text === '') return `  ${style.dim(`The ${where} has no final text.`)}\n`;
  const lines = text.split('\n');
  const read = `baton show ${subject.runId} --stage ${subject.stage}`;
  if (lines.length <= SUBJECT_MAX_LINES) {
    return `  The ${where}:\n${quoteLines(text, style.dim('│ '))}`;
  }
  const more = lines.length - SUBJECT_HEAD_LINES;
  return (
    `  The ${where}, first ${SUBJECT_HEAD_LINES} of ${lines.length} lines:\n` +
    quoteLines(lines.slice(0, SUBJECT_HEAD_LINES).join('\n'), style.dim('│ ')) +
    `  ${style.dim(`│ … ${more} more lines. Read it whole with: ${read}`)}\n`
  );
}

function quoteLines(text: string, prefix: string): string {
  return `${text
    .replace(/\s+$/, '')
    .split('\n')
    .map((line) => `  ${prefix}${line}`)
    .join('\n')}\n`;
}

function tokensOf(event: RuntimeEvent & { type: 'usage' }): number | null {
  const usage = event.usage;
  if (!usage.known) return null;
  if (usage.totalTokens !== null) return usage.totalTokens;
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

function firstLine(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > FIRST_LINE_CHARS ? `${first.slice(0, FIRST_LINE_CHARS - 3)}...` : first;
}

function firstWords(text: string): string {
  const words = text.trim().split(/\s+/).slice(0, WRITING_WORDS).join(' ');
  return words.length > 80 ? `${words.slice(0, 79)}…` : words;
}
