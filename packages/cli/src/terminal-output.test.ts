/**
 * What reaches the user's terminal, through the built CLI as a subprocess: one error path
 * (no stack trace without BATON_DEBUG, bugs recorded on the run), no secret and no escape
 * sequence from outside Baton, a reader that goes away, and arguments that are refused
 * with one clear line. Runs use the fake runtimes of @baton/run's test support; the TTY
 * live view runs under a pseudo-terminal (`script` from util-linux).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FAKE_RUNTIME_SCRIPT,
  installFakeAdapterPackages,
  writeFakeBinaries,
} from '../../run/src/test-support/fake-adapters.mjs';
import { fakeExecutable, installFakeAdapter, runCli, tempProject } from './test-support/project.js';

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked field by field.
type Json = any;

const CLI_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'baton.js');
const FAKE_ADAPTERS = pathToFileURL(join(dirname(FAKE_RUNTIME_SCRIPT), 'fake-adapters.mjs')).href;
const SECRET = 'gk-planted-terminal-secret-8675309';
const ESC = '\u001b';
/** Escape sequences a hostile text might carry: clear screen, set the title, reorder a line. */
const HOSTILE = `${ESC}[2J${ESC}]0;pwned${ESC}\\${ESC}]2;t\u0007\u009b31m\u202eevil`;
const STACK_FRAME = /^\s+at .+/m;

const MIXED = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"
`;

interface Output {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every output of a failure case above, checked at the end for stack frames. */
const failures: { name: string; output: Output }[] = [];
function failure(name: string, output: Output): Output {
  failures.push({ name, output });
  return output;
}

let root: string;
let env: Record<string, string>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-terminal-'));
  const bin = join(root, 'bin');
  writeFakeBinaries(bin);
  installFakeAdapterPackages(root);
  mkdirSync(join(root, 'state'));
  writeFileSync(join(root, 'baton.toml'), MIXED);
  writeFileSync(join(root, 'plan.json'), '{}');
  env = {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: root,
    XDG_CONFIG_HOME: join(root, 'xdg'),
    FAKE_PLAN: join(root, 'plan.json'),
    FAKE_STATE_DIR: join(root, 'state'),
    TEAM_API_TOKEN: SECRET,
  };
});

afterEach(async () => {
  // Every runtime a test started is gone, even after a crash (the runner's guard stops it).
  const pidsFile = join(root, 'state', 'pids.jsonl');
  const pids = existsSync(pidsFile)
    ? readFileSync(pidsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { pid: number }).pid)
    : [];
  const deadline = Date.now() + 10_000;
  while (pids.some(running) && Date.now() < deadline) await sleep(50);
  const survivors = pids.filter(running);
  for (const pid of survivors) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
  expect(survivors, 'runtime processes still running').toEqual([]);
});

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (dead, not reaped) runs nothing.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function plan(value: Record<string, unknown>): void {
  writeFileSync(join(root, 'plan.json'), JSON.stringify(value));
}

function baton(args: readonly string[], extra: Record<string, string> = {}): Output {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: root,
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(args: readonly string[], extra: Record<string, string> = {}): Json {
  const result = baton([...args, '--json'], extra);
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`not JSON (exit ${result.status}): ${result.stdout}\n${result.stderr}`);
  }
}

/** Runs baton on a pseudo-terminal: stdout and stderr are a TTY; returns what it showed. */
function onTerminal(args: readonly string[], extra: Record<string, string> = {}): Output {
  const command = [process.execPath, CLI_BIN, ...args]
    .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const result = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd: root,
    env: { ...env, ...extra, TERM: 'xterm' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout.replaceAll('\r\n', '\n'), stderr: '' };
}

/** Runs baton with stdout (and, with `closeStderr`, stderr) a pipe nobody reads any more. */
function withClosedOutput(
  args: readonly string[],
  options: { closeStderr?: boolean; cwd?: string } = {},
): Promise<Output> {
  const cwd = options.cwd ?? root;
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd,
    env: { ...env, PATH: `${join(cwd, 'bin')}:${env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader goes away before baton writes anything (`baton … | head -c 0`).
  child.stdout.destroy();
  if (options.closeStderr) child.stderr.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    child.on('close', (status) => resolve({ status, stdout: '', stderr }));
  });
}

