// Benchmarks, not timed tests: prints figures for docs/benchmarks.md.
//   pnpm bench            all benchmarks
//   pnpm bench stages     only `baton stages` start-up
// Needs a build (`pnpm build`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'cli', 'bin', 'baton.js');
const only = process.argv[2];

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

function benchStages(runs = 31) {
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
    // Warm the file-system cache, then interleave so both see the same machine load.
    timeOnce(['-e', '0'], project);
    timeOnce([cli, 'stages', '--json'], project);
    for (let index = 0; index < runs; index++) {
      baseline.push(timeOnce(['-e', '0'], project));
      stages.push(timeOnce([cli, 'stages', '--json'], project));
    }
    const baselineMedian = median(baseline);
    const stagesMedian = median(stages);
    return { runs, baselineMedian, stagesMedian, ratio: stagesMedian / baselineMedian };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

if (!existsSync(join(root, 'packages', 'cli', 'dist', 'main.js'))) {
  console.error('Build first: pnpm build');
  process.exit(2);
}

console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);
if (!only || only === 'stages') {
  const result = benchStages();
  console.log('## `baton stages --json` start-up\n');
  console.log('| runs | `node -e 0` median | `baton stages --json` median | ratio (goal ≤ 2.0) |');
  console.log('|---|---|---|---|');
  console.log(
    `| ${result.runs} | ${result.baselineMedian.toFixed(1)} ms | ${result.stagesMedian.toFixed(1)} ms | ${result.ratio.toFixed(2)} |\n`,
  );
}
const runBench = join(root, 'scripts', 'bench-run.mjs');
if ((!only || only === 'run') && existsSync(runBench)) {
  const result = spawnSync(process.execPath, [runBench], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
