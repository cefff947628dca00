/**
 * A run through the harnesses' failures, with the fake runtimes (real processes) in a real
 * git repository: fallback along a chain with the workspace put back to the stage's
 * checkpoint and the abandoned work kept in a ref, rate limits waited out, no fallback on a
 * FAIL verdict, the non-git rule, unhealthy first choices skipped, failed runs resumed from
 * their failed stage, interrupted stages resumed in their harness session.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from './journal/journal.js';
import { replayRun } from './replay.js';
import type { RunObserver } from './runner/observer.js';
import { resumeRun, startRun } from './service.js';
import { createFakeAdapter } from './test-support/fake-adapters.mjs';
import { defaultAdapters, FakeProject, TEST_OPTIONS } from './test-support/project.js';

let project: FakeProject;

const CHAIN = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = ["codex", "claude"]
evaluate = "claude"
reflect = "hermes"
`;

beforeEach(() => {
  project = new FakeProject();
  project.writeConfig(CHAIN);
});

afterEach(() => {
  const survivors = project.survivors();
  project.cleanup();
  expect(survivors, 'processes started by fake runtimes still running').toEqual([]);
});

function context(extra: { observer?: RunObserver; signal?: AbortSignal } = {}) {
  const env = project.env();
  return {
    config: project.config(env),
    registry: project.registry,
    journal: project.journal(),
    env,
    options: TEST_OPTIONS,
    ...extra,
  };
}

function events(runId: string, type?: string): JournalEvent[] {
  const all = [...project.journal({ readOnly: true }).events(runId)];
  return type === undefined ? all : all.filter((event) => event.type === type);
}

function dispatches(runId: string): string[] {
  return events(runId, 'control.directive.emitted')
    .filter((event) => event.payload.directive === 'dispatch')
    .map((event) => {
      const extra = event.payload.extra as Record<string, unknown>;
      return `${event.payload.stage}@${extra.runtime_id}#${extra.attempt}:${extra.reason}`;
    });
}

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: project.root,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: project.base,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'User',
      GIT_AUTHOR_EMAIL: 'user@example.com',
      GIT_COMMITTER_NAME: 'User',
      GIT_COMMITTER_EMAIL: 'user@example.com',
    },
  });
}

function write(path: string, text: string): void {
  mkdirSync(join(project.root, path, '..'), { recursive: true });
  writeFileSync(join(project.root, path), text);
}

/** The project as a git repository with a commit, a branch, a stash and a staged change. */
function gitProject(): void {
  git('init', '-q', '-b', 'main');
  write('.gitignore', '.env\nnode_modules/\n');
  write('src/app.ts', 'export const app = 1;\n');
  write('docs/old.md', '# Old\n');
  git('add', '.');
  git('commit', '-q', '-m', 'start');
  git('branch', 'feature');
  write('src/app.ts', 'export const app = 2;\n');
  git('stash', '-q');
  write('src/app.ts', 'export const app = 3;\n');
  git('add', 'src/app.ts');
  write('notes.txt', 'untracked notes\n');
  write('.env', 'SECRET=1\n');
  write('node_modules/dep/index.js', 'module.exports = 0;\n');
}

function userGitState() {
  return {
    index: readFileSync(join(project.root, '.git', 'index')).toString('base64'),
    stash: git('stash', 'list'),
    refs: git(
      'for-each-ref',
      '--format=%(refname) %(objectname)',
      'refs/heads',
      'refs/tags',
      'refs/stash',
    ),
    head: git('rev-parse', 'HEAD'),
    headRef: readFileSync(join(project.root, '.git', 'HEAD'), 'utf8'),
  };
}

