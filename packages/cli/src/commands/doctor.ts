import {
  type AdapterRegistry,
  type BatonConfig,
  BatonError,
  runtimeUses,
  type Stage,
} from '@baton/core';
import type { RuntimeReport } from '@baton/core/doctor';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { styles, table, visibleLength, writeJson } from '../output.js';
import { routingJson, routingTable } from '../routing.js';

/** Per-check limit; a probe makes a real model call and gets longer. */
const CHECK_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 90_000;

export interface DoctorRuntimeReport extends RuntimeReport {
  readonly displayName: string;
  /** How the role contract reaches this runtime (PRODUCT.md §9). */
  readonly contractChannel: string | null;
  /** Every place the routing names it: a stage, and its index in that stage's chain (0: first choice). */
  readonly uses: readonly { readonly stage: Stage; readonly position: number }[];
}

export const command: Command = {
  name: 'doctor',
  summary: 'Validate config and check every runtime the routing uses.',
  usage: [
    'Usage: baton doctor [--probe] [--json] [--config FILE]',
    '',
    'Validates the config, prints the stage → runtime table at once, then checks every runtime',
    "a stage's chain names (fallbacks included), in parallel: binary, version, authentication,",
    'native profile, and that the adapter accepts each reasoning effort the routing sets. Each',
    "runtime's findings are printed as soon as its checks finish; on a terminal a status line",
    'names the runtimes still being checked.',
    '  --probe   also make one tiny real call per runtime (bounded in time and tokens)',
    '',
    'Exit 1 when a used runtime fails a check; warnings do not fail.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values } = parseCommandArguments(
      'doctor',
      context.args,
      { probe: { type: 'boolean' } },
      { allowPositionals: false },
    );
    const probe = values.probe === true;
    const { config, registry } = loadForCommand(context);
    if (context.json) {
      const reports = await checkRuntimes(config, registry, context, probe);
      const ok = reports.every((report) => report.status !== 'fail');
      writeJson(context, { ok, ...routingJson(config), runtimes: reports });
      return ok ? EXIT_OK : EXIT_FAILED;
    }
    // The routing needs no check: it is printed before any check starts, and each runtime's
    // findings as soon as they are in, so a slow probe never hides the rest.
    const { describeUse } = await import('@baton/core/doctor');
    const printer = reportPrinter(context, describeUse);
    printer.routing(config);
    const pending = new Set(runtimeUses(config).keys());
    const started = Date.now();
    const showPending = () => {
      if (pending.size === 0) return;
      const seconds = Math.floor((Date.now() - started) / 1000);
      context.stdout.status(`… checking ${[...pending].join(', ')} (${seconds}s)`);
    };
    showPending();
    const ticker = context.stdout.isTTY ? setInterval(showPending, 250) : null;
    ticker?.unref();
    let reports: DoctorRuntimeReport[];
    try {
      reports = await checkRuntimes(config, registry, context, probe, (report) => {
        pending.delete(report.id);
        printer.runtime(report);
        showPending();
      });
    } finally {
      if (ticker !== null) clearInterval(ticker);
      context.stdout.clearStatus();
    }
    const ok = reports.every((report) => report.status !== 'fail');
    printer.verdict(ok);
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};

/** Runs every used runtime's checks concurrently; a broken adapter is a failed runtime, not a crash. */
export async function checkRuntimes(
  config: BatonConfig,
  registry: AdapterRegistry,
  context: Pick<CommandContext, 'env'>,
  probe: boolean,
  /** Told each runtime's report as soon as its checks finish. */
  onReport?: (report: DoctorRuntimeReport) => void,
): Promise<DoctorRuntimeReport[]> {
  const { effortCheck, runChecks } = await import('@baton/core/doctor');
  const used = [...runtimeUses(config)];
  return Promise.all(
    used.map(async ([id, routed]): Promise<DoctorRuntimeReport> => {
      const report = await checkRuntime(id, routed);
      onReport?.(report);
      return report;
    }),
  );

  async function checkRuntime(
    id: string,
    routed: (typeof used)[number][1],
  ): Promise<DoctorRuntimeReport> {
    const registered = registry.get(id);
    const displayName = registered?.identity.displayName ?? id;
    const stages = [...new Set(routed.map((use) => use.stage))];
    const uses = routed.map(({ stage, position }) => ({ stage, position }));
    try {
      const adapter = await registry.load(id);
      const effort = effortCheck(adapter, routed);
      const report = await runChecks({
        adapter,
        probe,
        timeoutMs: CHECK_TIMEOUT_MS,
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        extraChecks: effort ? [effort] : [],
        context: {
          settings: config.runtimes[id] ?? {},
          profile: config.backendProfile,
          env: context.env,
          cwd: config.projectRoot,
          stages,
        },
      });
      return {
        ...report,
        displayName,
        contractChannel: adapter.identity.contractChannel,
        uses,
      };
    } catch (error) {
      return adapterFailure(id, displayName, stages, uses, error);
    }
  }
}

function adapterFailure(
  id: string,
  displayName: string,
  stages: Stage[],
  uses: DoctorRuntimeReport['uses'],
  error: unknown,
): DoctorRuntimeReport {
  const message =
    BatonError.isInstance(error) || error instanceof Error ? error.message : String(error);
  return {
    id,
    displayName,
    stages,
    status: 'fail',
    version: null,
    contractChannel: null,
    uses,
    checks: [
      {
        id: 'adapter',
        status: 'fail',
        summary: `cannot load the adapter: ${message}`,
        remediation: 'Reinstall the adapter package.',
        durationMs: 0,
      },
    ],
  };
}

const SYMBOLS = { pass: '✓', warn: '⚠', fail: '✗', skip: '-' } as const;

/** Prints doctor's findings in parts: the routing first, then each runtime as it is done. */
function reportPrinter(
  context: CommandContext,
  describeUse: (use: DoctorRuntimeReport['uses'][number]) => string,
) {
  const style = styles(context.color);
  const colour = {
    pass: style.green,
    warn: style.yellow,
    fail: style.red,
    skip: style.dim,
  } as const;
  const print = (lines: readonly string[]) => context.stdout.write(`${lines.join('\n')}\n`);
  return {
    routing(config: BatonConfig): void {
      print([
        table(routingTable(config, style), visibleLength),
        '',
        `backend profile: ${config.backendProfile ?? 'none'}`,
        `config files: ${config.files.length > 0 ? config.files.join(', ') : 'none (built-in defaults)'}`,
      ]);
    },
    runtime(report: DoctorRuntimeReport): void {
      const version = report.version ? ` ${report.version}` : '';
      const lines = [
        '',
        `${colour[report.status](SYMBOLS[report.status])} ${style.bold(report.displayName)}${version} ` +
          style.dim(`(${report.id}; stages: ${report.uses.map(describeUse).join(', ')})`),
      ];
      if (report.contractChannel) lines.push(`    contract channel: ${report.contractChannel}`);
      for (const check of report.checks) {
        lines.push(
          `  ${colour[check.status](SYMBOLS[check.status])} ${check.id}: ${check.summary} ${style.dim(`(${check.durationMs} ms)`)}`,
        );
        if (check.remediation) lines.push(`      → ${check.remediation}`);
      }
      print(lines);
    },
    verdict(ok: boolean): void {
      print([
        '',
        ok
          ? style.green('All runtimes in use are ready.')
          : style.red('Some runtimes in use are not ready (see ✗ above).'),
      ]);
    },
  };
}
