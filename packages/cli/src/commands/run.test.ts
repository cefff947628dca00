/**
 * `baton run`, `runs`, `events`, `resume` and `replay` end to end: the built CLI as a
 * subprocess, in a temporary project whose four runtimes are fake executables printing the
 * real CLIs' output formats, behind adapter packages installed in its node_modules.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  installFakeAdapterPackages,
  writeFakeBinaries,
} from '../../../run/src/test-support/fake-adapters.mjs';
import { waitFor } from '../test-support/wait.js';

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked field by field below.
type Json = any;

const CLI_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'baton.js');

const MIXED = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "opencode"
evaluate = "claude"
reflect = "hermes"
`;

interface Project {
  root: string;
  env: Record<string, string>;
  plan(plan: Record<string, unknown>): void;
  pids(): { role: string; pid: number; stage: string }[];
}

let project: Project;
const children: ChildProcess[] = [];

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie (dead, not reaped) runs nothing.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'baton-run-cli-'));
  const bin = join(root, 'bin');
  writeFakeBinaries(bin);
  installFakeAdapterPackages(root);
  mkdirSync(join(root, 'state'));
  writeFileSync(join(root, 'baton.toml'), MIXED);
  const planFile = join(root, 'plan.json');
  writeFileSync(planFile, '{}');
  project = {
    root,
    env: {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: root,
      XDG_CONFIG_HOME: join(root, 'xdg'),
      FAKE_PLAN: planFile,
      FAKE_STATE_DIR: join(root, 'state'),
      FAKE_LOG: join(root, 'invocations.jsonl'),
    },
    plan: (plan) => writeFileSync(planFile, JSON.stringify(plan)),
    pids: () => {
      const file = join(root, 'state', 'pids.jsonl');
      return existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [];
    },
  };
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  const survivors = project.pids().filter((entry) => running(entry.pid));
  for (const entry of survivors) process.kill(entry.pid, 'SIGKILL');
  rmSync(project.root, { recursive: true, force: true });
  expect(survivors, 'processes started by the fake runtimes still running').toEqual([]);
});

function baton(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: project.root,
    env: { ...project.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T = Json>(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; value: T; stderr: string } {
  const result = baton([...args, '--json'], env);
  try {
    return { status: result.status, value: JSON.parse(result.stdout) as T, stderr: result.stderr };
  } catch {
    throw new Error(`not JSON (exit ${result.status}): ${result.stdout}\n${result.stderr}`);
  }
}

function startBaton(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null }>;
} {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: project.root,
    env: project.env,
    stdio: 'ignore',
  });
  children.push(child);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exit };
}

describe('baton run (built CLI)', () => {
  it('drives a mixed-runtime mission; events show the runtime of every stage; replay reproduces the state', () => {
    const run = json(['run', 'Add a --verbose flag']);
    expect(run.status).toBe(0);
    expect(run.value).toEqual({
      runId: expect.stringMatching(/^\d{8}-\d{6}-[0-9a-f]{6}$/),
      status: 'succeeded',
      cause: null,
      question: null,
      usage: expect.objectContaining({ totalTokens: 26 + 26 + 18 + 18 }),
      stages: [
        {
          stage: 'interview',
          runtime: 'codex',
          status: 'succeeded',
          attempt: 1,
          failureClass: null,
          durationMs: expect.any(Number),
          usage: expect.objectContaining({ totalTokens: expect.any(Number) }),
        },
        {
          stage: 'execute',
          runtime: 'opencode',
          status: 'succeeded',
          attempt: 1,
          failureClass: null,
          durationMs: expect.any(Number),
          usage: expect.objectContaining({ totalTokens: expect.any(Number) }),
        },
        {
          stage: 'evaluate',
          runtime: 'claude-code',
          status: 'succeeded',
          attempt: 1,
          failureClass: null,
          durationMs: expect.any(Number),
          usage: expect.objectContaining({ totalTokens: expect.any(Number) }),
        },
        {
          stage: 'reflect',
          runtime: 'hermes',
          status: 'succeeded',
          attempt: 1,
          failureClass: null,
          durationMs: expect.any(Number),
          usage: expect.objectContaining({ totalTokens: expect.any(Number) }),
        },
      ],
    });
    const runId = run.value.runId as string;

    const events = json<{ seq: number; type: string; at: string; payload: Json }[]>([
      'events',
      runId,
    ]);
    expect(events.status).toBe(0);
    expect(events.value.map((event) => event.seq)).toEqual(
      events.value.map((_, index) => index + 1),
    );
    for (const event of events.value)
      expect(Object.keys(event)).toEqual(['seq', 'type', 'at', 'payload']);
    const dispatched = events.value
      .filter(
        (event) =>
          event.type === 'control.directive.emitted' && event.payload.directive === 'dispatch',
      )
      .map((event) => [event.payload.stage, event.payload.extra.runtime_id]);
    const expected = [
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
      ['reflect', 'hermes'],
    ];
    expect(dispatched).toEqual(expected);
    for (const type of ['agent.process.started', 'agent.process.exited']) {
      expect(
        events.value
          .filter((event) => event.type === type)
          .map((event) => [event.payload.stage, event.payload.runtime_id]),
      ).toEqual(expected);
    }
    const exited = events.value.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => event.payload.session_id)).toEqual([
      'codex-session-interview',
      'opencode-session-execute',
      'claude-session-evaluate',
      'hermes-session-reflect',
    ]);

    const replay = json(['replay', runId]);
    expect(replay.status).toBe(0);
    expect(replay.value).toMatchObject({
      runId,
      matches: true,
      status: 'succeeded',
      mismatches: [],
    });
    expect(replay.value.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(replay.value.stateHash).toBe(replay.value.recordedStateHash);

    const runs = json(['runs']);
    expect(runs.value).toEqual([
      expect.objectContaining({
        runId,
        status: 'succeeded',
        mission: 'deliver',
        goal: 'Add a --verbose flag',
      }),
    ]);
    const text = baton(['events', runId.slice(0, 15)]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('dispatch evaluate → claude-code (attempt 1)');
  });

  it('rejects a mission outside the bounds when the config loads (exit 2), never truncating it', () => {
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[missions.long]\nsteps = ["interview", "execute", "evaluate", "reflect", "execute", "evaluate"]\n`,
    );
    const long = json(['run', 'g', '--mission', 'long']);
    expect(long.status).toBe(2);
    expect(long.value.error.code).toBe('CONFIG_INVALID');
    expect(long.value.error.message).toContain('may have at most 5 steps');
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[missions.chatty]\nsteps = [{ human = "a?" }, { human = "b?" }, { human = "c?" }, "execute"]\n`,
    );
    const chatty = json(['run', 'g', '--mission', 'chatty']);
    expect(chatty.status).toBe(2);
    expect(chatty.value.error.message).toContain('may have at most 2 human steps, found 3');
    expect(existsSync(join(project.root, 'invocations.jsonl'))).toBe(false);
  });

  it('pauses at a human step in one process and resumes from another', () => {
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[missions.reviewed]\nsteps = ["interview", { human = "Approve the spec?" }, "execute", "evaluate"]\n`,
    );
    const paused = json(['run', 'Add a flag', '--mission', 'reviewed']);
    expect(paused.status).toBe(1);
    expect(paused.value).toMatchObject({
      status: 'waiting',
      question: 'Approve the spec?',
      stages: [{ stage: 'interview' }],
    });
    const runId = paused.value.runId as string;
    expect(json(['runs']).value[0]).toMatchObject({ runId, status: 'waiting' });

    const missing = json(['resume', runId]);
    expect(missing.status).toBe(2);
    expect(missing.value.error.message).toContain(`baton resume ${runId} --approve [--input TEXT]`);
    expect(missing.value.error.message).toContain(`baton resume ${runId} --reject "<why>"`);
    const inputAlone = baton(['resume', runId, '--input', 'yes']);
    expect(inputAlone.status).toBe(2);
    expect(inputAlone.stderr).toBe(
      'baton: resume: --input alone does not say whether you approve: use --approve --input TEXT, or --reject "<why>".\n',
    );

    const resumed = json(['resume', runId, '--approve', '--input', 'Approved: keep it small']);
    expect(resumed.status).toBe(0);
    expect(resumed.value.status).toBe('succeeded');
    expect(resumed.value.stages.map((stage: { stage: string }) => stage.stage)).toEqual([
      'interview',
      'execute',
      'evaluate',
    ]);
    const events = json<{ type: string; payload: Json }[]>(['events', runId]).value;
    expect(
      events
        .filter((event) => event.type.startsWith('human.'))
        .map((event) => [
          event.type,
          event.payload.question ?? `${event.payload.decision}: ${event.payload.answer}`,
        ]),
    ).toEqual([
      ['human.asked', 'Approve the spec?'],
      ['human.answered', 'approve: Approved: keep it small'],
    ]);
    const prompts = readFileSync(join(project.root, 'invocations.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(prompts[1].stdin).toContain(
      '--- human step 2: Approve the spec? (approved) ---\nApproved: keep it small',
    );
    expect(json(['replay', runId]).value.matches).toBe(true);
  });

  it('survives kill -9 in the middle of a stage: clean journal, run interrupted, no orphans, resume continues', async () => {
    const startedFile = join(project.root, 'execute.started');
    project.plan({ execute: { hang: true, spawnChild: true, startedFile } });
    const { child, exit } = startBaton(['run', 'Crash test']);
    await waitFor(() => existsSync(startedFile));
    child.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');

    // The runtime and the helper it spawned are stopped by the guard the CLI left behind.
    const stagePids = project.pids().filter((entry) => entry.stage === 'execute');
    expect(stagePids.map((entry) => entry.role).sort()).toEqual(['child', 'runtime']);
    await waitFor(() => stagePids.every((entry) => !running(entry.pid)), 10_000);

    const db = new DatabaseSync(join(project.root, '.baton', 'journal.db'), { readOnly: true });
    try {
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
      const rows = db.prepare('SELECT seq, payload FROM events ORDER BY seq').all() as {
        seq: number;
        payload: string;
      }[];
      expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => index + 1));
      for (const row of rows) expect(() => JSON.parse(row.payload)).not.toThrow();
    } finally {
      db.close();
    }
    const runs = json(['runs']);
    expect(runs.value[0]).toMatchObject({
      status: 'interrupted',
      cause: expect.stringContaining('stopped without closing it'),
    });
    const runId = runs.value[0].runId as string;
    expect(json(['replay', runId]).value.matches).toBe(true);

    project.plan({});
    const resumed = json(['resume', runId]);
    expect(resumed.status).toBe(0);
    expect(resumed.value.status).toBe('succeeded');
    expect(
      resumed.value.stages.map(
        (stage: { stage: string; status: string }) => `${stage.stage}:${stage.status}`,
      ),
    ).toEqual([
      'interview:succeeded',
      'execute:interrupted',
      'execute:succeeded',
      'evaluate:succeeded',
      'reflect:succeeded',
    ]);
    expect(json(['replay', runId]).value).toMatchObject({ matches: true, status: 'succeeded' });
    // The killed process's scratch directory (generated files, possibly credentials) is gone too.
    expect(readdirSync(join(project.root, '.baton', 'scratch'))).toEqual([]);
  });

  it('stops the running stage on Ctrl-C and records the run as interrupted (exit 130)', async () => {
    const startedFile = join(project.root, 'interview.started');
    project.plan({
      interview: { hang: true, spawnChild: true, childIgnoresTerm: true, startedFile },
    });
    const { child, exit } = startBaton(['run', 'Interrupt me']);
    await waitFor(() => existsSync(startedFile));
    child.kill('SIGINT');
    expect((await exit).code).toBe(130);
    // Stopped before the CLI exited, not later by a guard.
    expect(project.pids().filter((entry) => running(entry.pid))).toEqual([]);
    const runs = json(['runs']);
    expect(runs.value[0]).toMatchObject({ status: 'interrupted', cause: 'interrupted by SIGINT' });
  });

  it('keeps a secret planted in the environment and config out of the journal', () => {
    const secret = 'gk-planted-cli-secret-5551234';
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[runtimes.codex]\napi_key_env = "TEAM_GATEWAY"\n`,
    );
    project.plan({
      interview: { echoEnv: 'TEAM_GATEWAY' },
      execute: { echoEnv: 'OTHER_API_TOKEN' },
    });
    const run = json(['run', 'g'], { TEAM_GATEWAY: secret, OTHER_API_TOKEN: `${secret}-2` });
    expect(run.status).toBe(0);
    const files = ['journal.db', 'journal.db-wal']
      .map((name) => join(project.root, '.baton', name))
      .filter(existsSync)
      .map((path) => readFileSync(path).toString('latin1'))
      .join('');
    expect(files).toContain('[REDACTED]');
    expect(files).not.toContain(secret);
    expect(baton(['events', run.value.runId, '--json']).stdout).not.toContain(secret);
  });

  it('refuses to start when a runtime fails its checks, with the findings (exit 1)', () => {
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[runtimes.opencode]\nbinary = "./missing/opencode"\n`,
    );
    const result = json(['run', 'g']);
    expect(result.status).toBe(1);
    expect(result.value.error.code).toBe('RUNTIME_FAILED');
    expect(result.value.error.message).toContain('opencode (execute): binary:');
    expect(json(['runs']).value).toEqual([]);
  });

  it('refuses to recurse past the depth limit', () => {
    const result = json(['run', 'g'], { BATON_DEPTH: '2' });
    expect(result.status).toBe(1);
    expect(result.value.error.code).toBe('RECURSION_LIMIT');
  });

  it('drives the first-party codex, claude-code and hermes adapters (fake executables) beside a third-party one', () => {
    // Only opencode comes from the project's node_modules here; the other three are the real
    // adapter packages the CLI discovers beside itself, pointed at fake executables.
    rmSync(join(project.root, 'node_modules', 'baton-adapter-codex'), { recursive: true });
    rmSync(join(project.root, 'node_modules', 'baton-adapter-claude-code'), { recursive: true });
    rmSync(join(project.root, 'node_modules', 'baton-adapter-hermes'), { recursive: true });
    const bin = join(project.root, 'bin');
    writeFileSync(
      join(project.root, 'baton.toml'),
      `${MIXED}\n[runtimes.codex]\nbinary = "${join(bin, 'fake-codex')}"\n` +
        `[runtimes.claude-code]\nbinary = "${join(bin, 'fake-claude')}"\n` +
        `[runtimes.hermes]\nbinary = "${join(bin, 'fake-hermes')}"\n`,
    );
    const key = 'sk-ant-planted-0123456789abcdef';
    const run = json(['run', 'Add a --verbose flag'], { ANTHROPIC_API_KEY: key });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.value.stages.map((stage: { runtime: string }) => stage.runtime)).toEqual([
      'codex',
      'opencode',
      'claude-code',
      'hermes',
    ]);
    const events = json<{ type: string; payload: Json }[]>(['events', run.value.runId]).value;
    const dispatched = events
      .filter(
        (event) =>
          event.type === 'control.directive.emitted' && event.payload.directive === 'dispatch',
      )
      .map((event) => event.payload.extra.runtime_id);
    expect(dispatched).toEqual(['codex', 'opencode', 'claude-code', 'hermes']);
    const exited = events.filter((event) => event.type === 'agent.process.exited');
    expect(exited.map((event) => [event.payload.runtime_id, event.payload.status])).toEqual([
      ['codex', 'succeeded'],
      ['opencode', 'succeeded'],
      ['claude-code', 'succeeded'],
      ['hermes', 'succeeded'],
    ]);
    expect(exited.map((event) => event.payload.session_id)).toEqual([
      'codex-session-interview',
      'opencode-session-execute',
      'claude-session-evaluate',
      'hermes-session-reflect',
    ]);
    expect(JSON.stringify(events)).not.toContain(key);
    const replay = json(['replay', run.value.runId]);
    expect(replay.value.matches).toBe(true);
    expect(replay.value.stateHash).toBe(replay.value.recordedStateHash);
  });
});
