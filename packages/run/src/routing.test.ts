/**
 * A run's routing: each stage's chain, model and effort resolved once at run start and
 * journaled; the first runtime of each chain runs the stage, with the model and effort
 * chosen for it there.
 */
import type { AdapterV1, RuntimeAdapter } from '@baton/core';
import { upgradeV1Adapter } from '@baton/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from './journal/journal.js';
import { replayRun } from './replay.js';
import { dispatchedRuntimes } from './routing.js';
import { resumeRun, startRun } from './service.js';
import { createFakeAdapter } from './test-support/fake-adapters.mjs';
import { defaultAdapters, FakeProject, TEST_OPTIONS } from './test-support/project.js';
import { routingFor } from './test-support/routing.js';

const CHAINS = `
[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", model = "gpt-stage" }
execute = ["opencode", { runtime = "claude", model = "opus-fallback" }]
evaluate = "claude"
reflect = "hermes"

[runtimes.opencode]
model = "runtime-model"
`;

let project: FakeProject | undefined;

afterEach(() => {
  const survivors = project?.survivors() ?? [];
  project?.cleanup();
  project = undefined;
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

function setUp(config: string, adapters?: readonly RuntimeAdapter[]): FakeProject {
  project = new FakeProject(adapters);
  project.writeConfig(config);
  return project;
}

function context(fake: FakeProject, signal?: AbortSignal) {
  const env = fake.env();
  return {
    config: fake.config(env),
    registry: fake.registry,
    journal: fake.journal(),
    env,
    options: TEST_OPTIONS,
    ...(signal ? { signal } : {}),
  };
}

function events(fake: FakeProject, runId: string, type: string): JournalEvent[] {
  return [...fake.journal({ readOnly: true }).events(runId)].filter((event) => event.type === type);
}

/** The value after `flag` in an argument list, or `undefined`. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
}

/** The fake Codex on specification v2, accepting efforts and passing one as Codex does. */
function codexWithEfforts(): RuntimeAdapter {
  const codex = upgradeV1Adapter(createFakeAdapter('codex') as unknown as AdapterV1.RuntimeAdapter);
  return {
    ...codex,
    capabilities: { ...codex.capabilities, efforts: ['low', 'medium', 'high'] },
    buildCommand(request) {
      const command = codex.buildCommand(request);
      if (request.effort === undefined) return command;
      const stdinMarker = command.args.slice(-1);
      const effort = ['-c', `model_reasoning_effort=${request.effort}`];
      return { ...command, args: [...command.args.slice(0, -1), ...effort, ...stdinMarker] };
    },
  };
}

describe('routing a run', () => {
  it('journals every chain at start and runs each stage on its first runtime, with its model', async () => {
    const fake = setUp(CHAINS);
    const summary = await startRun(context(fake), { goal: 'Add a flag' });
    expect(summary.status).toBe('succeeded');
    expect(summary.stages.map((stage) => stage.runtime)).toEqual([
      'codex',
      'opencode',
      'claude-code',
      'hermes',
    ]);

    const started = events(fake, summary.runId, 'run.started')[0]!.payload;
    expect((started.routing as { stages: Record<string, unknown> }).stages.execute).toEqual({
      source: 'stage',
      chain: [
        { runtime_id: 'opencode', model: 'runtime-model', model_source: 'runtime', effort: null },
        { runtime_id: 'claude-code', model: 'opus-fallback', model_source: 'stage', effort: null },
      ],
    });
    const calls = fake.invocations();
    expect(calls.map((call) => call.stage)).toEqual([
      'interview',
      'execute',
      'evaluate',
      'reflect',
    ]);
    expect(flagValue(calls[0]!.args, '-m')).toBe('gpt-stage');
    expect(flagValue(calls[1]!.args, '-m')).toBe('runtime-model');
    expect(calls[2]!.args).not.toContain('--model');
    expect(
      events(fake, summary.runId, 'agent.process.started').map((event) => [
        event.payload.runtime_id,
        event.payload.model,
        event.payload.effort,
      ]),
    ).toEqual([
      ['codex', 'gpt-stage', null],
      ['opencode', 'runtime-model', null],
      ['claude-code', null, null],
      ['hermes', null, null],
    ]);
    expect(replayRun(fake.journal({ readOnly: true }), summary.runId).matches).toBe(true);
  });

  it('keeps the routing of a started run when the config changes before it resumes', async () => {
    const fake = setUp(CHAINS);
    fake.plan({ execute: { hang: true } });
    const controller = new AbortController();
    const interrupted = await startRun(
      {
        ...context(fake, controller.signal),
        observer: {
          stageStarted: (stage) => {
            if (stage.stage === 'execute') setTimeout(() => controller.abort('interrupted'), 150);
          },
        },
      },
      { goal: 'g' },
    );
    expect(interrupted.status).toBe('interrupted');

    fake.writeConfig(
      '[orchestrator.runtime_profile.stages]\nexecute = { runtime = "codex", model = "other" }\nevaluate = "hermes"\n[runtimes.opencode]\nmodel = "runtime-model"\n',
    );
    fake.plan({});
    const resumed = await resumeRun(context(fake), { runId: interrupted.runId });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.stages.map((stage) => `${stage.stage}@${stage.runtime}`)).toEqual([
      'interview@codex',
      'execute@opencode',
      'execute@opencode',
      'evaluate@claude-code',
      'reflect@hermes',
    ]);
    expect(flagValue(fake.invocations().at(-3)!.args, '-m')).toBe('runtime-model');
    expect(replayRun(fake.journal({ readOnly: true }), interrupted.runId).matches).toBe(true);
  });

  it('passes a stage effort to an adapter that accepts it', async () => {
    const adapters = [codexWithEfforts(), ...defaultAdapters().slice(1)];
    const fake = setUp(
      '[orchestrator.runtime_profile.stages]\ninterview = { runtime = "codex", effort = "high" }\nexecute = "opencode"\nevaluate = "claude"\nreflect = "hermes"\n',
      adapters,
    );
    const summary = await startRun(context(fake), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    expect(fake.invocations()[0]!.args).toContain('model_reasoning_effort=high');
    expect(events(fake, summary.runId, 'agent.process.started')[0]!.payload.effort).toBe('high');
  });

  it('refuses to start when an effort is one the adapter does not accept', async () => {
    const fake = setUp(
      '[orchestrator.runtime_profile.stages]\ninterview = { runtime = "codex", effort = "high" }\nexecute = { runtime = "opencode", effort = "max" }\n',
      [codexWithEfforts(), ...defaultAdapters().slice(1)],
    );
    const refused = startRun(context(fake), { goal: 'g', mission: 'deliver' });
    await expect(refused).rejects.toMatchObject({ code: 'RUNTIME_FAILED' });
    await expect(refused).rejects.toThrow(
      'opencode (execute): effort: OpenCode (fake) takes no reasoning effort, but the routing sets effort "max" at execute',
    );
    expect(fake.invocations()).toEqual([]);
  });
});

describe('[orchestrator.retry] in a run', () => {
  it('retries a transient failure as the config says, when the caller does not override it', async () => {
    const fake = setUp(`${CHAINS}\n[orchestrator.retry]\nmax_retries = 1\nbase_delay = "10ms"\n`);
    fake.plan({ execute: { fail: true, status: 503 } });
    const { retry: _retry, ...options } = TEST_OPTIONS;
    const summary = await startRun({ ...context(fake), options }, { goal: 'g' });
    expect(summary.status).toBe('failed');
    // One retry on each runtime of execute's chain, 10 ms after the failure, then the next.
    const dispatches = events(fake, summary.runId, 'control.directive.emitted')
      .filter(
        (event) => event.payload.directive === 'dispatch' && event.payload.stage === 'execute',
      )
      .map((event) => {
        const extra = event.payload.extra as Record<string, unknown>;
        return `${extra.runtime_id}#${extra.attempt}:${extra.reason}+${extra.backoff_ms}`;
      });
    expect(dispatches).toEqual([
      'opencode#1:first+0',
      'opencode#2:retry+10',
      'claude-code#3:fallback+0',
      'claude-code#4:retry+10',
    ]);
    expect(summary.cause).toBe(
      'execute failed on opencode, claude-code — every runtime of its chain failed: ' +
        'opencode (transient): stub forced 503; opencode (transient): stub forced 503; ' +
        'claude-code (transient): API Error: 503 stub forced 503; claude-code (transient): API Error: 503 stub forced 503',
    );
    expect(events(fake, summary.runId, 'run.started')[0]!.payload.retry).toEqual({
      max_retries: 1,
      base_delay_ms: 10,
      max_delay_ms: 60_000,
      rate_limit_retries: 3,
    });
  });
});

describe('dispatchedRuntimes', () => {
  it('lists every runtime of each stage chain the mission runs, with its place, once per stage', () => {
    const routing = routingFor({
      runtimeBackend: 'claude-code',
      stages: { interview: ['codex', 'hermes'], execute: 'codex' },
    });
    const steps = [
      { kind: 'stage', stage: 'execute' },
      { kind: 'human', question: 'ok?' },
      { kind: 'stage', stage: 'interview' },
      { kind: 'stage', stage: 'execute' },
    ] as const;
    const used = dispatchedRuntimes(routing, steps);
    expect([...used.keys()]).toEqual(['codex', 'hermes']);
    expect(used.get('codex')!.map((use) => [use.stage, use.position])).toEqual([
      ['execute', 0],
      ['interview', 0],
    ]);
    expect(used.get('hermes')!.map((use) => [use.stage, use.position])).toEqual([['interview', 1]]);
  });
});
