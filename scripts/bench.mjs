// Benchmarks, not timed tests: prints figures for docs/benchmarks.md.
//   pnpm bench            all benchmarks
//   pnpm bench stages     only `baton stages` start-up
//   pnpm bench stages --against DIR
//                         the same, interleaved with the built CLI of another checkout DIR
//                         (a before/after comparison on the same machine load)
// Needs a build (`pnpm build`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'cli', 'bin', 'baton.js');
const only = process.argv[2];
const againstIndex = process.argv.indexOf('--against');
const against = againstIndex === -1 ? null : process.argv[againstIndex + 1];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function timeOnce(args, cwd) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(' ')} exited ${result.status}: ${result.stderr || result.stdout}`,
    );
  }
  return elapsed;
}

function benchStages(runs = 31, otherCli = null) {
  const project = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  try {
    writeFileSync(
      join(project, 'baton.toml'),
      [
        '[orchestrator]',
        'runtime_backend = "claude-code"',
        '[orchestrator.runtime_profile]',
        'backend_profile = "worker"',
        '[orchestrator.runtime_profile.stages]',
        'interview = "codex"',
        'execute = "opencode"',
        'evaluate = "claude_code"',
        'reflect = "hermes"',
        '',
      ].join('\n'),
    );
    const baseline = [];
    const stages = [];
    const other = [];
    // Warm the file-system cache, then interleave so all see the same machine load.
    timeOnce(['-e', '0'], project);
    timeOnce([cli, 'stages', '--json'], project);
    if (otherCli) timeOnce([otherCli, 'stages', '--json'], project);
    for (let index = 0; index < runs; index++) {
      baseline.push(timeOnce(['-e', '0'], project));
      stages.push(timeOnce([cli, 'stages', '--json'], project));
      if (otherCli) other.push(timeOnce([otherCli, 'stages', '--json'], project));
    }
    const baselineMedian = median(baseline);
    const stagesMedian = median(stages);
    return {
      runs,
      baselineMedian,
      stagesMedian,
      ratio: stagesMedian / baselineMedian,
      otherMedian: otherCli ? median(other) : null,
    };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

if (!existsSync(join(root, 'packages', 'cli', 'dist', 'main.js'))) {
  console.error('Build first: pnpm build');
  process.exit(2);
}

console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);
let otherCli = null;
if (against) {
  otherCli = join(against, 'packages', 'cli', 'bin', 'baton.js');
  if (!existsSync(join(against, 'packages', 'cli', 'dist', 'main.js'))) {
    console.error(`Build the other checkout first: cd ${against} && pnpm build`);
    process.exit(2);
  }
}
if (!only || only === 'stages') {
  const result = benchStages(31, otherCli);
  console.log('## `baton stages --json` start-up\n');
  console.log('| runs | `node -e 0` median | `baton stages --json` median | ratio (goal ≤ 2.0) |');
  console.log('|---|---|---|---|');
  console.log(
    `| ${result.runs} | ${result.baselineMedian.toFixed(1)} ms | ${result.stagesMedian.toFixed(1)} ms | ${result.ratio.toFixed(2)} |\n`,
  );
  if (otherCli) {
    const ratio = result.otherMedian / result.baselineMedian;
    console.log(`Interleaved with ${against}: its \`baton stages --json\` median`);
    console.log(
      `${result.otherMedian.toFixed(1)} ms (ratio ${ratio.toFixed(2)}); this checkout − that one: ${(result.stagesMedian - result.otherMedian).toFixed(1)} ms.\n`,
    );
  }
}
const runBench = join(root, 'scripts', 'bench-run.mjs');
if ((!only || only === 'run') && existsSync(runBench)) {
  const result = spawnSync(process.execPath, [runBench], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
