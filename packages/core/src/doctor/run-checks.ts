import type {
  CheckResult,
  CheckStatus,
  DoctorCheck,
  DoctorContext,
  RuntimeAdapter,
} from '../adapter/v2/spec.js';

/** A check's result as reported by `baton doctor` (PRODUCT.md §5). */
export interface CheckReport {
  readonly id: string;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly remediation?: string;
  readonly durationMs: number;
}

export interface RuntimeReport {
  readonly id: string;
  readonly stages: readonly string[];
  readonly status: 'pass' | 'warn' | 'fail';
  readonly version: string | null;
  readonly checks: readonly CheckReport[];
}

export interface RunChecksOptions {
  readonly adapter: RuntimeAdapter;
  readonly context: Omit<DoctorContext, 'signal' | 'results'>;
  /** Include the adapter's probe checks (`baton doctor --probe`). */
  readonly probe: boolean;
  /** Time limit per check unless the check sets its own. */
  readonly timeoutMs: number;
  /** Time limit for probe checks unless the check sets its own; default `timeoutMs`. */
  readonly probeTimeoutMs?: number;
  /** Checks of how the routing uses this runtime (e.g. `effortCheck`), run beside the adapter's. */
  readonly extraChecks?: readonly DoctorCheck[];
}

/**
 * Runs one runtime's checks: each starts as soon as the checks it depends on have
 * finished, independent ones run concurrently, and each is bounded by a time limit
 * enforced here, so no check (nor a hung child it started) can hang doctor.
 */
export async function runChecks(options: RunChecksOptions): Promise<RuntimeReport> {
  const checks = [...options.adapter.doctorChecks(), ...(options.extraChecks ?? [])].filter(
    (check) => options.probe || check.probe !== true,
  );
  const known = new Set(checks.map((check) => check.id));
  const results: Record<string, CheckResult> = {};
  const running = new Map<string, Promise<CheckReport>>();

  const start = (check: DoctorCheck): Promise<CheckReport> => {
    const existing = running.get(check.id);
    if (existing) return existing;
    const promise = (async () => {
      const dependencies = (check.dependsOn ?? []).filter((id) => known.has(id));
      const reports = await Promise.all(
        dependencies.map((id) => start(checks.find((candidate) => candidate.id === id)!)),
      );
      const blocker = reports.find(
        (report) => report.status === 'fail' || report.status === 'skip',
      );
      if (blocker) {
        return {
          id: check.id,
          status: 'skip',
          summary: `skipped: ${blocker.id} did not pass`,
          durationMs: 0,
        } as const;
      }
      const report = await runOne(check, options, results);
      return report;
    })();
    running.set(check.id, promise);
    return promise;
  };

  const reports = await Promise.all(checks.map(start));
  const version =
    Object.values(results).find((result) => result.version !== undefined)?.version ?? null;
  const status = reports.some((report) => report.status === 'fail')
    ? 'fail'
    : reports.some((report) => report.status === 'warn')
      ? 'warn'
      : 'pass';
  return {
    id: options.adapter.identity.id,
    stages: options.context.stages,
    status,
    version,
    checks: reports,
  };
}

async function runOne(
  check: DoctorCheck,
  options: RunChecksOptions,
  results: Record<string, CheckResult>,
): Promise<CheckReport> {
  const timeoutMs =
    check.timeoutMs ??
    (check.probe === true ? options.probeTimeoutMs : undefined) ??
    options.timeoutMs;
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        status: 'fail',
        summary: `did not finish within ${Math.round(timeoutMs / 100) / 10}s`,
        remediation: 'Run the runtime by hand to see where it hangs.',
      });
    }, timeoutMs);
  });
  let result: CheckResult;
  try {
    result = await Promise.race([
      check.run({ ...options.context, signal: controller.signal, results: { ...results } }),
      timeout,
    ]);
  } catch (error) {
    result = {
      status: 'fail',
      summary: `check crashed: ${error instanceof Error ? error.message : String(error)}`,
      remediation: 'This is a bug in the adapter; please report it.',
    };
  } finally {
    clearTimeout(timer);
  }
  results[check.id] = result;
  const report: CheckReport = {
    id: check.id,
    status: result.status,
    summary: result.summary,
    durationMs: Math.round(performance.now() - started),
  };
  return result.remediation !== undefined && result.status !== 'pass'
    ? { ...report, remediation: result.remediation }
    : report;
}
