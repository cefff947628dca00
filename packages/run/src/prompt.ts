/**
 * What a stage is asked: the goal, where it stands in the mission, and the results of the
 * steps before it. The role's instructions (the role contract) travel separately, through
 * the adapter's contract channel. Pure: the same state gives the same prompt.
 */
import { ROLE_CONTRACTS, type Stage } from '@baton/core';
import type { HistoryEntry, RunState } from './engine/types.js';
import { VERDICT_INSTRUCTION } from './verdict.js';

/** Each earlier result is cut to this many characters (its start and its end are kept). */
export const MAX_RESULT_CHARS = 32_000;

export function composePrompt(state: RunState, stage: Stage, step: number): string {
  const mission = state.mission;
  const parts = [
    `Goal:\n${state.goal.trim()}`,
    `You are running the ${stage} stage (${ROLE_CONTRACTS[stage].role}) of the Baton mission "${mission.name}", ` +
      `step ${step + 1} of ${mission.steps.length}. Your role's instructions are given to you separately; follow them.`,
  ];
  const reason = state.loops > 0 ? loopReason(state) : null;
  if (reason?.kind === 'human' && step < reason.step) {
    const why =
      reason.answer.trim() === ''
        ? 'no reason was given'
        : `the reason given: ${reason.answer.trim()}`;
    parts.push(
      `This is loop ${state.loops} of at most ${mission.maxLoops}: a human rejected the result asked about at step ` +
        `${reason.step + 1} ("${reason.question}"); ${why}. Do this step's work again and address it.`,
    );
  } else if (reason?.kind === 'stage' && stage === 'execute') {
    parts.push(
      `This is loop ${state.loops} of at most ${mission.maxLoops} back to execute: the evaluate stage did not pass ` +
        'the previous work. Address its findings, listed below.',
    );
  }
  const earlier = latestPerStep(state.history);
  if (earlier.length > 0) {
    parts.push('Results of the earlier steps:');
    for (const entry of earlier) parts.push(renderEntry(entry));
  } else {
    parts.push('This is the first step: there are no earlier results.');
  }
  if (stage === 'evaluate') parts.push(VERDICT_INSTRUCTION);
  return `${parts.join('\n\n')}\n`;
}

/**
 * Each step's latest result (a stage's latest successful attempt, a human step's latest
 * answer), in mission order: what a loop or a resumed run redid replaces what it did before.
 */
function latestPerStep(history: readonly HistoryEntry[]): HistoryEntry[] {
  const latest = new Map<number, HistoryEntry>();
  for (const entry of history) {
    if (entry.kind === 'human' || entry.status === 'succeeded') latest.set(entry.step, entry);
  }
  return [...latest.values()].sort((left, right) => left.step - right.step);
}

/** What sent the run round its latest loop: a human's rejection, or a verdict that did not pass. */
function loopReason(state: RunState): HistoryEntry | null {
  for (let index = state.history.length - 1; index >= 0; index--) {
    const entry = state.history[index]!;
    if (entry.kind === 'human' && entry.decision === 'reject') return entry;
    if (entry.kind === 'stage' && entry.verdict !== null && entry.verdict.outcome !== 'pass')
      return entry;
  }
  return null;
}

function renderEntry(entry: HistoryEntry): string {
  if (entry.kind === 'human') {
    // Runs journaled before decisions existed keep the prompt they had.
    if (entry.decision === undefined)
      return `--- human step ${entry.step + 1}: ${entry.question} ---\n${entry.answer}`;
    const decision = entry.decision === 'approve' ? 'approved' : 'rejected';
    const text =
      entry.answer.trim() !== ''
        ? entry.answer
        : entry.decision === 'approve'
          ? '(no input given)'
          : '(no reason given)';
    return `--- human step ${entry.step + 1}: ${entry.question} (${decision}) ---\n${text}`;
  }
  const verdict =
    entry.verdict === null
      ? ''
      : entry.verdict.outcome === 'pass'
        ? ', verdict PASS'
        : entry.verdict.outcome === 'fail'
          ? `, verdict FAIL: ${entry.verdict.reason}`
          : `, no verdict: ${entry.verdict.reason}`;
  const loop = entry.loop > 0 ? `, loop ${entry.loop}` : '';
  return `--- ${entry.stage} (step ${entry.step + 1}, ran on ${entry.runtime}${loop}${verdict}) ---\n${clip(entry.finalText ?? '(no final message)')}`;
}

function clip(text: string): string {
  if (text.length <= MAX_RESULT_CHARS) return text;
  const head = Math.floor(MAX_RESULT_CHARS / 4);
  const tail = MAX_RESULT_CHARS - head;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n[... ${omitted} characters omitted ...]\n${text.slice(text.length - tail)}`;
}

/**
 * What a stage is told when it continues in its harness's session after Baton stopped (an
 * interrupt, a crash, a cap of its budget): the conversation so far is the session's own, so
 * only where it stands and what to do is said.
 */
export function composeResumePrompt(state: RunState, stage: Stage, step: number): string {
  return (
    `Baton stopped while you were running the ${stage} stage (${ROLE_CONTRACTS[stage].role}) of the ` +
    `mission "${state.mission.name}", step ${step + 1} of ${state.mission.steps.length}, and now continues ` +
    'this session. Check what you have already done, then continue the work where you stopped and finish ' +
    "the stage as your role's instructions say, ending with your final message.\n"
  );
}
