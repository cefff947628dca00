/**
 * `baton run` and `baton resume` in scale mode: the run is started on the pool (or its
 * question answered there, or a run that stopped resumed there) from this machine, and
 * followed from the pool's journal in the same live view as a run of this machine (each
 * stage's worker named) until it ends or waits for an answer; then reported as `baton run`
 * reports a run of this machine. Ctrl-C stops the following only: the run goes on in the pool.
 */
import { BatonError, resolveDatabaseUrl } from '@baton/core';
import {
  observeJournal,
  type ResumeOptions,
  type RunSummary,
  type StartContext,
  type StartRequest,
} from '@baton/run';
import type { CommandContext } from './context.js';
import { createLiveView, type LiveView, type LiveViewMode } from './live-view.js';
import type { Loaded } from './load.js';
import { styles, writeJson } from './output.js';
import { loadScale, type ScaleModule } from './scale.js';

/** Exit code when Ctrl-C stops the following (128 + SIGINT). */
const EXIT_STOPPED_FOLLOWING = 130;

export interface PoolRunOptions {
  readonly mode: LiveViewMode;
  /** Return once the run is queued, without following it. */
  readonly detach: boolean;
  readonly report: (context: CommandContext, summary: RunSummary, elapsedMs: number) => void;
  readonly exitCodeOf: (summary: RunSummary) => number;
}

function poolOf(context: CommandContext, loaded: Loaded, command: string) {
  const resolved = resolveDatabaseUrl(loaded.config.scale, context.env);
  if (!resolved.ok) {
    throw new BatonError('USAGE', `${command}: ${resolved.message}`, { details: { command } });
  }
  return { url: resolved.url };
}

/** What the pool's commands are given: the project, and where its notices go (stderr). */
function startContext(context: CommandContext, loaded: Loaded): StartContext {
  const style = styles(context.color);
  return {
    config: loaded.config,
    registry: loaded.registry,
    env: context.env,
    observer: {
      notice: (text) => {
        if (!context.json) context.stderr.write(`${style.yellow('!')} ${text}\n`);
      },
    },
  };
}

/** Starts the run on the pool and follows it. */
export async function runOnPool(
  context: CommandContext,
  loaded: Loaded,
  request: StartRequest,
  options: PoolRunOptions,
): Promise<number> {
  const scale = await loadScale(context);
  const pool = poolOf(context, loaded, 'run');
  const style = styles(context.color);
  const started = performance.now();
  const { runId, offeredBy } = await scale.startRemoteRun(
    pool,
    startContext(context, loaded),
    request,
  );
  if (!context.json) {
    const runtimes = Object.entries(offeredBy)
      .map(([runtime, workers]) => `${runtime} (${workers.join(', ') || 'no worker'})`)
      .join(', ');
    context.stderr.write(
      `Run ${style.bold(runId)} is queued on the pool at ${scale.displayPool(pool)}: ${runtimes}.\n`,
    );
  }
  if (options.detach) {
    if (context.json) writeJson(context, { runId, status: 'running' });
    else
      context.stdout.write(
        `Run ${runId} runs on the pool. Follow it: baton show ${runId} (or baton events ${runId}).\n`,
      );
    return 0;
  }
  return follow(context, scale, pool, runId, started, options);
}

/**
 * Answers the question a run of the pool waits on, and follows the run on. `null` when the
 * run is not one of the pool's (this machine's journal has it, then).
 */
export async function answerOnPool(
  context: CommandContext,
  loaded: Loaded,
  runId: string,
  answer: { readonly decision: 'approve' | 'reject'; readonly text: string },
  options: PoolRunOptions,
): Promise<number | null> {
  const scale = await loadScale(context);
  const pool = poolOf(context, loaded, 'resume');
  const journal = await scale.PgJournal.open(pool.url, { readOnly: true });
  let seen: number;
  try {
    seen = (await journal.findRun(runId)).lastSeq;
  } catch (error) {
    if (BatonError.isInstance(error) && error.code === 'RUN_NOT_FOUND') return null;
    throw error;
  } finally {
    await journal.close();
  }
  const started = performance.now();
  const sent = await scale.answerRemoteRun(pool, runId, answer, context.secrets.redactor);
  if (!context.json) {
    context.stderr.write(
      `Sent ${answer.decision === 'approve' ? 'the approval' : 'the rejection'} of "${sent.question}" to run ${sent.runId} on the pool.\n`,
    );
  }
  return follow(context, scale, pool, sent.runId, started, options, {
    pastAnswer: true,
    afterSeq: seen,
  });
}

/**
 * Resumes a run of the pool that stopped (failed, out of budget, interrupted), and follows it
 * on. `null` when the run is not one of the pool's.
 */
export async function resumeStoppedOnPool(
  context: CommandContext,
  loaded: Loaded,
  runId: string,
  resume: ResumeOptions,
  options: PoolRunOptions,
): Promise<number | null> {
  const scale = await loadScale(context);
  const pool = poolOf(context, loaded, 'resume');
  const style = styles(context.color);
  const started = performance.now();
  let resumed: Awaited<ReturnType<ScaleModule['resumeRemoteRun']>>;
  try {
    resumed = await scale.resumeRemoteRun(pool, startContext(context, loaded), runId, resume);
  } catch (error) {
    if (BatonError.isInstance(error) && error.code === 'RUN_NOT_FOUND') return null;
    throw error;
  }
  if (!context.json) {
    context.stderr.write(
      `Run ${style.bold(resumed.runId)} is resumed on the pool at ${scale.displayPool(pool)}` +
        `${resumed.stage === null ? '' : `: ${resumed.stage} starts again`}.\n`,
    );
  }
  return follow(context, scale, pool, resumed.runId, started, options, {
    pastAnswer: false,
    afterSeq: resumed.afterSeq,
  });
}

/** Follows a run of the pool until it ends (or waits), printing its stages, then reports it. */
async function follow(
  context: CommandContext,
  scale: ScaleModule,
  pool: { readonly url: string },
  runId: string,
  started: number,
  options: PoolRunOptions,
  following: { readonly pastAnswer: boolean; readonly afterSeq: number } = {
    pastAnswer: false,
    afterSeq: 0,
  },
): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  let view: LiveView | null = null;
  try {
    // The same live view as a run of this machine, fed from the pool's journal.
    view = context.json
      ? null
      : createLiveView({
          color: context.color,
          stderr: context.stderr,
          mode: options.mode,
          workspace: context.cwd,
        });
    const print = view === null ? () => {} : observeJournal(view);
    const summary = await scale.followRemoteRun(pool, runId, {
      signal: controller.signal,
      onEvent: print,
      // Once answered, the run still reads as waiting for a moment: follow it past that.
      pastAnswer: following.pastAnswer,
      afterSeq: following.afterSeq,
    });
    if (controller.signal.aborted && ['running', 'waiting'].includes(summary.status)) {
      if (!context.json)
        context.stderr.write(
          `\nStopped following run ${runId}; it goes on in the pool. Follow it again: baton show ${runId}\n`,
        );
      return EXIT_STOPPED_FOLLOWING;
    }
    options.report(context, summary, performance.now() - started);
    return options.exitCodeOf(summary);
  } finally {
    view?.close();
    for (const signal of signals) process.off(signal, onSignal);
  }
}