function latestRunId(): string {
  return json(['runs'])[0].runId;
}

/**
 * The controls outside text must never bring to the terminal (Baton's own SGR colours, and the
 * erase-line its status line is redrawn with, aside).
 */
function rawControls(text: string): string[] {
  const withoutColours = text.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r\u001b\[2K/g, '');
  return [
    ...withoutColours.matchAll(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    ),
  ].map((match) => match[0]);
}

/** Replaces a fake adapter package with one whose decoder runs `bug` (a string of JS) on each line. */
function buggyAdapter(format: 'opencode', bug: string): void {
  writeFileSync(
    join(root, 'node_modules', `baton-adapter-${format}`, 'index.mjs'),
    `import { createFakeAdapter } from ${JSON.stringify(FAKE_ADAPTERS)};
const base = createFakeAdapter(${JSON.stringify(format)});
export default {
  ...base,
  createDecoder(request) {
    const decoder = base.createDecoder(request);
    const push = decoder.push.bind(decoder);
    decoder.push = (line) => { ${bug}; return push(line); };
    return decoder;
  },
};
`,
  );
}

describe('one error path (a BatonError says what to do; anything else is a bug, reported in one line)', () => {
  it('a bug escaping every promise chain mid-run: one line and the hint, recorded on the run, redacted', () => {
    buggyAdapter(
      'opencode',
      "setTimeout(() => { throw new TypeError('decoder bug near ' + process.env.TEAM_API_TOKEN); })",
    );
    const result = failure('uncaught exception mid-run', baton(['run', 'Crash in execute']));
    expect(result.status).toBe(1);
    const runId = latestRunId();
    expect(result.stderr).toContain(
      `baton: unexpected error: TypeError: decoder bug near [REDACTED] (recorded in the journal of run ${runId})\n` +
        'baton: this is a bug — rerun with BATON_DEBUG=1 for the stack\n',
    );
    expect(result.stderr + result.stdout).not.toContain(SECRET);

    const events = json(['events', runId]) as { type: string; payload: Json }[];
    const recorded = events.filter((event) => event.type === 'run.error');
    expect(recorded).toEqual([
      {
        seq: expect.any(Number),
        type: 'run.error',
        at: expect.any(String),
        payload: expect.objectContaining({
          code: 'INTERNAL',
          message: 'decoder bug near [REDACTED]',
          stack: expect.stringContaining('TypeError: decoder bug near [REDACTED]'),
        }),
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(baton(['events', runId]).stdout).toContain('run.error');
    // The process is gone: the run shows as interrupted, and replay still reproduces it.
    expect(json(['runs'])[0]).toMatchObject({ runId, status: 'interrupted' });
    expect(json(['replay', runId]).matches).toBe(true);

    const debug = baton(['run', 'Crash again'], { BATON_DEBUG: '1' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(STACK_FRAME);
    expect(debug.stderr).not.toContain('rerun with BATON_DEBUG=1');
    expect(debug.stderr).not.toContain(SECRET);
  });

  it('an unhandled rejection goes the same way; with --json it is {"error": {...}} on stdout', () => {
    buggyAdapter(
      'opencode',
      "Promise.reject(new RangeError('rejected with ' + process.env.TEAM_API_TOKEN))",
    );
    const result = failure('unhandled rejection mid-run', baton(['run', 'Reject', '--json']));
    expect(result.status).toBe(1);
    const runId = latestRunId();
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'INTERNAL',
        message: `RangeError: rejected with [REDACTED] (recorded in the journal of run ${runId})`,
        hint: 'this is a bug — rerun with BATON_DEBUG=1 for the stack',
        runId,
      },
    });
    expect(result.stderr).not.toContain('baton:');
    expect(result.stdout).not.toContain(SECRET);
  });

  it('a module that fails to load is a one-line bug report, not a stack', () => {
    writeFileSync(
      join(root, 'node_modules', 'baton-adapter-hermes', 'index.mjs'),
      'throw new TypeError("adapter module broken");\n',
    );
    const result = failure('module load', baton(['run', 'g']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'baton: unexpected error: TypeError: adapter module broken\n' +
        'baton: this is a bug — rerun with BATON_DEBUG=1 for the stack\n',
    );
  });

  it('a BatonError prints its message only; BATON_DEBUG=1 adds the stack', () => {
    const result = failure('run not found', baton(['events', 'nope']));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('baton: No run "nope" in the journal. List runs with: baton runs\n');
    const debug = baton(['events', 'nope'], { BATON_DEBUG: '1' });
    expect(debug.stderr).toMatch(STACK_FRAME);
  });
});

describe('secrets never reach the terminal', () => {
  it('the failure line, the run summary and --json (secret in the runtime stderr)', () => {
    plan({ interview: { exitCode: 1, stderr: `auth failed for key ${SECRET}` } });
    const text = failure('stage failure with a secret', baton(['run', 'Leak']));
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('failed (task): exited with 1: auth failed for key [REDACTED]');
    expect(text.stdout).toContain('failed: interview failed on codex (task): exited with 1');
    const machine = baton(['run', 'Leak', '--json']);
    expect(JSON.parse(machine.stdout).cause).toContain('key [REDACTED]');
    for (const output of [text.stdout, text.stderr, machine.stdout, machine.stderr]) {
      expect(output).not.toContain(SECRET);
    }
  });

  it('the live view on a terminal (pseudo-terminal)', () => {
    plan({
      interview: { final: `Using the key ${SECRET} now\nmore` },
      execute: { exitCode: 1, stderr: `bad key ${SECRET}` },
    });
    const shown = onTerminal(['run', 'Live']);
    expect(shown.status).toBe(1);
    expect(shown.stdout).toContain('│ Using the key [REDACTED] now');
    expect(shown.stdout).toContain('exited with 1: bad key [REDACTED]');
    expect(shown.stdout).not.toContain(SECRET);
  });

  it('baton doctor, as text and as JSON', () => {
    const project = tempProject({ 'baton.toml': '[orchestrator]\nruntime_backend = "alpha"\n' });
    installFakeAdapter(project, 'alpha');
    fakeExecutable(project, 'fake-alpha', 'echo "key=$ALPHA_API_KEY rejected" >&2; exit 3');
    const text = failure(
      'doctor with a secret',
      runCli(project, ['doctor'], { ALPHA_API_KEY: SECRET }),
    );
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('exited with 3: key=[REDACTED] rejected');
    const machine = runCli(project, ['doctor', '--json'], { ALPHA_API_KEY: SECRET });
    expect(JSON.stringify(JSON.parse(machine.stdout))).toContain('key=[REDACTED] rejected');
    for (const output of [text.stdout, text.stderr, machine.stdout]) {
      expect(output).not.toContain(SECRET);
    }
  });

  it("the run's refusal to start, including a key named only by api_key_env", () => {
    const project = tempProject({
      'baton.toml':
        '[orchestrator]\nruntime_backend = "alpha"\n[runtimes.alpha]\napi_key_env = "GATEWAY"\n',
    });
    installFakeAdapter(project, 'alpha');
    fakeExecutable(project, 'fake-alpha', 'echo "login with $GATEWAY failed" >&2; exit 3');
    const text = failure('refusal to start', runCli(project, ['run', 'g'], { GATEWAY: SECRET }));
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('Refusing to start');
    expect(text.stderr).toContain('exited with 3: login with [REDACTED] failed');
    const machine = runCli(project, ['run', 'g', '--json'], { GATEWAY: SECRET });
    expect(JSON.parse(machine.stdout).error.code).toBe('RUNTIME_FAILED');
    for (const output of [text.stdout, text.stderr, machine.stdout, machine.stderr]) {
      expect(output).not.toContain(SECRET);
    }
  });
});

describe('escape sequences from outside Baton are shown, never acted on', () => {
  it('a hostile goal in runs, events and the summary; JSON keeps it exact', () => {
    const goal = `Fix it ${HOSTILE}`;
    const run = baton(['run', goal]);
    expect(run.status).toBe(0);
    const runId = latestRunId();
    const outputs = {
      run: run.stdout + run.stderr,
      runs: baton(['runs']).stdout,
      events: baton(['events', runId]).stdout,
      runsOnTerminal: onTerminal(['runs']).stdout,
      eventsOnTerminal: onTerminal(['events', runId]).stdout,
    };
    for (const [name, output] of Object.entries(outputs)) {
      expect(rawControls(output), name).toEqual([]);
    }
    expect(outputs.runs).toContain(
      String.raw`Fix it \x1b[2J\x1b]0;pwned\x1b\\x1b]2;t\x07\x9b31m\u202eevil`,
    );
    // Baton's own colours stay on a terminal.
    expect(outputs.runsOnTerminal).toContain(`${ESC}[1mRUN${ESC}[22m`);
    expect(json(['runs'])[0].goal).toBe(goal);
  });

  it("a runtime's output in the progress lines, the live view, the summary and events", () => {
    plan({
      interview: { final: `Done ${HOSTILE}\nsecond line` },
      execute: { exitCode: 1, stderr: `crashed ${HOSTILE}` },
    });
    const run = failure('hostile runtime output', baton(['run', 'g']));
    expect(run.status).toBe(1);
    const live = onTerminal(['run', 'g']);
    expect(live.stdout).toContain('│ Done \\x1b[2J');
    const runId = latestRunId();
    for (const [name, output] of Object.entries({
      progress: run.stderr,
      summary: run.stdout,
      live: live.stdout,
      events: baton(['events', runId]).stdout,
    })) {
      expect(rawControls(output), name).toEqual([]);
    }
    expect(run.stderr).toContain('exited with 1: crashed \\x1b[2J');
    const events = json(['events', runId]) as { type: string; payload: Json }[];
    const text = events.find(
      (event) => event.type === 'runtime.event' && event.payload.event.type === 'text',
    );
    expect(text?.payload.event.text).toContain(HOSTILE);
  });
});

describe('a reader that goes away', () => {
  it('ends the output of every command quietly, with the exit code it would have had', async () => {
    const project = tempProject({ 'baton.toml': '[orchestrator]\nruntime_backend = "alpha"\n' });
    installFakeAdapter(project, 'alpha');
    fakeExecutable(project, 'fake-alpha', 'echo "fake-alpha 1.2.3"');
    const ran = baton(['run', 'A run to replay']);
    expect(ran.status).toBe(0);
    const runId = latestRunId();
    const cases: [string[], number, string?][] = [
      [['stages'], 0, project],
      [['doctor'], 0, project],
      [['setup', 'alpha', '--dry-run'], 0, project],
      [['contract', 'execute'], 0],
      [['runs'], 0],
      [['events', runId], 0],
      [['replay', runId], 0],
      [['--help'], 0],
      [['stages', '--help'], 0],
      [['events', 'nope'], 1],
    ];
    for (const [args, status, cwd] of cases) {
      const result = failure(
        `closed stdout: ${args.join(' ')}`,
        await withClosedOutput(args, cwd === undefined ? {} : { cwd }),
      );
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status,
        stderr: status === 0 ? '' : expect.stringMatching(/^baton: No run "nope"/),
      });
    }
  });

  it('never stops a run: it goes on to the end, its output dropped', async () => {
    plan({ execute: { sleepMs: 300 } });
    const result = failure(
      'run with closed stdout and stderr',
      await withClosedOutput(['run', 'Nobody watching'], { closeStderr: true }),
    );
    expect(result.status).toBe(0);
    const run = json(['runs'])[0];
    expect(run).toMatchObject({ status: 'succeeded', goal: 'Nobody watching' });
    const exited = (json(['events', run.runId]) as { type: string; payload: Json }[])
      .filter((event) => event.type === 'agent.process.exited')
      .map((event) => `${event.payload.stage}:${event.payload.status}`);
    expect(exited).toEqual([
      'interview:succeeded',
      'execute:succeeded',
      'evaluate:succeeded',
      'reflect:succeeded',
    ]);
  });
});

describe('arguments are refused with one clear line (exit 2)', () => {
  it('an empty run id never picks a run', () => {
    expect(baton(['run', 'The only run']).status).toBe(0);
    for (const command of ['resume', 'events', 'replay']) {
      for (const id of ['', '   ']) {
        const result = failure(`${command} "${id}"`, baton([command, id]));
        expect(result.status, `${command} "${id}"`).toBe(2);
        expect(result.stderr).toBe(
          `baton: ${command}: the run id is empty; give one from baton runs.\n`,
        );
      }
    }
    expect(json(['runs']).map((run: Json) => run.status)).toEqual(['succeeded']);
  });

  it('bad option values, unknown options and stray arguments, for every command', () => {
    const cases: [string[], string][] = [
      [
        ['runs', '--limit', '-1'],
        'runs: --limit takes a whole number of runs, 1 or more (got "-1").',
      ],
      [
        ['runs', '--limit', '0'],
        'runs: --limit takes a whole number of runs, 1 or more (got "0").',
      ],
      [
        ['runs', '--limit', '2.5'],
        'runs: --limit takes a whole number of runs, 1 or more (got "2.5").',
      ],
      [['runs', '--limit'], 'runs: --limit needs a value: --limit N.'],
      [['runs', 'extra'], 'runs: unexpected argument "extra" (see baton runs --help).'],
      [['stages', '--bogus'], 'stages: unknown option "--bogus" (see baton stages --help).'],
      [['stages', '-x'], 'stages: unknown option "-x" (see baton stages --help).'],
      [['doctor', '--probe=yes'], 'doctor: --probe takes no value (got "yes").'],
      [['init', 'now'], 'init: unexpected argument "now" (see baton init --help).'],
      [['contract', 'execute', '--runtime'], 'contract: --runtime needs a value: --runtime ID.'],
      [['run', 'g', '--mission'], 'run: --mission needs a value: --mission NAME.'],
      [['run', 'g', '--loud'], 'run: unknown option "--loud" (see baton run --help).'],
      [['resume', 'a', 'b'], 'resume: give exactly one run id (see baton runs), got 2.'],
      [['resume', 'a', '--input'], 'resume: --input needs a value: --input TEXT.'],
      [['events', 'a', '--follow'], 'events: unknown option "--follow" (see baton events --help).'],
      [['replay'], 'replay: give exactly one run id (see baton runs).'],
      [['setup', 'alpha', '--profile'], 'setup: --profile needs a value: --profile NAME.'],
    ];
    for (const [args, message] of cases) {
      const result = failure(args.join(' '), baton(args));
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status: 2,
        stderr: `baton: ${message}\n`,
      });
    }
  });
});

// Last in the file, so that it sees the output of every failure case above.
it('prints no stack trace in any of the failures above without BATON_DEBUG', () => {
  const withStacks = failures
    .filter(({ output }) => STACK_FRAME.test(output.stdout) || STACK_FRAME.test(output.stderr))
    .map(({ name }) => name);
  expect(failures.length).toBeGreaterThan(0);
  expect(withStacks).toEqual([]);
});
