/**
 * The live view fed from the journal tells what the live view of the run itself was told:
 * a run with tool calls, a fallback, a retry and a verdict, observed as it ran and then
 * replayed from its journal, gives the same stage starts, runtime events, ends, attempts,
 * retries and notices.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observeJournal } from './journal-observer.js';
import type { RunObserver } from './runner/observer.js';
import { startRun } from './service.js';
import { FakeProject, TEST_OPTIONS } from './test-support/project.js';

let project: FakeProject;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(`
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = ["codex", "claude"]
evaluate = "claude"
reflect = ["opencode", "hermes"]
`);
});

afterEach(() => {
  project.cleanup();
});

/** An observer that writes down what it is told, in order. */
function recorder(): { observer: RunObserver; calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    observer: {
      stageStarted: (stage, pid) => calls.push(['started', stage, pid]),
      // Pieces of a streamed message are shown live and not journaled; the whole one is both.
      runtimeEvent: (stage, event) => {
        if (!(event.type === 'text' && event.partial === true))
          calls.push(['event', stage.stage, stage.attempt, event]);
      },
      stageEnded: (stage, report) => calls.push(['ended', stage, { ...report, changes: null }]),
      retryScheduled: (stage, delay) => calls.push(['retry', stage, delay]),
      attemptPlanned: (stage, plan) => calls.push(['planned', stage, plan]),
      notice: (text) => calls.push(['notice', text]),
      question: (step, question, subject) => calls.push(['question', step, question, subject]),
    },
  };
}

describe('observeJournal', () => {
  it('tells from the journal what the run told its observer as it ran', async () => {
    project.plan({
      interview: { tools: [{ kind: 'command', target: 'ls' }] },
      // A 401 gives codex up (auth): execute falls back to claude.
      'execute@codex': { fail: true, status: 401 },
      'execute@claude': { tools: [{ kind: 'edit', target: 'notes.md' }] },
      evaluate: { final: 'Looks right.\nVERDICT: PASS' },
      // A 503 is transient: opencode is tried again after a pause.
      'reflect@opencode': { attempts: [{ fail: true, status: 503 }, {}] },
    });
    const live = recorder();
    const env = project.env();
    const summary = await startRun(
      {
        config: project.config(env),
        registry: project.registry,
        journal: project.journal(),
        env,
        options: TEST_OPTIONS,
        observer: live.observer,
      },
      { goal: 'Write the notes' },
    );
    expect(summary.status).toBe('succeeded');

    const replayed = recorder();
    const tell = observeJournal(replayed.observer);
    for (const event of project.journal({ readOnly: true }).events(summary.runId)) tell(event);

    expect(replayed.calls).toEqual(live.calls);
    const kinds = live.calls.map((call) => (call as unknown[])[0]);
    for (const kind of ['started', 'event', 'ended', 'planned', 'retry']) {
      expect(kinds, `the run told its observer no "${kind}"`).toContain(kind);
    }
  });
});
