/**
 * The one line that ends a run that did not succeed: what to do next. Read from how the run
 * ended — the failed stage's kind of error, a failing verdict, a rejection, a spent budget —
 * so a person never has to guess which command helps. A failed run resumes from its failed
 * stage, so that is what the line offers after a fix.
 */
import type { RunStatus, RunSummary } from '@baton/run';

/** How a run ended, as far as what to do next is concerned. */
export interface RunOutcome {
  readonly runId: string;
  readonly status: RunStatus;
  readonly cause: string | null;
  /** The last attempt that failed, if any. */
  readonly failed: {
    readonly stage: string;
    readonly runtime: string;
    readonly errorKind: string | null;
    readonly failureClass: string | null;
  } | null;
}

/** The outcome of a run as `baton run` and `baton resume` summarise it. */
export function outcomeOf(summary: RunSummary): RunOutcome {
  // Only the run's last attempt can have ended it; an earlier failure was retried past.
  const last = summary.stages.at(-1);
  return {
    runId: summary.runId,
    status: summary.status,
    cause: summary.cause,
    failed: last !== undefined && last.status === 'failed' ? last : null,
  };
}

/** Kinds of failure a check of the runtime (and its account or gateway) can explain. */
const RUNTIME_PROBLEMS = new Set([
  'auth',
  'network',
  'rate-limit',
  'server',
  'spawn',
  'binary-changed',
]);
const RUNTIME_CLASSES = new Set([
  'auth',
  'unavailable',
  'rate_limited',
  'quota_exhausted',
  'transient',
]);

/** What to do next, or `null` for a run that succeeded or is still running. */
export function nextStep(outcome: RunOutcome): string | null {
  const id = outcome.runId;
  switch (outcome.status) {
    case 'succeeded':
    case 'running':
      return null;
    case 'waiting':
      return `approve it with baton resume ${id} --approve [--input TEXT], or reject it with baton resume ${id} --reject "<why>"`;
    case 'interrupted':
      return `continue it with baton resume ${id}`;
    case 'rejected':
      return `read what was rejected with baton show ${id}, then start again with baton run`;
    case 'budget_exhausted':
      return `raise the budget and go on with baton resume ${id} --max-cost USD (or --max-tokens N)`;
    case 'failed':
      break;
  }
  const failed = outcome.failed;
  if (failed === null) {
    // No stage failed: the verdict did.
    if (outcome.cause?.startsWith('evaluate')) {
      return `read the review with baton show ${id} --stage evaluate, fix what it found, then baton resume ${id} (or baton run again)`;
    }
    return `see what happened with baton show ${id}`;
  }
  if (
    (failed.errorKind !== null && RUNTIME_PROBLEMS.has(failed.errorKind)) ||
    (failed.failureClass !== null && RUNTIME_CLASSES.has(failed.failureClass))
  ) {
    return `check ${failed.runtime} with baton doctor --probe, then continue from ${failed.stage} with baton resume ${id}`;
  }
  if (failed.errorKind === 'timeout' || failed.failureClass === 'timeout') {
    return `see how far ${failed.stage} got with baton show ${id} --stage ${failed.stage}; raise [runtimes.${failed.runtime}] timeout if it needs longer, then baton resume ${id}`;
  }
  return `see what ${failed.runtime} reported with baton show ${id} --stage ${failed.stage}`;
}
