import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { styles, usageError } from '../output.js';

const RUNTIMES = ['real', 'fake'] as const;
const REPORTERS = ['pretty', 'json', 'junit'] as const;

export const command: Command = {
  name: 'test',
  summary: 'Run scenario files (*.baton-test.toml) against a scripted model server, offline.',
  usage: [
    'Usage: baton test [PATH...] [--runtime real|fake] [--reporter pretty|json|junit]',
    '                  [--output FILE] [--update] [--jobs N] [--keep] [--config FILE]',
    '',
    'Runs each scenario (every *.baton-test.toml under PATH, default the current directory)',
    'through your baton.toml: the mission and goal it names, each stage on the runtime your',
    'routing chooses, every runtime sent to a scripted model server started for the scenario',
    'that answers with its [[replies]]. Each runs in a fresh temporary workspace with homes of',
    'its own, so no credentials, network or model spend are involved. Then its [[expect]]',
    'tables are checked. A directory of scenarios is a suite. See docs/testing-pipelines.md.',
    '',
    '  --runtime real    the harnesses installed here (default)',
    "  --runtime fake    stand-ins printing each harness's recorded output (no CLI needed)",
    '  --reporter R      pretty (default), json (also --json) or junit (JUnit XML for CI)',
    '  --output FILE     write the report to FILE, and the pretty one to the terminal',
    "  --update          write each scenario's receipt to baton-test.lock (review the diff)",
    '  --jobs N          scenarios run at once (default: the CPUs, at most 4)',
    "  --keep            keep every scenario's folder (a failing one's is always kept)",
    '',
    'Each scenario runs in a folder of the temporary directory ($TMPDIR), removed when it',
    'passes; a kept folder is named in the report, and left for you to delete.',
    'A scenario whose receipt differs from the one in baton-test.lock fails until --update.',
    'Exit codes: 0 every scenario passed; 1 one failed; 2 usage or config error.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments(
      'test',
      context.args,
      {
        runtime: { type: 'string', value: 'real|fake' },
        reporter: { type: 'string', value: 'pretty|json|junit' },
        output: { type: 'string', value: 'FILE' },
        update: { type: 'boolean' },
        jobs: { type: 'string', value: 'N' },
        keep: { type: 'boolean' },
      },
      { allowPositionals: true },
    );
    const mode = oneOf('--runtime', values.runtime ?? 'real', RUNTIMES);
    const reporter = oneOf(
      '--reporter',
      values.reporter ?? (context.json ? 'json' : 'pretty'),
      REPORTERS,
    );
    let jobs: number | undefined;
    if (values.jobs !== undefined) {
      jobs = /^\s*\d+\s*$/.test(values.jobs) ? Number(values.jobs) : Number.NaN;
      if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64)
        throw usageError(`test: --jobs takes a whole number from 1 to 64 (got "${values.jobs}").`);
    }
    if (values.output === '') throw usageError('test: --output needs a file name.');
    const loaded = loadForCommand(context);
    // Loaded only here: no other command pays for the scenario machinery.
    const scenarios = await import('@baton/scenario');
    const files = scenarios.discoverScenarios(positionals, context.cwd);
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => controller.abort(`interrupted by ${signal}`);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    for (const signal of signals) process.on(signal, onSignal);
    let report: Awaited<ReturnType<typeof scenarios.runSuite>>;
    try {
      report = await scenarios.runSuite({
        files,
        cwd: context.cwd,
        lockDirectory: loaded.config.projectRoot,
        config: loaded.config,
        registry: loaded.registry,
        env: context.env,
        mode,
        update: values.update === true,
        keep: values.keep === true,
        signal: controller.signal,
        ...(jobs === undefined ? {} : { jobs }),
      });
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
    const pretty = () => scenarios.prettyReport(report, styles(context.color));
    const chosen =
      reporter === 'json'
        ? `${JSON.stringify(scenarios.jsonReport(report), null, 2)}\n`
        : reporter === 'junit'
          ? scenarios.junitReport(report)
          : null;
    if (values.output !== undefined) {
      // A file skips the terminal's writer: it is redacted here the same way.
      writeFileSync(
        resolve(context.cwd, values.output),
        context.secrets.redactor.text(chosen ?? scenarios.prettyReport(report)),
      );
      context.stdout.write(pretty());
    } else if (reporter === 'json') {
      context.stdout.json(scenarios.jsonReport(report));
    } else {
      context.stdout.write(chosen ?? pretty());
    }
    return report.failed > 0 ? EXIT_FAILED : EXIT_OK;
  },
};

function oneOf<const T extends readonly string[]>(
  option: string,
  value: string,
  accepted: T,
): T[number] {
  if (!accepted.includes(value))
    throw usageError(`test: ${option} takes ${accepted.join(', ')} (got "${value}").`);
  return value;
}
