/**
 * A journal written by @baton/run 0.1.0, before stage chains (`__fixtures__/journal-run-0.1.0.db`,
 * made by that version with its fake runtimes): its `run.started` events name one runtime per
 * stage. This version must replay every run in it to the recorded state hashes, and resume its
 * interrupted run on the routing it started with.
 *
 * The runs in it:
 * - succeeded: deliver with `default = "opencode"`, interview on codex, reflect on hermes_cli,
 *   execute retried once after a 500;
 * - interrupted: deliver, interview codex, execute opencode, evaluate and reflect on the
 *   runtime_backend claude_code; interrupted during execute;
 * - waiting: mission `review`, paused at its human step after interview;
 * - failed: mission `fix` (execute, evaluate, one loop), FAIL verdicts both times.
 */
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from './engine/wire.js';
import { ensureJournalDirectory, journalPath } from './journal/location.js';
import { replayRun } from './replay.js';
import { resumeRun } from './service.js';
import { FakeProject, MIXED_ROUTING, TEST_OPTIONS } from './test-support/project.js';

const FIXTURE = fileURLToPath(new URL('./__fixtures__/journal-run-0.1.0.db', import.meta.url));

const RUNS = {
  succeeded: '20261203-113648-fa23e1',
  interrupted: '20261203-113648-f762ac',
  waiting: '20261203-113649-16ca5a',
  failed: '20261203-113649-3a1c71',
} as const;

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(MIXED_ROUTING);
  // A copy: opening the journal writes beside it, and the fixture must stay as captured.
  ensureJournalDirectory(project.root);
  copyFileSync(FIXTURE, journalPath(project.root));
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

describe('a journal from before stage chains', () => {
  it('replays every run to the state hashes and statuses it recorded', () => {
    const journal = project.journal({ readOnly: true });
    for (const [status, runId] of Object.entries(RUNS)) {
      const replay = replayRun(journal, runId);
      expect(replay.mismatches, runId).toEqual([]);
      expect(replay.matches).toBe(true);
      expect(replay.state?.status).toBe(status);
      expect(replay.stateHash).toBe(replay.recordedStateHash);
    }
  });

  it('reads each stage of the mission as a chain of its one runtime, by the old rule', () => {
    const journal = project.journal({ readOnly: true });
    const routing = replayRun(journal, RUNS.succeeded).state!.routing;
    const one = (runtime: string, source: string) => ({
      runtime,
      source,
      chain: [{ runtime, model: null, modelSource: 'harness', effort: null }],
    });
    expect(routing.stages).toEqual({
      interview: one('codex', 'stage'),
      execute: one('opencode', 'default'),
      evaluate: one('opencode', 'default'),
      reflect: one('hermes', 'stage'),
    });
    expect(routing.backendProfile).toBe('worker');
    expect(routing.legacy).toEqual({
      runtimeBackend: 'claude-code',
      defaultRuntime: 'opencode',
      stages: { interview: 'codex', reflect: 'hermes' },
    });
    const review = replayRun(journal, RUNS.waiting).state!.routing;
    expect(Object.keys(review.stages)).toEqual(['interview', 'execute', 'evaluate']);
    expect(review.stages.evaluate).toEqual(one('claude-code', 'fallback'));
  });

  it('writes an old run.started back exactly as it read it', () => {
    const journal = project.journal({ readOnly: true });
    for (const runId of Object.values(RUNS)) {
      const [started] = [...journal.events(runId)];
      expect(started!.type).toBe('run.started');
      const { config_hash, config_files, cwd, pid, baton_depth, ...engine } = started!.payload;
      expect(encodeEvent(decodeEvent('run.started', started!.payload))).toEqual(engine);
    }
  });

  it('resumes the interrupted run on the routing it started with', async () => {
    const env = project.env();
    const resumed = await resumeRun(
      {
        config: project.config(env),
        registry: project.registry,
        journal: project.journal(),
        env,
        options: TEST_OPTIONS,
      },
      { runId: RUNS.interrupted },
    );
    expect(resumed.status).toBe('succeeded');
    // The config now routes evaluate to claude and reflect to hermes; the run keeps its own.
    expect(
      resumed.stages.map(
        (stage) => `${stage.stage}@${stage.runtime}#${stage.attempt}:${stage.status}`,
      ),
    ).toEqual([
      'interview@codex#1:succeeded',
      'execute@opencode#1:interrupted',
      'execute@opencode#2:succeeded',
      'evaluate@claude-code#1:succeeded',
      'reflect@claude-code#1:succeeded',
    ]);
    const replay = replayRun(project.journal({ readOnly: true }), RUNS.interrupted);
    expect(replay.mismatches).toEqual([]);
    expect(replay.matches).toBe(true);
  });
});
