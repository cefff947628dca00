/**
 * The programmatic API against fake runtime executables printing the real CLIs' output:
 * missions side by side in one process, each with its own abort signal; the event stream
 * equal to the journal; resume with an answer; typed results and errors.
 */
import { BatonError } from '@baton/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type JournalEvent,
  listRuns,
  readEvents,
  readRun,
  replayRun,
  resumeRun,
  runMission,
} from './api.js';
import { FakeProject, MIXED_ROUTING, TEST_OPTIONS } from './test-support/project.js';

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

const MISSIONS = `${MIXED_ROUTING}
[missions.build]
steps = ["execute"]

[missions.ask]
steps = ["interview"]

[missions.reviewed]
steps = ["interview", { human = "Approve the spec?" }, "execute"]
`;

function options() {
  return {
    cwd: project.root,
    env: project.env(),
    registry: project.registry,
    runner: TEST_OPTIONS,
  };
}

async function collect(events: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const seen: JournalEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

function journaled(runId: string): JournalEvent[] {
  return readEvents({ cwd: project.root, env: project.env(), runId });
}

describe('runMission', () => {
  it('runs a mission and returns its typed result; the event stream is the journal', async () => {
    project.writeConfig(MIXED_ROUTING);
    const handle = runMission({ ...options(), goal: 'Add a --verbose flag' });
    expect(handle.runId).toBeNull();
    const [streamed, result] = await Promise.all([collect(handle.events), handle.result]);

    expect(handle.runId).toBe(result.runId);
    expect(result.status).toBe('succeeded');
    expect(result.mission).toBe('deliver');
    expect(result.goal).toBe('Add a --verbose flag');
    expect(result.attempts.map((attempt) => [attempt.stage, attempt.runtime])).toEqual([
      ['interview', 'codex'],
      ['execute', 'opencode'],
      ['evaluate', 'claude-code'],
      ['reflect', 'hermes'],
    ]);
    expect(result.stages.execute).toMatchObject({
      runtime: 'opencode',
      status: 'succeeded',
      attempts: 1,
      runtimes: ['opencode'],
      failureClasses: [null],
      finalText: 'opencode finished execute',
    });
    expect(result.stages.evaluate?.verdict).toEqual({ outcome: 'pass' });
    expect(result.stages.interview?.verdict).toBeNull();
    // The fake runtimes report 26 (codex, opencode) and 18 (claude, hermes) tokens; hermes a cost.
    expect(result.attempts.map((attempt) => attempt.usage.totalTokens)).toEqual([26, 26, 18, 18]);
    expect(result.usage.totalTokens).toBe(88);
    expect(result.usage.costComplete).toBe(false);

    const journal = journaled(result.runId);
    expect(streamed).toEqual(journal);
    expect(streamed.map((event) => event.seq)).toEqual(journal.map((_, index) => index + 1));
    expect(streamed.at(-1)?.type).toBe('run.ended');
    // A reader that starts after the end still gets every event.
    expect(await collect(handle.events)).toEqual(journal);
  });

  it('runs two missions side by side in one process; aborting one leaves the other running', async () => {
    project.writeConfig(MISSIONS);
    project.plan({ execute: { hang: true }, interview: { sleepMs: 1500 } });
    const stopper = new AbortController();
    let hungStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      hungStarted = resolve;
    });
    const hung = runMission({
      ...options(),
      goal: 'Build it',
      mission: 'build',
      signal: stopper.signal,
      observer: { stageStarted: () => hungStarted() },
    });
    const other = runMission({
      ...options(),
      goal: 'Ask about it',
      mission: 'ask',
      signal: new AbortController().signal,
    });
    const otherEvents = collect(other.events);
    await started;
    stopper.abort('stopped by the test');

    const stopped = await hung.result;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.cause).toBe('stopped by the test');
    expect(stopped.stages.execute?.status).toBe('interrupted');
    // The other mission was still running when the first one stopped, and finished.
    const stillRunning = readRun({ cwd: project.root, env: project.env(), runId: other.runId! });
    expect(stillRunning.status).toBe('running');
    const finished = await other.result;
    expect(finished.status).toBe('succeeded');
    expect(finished.stages.interview?.runtime).toBe('codex');

    expect(await collect(hung.events)).toEqual(journaled(stopped.runId));
    expect(await otherEvents).toEqual(journaled(finished.runId));
    expect(
      listRuns({ cwd: project.root, env: project.env() })
        .map((run) => run.runId)
        .sort(),
    ).toEqual([stopped.runId, finished.runId].sort());
  });

  it('pauses at a human step without an answer; resumeRun continues it with one', async () => {
    project.writeConfig(MISSIONS);
    const first = await runMission({ ...options(), goal: 'Spec then build', mission: 'reviewed' })
      .result;
    expect(first.status).toBe('waiting');
    expect(first.question).toBe('Approve the spec?');

    const resumed = resumeRun({
      ...options(),
      runId: first.runId,
      answer: { decision: 'approve', text: 'approved' },
    });
    const [streamed, result] = await Promise.all([collect(resumed.events), resumed.result]);
    expect(result.status).toBe('succeeded');
    expect(result.question).toBeNull();
    expect(result.attempts.map((attempt) => attempt.stage)).toEqual(['interview', 'execute']);
    // The resumed handle's stream is the run's whole journal, the part before the pause included.
    expect(streamed).toEqual(journaled(result.runId));
    expect(streamed[0]?.type).toBe('run.started');
    expect(streamed.filter((event) => event.type === 'human.answered')).toHaveLength(1);
  });

  it('answers human steps inline with ask', async () => {
    project.writeConfig(MISSIONS);
    const questions: string[] = [];
    const result = await runMission({
      ...options(),
      goal: 'Spec then build',
      mission: 'reviewed',
      ask: async (question) => {
        questions.push(question);
        return { decision: 'approve', text: 'go' };
      },
    }).result;
    expect(questions).toEqual(['Approve the spec?']);
    expect(result.status).toBe('succeeded');
  });

  it('reports a failed stage with its error and retries in the result', async () => {
    project.writeConfig(MISSIONS);
    project.plan({ execute: { fail: true, status: 500 } });
    const result = await runMission({ ...options(), goal: 'Build it', mission: 'build' }).result;
    expect(result.status).toBe('failed');
    expect(result.stages.execute).toMatchObject({ status: 'failed', attempts: 3 });
    expect(result.stages.execute?.error).toContain('500');
    expect(result.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(result.cause).toContain('execute failed on opencode');
  });
});

