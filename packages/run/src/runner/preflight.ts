/**
 * Before the first stage: the cheap doctor checks of every runtime the mission will use.
 * A run never fails mid-workflow for a reason knowable at its start.
 */
import {
  BatonError,
  type Environment,
  type RuntimeAdapter,
  type RuntimeSettings,
  type RuntimeUse,
  type Stage,
} from '@baton/core';
import { effortCheck, type RuntimeReport, runChecks } from '@baton/core/doctor';

export interface PreflightRuntime {
  readonly id: string;
  readonly adapter: RuntimeAdapter;
  readonly settings: RuntimeSettings;
  readonly stages: readonly Stage[];
  /** Where the run uses it: an effort its adapter does not accept fails the preflight. */
  readonly uses?: readonly RuntimeUse[];
}

export async function preflight(options: {
  readonly runtimes: readonly PreflightRuntime[];
  readonly profile: string | null;
  readonly env: Environment;
  readonly cwd: string;
  readonly timeoutMs: number;
}): Promise<RuntimeReport[]> {
  const reports = await Promise.all(
    options.runtimes.map((runtime) => {
      const effort = effortCheck(runtime.adapter, runtime.uses ?? []);
      return runChecks({
        adapter: runtime.adapter,
        extraChecks: effort ? [effort] : [],
        context: {
          settings: runtime.settings,
          profile: options.profile,
          env: options.env,
          cwd: options.cwd,
          stages: runtime.stages,
        },
        probe: false,
        timeoutMs: options.timeoutMs,
      });
    }),
  );
  const failed = reports.filter((report) => report.status === 'fail');
  if (failed.length > 0) {
    const lines = failed.flatMap((report) =>
      report.checks
        .filter((check) => check.status === 'fail')
        .map(
          (check) =>
            `  ${report.id} (${report.stages.join(', ')}): ${check.id}: ${check.summary}` +
            (check.remediation ? ` — ${check.remediation}` : ''),
        ),
    );
    throw new BatonError(
      'RUNTIME_FAILED',
      `Refusing to start: ${failed.length === 1 ? 'a runtime' : 'runtimes'} this mission uses failed ${failed.length === 1 ? 'its' : 'their'} checks.\n${lines.join('\n')}\nRun \`baton doctor\` for the full report.`,
      { details: { runtimes: reports } },
    );
  }
  return reports;
}
