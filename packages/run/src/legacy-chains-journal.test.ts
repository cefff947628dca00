/**
 * A journal written by @baton/run with stage chains but before failure classes, usage and
 * budgets (journal format 2; `__fixtures__/journal-run-chains.db`, made with the fake
 * runtimes): its `run.started` has no format, a two-key retry and no budget; its
 * `stage.ended` no failure class. This version must replay every run in it to the recorded
 * state hashes, resume its interrupted run, and — new — resume its failed run from the
 * failed stage.
 *
 * The runs in it (config below):
 * - succeeded: deliver, execute (chain opencode → claude-code) retried once after a 500;
 * - interrupted: deliver, interrupted during execute;
 * - waiting: mission `review`, paused at its human step;
 * - failedStage: deliver, evaluate failed with a 401;
 * - failedVerdict: mission `fix`, FAIL verdicts with its one loop spent;
 * - rejected: mission `gate`, rejected at its human step.
 */
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from './engine/wire.js';
import { ensureJournalDirectory, journalPath } from './journal/location.js';
import { replayRun } from './replay.js';
import { resumeRun } from './service.js';
import { FakeProject, TEST_OPTIONS } from './test-support/project.js';

const FIXTURE = fileURLToPath(new URL('./__fixtures__/journal-run-chains.db', import.meta.url));

const CONFIG = `
[orchestrator]
runtime_backend = "claude"

[orchestrator.runtime_profile]
backend_profile = "worker"

[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", model = "gpt-5.5" }
execute = ["opencode", { runtime = "claude", model = "opus" }]
evaluate = "claude"
reflect = "hermes"

[missions.review]
steps = ["interview", { human = "Approve the spec?" }, "execute"]

[missions.fix]
steps = ["execute", "evaluate"]
max_loops = 1

[missions.gate]
steps = ["interview", { human = "Ship it?" }]
`;

const RUNS = {
  succeeded: '20261203-120731-8a4c0e',
  interrupted: '20261203-120732-be7126',
  waiting: '20261203-120732-f27be6',
  failed: '20261203-120733-b8baa9',
  failedVerdict: '20261203-120733-6e3049',
  rejected: '20261203-120733-e56f55',
} as const;

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(CONFIG);
  ensureJournalDirectory(project.root);
  copyFileSync(FIXTURE, journalPath(project.root));
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

function context() {
  const env = project.env();
  return {
    config: project.config(env),
    registry: project.registry,
    journal: project.journal(),
    env,
    options: TEST_OPTIONS,
  };
}

describe('a journal from before failure classes, usage and budgets', () => {
  it('replays every run to the state hashes and statuses it recorded', () => {
    const journal = project.journal({ readOnly: true });
    const statuses: Record<string, string> = {};
    for (const [name, runId] of Object.entries(RUNS)) {
      const replay = replayRun(journal, runId);
      expect(replay.mismatches, name).toEqual([]);
      expect(replay.matches).toBe(true);
      expect(replay.state?.format).toBe(2);
      statuses[name] = replay.state!.status;
    }
    expect(statuses).toEqual({
      succeeded: 'succeeded',
      interrupted: 'interrupted',
      waiting: 'waiting',
      failed: 'failed',
      failedVerdict: 'failed',
      rejected: 'rejected',
    });
  });

  it('writes an old run.started back exactly as it read it', () => {
    const journal = project.journal({ readOnly: true });
    for (const runId of Object.values(RUNS)) {
      const [started] = [...journal.events(runId)];
      const { config_hash, config_files, cwd, pid, baton_depth, ...engine } = started!.payload;
      expect(encodeEvent(decodeEvent('run.started', started!.payload))).toEqual(engine);
    }
  });

  it('resumes the interrupted run, and replay still matches', async () => {
    const resumed = await resumeRun(context(), { runId: RUNS.interrupted });
    expect(resumed.status).toBe('succeeded');
    expect(
      resumed.stages.map(
        (stage) => `${stage.stage}@${stage.runtime}#${stage.attempt}:${stage.status}`,
      ),
    ).toEqual([
      'interview@codex#1:succeeded',
      'execute@opencode#1:interrupted',
      'execute@opencode#2:succeeded',
      'evaluate@claude-code#1:succeeded',
      'reflect@hermes#1:succeeded',
    ]);
    expect(replayRun(project.journal({ readOnly: true }), RUNS.interrupted).mismatches).toEqual([]);
  });

  it('resumes the failed run from its failed stage only', async () => {
    const resumed = await resumeRun(context(), { runId: RUNS.failed });
    expect(resumed.status).toBe('succeeded');
    expect(
      resumed.stages.map(
        (stage) => `${stage.stage}@${stage.runtime}#${stage.attempt}:${stage.status}`,
      ),
    ).toEqual([
      'interview@codex#1:succeeded',
      'execute@opencode#1:succeeded',
      'evaluate@claude-code#1:failed',
      'evaluate@claude-code#2:succeeded',
      'reflect@hermes#1:succeeded',
    ]);
    expect(project.invocations().map((call) => call.stage)).toEqual(['evaluate', 'reflect']);
    expect(replayRun(project.journal({ readOnly: true }), RUNS.failed).mismatches).toEqual([]);
  });
});
