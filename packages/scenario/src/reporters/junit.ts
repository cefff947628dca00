/**
 * The report as JUnit XML, which CI systems read: `<testsuites>` with one `<testsuite>` per
 * suite (directory) and one `<testcase>` per scenario. A scenario whose expectations or
 * receipt failed carries `<failure>`; one that could not be loaded or run, `<error>`.
 */
import type { ScenarioOutcome, SuiteReport } from '../suite.js';
import { failureLines, inspectLine } from './failure-lines.js';
import { sortedBySuite } from './pretty.js';

export function junitReport(report: SuiteReport): string {
  const suites = new Map<string, ScenarioOutcome[]>();
  for (const outcome of sortedBySuite(report.outcomes)) {
    const members = suites.get(outcome.suite) ?? [];
    members.push(outcome);
    suites.set(outcome.suite, members);
  }
  const counts = (outcomes: readonly ScenarioOutcome[]) => {
    const errors = outcomes.filter((outcome) => !outcome.passed && isError(outcome)).length;
    const failures = outcomes.filter((outcome) => !outcome.passed).length - errors;
    const time = outcomes.reduce((sum, outcome) => sum + outcome.durationMs, 0);
    return `tests="${outcomes.length}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds(time)}"`;
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="baton test" ${counts(report.outcomes)}>`,
  ];
  for (const [suite, outcomes] of suites) {
    lines.push(`  <testsuite name=${attribute(suite)} ${counts(outcomes)}>`);
    for (const outcome of outcomes) lines.push(...testcase(outcome));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** A scenario that could not be loaded or whose run could not start (rather than one that ran and missed). */
function isError(outcome: ScenarioOutcome): boolean {
  return outcome.error !== null;
}

function testcase(outcome: ScenarioOutcome): string[] {
  const open = `    <testcase name=${attribute(outcome.name)} classname=${attribute(outcome.path)} time="${seconds(outcome.durationMs)}"`;
  const out = [
    inspectLine(outcome),
    outcome.receipt === null ? null : `receipt ${outcome.receipt.hash}`,
  ]
    .filter((line) => line !== null)
    .join('\n');
  const body: string[] = [];
  if (!outcome.passed) {
    const details = failureLines(outcome);
    const element = isError(outcome) ? 'error' : 'failure';
    const message = details[0] ?? 'failed';
    body.push(
      `      <${element} message=${attribute(message)} type=${attribute(isError(outcome) ? 'error' : 'expectation')}>${text(details.join('\n'))}</${element}>`,
    );
  }
  if (out !== '') body.push(`      <system-out>${text(out)}</system-out>`);
  if (body.length === 0) return [`${open}/>`];
  return [`${open}>`, ...body, '    </testcase>'];
}

/** Characters XML 1.0 cannot carry at all (C0 controls but tab, newline, carriage return; lone surrogates; U+FFFE/U+FFFF). */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function text(value: string): string {
  return value
    .replace(NOT_XML, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

function attribute(value: string): string {
  return `"${text(value).replaceAll('"', '&quot;').replaceAll('\n', '&#10;').replaceAll('\r', '&#13;').replaceAll('\t', '&#9;')}"`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
