/** What went wrong in a scenario, as plain lines: shared by the pretty and JUnit reports. */
import type { ScenarioOutcome } from '../suite.js';

export function failureLines(outcome: ScenarioOutcome): string[] {
  const lines: string[] = [];
  if (outcome.error !== null) lines.push(...outcome.error.split('\n'));
  for (const expectation of outcome.run?.expectations ?? []) {
    if (expectation.passed) continue;
    const where = expectation.line === null ? '' : ` (line ${expectation.line})`;
    lines.push(
      `expect[${expectation.index}]${where}: ${expectation.description}`,
      `  expected: ${expectation.expected}`,
      `  actual:   ${expectation.actual}`,
    );
  }
  if (outcome.receiptState === 'changed') {
    lines.push('receipt changed (accept it with baton test --update):');
    for (const line of outcome.receiptDiff) lines.push(`  ${line}`);
  }
  return lines;
}

/**
 * How to look at a scenario's run: its id, and where its workspace and journal were kept
 * (every kept folder is named, so none is left behind unseen).
 */
export function inspectLine(outcome: ScenarioOutcome): string | null {
  const run = outcome.run;
  if (run === null) return null;
  if (run.runId === null) return run.workspace === null ? null : `kept: ${run.workspace}`;
  return run.workspace === null
    ? `run ${run.runId}`
    : `run ${run.runId}: cd ${run.workspace} && baton events ${run.runId}`;
}