function recorded(
  file: string,
): { format: string; stage: string; files: Record<string, string> }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('falling back along a chain', () => {
  it("redoes the stage on the next runtime from the stage's exact checkpoint, keeping the abandoned work in a ref", async () => {
    gitProject();
    const before = userGitState();
    const seen = join(project.base, 'seen.jsonl');
    project.plan({
      'execute@codex': {
        recordWorkspace: seen,
        files: {
          write: {
            'src/app.ts': 'export const app = "codex";\n',
            'src/new.ts': 'new\n',
            '.env': 'SECRET=2\n',
          },
          remove: ['docs/old.md', 'notes.txt'],
        },
        fail: true,
        status: 'quota',
      },
      'execute@claude': { recordWorkspace: seen },
    });
    const summary = await startRun(context(), { goal: 'Change the app' });
    expect(summary.status).toBe('succeeded');
    expect(dispatches(summary.runId).slice(0, 3)).toEqual([
      'interview@codex#1:first',
      'execute@codex#1:first',
      'execute@claude-code#2:fallback',
    ]);
    // Each attempt keeps its own runtime.
    expect(
      summary.stages
        .filter((stage) => stage.stage === 'execute')
        .map((stage) => [stage.runtime, stage.status, stage.failureClass]),
    ).toEqual([
      ['codex', 'failed', 'quota_exhausted'],
      ['claude-code', 'succeeded', null],
    ]);

    // The fallback started from exactly what codex started from.
    const [codexSaw, claudeSaw] = recorded(seen);
    expect(claudeSaw!.format).toBe('claude');
    expect(claudeSaw!.files).toEqual(codexSaw!.files);
    expect(codexSaw!.files).toMatchObject({
      'src/app.ts': 'export const app = 3;\n',
      'docs/old.md': '# Old\n',
      'notes.txt': 'untracked notes\n',
      '.env': 'SECRET=1\n',
    });
    expect(codexSaw!.files['src/new.ts']).toBeUndefined();

    // The journal says why and where the abandoned work is.
    const [fallback] = events(summary.runId, 'stage.fallback');
    const prefix = `refs/baton/${summary.runId}/1-execute-0`;
    expect(fallback!.payload).toMatchObject({
      stage: 'execute',
      attempt: 2,
      reason: 'fallback',
      from: 'codex',
      to: 'claude-code',
      class: 'quota_exhausted',
      cause: expect.stringContaining("You've hit your usage limit"),
      delay_ms: 0,
      checkpoint_ref: `${prefix}/checkpoint`,
      abandoned_ref: `${prefix}/1-abandoned`,
      restored: { written: 4, deleted: 1 },
    });
    expect(
      events(summary.runId, 'stage.checkpoint').map((event) => [
        event.payload.kind,
        event.payload.ref,
      ]),
    ).toEqual([
      ['checkpoint', `refs/baton/${summary.runId}/0-interview-0/checkpoint`],
      ['checkpoint', `${prefix}/checkpoint`],
      ['abandoned', `${prefix}/1-abandoned`],
      ['checkpoint', `refs/baton/${summary.runId}/2-evaluate-0/checkpoint`],
      ['checkpoint', `refs/baton/${summary.runId}/3-reflect-0/checkpoint`],
    ]);
    // A user can diff the abandoned work against the checkpoint.
    expect(
      git('diff', '--name-status', `${prefix}/checkpoint`, `${prefix}/1-abandoned`)
        .trim()
        .split('\n')
        .sort(),
    ).toEqual(
      ['D\tdocs/old.md', 'D\tnotes.txt', 'M\t.env', 'M\tsrc/app.ts', 'A\tsrc/new.ts'].sort(),
    );
    expect(git('show', `${prefix}/1-abandoned:src/app.ts`)).toBe('export const app = "codex";\n');

    // The user's index, stash list, branches and HEAD are byte for byte as before.
    expect(userGitState()).toEqual(before);
    expect(readFileSync(join(project.root, 'node_modules/dep/index.js'), 'utf8')).toBe(
      'module.exports = 0;\n',
    );
    expect(replayRun(project.journal({ readOnly: true }), summary.runId).mismatches).toEqual([]);
  });

  it('falls back at once on auth, waits out a stated rate limit on the same runtime, and never falls back from a FAIL verdict', async () => {
    project.writeConfig(`
[orchestrator.runtime_profile.stages]
interview = ["codex", "opencode"]
execute = "claude"
evaluate = ["claude", "codex"]
reflect = "hermes"
`);
    project.plan({
      'interview@codex': { fail: true, status: 401 },
      execute: {
        attempts: [{ fail: true, status: 429, retryAfterSeconds: 1 }, {}],
      },
      evaluate: { final: 'Not done.\nVERDICT: FAIL nothing was built' },
    });
    const started = Date.now();
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('failed');
    expect(summary.cause).toBe('evaluate verdict: FAIL nothing was built');
    expect(dispatches(summary.runId)).toEqual([
      'interview@codex#1:first',
      'interview@opencode#2:fallback',
      'execute@claude-code#1:first',
      'execute@claude-code#2:retry',
      'evaluate@claude-code#1:first',
    ]);
    const retry = events(summary.runId, 'control.directive.emitted').find(
      (event) => (event.payload.extra as { reason?: string }).reason === 'retry',
    )!;
    expect((retry.payload.extra as { backoff_ms: number }).backoff_ms).toBe(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(events(summary.runId, 'stage.attempt')[0]!.payload).toMatchObject({
      stage: 'execute',
      reason: 'retry',
      to: 'claude-code',
      delay_ms: 1000,
    });
  });

  it('outside git, falls back only when the failed attempt changed nothing, and says so before the run', async () => {
    const notices: string[] = [];
    project.plan({ 'execute@codex': { fail: true, status: 'quota' } });
    const clean = await startRun(context({ observer: { notice: (text) => notices.push(text) } }), {
      goal: 'g',
    });
    expect(clean.status).toBe('succeeded');
    expect(notices).toEqual([
      expect.stringMatching(/^the project is not in a git work tree: Baton cannot checkpoint/),
    ]);

    project.plan({
      'execute@codex': {
        fail: true,
        status: 'quota',
        files: { write: { 'half.txt': 'half done\n' } },
      },
    });
    const dirty = await startRun(context(), { goal: 'g' });
    expect(dirty.status).toBe('failed');
    expect(dirty.cause).toBe(
      "execute failed on codex (quota_exhausted): You've hit your usage limit. Try again later.; not tried again: " +
        'the project is not in a git work tree, so Baton cannot put the workspace back, and the failed attempt changed files',
    );
    expect(dispatches(dirty.runId)).toEqual(['interview@codex#1:first', 'execute@codex#1:first']);
  });
});

describe('preflight over every runtime of every chain', () => {
  it('starts a stage on its next healthy runtime, with a notice and a journal entry', async () => {
    project.writeConfig(`${CHAIN}\n[runtimes.codex]\nbinary = "/nonexistent/codex"\n`);
    project.writeConfig(`
[orchestrator.runtime_profile.stages]
interview = ["codex", "opencode"]
execute = ["codex", "claude"]
evaluate = "claude"
reflect = "hermes"

[runtimes.codex]
binary = "/nonexistent/codex"
`);
    const notices: string[] = [];
    const summary = await startRun(
      context({ observer: { notice: (text) => notices.push(text) } }),
      {
        goal: 'g',
      },
    );
    expect(summary.status).toBe('succeeded');
    expect(dispatches(summary.runId).slice(0, 2)).toEqual([
      'interview@opencode#1:first',
      'execute@claude-code#1:first',
    ]);
    expect(notices[0]).toMatch(
      /^codex failed its checks \(binary: .*not found.*\): interview starts on opencode, execute starts on claude-code instead$/,
    );
    expect(
      events(summary.runId, 'runtime.unhealthy').map((event) => event.payload.runtime_id),
    ).toEqual(['codex']);
    expect(events(summary.runId, 'run.started')[0]!.payload.routing).toMatchObject({
      unhealthy: { codex: expect.stringContaining('binary') },
    });
    expect(events(summary.runId, 'stage.fallback')[0]!.payload).toMatchObject({
      stage: 'interview',
      reason: 'first',
      from: 'codex',
      to: 'opencode',
      class: 'unavailable',
    });
  });

  it('refuses to start when every runtime of a stage chain fails its checks', async () => {
    project.writeConfig(`${CHAIN}\n[runtimes.codex]\nbinary = "/nonexistent/codex"\n`);
    await expect(startRun(context(), { goal: 'g' })).rejects.toThrow(
      /Refusing to start: no runtime of the interview stage's chain passed its checks/,
    );
  });
});

describe('resuming', () => {
  it('resumes a failed run from its failed stage only, and from an earlier one with --from', async () => {
    gitProject();
    project.plan({ evaluate: { attempts: [{ fail: true, status: 401 }, {}] } });
    const failed = await startRun(context(), { goal: 'g' });
    expect(failed.status).toBe('failed');
    expect(project.invocations().map((call) => call.stage)).toEqual([
      'interview',
      'execute',
      'evaluate',
    ]);

    const resumed = await resumeRun(context(), { runId: failed.runId });
    expect(resumed.status).toBe('succeeded');
    // Interview and execute were not run again.
    expect(project.invocations().map((call) => call.stage)).toEqual([
      'interview',
      'execute',
      'evaluate',
      'evaluate',
      'reflect',
    ]);
    expect(events(failed.runId, 'run.resumed')).toHaveLength(1);
    expect(replayRun(project.journal({ readOnly: true }), failed.runId).mismatches).toEqual([]);

    // The same run can be resumed no more: it succeeded.
    await expect(resumeRun(context(), { runId: failed.runId })).rejects.toThrow(
      /already ended \(succeeded\)/,
    );
  });

  it('requires --force when the workspace changed since the run failed, and keeps the changes in a ref', async () => {
    gitProject();
    project.plan({ 'execute@codex': { fail: true, status: 'task' as never } });
    project.writeConfig(CHAIN.replace('execute = ["codex", "claude"]', 'execute = "codex"'));
    project.plan({ execute: { attempts: [{ fail: true, status: 400 }, {}] } });
    const failed = await startRun(context(), { goal: 'g' });
    expect(failed.status).toBe('failed');
    write('src/app.ts', 'export const app = "edited by hand";\n');
    await expect(resumeRun(context(), { runId: failed.runId })).rejects.toThrow(
      /The workspace changed since run .* stopped \(src\/app.ts\)\. Resuming starts execute again from its checkpoint/,
    );
    const resumed = await resumeRun(context(), { runId: failed.runId, force: true });
    expect(resumed.status).toBe('succeeded');
    const replaced = `refs/baton/${failed.runId}/1-execute-0/2-replaced`;
    expect(git('show', `${replaced}:src/app.ts`)).toBe('export const app = "edited by hand";\n');
    expect(readFileSync(join(project.root, 'src/app.ts'), 'utf8')).toBe('export const app = 3;\n');
    expect(events(failed.runId, 'run.resumed')[0]!.payload).toMatchObject({ forced: true });
  });

  it('refuses --from a stage the run never reached, and names the ones it can resume from', async () => {
    project.plan({ execute: { fail: true, status: 401 } });
    project.writeConfig(CHAIN.replace('execute = ["codex", "claude"]', 'execute = "codex"'));
    const failed = await startRun(context(), { goal: 'g' });
    await expect(resumeRun(context(), { runId: failed.runId, from: 'reflect' })).rejects.toThrow(
      `Run ${failed.runId} cannot resume from reflect: the run stopped before it reached reflect. It can resume from: interview, execute.`,
    );
    project.plan({});
    const resumed = await resumeRun(context(), { runId: failed.runId, from: 'interview' });
    expect(resumed.status).toBe('succeeded');
    expect(dispatches(failed.runId)).toEqual([
      'interview@codex#1:first',
      'execute@codex#1:first',
      'interview@codex#2:resume',
      'execute@codex#2:first',
      'evaluate@claude-code#1:first',
      'reflect@hermes#1:first',
    ]);
  });

  it('continues an interrupted stage in the session its harness announced', async () => {
    project.plan({ execute: { hang: true } });
    const controller = new AbortController();
    const interrupted = await startRun(
      context({
        signal: controller.signal,
        observer: {
          stageStarted: (stage) => {
            if (stage.stage === 'execute')
              setTimeout(() => controller.abort('interrupted by SIGINT'), 300);
          },
        },
      }),
      { goal: 'g' },
    );
    expect(interrupted.status).toBe('interrupted');
    expect(
      events(interrupted.runId, 'stage.session').map((event) => [
        event.payload.stage,
        event.payload.session_id,
      ]),
    ).toEqual([
      ['interview', 'codex-session-interview'],
      ['execute', 'codex-session-execute'],
    ]);
    project.plan({});
    const resumed = await resumeRun(context(), { runId: interrupted.runId });
    expect(resumed.status).toBe('succeeded');
    const execute = project.invocations().filter((call) => call.stage === 'execute');
    expect(execute).toHaveLength(2);
    expect(execute[1]!.args.slice(-3)).toEqual(['resume', 'codex-session-execute', '-']);
    expect(execute[1]!.stdin).toMatch(/^Baton stopped while you were running the execute stage/);
    expect(dispatches(interrupted.runId)[2]).toBe('execute@codex#2:session-resume');
  });

  it('restarts from the checkpoint, once, when the harness no longer knows the session', async () => {
    project.plan({ execute: { hang: true } });
    const controller = new AbortController();
    const run = await startRun(
      context({
        signal: controller.signal,
        observer: {
          stageStarted: (stage) => {
            if (stage.stage === 'execute')
              setTimeout(() => controller.abort('interrupted by SIGINT'), 300);
          },
        },
      }),
      { goal: 'g' },
    );
    expect(run.status).toBe('interrupted');
    project.plan({ execute: { unknownSession: true } });
    const done = await resumeRun(context(), { runId: run.runId });
    expect(done.status).toBe('succeeded');
    expect(dispatches(run.runId).filter((line) => line.startsWith('execute'))).toEqual([
      'execute@codex#1:first',
      'execute@codex#2:session-resume',
      'execute@codex#3:resume',
    ]);
    const execute = project.invocations().filter((call) => call.stage === 'execute');
    expect(execute.map((call) => call.args.includes('resume'))).toEqual([false, true, false]);
    expect(events(run.runId, 'agent.process.exited')[2]!.payload).toMatchObject({
      attempt: 2,
      session_not_found: true,
      failure_class: 'task',
    });
    expect(replayRun(project.journal({ readOnly: true }), run.runId).mismatches).toEqual([]);
  });
});

describe('a runtime that cannot continue a session', () => {
  it('starts the interrupted stage over from its checkpoint, and the journal says why', async () => {
    const codex = createFakeAdapter('codex');
    const stateless = { ...codex, capabilities: { ...codex.capabilities, resumeSession: false } };
    const others = defaultAdapters().filter((adapter) => adapter.identity.id !== 'codex');
    project.cleanup();
    project = new FakeProject([stateless, ...others]);
    project.writeConfig(CHAIN);
    gitProject();
    project.plan({ 'execute@codex': { hang: true, files: { write: { 'half.txt': 'half\n' } } } });
    const controller = new AbortController();
    const run = await startRun(
      context({
        signal: controller.signal,
        observer: {
          stageStarted: (stage) => {
            if (stage.stage === 'execute')
              setTimeout(() => controller.abort('interrupted by SIGINT'), 300);
          },
        },
      }),
      { goal: 'g' },
    );
    expect(run.status).toBe('interrupted');
    project.plan({});
    const done = await resumeRun(context(), { runId: run.runId });
    expect(done.status).toBe('succeeded');
    const [note] = events(run.runId, 'stage.attempt');
    const prefix = `refs/baton/${run.runId}/1-execute-0`;
    expect(note!.payload).toMatchObject({
      stage: 'execute',
      attempt: 2,
      reason: 'session-resume',
      session_id: null,
      note: 'Codex CLI (fake) cannot continue a session: execute starts over from its checkpoint',
      checkpoint_ref: `${prefix}/checkpoint`,
      abandoned_ref: `${prefix}/2-replaced`,
      restored: { written: 0, deleted: 1 },
    });
    expect(existsSync(join(project.root, 'half.txt'))).toBe(false);
    expect(git('show', `${prefix}/2-replaced:half.txt`)).toBe('half\n');
    const execute = project.invocations().filter((call) => call.stage === 'execute');
    expect(execute[1]!.args).not.toContain('resume');
  });
});

describe('usage and budgets', () => {
  const PRICED = `
[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", model = "gpt-test" }
execute = "claude"
evaluate = "claude"
reflect = "hermes"

[pricing."gpt-test"]
input = 2.0
output = 8.0
`;

  it('sums tokens and costs per stage and run, from the runtime or [pricing], unknown kept unknown', async () => {
    project.writeConfig(PRICED);
    project.plan({
      interview: { usage: { input: 1000, output: 100 } },
      execute: { usage: { input: 2000, output: 200, cost: 0.05 } },
      evaluate: { usage: { input: 10, output: 10, cost: null } },
      reflect: { usage: { input: 5, output: 5, cost: 0.001 } },
    });
    const summary = await startRun(context(), { goal: 'g' });
    expect(summary.status).toBe('succeeded');
    expect(
      summary.stages.map((stage) => [stage.stage, stage.usage.costUsd, stage.usage.costSource]),
    ).toEqual([
      ['interview', 0.0028, 'pricing'],
      ['execute', 0.05, 'runtime'],
      ['evaluate', null, null],
      ['reflect', 0.001, 'runtime'],
    ]);
    expect(summary.usage).toMatchObject({
      inputTokens: 3015,
      outputTokens: 315,
      costUsd: 0.0028 + 0.05 + 0.001,
      costSource: null,
      costComplete: false,
    });
    const exited = events(summary.runId, 'agent.process.exited')[0]!;
    expect(exited.payload.usage).toMatchObject({ cost_usd: 0.0028, cost_source: 'pricing' });
    const ended = events(summary.runId, 'stage.ended')[0]!;
    expect(ended.payload.usage).toEqual({
      input_tokens: 1000,
      cached_input_tokens: 0,
      output_tokens: 100,
      reasoning_tokens: 0,
      cost_usd: 0.0028,
      cost_source: 'pricing',
    });
  });

  it('stops before the second stage once the budget is spent, passes Claude Code what is left, and resumes with a raised budget', async () => {
    project.writeConfig(
      `${PRICED}\n[missions.careful]\nsteps = ["execute", "evaluate"]\nmax_cost_usd = 0.25\n`,
    );
    project.plan({
      execute: { usage: { input: 100, output: 10, cost: 0.3 } },
      evaluate: { usage: { input: 100, output: 10, cost: 0.3 } },
    });
    const first = await startRun(context(), { goal: 'g', mission: 'careful' });
    expect(first.status).toBe('budget_exhausted');
    expect(first.cause).toBe(
      "the run's budget is spent before evaluate (step 2): $0.3000 spent of $0.2500",
    );
    expect(project.invocations().map((call) => call.stage)).toEqual(['execute']);
    const [execute] = project.invocations();
    expect(
      execute!.args.slice(
        execute!.args.indexOf('--max-budget-usd'),
        execute!.args.indexOf('--max-budget-usd') + 2,
      ),
    ).toEqual(['--max-budget-usd', '0.25']);
    expect(events(first.runId, 'run.ended')[0]!.payload).toMatchObject({
      status: 'budget_exhausted',
    });

    await expect(resumeRun(context(), { runId: first.runId })).rejects.toThrow(
      `Run ${first.runId} would stop again at once: the run's budget is spent before evaluate (step 2): $0.3000 spent of $0.2500.\n` +
        `Raise the budget above what is spent, e.g.: baton resume ${first.runId} --max-cost 0.4500`,
    );
    const resumed = await resumeRun(context(), { runId: first.runId, budget: { maxCostUsd: 1 } });
    expect(resumed.status).toBe('succeeded');
    const evaluate = project.invocations()[1]!;
    expect(evaluate.args[evaluate.args.indexOf('--max-budget-usd') + 1]).toBe('0.7');
    expect(resumed.usage.costUsd).toBeCloseTo(0.6, 10);
    expect(events(first.runId, 'run.resumed')[0]!.payload).toMatchObject({
      budget: { max_cost_usd: 1, max_tokens: null },
    });
  });

  it("a flag overrides the mission budget; a stage stopped at Claude Code's own cap ends the run out of budget and resumes in its session", async () => {
    project.writeConfig(`${PRICED}\n[missions.careful]\nsteps = ["execute"]\nmax_cost_usd = 5\n`);
    project.plan({
      execute: { attempts: [{ limit: 'cost', usage: { input: 1, output: 1, cost: 0.11 } }, {}] },
    });
    const stopped = await startRun(context(), {
      goal: 'g',
      mission: 'careful',
      budget: { maxCostUsd: 0.1 },
    });
    expect(stopped.status).toBe('budget_exhausted');
    expect(stopped.cause).toBe(
      "claude-code stopped execute (step 1) at the cost left of the run's budget ($0.1100 spent of $0.1000)",
    );
    const resumed = await resumeRun(context(), { runId: stopped.runId, budget: { maxCostUsd: 1 } });
    expect(resumed.status).toBe('succeeded');
    const [, again] = project.invocations();
    expect(again!.args).toContain('--resume');
    expect(again!.args[again!.args.indexOf('--resume') + 1]).toBe('claude-session-execute');
  });

  it('says before the run which runtime cost it cannot know under a cost budget', async () => {
    project.writeConfig(`
[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", model = "gpt-unpriced" }
execute = "codex"
evaluate = "claude"
reflect = "hermes"

[missions.careful]
steps = ["interview", "execute"]
max_cost_usd = 1
`);
    const notices: string[] = [];
    const summary = await startRun(
      context({ observer: { notice: (text) => notices.push(text) } }),
      {
        goal: 'g',
        mission: 'careful',
      },
    );
    expect(notices.filter((text) => text.startsWith('codex'))).toEqual([
      'codex reports no cost (interview); add [pricing."gpt-unpriced"] or its tokens count toward max_tokens only',
      'codex reports no cost and runs the model its own config chooses (execute); name a model for it and ' +
        'price it in [pricing."<model>"], or its tokens count toward max_tokens only',
    ]);
    expect(events(summary.runId, 'run.notice').map((event) => event.payload.kind)).toEqual([
      'not-git',
      'cost-unknown',
      'cost-unknown',
    ]);
  });
});
