import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderRoleContract } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from './journal/journal.js';
import { REDACTED } from './redact.js';
import { replayRun } from './replay.js';
import { resumeRun, startRun } from './service.js';
import {
  defaultAdapters,
  FakeProject,
  MIXED_ROUTING,
  TEST_OPTIONS,
} from './test-support/project.js';

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(MIXED_ROUTING);
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

function context(overrides: { env?: Record<string, string>; signal?: AbortSignal } = {}) {
  const env = overrides.env ?? project.env();
  return {
    config: project.config(env),
    registry: project.registry,
    journal: project.journal(),
    env,
    options: TEST_OPTIONS,
    ...(overrides.signal ? { signal: overrides.signal } : {}),
  };
}

function events(runId: string, type?: string): JournalEvent[] {
  const all = [...project.journal({ readOnly: true }).events(runId)];
  return type === undefined ? all : all.filter((event) => event.type === type);
}

describe('startRun', () => {
  it('runs each stage on the runtime the config routes it to, and journals who ran what', async () => {
    const summary = await startRun(context(), { goal: 'Add a --verbose flag' });
    expect(summary.status).toBe('succeeded');
    expect(summary.cause).toBeNull();
    expect(summary.stages.map((stage) => [stage.stage, stage.runtime, stage.status])).toEqual([
      ['interview', 'codex', 'succeeded'],
      ['execute', 'opencode', 'succeeded'],
      ['evaluate', 'claude-code', 'succeeded'],
      ['reflect', 'hermes', 'succeeded'],
    ]);
    expect(summary.stages.map((stage) => stage.tokens)).toEqual([26, 26, 18, 18]);

    const dispatches = events(summary.runId, 'control.directive.emitted').filter(
      (event) => event.payload.directive === 'dispatch',
    );
    expect(
      dispatches.map((event) => [
        event.payload.stage,
        (event.payload.extra as { runtime_id: string }).runtime_id,
      ]),
    ).toEqual([
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
      ['reflect', 'hermes'],
    ]);
    const started = events(summary.runId, 'agent.process.started');
    const exited = events(summary.runId, 'agent.process.exited');
    expect(started.map((event) => event.payload.runtime_id)).toEqual([
      'codex',
      'opencode',
      'claude-code',
      'hermes',
    ]);
    expect(
      exited.map((event) => [
        event.payload.runtime_id,
        event.payload.exit_code,
        event.payload.session_id,
      ]),
    ).toEqual([
      ['codex', 0, 'codex-session-interview'],
      ['opencode', 0, 'opencode-session-execute'],
      ['claude-code', 0, 'claude-session-evaluate'],
      ['hermes', 0, 'hermes-session-reflect'],
    ]);
    for (const event of exited) {
      expect(event.payload.pid).toBe(
        started.find((start) => start.payload.stage === event.payload.stage)!.payload.pid,
      );
      expect(event.payload.duration_ms).toBeGreaterThan(0);
      expect(event.payload.usage).toMatchObject({ known: true });
    }
    const config = project.config();
    for (const event of started) {
      const stage = event.payload.stage as 'interview';
      expect(event.payload.contract_sha256).toBe(renderRoleContract(stage, config).sha256);
      const binary = `fake-${invocationFormat(String(event.payload.runtime_id))}`;
      expect((event.payload.argv as string[])[0]).toBe(binary);
      expect(event.payload.binary).toMatchObject({ path: join(project.binDir, binary) });
    }
    expect(started[1]!.payload.access).toBe('workspace-write');
    expect(started.filter((event) => event.payload.access === 'read-only')).toHaveLength(3);

    const first = events(summary.runId)[0]!;
    expect(first.type).toBe('run.started');
    expect(first.seq).toBe(1);
    expect(first.payload).toMatchObject({
      goal: 'Add a --verbose flag',
      mission: { name: 'deliver' },
      config_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const resolved = events(summary.runId, 'runtime.resolved');
    expect(resolved.map((event) => [event.payload.runtime_id, event.payload.version])).toEqual([
      ['codex', '0.169.0'],
      ['opencode', '1.18.33'],
      ['claude-code', '2.1.330'],
      ['hermes', '0.21.5'],
    ]);
    expect(events(summary.runId, 'verdict.recorded').map((event) => event.payload.outcome)).toEqual(
      ['pass'],
    );
    expect(events(summary.runId).at(-1)).toMatchObject({
      type: 'run.ended',
      payload: { status: 'succeeded', cause: null },
    });

    const replay = replayRun(project.journal({ readOnly: true }), summary.runId);
    expect(replay.mismatches).toEqual([]);
    expect(replay.matches).toBe(true);
    expect(replay.stateHash).toBe(replay.recordedStateHash);
    expect(replay.directives).toEqual({ derived: 5, recorded: 5 });
  });

  it('gives each stage the goal, its contract, the earlier results, and the recursion marker', async () => {
    await startRun(context(), { goal: 'Add a --verbose flag' });
    const calls = project.invocations();
    expect(calls.map((call) => [call.format, call.stage])).toEqual([
      ['codex', 'interview'],
      ['opencode', 'execute'],
      ['claude', 'evaluate'],
      ['hermes', 'reflect'],
    ]);
    expect(calls[0]!.stdin).toContain('Goal:\nAdd a --verbose flag');
    expect(calls[0]!.stdin).toContain('no earlier results');
    expect(calls[1]!.stdin).toContain(
      '--- interview (step 1, ran on codex) ---\ncodex finished interview',
    );
    expect(calls[3]!.stdin).toContain(
      '--- evaluate (step 3, ran on claude-code, verdict PASS) ---',
    );
    expect(
      calls.every((call) => call.depth === '1' && call.cwd === project.root && call.runId !== null),
    ).toBe(true);
    expect(calls[0]!.args).toContain('read-only');
    expect(calls[0]!.args.at(-1)).toBe('-');
  });

  it('fails the run on a failing verdict and never reports it as success', async () => {
    project.plan({ evaluate: { final: 'Criterion 1: FAIL\nVERDICT: FAIL flag not parsed' } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toBe('evaluate verdict: FAIL flag not parsed');
    expect(summary.stages.map((stage) => stage.stage)).toEqual([
      'interview',
      'execute',
      'evaluate',
    ]);
    expect(events(summary.runId, 'run.ended')[0]!.payload).toMatchObject({
      status: 'failed',
      cause: 'evaluate verdict: FAIL flag not parsed',
    });
  });

  it('counts a missing verdict as a failure', async () => {
    project.plan({ evaluate: { final: 'Looks fine to me.' } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toMatch(
      /^evaluate gave no verdict: the final message does not end with a VERDICT line/,
    );
  });

  it('loops back to execute when the mission allows it', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.fix]\nsteps = ["execute", "evaluate"]\nmax_loops = 1\n`,
    );
    project.plan({ evaluate: { attempts: [{ final: 'VERDICT: FAIL missing test' }, {}] } });
    const summary = await startRun(context(), { goal: 'g', mission: 'fix' });
    expect(summary.status).toBe('succeeded');
    expect(summary.stages.map((stage) => `${stage.stage}@${stage.loop}`)).toEqual([
      'execute@0',
      'evaluate@0',
      'execute@1',
      'evaluate@1',
    ]);
    expect(project.invocations()[2]!.stdin).toContain('verdict FAIL: missing test');
  });

  it('fails a stage whose runtime exits 0 but reports an error in its output', async () => {
    project.plan({ interview: { fail: true, status: 401, exitCode: 0 } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.stages).toHaveLength(1);
    expect(summary.stages[0]).toMatchObject({ stage: 'interview', status: 'failed' });
    expect(summary.cause).toBe(
      'interview failed on codex (auth): unexpected status 401 Unauthorized: stub forced 401',
    );
    expect(events(summary.runId, 'agent.process.exited')[0]!.payload).toMatchObject({
      exit_code: 0,
      status: 'failed',
      error_kind: 'auth',
    });
  });

  it('fails that stage even when the adapter decoder trusts the exit code', async () => {
    project = new FakeProject(defaultAdapters({ naive: true }));
    project.writeConfig(MIXED_ROUTING);
    project.plan({ execute: { fail: true, status: 401, exitCode: 0 } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toBe(
      'execute failed on opencode (auth): the runtime reported an error: stub forced 401',
    );
  });

  it('retries a transient failure with backoff, journaling each attempt', async () => {
    project.plan({ execute: { attempts: [{ fail: true, status: 500 }, { crash: true }, {}] } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    expect(
      summary.stages
        .filter((stage) => stage.stage === 'execute')
        .map((stage) => [stage.attempt, stage.status]),
    ).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    const retries = events(summary.runId, 'control.directive.emitted')
      .filter((event) => event.payload.stage === 'execute')
      .map((event) => event.payload.extra);
    expect(retries).toMatchObject([
      { attempt: 1, backoff_ms: 0 },
      { attempt: 2, backoff_ms: 20 },
      { attempt: 3, backoff_ms: 40 },
    ]);
    expect(replayRun(project.journal({ readOnly: true }), summary.runId).matches).toBe(true);
  });

  it('stops retrying at the limit, and never retries a permanent failure', async () => {
    project.plan({ execute: { fail: true, status: 503 }, interview: {} });
    const transient = await startRun(context(), { goal: 'g' });
    expect(transient.status).toBe('failed');
    expect(transient.cause).toBe(
      'execute failed on opencode (transient, 3 attempts): stub forced 503',
    );
    project.plan({ interview: { fail: true, status: 401 } });
    const permanent = await startRun(context(), { goal: 'g' });
    expect(permanent.stages).toHaveLength(1);
  });

  it('stops a hung runtime and its hung child at the timeout, with the whole group', async () => {
    project.writeConfig(`${MIXED_ROUTING}\n[runtimes.codex]\ntimeout = "1s"\n`);
    project.plan({
      interview: { hang: true, spawnChild: true, childIgnoresTerm: true, ignoreTerm: true },
    });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toBe(
      'interview failed on codex (timeout): stopped at the wall-clock timeout (1s) with its whole process group',
    );
    const pids = project.pids();
    expect(pids.map((entry) => entry.role).sort()).toEqual(['child', 'runtime']);
    expect(project.survivors()).toEqual([]);
    expect(events(summary.runId, 'agent.process.exited')[0]!.payload).toMatchObject({
      stopped_by: 'timeout',
      signal: 'SIGKILL',
    });
  });

  it('does not wait for a helper a runtime left in a new session holding its stdout', async () => {
    project.writeConfig(`${MIXED_ROUTING}\n[runtimes.codex]\ntimeout = "20s"\n`);
    project.plan({ interview: { sessionHelperSeconds: 25 } });
    const started = performance.now();
    const summary = await startRun(context(), { goal: 'g' });
    const elapsed = performance.now() - started;
    const helpers = project.pids().filter((entry) => entry.role === 'session-helper');
    try {
      expect(summary.cause).toBeNull();
      expect(summary.status).toBe('succeeded');
      expect(summary.stages[0]).toMatchObject({ stage: 'interview', status: 'succeeded' });
      expect(helpers).toHaveLength(1);
      // The helper lives 25 s, out of the runtime's process group, and still runs: the whole
      // mission finished without waiting for it.
      expect(project.survivors()).toEqual([helpers[0]!.pid]);
      expect(elapsed).toBeLessThan(12_000);
    } finally {
      for (const helper of helpers) {
        try {
          process.kill(-helper.pid, 'SIGKILL');
        } catch {}
      }
      // SIGKILL is delivered asynchronously: wait until the helper is gone.
      const deadline = Date.now() + 5_000;
      while (project.survivors().length > 0 && Date.now() < deadline) await sleep(20);
    }
  });

  it('keeps secrets from the environment and config out of the journal', async () => {
    const secrets = {
      GATEWAY_KEY: 'gk-planted-secret-0123456789',
      SERVICE_TOKEN: 'tok-planted-secret-9876543210',
    };
    project.writeConfig(
      `${MIXED_ROUTING}\n[runtimes.codex]\napi_key_env = "GATEWAY_KEY"\nbase_url = "http://127.0.0.1:9/v1"\n` +
        `[runtimes.claude-code]\napi_key_env = "GATEWAY_KEY"\nbase_url = "http://127.0.0.1:9"\n`,
    );
    project.plan({
      interview: { echoEnv: 'GATEWAY_KEY' },
      execute: { echoEnv: 'SERVICE_TOKEN', stderr: secrets.SERVICE_TOKEN },
    });
    const env = project.env(secrets);
    const summary = await startRun(context({ env }), {
      goal: `use ${secrets.SERVICE_TOKEN} please`,
    });
    expect(summary.status).toBe('succeeded');
    // The runtimes did receive and print them …
    expect(project.invocations()[0]!.args.join(' ')).toContain(secrets.GATEWAY_KEY);
    // … but no byte of the journal holds them.
    const bytes = project.journalBytes();
    expect(bytes).not.toContain(secrets.GATEWAY_KEY);
    expect(bytes).not.toContain(secrets.SERVICE_TOKEN);
    const started = events(summary.runId, 'agent.process.started')[0]!;
    expect(started.payload.argv).toContain(REDACTED);
    expect(JSON.stringify(events(summary.runId, 'runtime.event'))).toContain(
      `[GATEWAY_KEY=${REDACTED}]`,
    );
    expect(events(summary.runId, 'agent.process.started')[2]!.payload.env_names).toEqual([
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_BASE_URL',
    ]);
    expect(replayRun(project.journal({ readOnly: true }), summary.runId).matches).toBe(true);
  });

  it('refuses to start when a runtime the mission uses fails its doctor checks', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[runtimes.hermes]\nbinary = "/nonexistent/fake-hermes"\n`,
    );
    await expect(startRun(context(), { goal: 'g' })).rejects.toMatchObject({
      code: 'RUNTIME_FAILED',
      message: expect.stringContaining(
        'hermes (reflect): binary: /nonexistent/fake-hermes not found',
      ),
    });
    expect(project.invocations()).toEqual([]);
    expect(project.journal({ readOnly: true }).listRuns()).toEqual([]);
  });

  it('refuses to nest beyond the recursion limit', async () => {
    await expect(
      startRun(context({ env: project.env({ BATON_DEPTH: '2' }) }), { goal: 'g' }),
    ).rejects.toMatchObject({
      code: 'RECURSION_LIMIT',
    });
    expect(project.invocations()).toEqual([]);
  });

  it('detects a runtime executable that changes under the running mission', async () => {
    project.writeConfig('[orchestrator]\nruntime_backend = "codex"\n');
    project.plan({ interview: { appendFile: project.binaries.codex } });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toMatch(
      /^execute failed on codex \(unavailable\): refusing to use a runtime that changed under the running mission: .*fake-codex changed since the run started \(size/,
    );
    expect(project.invocations()).toHaveLength(1);
    expect(events(summary.runId, 'runtime.binary.changed')).toHaveLength(1);
  });

  it('names the mission it does not know', async () => {
    await expect(startRun(context(), { goal: 'g', mission: 'delivr' })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'Unknown mission "delivr". Did you mean "deliver"? Missions: deliver.',
    });
  });

  it('journals a bounded number of runtime events per stage', async () => {
    project.writeConfig(
      '[orchestrator]\nruntime_backend = "codex"\n[missions.one]\nsteps = ["interview"]\n',
    );
    project.plan({ interview: { floodBytes: 200_000 } });
    const summary = await startRun(
      { ...context(), options: { ...TEST_OPTIONS, maxJournaledEvents: 5 } },
      { goal: 'g', mission: 'one' },
    );
    expect(summary.status).toBe('succeeded');
    expect(events(summary.runId, 'runtime.event')).toHaveLength(5);
    const exited = events(summary.runId, 'agent.process.exited')[0]!.payload;
    expect(exited.events_journaled).toBe(5);
    expect(exited.events_dropped as number).toBeGreaterThan(200);
  });
});

describe('human steps and resume', () => {
  it('pauses durably at a human step and continues from a new journal connection', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = ["interview", { human = "Approve the spec?" }, "execute"]\n`,
    );
    const paused = await startRun(context(), { goal: 'g', mission: 'reviewed' });
    expect(paused.status).toBe('waiting');
    expect(paused.question).toBe('Approve the spec?');
    expect(project.journal({ readOnly: true }).getRun(paused.runId)!.owner).toBeNull();

    await expect(resumeRun(context(), { runId: paused.runId })).rejects.toMatchObject({
      code: 'USAGE',
    });
    const resumed = await resumeRun(context(), {
      runId: paused.runId.slice(0, 18),
      answer: { decision: 'approve', text: 'Approved, keep it small.' },
    });
    expect(resumed.status).toBe('succeeded');
    expect(project.invocations()[1]!.stdin).toContain(
      '--- human step 2: Approve the spec? (approved) ---\nApproved, keep it small.',
    );
    expect(events(paused.runId, 'human.asked').map((event) => event.payload.question)).toEqual([
      'Approve the spec?',
    ]);
    expect(events(paused.runId, 'human.answered')[0]!.payload).toMatchObject({
      step: 1,
      decision: 'approve',
      answer: 'Approved, keep it small.',
      via: 'resume',
    });
    expect(replayRun(project.journal({ readOnly: true }), paused.runId).matches).toBe(true);
    await expect(
      resumeRun(context(), { runId: paused.runId, answer: { decision: 'approve', text: 'again' } }),
    ).rejects.toMatchObject({ code: 'RUN_STATE' });
  });

  it('ends the run rejected on a rejection without a loop left, and sends it back with one', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = ["interview", { human = "Approve the spec?" }, "execute"]\n` +
        `[missions.looped]\nsteps = ["interview", { human = "Approve the spec?" }, "execute"]\nmax_loops = 1\n`,
    );
    const paused = await startRun(context(), { goal: 'g', mission: 'reviewed' });
    const rejected = await resumeRun(context(), {
      runId: paused.runId,
      answer: { decision: 'reject', text: 'too vague' },
    });
    expect(rejected).toMatchObject({
      status: 'rejected',
      cause: 'rejected at step 2 (Approve the spec?): too vague',
    });
    expect(events(paused.runId, 'run.ended').map((event) => event.payload.status)).toEqual([
      'rejected',
    ]);
    expect(project.invocations().map((invocation) => invocation.stage)).toEqual(['interview']);
    expect(replayRun(project.journal({ readOnly: true }), paused.runId).matches).toBe(true);
    await expect(
      resumeRun(context(), { runId: paused.runId, answer: { decision: 'approve', text: '' } }),
    ).rejects.toMatchObject({ code: 'RUN_STATE', message: expect.stringContaining('rejected') });

    const looped = await startRun(context(), { goal: 'g', mission: 'looped' });
    const again = await resumeRun(context(), {
      runId: looped.runId,
      answer: { decision: 'reject', text: 'add a second line' },
    });
    expect(again.status).toBe('waiting');
    const redo = project.invocations().at(-1)!;
    expect(redo.stage).toBe('interview');
    expect(redo.stdin).toContain('the reason given: add a second line');
    expect(redo.stdin).toContain(
      '--- human step 2: Approve the spec? (rejected) ---\nadd a second line',
    );
    expect(replayRun(project.journal({ readOnly: true }), looped.runId).matches).toBe(true);
  });

  it('answers inline when asked, without pausing', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = [{ human = "Go?" }, "interview"]\n`,
    );
    const summary = await startRun(
      { ...context(), ask: async () => ({ decision: 'approve', text: 'yes' }) },
      { goal: 'g', mission: 'reviewed' },
    );
    expect(summary.status).toBe('succeeded');
    expect(events(summary.runId, 'human.answered')[0]!.payload).toMatchObject({
      decision: 'approve',
      answer: 'yes',
      via: 'inline',
    });
  });

  it('keeps the run while it asks inline, so no other process can answer it; pausing lets go', async () => {
    project.writeConfig(
      `${MIXED_ROUTING}\n[missions.reviewed]\nsteps = [{ human = "Go?" }, "interview"]\n`,
    );
    const seen: { status: string; owner: number | null }[] = [];
    const summary = await startRun(
      {
        ...context(),
        ask: async () => {
          const run = project.journal({ readOnly: true }).listRuns()[0]!;
          seen.push({ status: run.status, owner: run.owner?.pid ?? null });
          return null;
        },
      },
      { goal: 'g', mission: 'reviewed' },
    );
    expect(seen).toEqual([{ status: 'waiting', owner: process.pid }]);
    expect(summary.status).toBe('waiting');
    expect(project.journal({ readOnly: true }).getRun(summary.runId)!.owner).toBeNull();
  });

  it('records an interrupt, stops the stage, and resumes the stage that was in flight', async () => {
    project.plan({ execute: { hang: true, spawnChild: true } });
    const controller = new AbortController();
    const summary = await startRun(
      {
        ...context({ signal: controller.signal }),
        observer: {
          stageStarted: (stage) => {
            if (stage.stage === 'execute')
              setTimeout(() => controller.abort('interrupted by SIGINT'), 200);
          },
        },
      },
      { goal: 'g' },
    );
    expect(summary.status).toBe('interrupted');
    expect(summary.cause).toBe('interrupted by SIGINT');
    expect(project.survivors()).toEqual([]);
    const tail = events(summary.runId)
      .slice(-3)
      .map((event) => event.type);
    expect(tail).toEqual(['agent.process.exited', 'run.interrupted', 'control.directive.emitted']);

    project.plan({});
    const resumed = await resumeRun(context(), { runId: summary.runId });
    expect(resumed.status).toBe('succeeded');
    expect(
      resumed.stages.map((stage) => `${stage.stage}#${stage.attempt}:${stage.status}`),
    ).toEqual([
      'interview#1:succeeded',
      'execute#1:interrupted',
      'execute#2:succeeded',
      'evaluate#1:succeeded',
      'reflect#1:succeeded',
    ]);
    const replay = replayRun(project.journal({ readOnly: true }), summary.runId);
    expect(replay.matches).toBe(true);
  });
});

function invocationFormat(runtime: string): string {
  return runtime === 'claude-code' ? 'claude' : runtime;
}
