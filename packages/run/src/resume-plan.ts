/**
 * What a resume of an interrupted, failed or out-of-budget run will do, worked out before
 * the run is claimed: the step it continues from (`--from <stage>`), the budget it continues
 * with (`--max-cost`, `--max-tokens`), and — for a run that stopped — whether the workspace
 * is still as Baton left it, since the resumed stage starts from its checkpoint.
 */
import { BatonError, type Environment, type RunBudget, type Stage } from '@baton/core';
import { formatUsd } from './engine/budget.js';
import { applyEvent } from './engine/reducer.js';
import type { Directive, EngineEvent, RunState } from './engine/types.js';
import { type Journal, parsePayload } from './journal/journal.js';
import { StageWorkspace } from './runner/stage-workspace.js';

/** How a resume asks to continue. */
export interface ResumeOptions {
  /** Start again from this stage's step (at or before where the run stopped). */
  readonly from?: Stage;
  /** Over the run's budget, field by field. */
  readonly budget?: Partial<RunBudget>;
  /** Go on although the workspace changed since the run stopped. */
  readonly force?: boolean;
}

/**
 * The resume of a stopped run — interrupted, failed or out of budget — as both executors make
 * it (this machine's `resumeRun`, and the pool's): its `run.resumed` event, and the directive
 * it leads to first. A resume that would stop again at once for want of budget is refused.
 */
export function planStoppedResume(
  runId: string,
  stopped: RunState,
  options: ResumeOptions,
  unhealthy: Readonly<Record<string, string>>,
): { readonly event: Extract<EngineEvent, { type: 'run.resumed' }>; readonly first?: Directive } {
  const event = resumedEvent(runId, stopped, options, unhealthy);
  const [first] = plannedDirectives(runId, stopped, event);
  return first === undefined ? { event } : { event, first };
}

/** The `run.resumed` event a resume applies. */
function resumedEvent(
  runId: string,
  state: RunState,
  options: ResumeOptions,
  unhealthy: Readonly<Record<string, string>>,
): Extract<EngineEvent, { type: 'run.resumed' }> {
  const fromStep = options.from === undefined ? undefined : stepOf(runId, state, options.from);
  const budget =
    options.budget === undefined ? undefined : { ...state.budget, ...definedOnly(options.budget) };
  return {
    type: 'run.resumed',
    ...(fromStep === undefined ? {} : { fromStep }),
    ...(budget === undefined ? {} : { budget }),
    unhealthy,
  };
}

/**
 * The directives the resume will lead to, from `state` (the run as it stopped); refuses a
 * resume that would stop again at once for want of budget, saying how to raise it.
 */
function plannedDirectives(
  runId: string,
  state: RunState,
  event: Extract<EngineEvent, { type: 'run.resumed' }>,
): readonly Directive[] {
  const transition = applyEvent(state, event);
  const stopped = transition.directives.find((directive) => directive.kind === 'budget_exhausted');
  if (stopped !== undefined && stopped.kind === 'budget_exhausted') {
    const { spent, budget } = stopped;
    const raise: string[] = [];
    if (budget.maxCostUsd !== null && spent.costUsd >= budget.maxCostUsd)
      raise.push(`--max-cost ${suggested(spent.costUsd)}`);
    if (budget.maxTokens !== null && spent.tokens >= budget.maxTokens)
      raise.push(`--max-tokens ${Math.ceil((spent.tokens * 1.5) / 1000) * 1000}`);
    throw new BatonError(
      'USAGE',
      `Run ${runId} would stop again at once: ${stopped.cause}.\n` +
        `Raise the budget above what is spent, e.g.: baton resume ${runId} ${raise.join(' ')}`,
      { details: { runId, spent, budget } },
    );
  }
  return transition.directives;
}

/**
 * A stopped run's resumed stage starts from its checkpoint, which puts the workspace back.
 * If the workspace changed since Baton last recorded it (someone edited it after the run
 * stopped), say so and require `--force`: the changes would be kept only in a ref.
 */
export async function checkWorkspaceUnchanged(options: {
  readonly runId: string;
  readonly journal: Journal;
  readonly cwd: string;
  readonly env: Environment;
  readonly directive: Directive | undefined;
  readonly force: boolean;
}): Promise<void> {
  const { runId, directive } = options;
  if (directive?.kind !== 'dispatch' || directive.reason !== 'resume' || options.force) return;
  const workspace = await StageWorkspace.open(runId, options.cwd, options.env);
  if (!workspace.isGit) return;
  const checkpoint = await workspace.checkpointOf(directive);
  if (checkpoint === null) return;
  const recorded = lastSnapshot(options.journal, runId);
  if (recorded === null) return;
  const now = await workspace.currentTree();
  if (now === null || now === recorded.tree) return;
  const changed = await workspace.changedPaths(recorded.tree, now);
  const listed =
    changed.slice(0, 10).join(', ') + (changed.length > 10 ? `, … (${changed.length} files)` : '');
  throw new BatonError(
    'RUN_STATE',
    `The workspace changed since run ${runId} stopped (${listed}). Resuming starts ${directive.stage} ` +
      `again from its checkpoint ${checkpoint}, which puts those files back as they were then; your ` +
      `changes would be kept in a ref (refs/baton/${runId}/…), not in the workspace.\n` +
      `To go on anyway: baton resume ${runId} --force`,
    { details: { runId, changed: changed.slice(0, 100), checkpoint, recorded: recorded.ref } },
  );
}

/** The step of `stage` to resume from: its last step at or before where the run stopped. */
function stepOf(runId: string, state: RunState, stage: Stage): number {
  for (let index = Math.min(state.step, state.mission.steps.length - 1); index >= 0; index--) {
    const step = state.mission.steps[index];
    if (step?.kind === 'stage' && step.stage === stage) return index;
  }
  const reached = state.mission.steps
    .slice(0, state.step + 1)
    .flatMap((step) => (step.kind === 'stage' ? [step.stage] : []));
  throw new BatonError(
    'USAGE',
    `Run ${runId} cannot resume from ${stage}: ` +
      (state.mission.steps.some((step) => step.kind === 'stage' && step.stage === stage)
        ? `the run stopped before it reached ${stage}`
        : `its mission "${state.mission.name}" has no ${stage} step`) +
      (reached.length > 0 ? `. It can resume from: ${[...new Set(reached)].join(', ')}.` : '.'),
    { details: { runId, stage, stages: [...new Set(reached)] } },
  );
}

/** The last snapshot of the workspace journaled for the run (`stage.checkpoint`), or `null`. */
function lastSnapshot(journal: Journal, runId: string): { ref: string; tree: string } | null {
  let last: { ref: string; tree: string } | null = null;
  for (const event of journal.rawEvents(runId)) {
    if (event.type !== 'stage.checkpoint') continue;
    const payload = parsePayload(event.payload);
    if (
      typeof payload !== 'string' &&
      typeof payload.ref === 'string' &&
      typeof payload.tree === 'string'
    )
      last = { ref: payload.ref, tree: payload.tree };
  }
  return last;
}

function definedOnly(budget: Partial<RunBudget>): Partial<RunBudget> {
  return Object.fromEntries(Object.entries(budget).filter(([, value]) => value !== undefined));
}

/** Half as much again as what is spent, rounded up to a cent. */
function suggested(spentUsd: number): string {
  return formatUsd(Math.ceil(spentUsd * 150) / 100).slice(1);
}
