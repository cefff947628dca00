/**
 * Before the first stage: the cheap doctor checks of every runtime of every stage chain the
 * mission uses. A run never fails mid-workflow for a reason knowable at its start: a runtime
 * that fails its checks is marked unhealthy — its stages start on the next runtime of their
 * chain, said so and journaled, never silently — and a stage whose whole chain is unhealthy
 * (or an effort a runtime does not accept: a mistake in the config, not an outage) refuses
 * the run.
 */
import {
  BatonError,
  type Environment,
  type MissionStep,
  type RuntimeAdapter,
  type RuntimeSettings,
  type RuntimeUse,
  type Stage,
} from '@baton/core';
import { EFFORT_CHECK_ID, effortCheck, type RuntimeReport, runChecks } from '@baton/core/doctor';
import type { RoutingSnapshot } from '../engine/types.js';

export interface PreflightRuntime {
  readonly id: string;
  readonly adapter: RuntimeAdapter;
  readonly settings: RuntimeSettings;
  readonly stages: readonly Stage[];
  /** Where the run uses it: an effort its adapter does not accept fails the preflight. */
  readonly uses?: readonly RuntimeUse[];
}

export interface PreflightResult {
  readonly reports: readonly RuntimeReport[];
  /** Runtimes that failed their checks, with why: skipped where a chain has another. */
  readonly unhealthy: Readonly<Record<string, string>>;
  /** What the person should know: each unhealthy runtime and what runs instead. */
  readonly notices: readonly string[];
}

export async function preflight(options: {
  readonly runtimes: readonly PreflightRuntime[];
  readonly profile: string | null;
  readonly env: Environment;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly routing: RoutingSnapshot;
  readonly steps: readonly MissionStep[];
}): Promise<PreflightResult> {
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
  const failing = (report: RuntimeReport) =>
    report.checks.filter((check) => check.status === 'fail');
  const line = (report: RuntimeReport, check: RuntimeReport['checks'][number]) =>
    `  ${report.id} (${report.stages.join(', ')}): ${check.id}: ${check.summary}` +
    (check.remediation ? ` — ${check.remediation}` : '');

  // An effort the adapter does not take is the config's mistake: no other runtime fixes it.
  const refused = reports.flatMap((report) =>
    failing(report)
      .filter((check) => check.id === EFFORT_CHECK_ID)
      .map((check) => line(report, check)),
  );
  const unhealthy: Record<string, string> = {};
  for (const report of reports) {
    const checks = failing(report);
    if (checks.length > 0)
      unhealthy[report.id] = checks.map((check) => `${check.id}: ${check.summary}`).join('; ');
  }
  const stages = [
    ...new Set(options.steps.flatMap((step) => (step.kind === 'stage' ? [step.stage] : []))),
  ];
  const stranded = stages.filter((stage) =>
    options.routing.stages[stage]!.chain.every((target) =>
      Object.hasOwn(unhealthy, target.runtime),
    ),
  );
  if (refused.length > 0 || stranded.length > 0) {
    const lines = [
      ...refused,
      ...reports
        .filter((report) => stranded.some((stage) => report.stages.includes(stage)))
        .flatMap((report) =>
          failing(report)
            .filter((check) => check.id !== EFFORT_CHECK_ID)
            .map((check) => line(report, check)),
        ),
    ];
    const which =
      stranded.length > 0
        ? `no runtime of the ${stranded.join(', ')} stage${stranded.length === 1 ? "'s chain" : "s' chains"} passed its checks`
        : 'a runtime this mission uses does not accept the effort the routing sets';
    throw new BatonError(
      'RUNTIME_FAILED',
      `Refusing to start: ${which}.\n${[...new Set(lines)].join('\n')}\nRun \`baton doctor\` for the full report.`,
      { details: { runtimes: reports, unhealthy, stages: stranded } },
    );
  }
  const notices: string[] = [];
  for (const [runtime, why] of Object.entries(unhealthy)) {
    const instead = stages.flatMap((stage) => {
      const chain = options.routing.stages[stage]!.chain;
      if (chain[0]!.runtime !== runtime) return [];
      const next = chain.find((target) => !Object.hasOwn(unhealthy, target.runtime))!;
      return [`${stage} starts on ${next.runtime}`];
    });
    notices.push(
      `${runtime} failed its checks (${why}): ` +
        (instead.length > 0
          ? `${instead.join(', ')} instead`
          : 'it is skipped if a stage falls back to it'),
    );
  }
  return { reports, unhealthy, notices };
}
