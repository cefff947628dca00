/**
 * The report for a terminal: the scenarios of each suite, one line each, every failure with
 * what was expected and what was found and the run to inspect, then `N passed, M failed`.
 */
import type { ScenarioOutcome, SuiteReport } from '../suite.js';
import { failureLines, inspectLine } from './failure-lines.js';

/** Colours and weights; the plain identity by default. */
export interface ReportStyle {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const PLAIN: ReportStyle = {
  green: (text) => text,
  red: (text) => text,
  yellow: (text) => text,
  dim: (text) => text,
  bold: (text) => text,
};

export function prettyReport(report: SuiteReport, style: ReportStyle = PLAIN): string {
  const lines: string[] = [];
  let suite: string | null = null;
  for (const outcome of sortedBySuite(report.outcomes)) {
    if (outcome.suite !== suite) {
      suite = outcome.suite;
      lines.push(style.bold(suite === '.' ? './' : `${suite}/`));
    }
    lines.push(`  ${scenarioLine(outcome, style)}`);
    if (!outcome.passed) for (const line of failureLines(outcome)) lines.push(`      ${line}`);
    // A passing scenario's folder is kept only with --keep; then it is named too.
    const inspect = outcome.passed && !outcome.run?.workspace ? null : inspectLine(outcome);
    if (inspect !== null) lines.push(`      ${style.dim(inspect)}`);
  }
  if (report.outcomes.length === 0)
    lines.push('No scenarios found (files named *.baton-test.toml).');
  lines.push(totalLine(report));
  return `${lines.join('\n')}\n`;
}

/** The closing line: `N passed, M failed`. */
export function totalLine(report: Pick<SuiteReport, 'passed' | 'failed'>): string {
  return `${report.passed} passed, ${report.failed} failed`;
}

function scenarioLine(outcome: ScenarioOutcome, style: ReportStyle): string {
  const time = style.dim(seconds(outcome.durationMs));
  const note =
    outcome.receiptState === 'new'
      ? style.dim(' · no receipt recorded')
      : outcome.receiptState === 'updated'
        ? style.dim(' · receipt written')
        : '';
  return outcome.passed
    ? `${style.green('✔')} ${outcome.name} ${time}${note}`
    : `${style.red('✖')} ${outcome.name} ${time}`;
}

/** Suites in the order their first scenario appears; scenarios keep their order within. */
export function sortedBySuite(outcomes: readonly ScenarioOutcome[]): ScenarioOutcome[] {
  const order = new Map<string, number>();
  for (const outcome of outcomes)
    if (!order.has(outcome.suite)) order.set(outcome.suite, order.size);
  return [...outcomes].sort((a, b) => order.get(a.suite)! - order.get(b.suite)!);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
