/** The report as one JSON document, for programs. */
import type { SuiteReport } from '../suite.js';

export function jsonReport(report: SuiteReport): unknown {
  return {
    passed: report.passed,
    failed: report.failed,
    durationMs: Math.round(report.durationMs),
    lockFile: report.lockFile,
    scenarios: report.outcomes.map((outcome) => ({
      file: outcome.path,
      suite: outcome.suite,
      name: outcome.name,
      passed: outcome.passed,
      runId: outcome.run?.runId ?? null,
      status: outcome.run?.status ?? null,
      error: outcome.error,
      durationMs: Math.round(outcome.durationMs),
      workspace: outcome.run?.workspace ?? null,
      receipt: outcome.receipt?.hash ?? null,
      receiptState: outcome.receiptState,
      receiptDiff: outcome.receiptDiff,
      expectations: (outcome.run?.expectations ?? []).map((expectation) => ({
        index: expectation.index,
        line: expectation.line,
        expectation: expectation.description,
        passed: expectation.passed,
        expected: expectation.expected,
        actual: expectation.actual,
      })),
    })),
  };
}
