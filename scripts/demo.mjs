#!/usr/bin/env node
// pnpm demo: the whole `deliver` mission offline. Starts the scripted model server
// (@baton/testkit) on loopback, creates a temporary project whose baton.toml routes each
// stage to a different real harness aimed at that server, runs the real `baton run` with its
// live progress, then prints stage → runtime → result → tokens and where the journal is.
// No API keys and no network beyond 127.0.0.1: the key the runtimes send is a dummy one.
//
// Usage: pnpm demo [--no-build] [--clean] (after pnpm install). It builds what changed first,
// unless --no-build (the end-to-end test of this script runs it after pnpm build). It leaves
// its files (the workspace, the runtimes' homes, the model requests) in one temporary folder
// and says where, so you can look at the run; --clean removes them at the end instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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
const ROLES = {
  interview: 'Architect',
  execute: 'Builder',
  evaluate: 'Reviewer',
  reflect: 'Reflector',
};

const fail = failer('demo');

// 1. Build (turbo replays its cache when nothing changed: well under a second).
let options;
try {
  options = parseArgs({
    options: {
      'no-build': { type: 'boolean', default: false },
      clean: { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  fail(`${error.message}\nUsage: pnpm demo [--no-build] [--clean]`);
}
const buildTook = buildPackages({
  noBuild: options['no-build'],
  built: ['packages/cli/dist/bundle/main.js', 'packages/testkit/dist/index.js'],
  fail,
});
if (buildTook !== null) process.stdout.write(dim(`done (${seconds(buildTook)}).\n`));

// 2. The real harnesses: the pinned CLIs installed by pnpm install.
const binaries = realClis({ codex: 'codex', claude: 'claude', opencode: 'opencode' }, fail);
const ROUTING = {
  interview: 'codex',
  execute: 'opencode',
  evaluate: 'claude-code',
  reflect: 'litellm',
};
// Each runtime asks for a model of its own, so each request on the server names its sender.
const MODELS = {
  codex: 'demo-codex-model',
  'claude-code': 'demo-claude-model',
  opencode: 'demo-opencode-model',
  litellm: 'demo-litellm-model',
};
const WIRE_APIS = {
  codex: 'responses',
  'claude-code': 'messages',
  opencode: 'chat',
  litellm: 'chat',
};

// 3. The scripted model server, answering each stage by the role contract it carries.
const { startModelServer } = await import(
  pathToFileURL(join(repo, 'packages/testkit/dist/index.js')).href
);
const root = realpathSync(mkdtempSync(join(tmpdir(), 'baton-demo-')));
const requestLog = join(root, 'model-requests.jsonl');
const server = await startModelServer({
  apiKey: KEY,
  models: Object.values(MODELS),
  logFile: requestLog,
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
        { text: 'Created hello.txt. Evidence for criterion 1: the file holds "hello from baton".' },
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
      turns: [
        {
          text:
            'Went well: one observable criterion, checked by reading the file.\n' +
            'Lesson: keep acceptance criteria observable. Next: nothing left to do.',
        },
      ],
    },
  ],
});

let exitCode = 1;
try {
  exitCode = await runDemo();
} finally {
  await server.close();
  if (options.clean) {
    rmSync(root, { recursive: true, force: true });
    process.stdout.write(dim(`\nRemoved the demo's files (${root}).\n`));
  } else {
    process.stdout.write(
      `\nThe demo's files are in ${root} (the workspace, the runtimes' homes, the model requests).\n` +
        `  Remove them with: rm -rf ${root}   (or run pnpm demo --clean next time)\n`,
    );
  }
}
process.exit(exitCode);

async function runDemo() {
  // 4. A temporary project, and a home of its own for every runtime.
  const directory = (name) => {
    const path = join(root, name);
    mkdirSync(path);
    return path;
  };
  const workspace = directory('workspace');
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
    ...inherited,
  };
  writeFileSync(join(workspace, 'baton.toml'), batonToml(server.url));

  const routing = STAGES.map((stage) => `${stage} → ${ROUTING[stage]}`).join(', ');
  process.stdout.write(
    `\n${bold('Baton demo')}: the deliver mission on real harnesses, offline\n` +
      `  model server  ${server.url} (scripted, loopback only; no API keys)\n` +
      `  workspace     ${workspace}\n` +
      `  routing       ${routing}\n` +
      `\n${dim('$')} baton run ${JSON.stringify(GOAL)}\n`,
  );

  // 5. The real `baton run`, its progress straight to this terminal.
  const started = performance.now();
  const runExit = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [batonBin, 'run', GOAL], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // Ctrl-C reaches baton too (same process group): it stops the running stage and
    // records the run as interrupted; this script waits for it, then reports and cleans up.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    const guard = setTimeout(() => child.kill('SIGTERM'), 5 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      process.off('SIGINT', ignore);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const elapsed = performance.now() - started;

  // 6. What the journal says, and what reached the server.
  const baton = (...args) => {
    const result = spawnSync(process.execPath, [batonBin, ...args, '--json'], {
      cwd: workspace,
      env,
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`baton ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const [run] = baton('runs');
  if (run === undefined) {
    process.stderr.write(`${red('demo:')} baton run recorded no run (exit ${runExit}).\n`);
    return runExit === 0 ? 1 : runExit;
  }
  const events = baton('events', run.runId);
  const rows = STAGES.map((stage) => stageRow(stage, events, baton('contract', stage)));
  const made = join(workspace, 'hello.txt');

  process.stdout.write(`\n${table(rows)}\n`);
  const statusText = run.status === 'succeeded' ? green(run.status) : red(run.status);
  process.stdout.write(
    `\nRun ${bold(run.runId)} ${statusText} in ${seconds(elapsed)}` +
      (run.cause ? `: ${run.cause}` : '') +
      '\n' +
      `  journal        ${join(workspace, '.baton', 'journal.db')}\n` +
      `  the whole run  pnpm baton show ${run.runId} --workspace ${workspace}\n` +
      `  its events     pnpm baton events ${run.runId} --workspace ${workspace}\n` +
      `  model requests ${requestLog}\n` +
      (existsSync(made) ? `  the file made  ${made}\n` : ''),
  );
  return runExit;
}

/** One table row: the stage's runtime, how its attempts ended, tokens, contract delivery. */
function stageRow(stage, events, contract) {
  const runtime = ROUTING[stage];
  const exits = events.filter(
    (event) => event.type === 'agent.process.exited' && event.payload.stage === stage,
  );
  const starts = events.filter(
    (event) => event.type === 'agent.process.started' && event.payload.stage === stage,
  );
  const verdict = events.find(
    (event) => event.type === 'verdict.recorded' && event.payload.stage === stage,
  );
  let result = 'not run';
  if (exits.length > 0) {
    const last = exits.at(-1).payload;
    result = last.status;
    if (exits.length > 1) result += ` (${exits.length} attempts)`;
    if (verdict) result += ` · verdict ${verdict.payload.outcome.toUpperCase()}`;
  }
  const totals = exits.map((event) => event.payload.usage?.total_tokens);
  const tokens =
    exits.length === 0
      ? '—'
      : totals.every((total) => typeof total === 'number')
        ? totals.reduce((sum, total) => sum + total, 0).toLocaleString('en-US')
        : 'unknown';
  // Delivery proven at the wire: a request from this stage's runtime carried the exact
  // contract text, and it is the contract whose hash the journal recorded for the stage.
  const onWire = server.requests.some(
    (request) =>
      request.api === WIRE_APIS[runtime] &&
      request.model === MODELS[runtime] &&
      request.text.includes(contract.text),
  );
  const hashed =
    starts.length > 0 && starts.every((event) => event.payload.contract_sha256 === contract.sha256);
  const delivered =
    starts.length === 0
      ? '—'
      : onWire && hashed
        ? `${ROLES[stage]} ✓ ${contract.sha256.slice(0, 12)}`
        : 'not seen ✗';
  return {
    stage,
    runtime,
    result,
    tokens,
    delivered,
    ok: exits.at(-1)?.payload.status === 'succeeded',
  };
}

function table(rows) {
  const header = {
    stage: 'STAGE',
    runtime: 'RUNTIME',
    result: 'RESULT',
    tokens: 'TOKENS',
    delivered: 'CONTRACT ON THE WIRE',
  };
  const columns = ['stage', 'runtime', 'result', 'tokens', 'delivered'];
  const width = Object.fromEntries(
    columns.map((column) => [
      column,
      Math.max(...[header, ...rows].map((row) => row[column].length)),
    ]),
  );
  const line = (row, paintResult = (text) => text) =>
    columns
      .map((column) => {
        const text =
          column === 'tokens'
            ? row[column].padStart(width[column])
            : row[column].padEnd(width[column]);
        return column === 'result' ? paintResult(text) : text;
      })
      .join('  ')
      .trimEnd();
  return [
    bold(line(header)),
    ...rows.map((row) => line(row, row.result === 'not run' ? dim : row.ok ? green : red)),
  ].join('\n');
}

/** The project's baton.toml: the routing, and every runtime aimed at the scripted server. */
function batonToml(url) {
  const string = (value) => JSON.stringify(value);
  const settings = {
    codex: { binary: binaries.codex, base_url: `${url}/v1` },
    'claude-code': { binary: binaries.claude, base_url: url },
    opencode: { binary: binaries.opencode, base_url: `${url}/v1` },
    litellm: { base_url: url },
  };
  const lines = [
    '# Written by pnpm demo: each stage on a different harness, all of them talking to the',
    '# scripted model server; the key variable holds a dummy key.',
    '[orchestrator.runtime_profile.stages]',
    ...STAGES.map((stage) => `${stage} = ${string(ROUTING[stage])}`),
  ];
  for (const runtime of new Set(Object.values(ROUTING))) {
    lines.push('', `[runtimes.${runtime}]`);
    const { binary, base_url } = settings[runtime];
    if (binary) lines.push(`binary = ${string(binary)}`);
    lines.push(
      `model = ${string(MODELS[runtime])}`,
      `base_url = ${string(base_url)}`,
      `api_key_env = ${string(KEY_VARIABLE)}`,
      'timeout = "3m"',
    );
  }
  return `${lines.join('\n')}\n`;
}

function seconds(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