describe('budgets, fallbacks and resumes through the API', () => {
  it('stops a run out of budget, resumes it with a larger one, and types every attempt', async () => {
    project.writeConfig(`
[orchestrator.runtime_profile.stages]
execute = ["codex", "claude"]
evaluate = "claude"

[missions.build]
steps = ["execute", "evaluate"]
`);
    project.plan({
      'execute@codex': { fail: true, status: 'quota' },
      'execute@claude': { usage: { input: 10, output: 5, cost: 0.4 } },
    });
    const stopped = await runMission({
      ...options(),
      goal: 'Build it',
      mission: 'build',
      budget: { maxCostUsd: 0.3 },
    }).result;
    expect(stopped.status).toBe('budget_exhausted');
    expect(stopped.usage).toMatchObject({ costUsd: 0.4, costComplete: false });
    expect(
      stopped.attempts.map((attempt) => [
        attempt.runtime,
        attempt.status,
        attempt.failureClass,
        attempt.reason,
        attempt.fallbackFrom?.runtime ?? null,
      ]),
    ).toEqual([
      ['codex', 'failed', 'quota_exhausted', 'first', null],
      ['claude-code', 'succeeded', null, 'fallback', 'codex'],
    ]);
    expect(stopped.stages.execute).toMatchObject({
      attempts: 2,
      runtimes: ['codex', 'claude-code'],
      failureClasses: ['quota_exhausted', null],
    });
    expect(listRuns({ cwd: project.root, env: project.env() })[0]!.usage.costUsd).toBe(0.4);

    const resumed = await resumeRun({
      ...options(),
      runId: stopped.runId,
      budget: { maxCostUsd: 2 },
    }).result;
    expect(resumed.status).toBe('succeeded');
    expect(resumed.attempts.at(-1)).toMatchObject({ stage: 'evaluate', reason: 'resume' });
  });
});

describe('reading runs', () => {
  it('lists runs, reads their events and result, and replays them', async () => {
    project.writeConfig(MISSIONS);
    const result = await runMission({ ...options(), goal: 'Ask', mission: 'ask' }).result;
    const query = { cwd: project.root, env: project.env() };
    expect(listRuns(query)).toEqual([
      expect.objectContaining({ runId: result.runId, status: 'succeeded', mission: 'ask' }),
    ]);
    expect(readRun({ ...query, runId: result.runId.slice(0, 12) })).toEqual(result);
    const events = readEvents({ ...query, runId: result.runId });
    expect(readEvents({ ...query, runId: result.runId, afterSeq: 3 })).toEqual(events.slice(3));
    const replay = replayRun({ ...query, runId: result.runId });
    expect(replay.matches).toBe(true);
    expect(replay.stateHash).toBe(result.stateHash);
  });

  it('has no runs in a project without a journal', () => {
    expect(listRuns({ cwd: project.root, env: project.env() })).toEqual([]);
  });
});

describe('errors', () => {
  async function failure(promise: Promise<unknown>): Promise<BatonError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(BatonError.isInstance(error), String(error)).toBe(true);
    return error as BatonError;
  }

  it('rejects the result (and ends the event stream with the same error) on invalid config', async () => {
    project.writeConfig('[orchestrator]\nruntime_backend = "cluade"\n');
    const handle = runMission({ ...options(), goal: 'x' });
    const error = await failure(handle.result);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('Did you mean');
    expect(await failure(collect(handle.events))).toBe(error);
  });

  it('names an unknown mission, and an unknown run', async () => {
    project.writeConfig(MIXED_ROUTING);
    const error = await failure(runMission({ ...options(), goal: 'x', mission: 'delivr' }).result);
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('Did you mean "deliver"?');

    await runMission({ ...options(), goal: 'x', mission: 'deliver' }).result;
    const query = { cwd: project.root, env: project.env(), runId: 'no-such-run' };
    expect(() => readRun(query)).toThrow(expect.objectContaining({ code: 'RUN_NOT_FOUND' }));
    expect(() => readEvents(query)).toThrow(expect.objectContaining({ code: 'RUN_NOT_FOUND' }));
    const resumed = resumeRun({ ...options(), runId: 'no-such-run' });
    expect((await failure(resumed.result)).code).toBe('RUN_NOT_FOUND');
  });

  it('takes a loaded config object instead of a file', async () => {
    project.writeConfig(MISSIONS);
    const config = project.config();
    const result = await runMission({
      env: project.env(),
      registry: project.registry,
      runner: TEST_OPTIONS,
      config,
      goal: 'Ask',
      mission: 'ask',
    }).result;
    expect(result.status).toBe('succeeded');
  });
});
