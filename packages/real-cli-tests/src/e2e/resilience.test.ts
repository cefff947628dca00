/**
 * Baton through the harnesses' real failures, end to end: the built CLI drives the real
 * pinned Codex, Claude Code and OpenCode against the scripted model server, which plays
 * each failure as the provider would send it. Codex's usage limit moves a stage to Claude
 * Code over a workspace put back to the stage's checkpoint (the abandoned work in a ref, the
 * user's git state untouched); a 401 moves to the next runtime; a 429 with `retry-after`
 * is waited out on the same runtime; a FAIL verdict is an answer, not an outage; a failed
 * run resumes from its failed stage; `kill -9` of Baton leaves a stage that resumes in its
 * harness session; a budget stops a run before its second stage and Claude Code gets what
 * is left as its own cap; each stage's model reaches the wire.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay, type ScriptTurn } from '@baton/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REAL_CLIS } from '../binaries.js';
import { useModelServer } from '../test-hooks.js';
import {
  BATON_BIN,
  contractMarker,
  createPipeline,
  type JournalEvent,
  KEY,
  MODELS,
  type Pipeline,
  type RuntimeId,
  readEvents,
  runtimeSections,
  TURN_USAGE,
} from './support.js';

const RUN_TIMEOUT_MS = 100_000;
/** Codex sometimes leaves a command that ends at once out of its events; a short sleep keeps it in. */
const SETTLE = 'sleep 0.3; ';

const STAGE_MODELS = {
  codexInterview: 'codex-interview-model',
  claudeExecute: 'claude-execute-model',
  claudeEvaluate: 'claude-evaluate-model',
} as const;

const server = useModelServer({
  apiKey: KEY,
  models: [...Object.values(MODELS), ...Object.values(STAGE_MODELS)],
});
let pipeline: Pipeline;

beforeEach(() => {
  server().reset();
  pipeline = createPipeline(server().url, {
    interview: 'codex',
    execute: 'codex',
    evaluate: 'claude-code',
    reflect: 'claude-code',
  });
});

afterEach(() => {
  pipeline.remove();
});

/** The project's baton.toml: `routing` (stages, missions, pricing) and every runtime aimed at the server. */
function configure(routing: string, runtimes: readonly RuntimeId[]): void {
  writeFileSync(
    join(pipeline.workspace, 'baton.toml'),
    `${routing.trim()}\n${runtimeSections(server().url, runtimes)}`,
  );
}

/** Requests of a stage (by its contract) that a runtime's model sent. */
function requests(stage: string, model: string) {
  return server().requests.filter(
    (request) => request.model === model && request.text.includes(contractMarker(stage as never)),
  );
}

function script(stage: string, model: string, turns: readonly ScriptTurn[]): void {
  server().script({ model, text: contractMarker(stage as never) }, [...turns]);
}

interface RunJson {
  runId: string;
  status: string;
  cause: string | null;
  usage: { totalTokens: number | null; costUsd: number | null; costSource: string | null };
  stages: {
    stage: string;
    runtime: string;
    status: string;
    failureClass: string | null;
    usage: { totalTokens: number | null; costUsd: number | null; costSource: string | null };
  }[];
}

async function batonJson(
  args: readonly string[],
): Promise<{ exitCode: number | null; json: RunJson; stderr: string }> {
  const result = await pipeline.baton([...args, '--json'], RUN_TIMEOUT_MS);
  expect(result.timedOut, `baton ${args[0]} timed out; stderr:\n${result.stderr}`).toBe(false);
  try {
    return {
      exitCode: result.exitCode,
      json: JSON.parse(result.stdout) as RunJson,
      stderr: result.stderr,
    };
  } catch {
    throw new Error(
      `baton ${args.join(' ')} --json printed no JSON:\n${result.stdout}\n${result.stderr}`,
    );
  }
}

const ofType = (events: readonly JournalEvent[], type: string) =>
  events.filter((event) => event.type === type);

const dispatches = (events: readonly JournalEvent[]) =>
  ofType(events, 'control.directive.emitted')
    .filter((event) => event.payload.directive === 'dispatch')
    .map(
      (event) =>
        `${event.payload.stage}@${event.payload.extra.runtime_id}#${event.payload.extra.attempt}:${event.payload.extra.reason}`,
    );

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: pipeline.workspace,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: pipeline.env.HOME!,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'User',
      GIT_AUTHOR_EMAIL: 'user@example.com',
      GIT_COMMITTER_NAME: 'User',
      GIT_COMMITTER_EMAIL: 'user@example.com',
    },
  });
}

function workspaceFile(name: string): string | null {
  const path = join(pipeline.workspace, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

describe('fallback chains with the real CLIs', () => {
  it("Codex's usage limit: the stage is redone on Claude Code from the exact checkpoint, the abandoned work in a ref, the user's git state untouched", async () => {
    configure(
      `
[orchestrator.runtime_profile.stages]
execute = ["codex", "claude-code"]

[missions.fix]
steps = ["execute"]
`,
      ['codex', 'claude-code'],
    );
    // The user's repository: a commit, a branch, a stash, a staged change edited further,
    // an untracked file, an ignored file, an ignored directory.
    writeFileSync(join(pipeline.workspace, '.gitignore'), '.env\nnode_modules/\n');
    writeFileSync(join(pipeline.workspace, 'tracked.txt'), 'committed\n');
    writeFileSync(join(pipeline.workspace, 'doomed.txt'), 'to be deleted\n');
    git('init', '-q', '-b', 'main');
    git('add', '.gitignore', 'tracked.txt', 'doomed.txt', 'baton.toml');
    git('commit', '-q', '-m', 'start');
    git('branch', 'feature');
    writeFileSync(join(pipeline.workspace, 'tracked.txt'), 'stashed\n');
    git('stash', '-q');
    writeFileSync(join(pipeline.workspace, 'tracked.txt'), 'staged\n');
    git('add', 'tracked.txt');
    writeFileSync(join(pipeline.workspace, 'tracked.txt'), 'staged, then edited\n');
    writeFileSync(join(pipeline.workspace, 'notes.txt'), 'untracked notes\n');
    writeFileSync(join(pipeline.workspace, '.env'), 'SECRET=1\n');
    mkdirSync(join(pipeline.workspace, 'node_modules'));
    writeFileSync(join(pipeline.workspace, 'node_modules', 'dep.js'), 'module.exports = 1;\n');
    const userState = () => ({
      index: readFileSync(join(pipeline.workspace, '.git', 'index')).toString('base64'),
      stash: git('stash', 'list'),
      refs: git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/stash'),
      head: git('rev-parse', 'HEAD'),
    });
    const before = userState();

    const resetsAt = Math.floor(Date.now() / 1000) + 90 * 60;
    script('execute', MODELS.codex, [
      {
        toolCall: {
          command:
            `${SETTLE}printf 'codex was here\\n' > tracked.txt && rm doomed.txt notes.txt && ` +
            `printf 'new\\n' > new.txt && printf 'SECRET=codex\\n' > .env`,
        },
        usage: TURN_USAGE,
      },
      {
        error: {
          status: 429,
          message: 'The usage limit has been reached',
          type: 'usage_limit_reached',
          fields: { plan_type: 'plus', resets_at: resetsAt },
        },
      },
    ]);
    script('execute', MODELS['claude-code'], [
      { toolCall: { command: 'cat tracked.txt .env; ls -a' }, usage: TURN_USAGE },
      { text: 'Looked at the workspace; nothing to change.', usage: TURN_USAGE },
    ]);

    const run = await batonJson(['run', 'Fix it', '--mission', 'fix']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json.status).toBe('succeeded');
    expect(
      run.json.stages.map((stage) => [stage.runtime, stage.status, stage.failureClass]),
    ).toEqual([
      ['codex', 'failed', 'quota_exhausted'],
      ['claude-code', 'succeeded', null],
    ]);

    const events = await readEvents(pipeline, run.json.runId);
    expect(dispatches(events)).toEqual(['execute@codex#1:first', 'execute@claude-code#2:fallback']);
    // Which harness ran which attempt.
    expect(
      ofType(events, 'agent.process.started').map((event) => event.payload.runtime_id),
    ).toEqual(['codex', 'claude-code']);
    const refs = `refs/baton/${run.json.runId}/0-execute-0`;
    const [fallback] = ofType(events, 'stage.fallback');
    expect(fallback!.payload).toMatchObject({
      from: 'codex',
      to: 'claude-code',
      class: 'quota_exhausted',
      cause: expect.stringMatching(/^You’ve hit your usage limit\./),
      delay_ms: 0,
      checkpoint_ref: `${refs}/checkpoint`,
      abandoned_ref: `${refs}/1-abandoned`,
    });

    // Claude Code started from exactly what Codex started from.
    const [, answer] = requests('execute', MODELS['claude-code']);
    expect(answer!.text).toContain('staged, then edited');
    expect(answer!.text).toContain('SECRET=1');
    expect(answer!.text).toContain('doomed.txt');
    expect(answer!.text).toContain('notes.txt');
    expect(answer!.text).not.toContain('codex was here');
    expect(answer!.text).not.toContain('new.txt');
    // And the workspace is that again (Claude Code changed nothing).
    expect(workspaceFile('tracked.txt')).toBe('staged, then edited\n');
    expect(workspaceFile('doomed.txt')).toBe('to be deleted\n');
    expect(workspaceFile('notes.txt')).toBe('untracked notes\n');
    expect(workspaceFile('.env')).toBe('SECRET=1\n');
    expect(workspaceFile('new.txt')).toBeNull();
    expect(workspaceFile('node_modules/dep.js')).toBe('module.exports = 1;\n');

    // What Codex did is kept: diff the checkpoint against the abandoned ref.
    expect(
      git('diff', '--name-status', `${refs}/checkpoint`, `${refs}/1-abandoned`)
        .trim()
        .split('\n')
        .sort(),
    ).toEqual(['M\t.env', 'D\tdoomed.txt', 'A\tnew.txt', 'D\tnotes.txt', 'M\ttracked.txt'].sort());
    expect(git('show', `${refs}/1-abandoned:tracked.txt`)).toBe('codex was here\n');
    // The user's index, stash list, branches and HEAD are byte for byte as before.
    expect(userState()).toEqual(before);
  }, 150_000);

  it('a 401 moves to the next runtime, a 429 with retry-after: 2 is waited out on Claude Code, a FAIL verdict is not fallen back from; each stage runs its own model', async () => {
    configure(
      `
[orchestrator.runtime_profile.stages]
interview = ["opencode", { runtime = "codex", model = "${STAGE_MODELS.codexInterview}" }]
execute = { runtime = "claude-code", model = "${STAGE_MODELS.claudeExecute}" }
evaluate = [{ runtime = "claude-code", model = "${STAGE_MODELS.claudeEvaluate}" }, "codex"]

[missions.checked]
steps = ["interview", "execute", "evaluate"]
`,
      ['opencode', 'codex', 'claude-code'],
    );
    script('interview', MODELS.opencode, [{ error: { status: 401, message: 'invalid api key' } }]);
    script('interview', STAGE_MODELS.codexInterview, [
      { text: 'Spec: one line.', usage: TURN_USAGE },
    ]);
    // Claude Code retries a 429 twice itself: three failures make its attempt fail.
    script('execute', STAGE_MODELS.claudeExecute, [
      { error: { status: 429, headers: { 'retry-after': '2' } }, times: 3 },
      { text: 'Done after the rate limit.', usage: TURN_USAGE },
    ]);
    script('evaluate', STAGE_MODELS.claudeEvaluate, [
      { text: 'Criterion 1: FAIL — not done.\nVERDICT: FAIL not done', usage: TURN_USAGE },
    ]);

    const run = await batonJson(['run', 'Check it', '--mission', 'checked']);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.json.status).toBe('failed');
    expect(run.json.cause).toBe('evaluate verdict: FAIL not done');
    const events = await readEvents(pipeline, run.json.runId);
    expect(dispatches(events)).toEqual([
      'interview@opencode#1:first',
      'interview@codex#2:fallback',
      'execute@claude-code#1:first',
      'execute@claude-code#2:retry',
      'evaluate@claude-code#1:first',
    ]);
    expect(ofType(events, 'stage.fallback')[0]!.payload).toMatchObject({
      from: 'opencode',
      to: 'codex',
      class: 'auth',
    });

    // The rate limit: the attempt failed as rate_limited with Claude Code's stated delay,
    // and Baton waited at least that long before the next attempt on Claude Code.
    const exited = ofType(events, 'agent.process.exited').filter(
      (event) => event.payload.stage === 'execute',
    );
    expect(exited[0]!.payload).toMatchObject({ failure_class: 'rate_limited', status: 'failed' });
    expect(exited[0]!.payload.retry_after_ms).toBeGreaterThanOrEqual(2000);
    const retry = ofType(events, 'control.directive.emitted').find(
      (event) => event.payload.extra?.reason === 'retry',
    )!;
    expect(retry.payload.extra.backoff_ms).toBe(exited[0]!.payload.retry_after_ms);
    const restarted = ofType(events, 'agent.process.started').find(
      (event) => event.payload.stage === 'execute' && event.payload.attempt === 2,
    )!;
    expect(Date.parse(restarted.at) - Date.parse(exited[0]!.at)).toBeGreaterThanOrEqual(2000);

    // No fallback from the verdict: codex never saw the evaluate stage.
    expect(requests('evaluate', MODELS.codex)).toEqual([]);
    expect(ofType(events, 'verdict.recorded')[0]!.payload).toMatchObject({ outcome: 'fail' });

    // Each stage's model on the wire: the runtime's own where the stage names none.
    expect(requests('interview', MODELS.opencode).length).toBeGreaterThan(0);
    expect(requests('interview', STAGE_MODELS.codexInterview)).toHaveLength(1);
    expect(requests('execute', STAGE_MODELS.claudeExecute)).toHaveLength(4);
    expect(requests('evaluate', STAGE_MODELS.claudeEvaluate)).toHaveLength(1);
    expect(requests('execute', MODELS['claude-code'])).toEqual([]);
  }, 150_000);
});

describe('resuming with the real CLIs', () => {
  it('a run failed at evaluate resumes from evaluate only', async () => {
    configure(
      `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "codex"
evaluate = "claude-code"

[missions.checked]
steps = ["interview", "execute", "evaluate"]
`,
      ['codex', 'claude-code'],
    );
    script('interview', MODELS.codex, [{ text: 'Spec.', usage: TURN_USAGE }]);
    script('execute', MODELS.codex, [{ text: 'Built.', usage: TURN_USAGE }]);
    script('evaluate', MODELS['claude-code'], [{ error: { status: 401, message: 'key revoked' } }]);
    const failed = await batonJson(['run', 'Build it', '--mission', 'checked']);
    expect(failed.json.status).toBe('failed');
    expect(failed.json.cause).toMatch(/^evaluate failed on claude-code \(auth\): /);

    script('evaluate', MODELS['claude-code'], [
      { text: 'All good.\nVERDICT: PASS', usage: TURN_USAGE },
    ]);
    const resumed = await batonJson(['resume', failed.json.runId]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.json.status).toBe('succeeded');
    const events = await readEvents(pipeline, failed.json.runId);
    // Interview and execute ran once; evaluate twice, the second after the resume.
    expect(
      ofType(events, 'agent.process.started').map(
        (event) => `${event.payload.stage}#${event.payload.attempt}`,
      ),
    ).toEqual(['interview#1', 'execute#1', 'evaluate#1', 'evaluate#2']);
    expect(requests('interview', MODELS.codex)).toHaveLength(1);
    expect(requests('execute', MODELS.codex)).toHaveLength(1);
    expect(ofType(events, 'run.resumed')).toHaveLength(1);
    const replay = await pipeline.baton(['replay', failed.json.runId], 20_000);
    expect(replay.exitCode, replay.stdout + replay.stderr).toBe(0);
  }, 150_000);

  it('kill -9 of Baton mid-execute: baton resume continues the stage in the same Claude Code session', async () => {
    configure(
      `
[orchestrator.runtime_profile.stages]
execute = "claude-code"

[missions.fix]
steps = ["execute"]
`,
      ['claude-code'],
    );
    const model = MODELS['claude-code'];
    // The first run calls a tool, then waits for an answer that comes too late.
    script('execute', model, [
      { toolCall: { command: 'printf killed-run-output > marker.txt && cat marker.txt' } },
      delay(60_000, { text: 'too late' }),
    ]);
    // The resumed run's requests carry Baton's continuation prompt (the latest route wins);
    // its conversation already holds one model turn, the tool call.
    server().script({ model, text: 'Baton stopped while you were running the execute stage' }, [
      { text: 'not reached' },
      { text: 'Continued after the kill.', usage: TURN_USAGE },
    ]);

    const child = spawn(
      process.execPath,
      [BATON_BIN, 'run', 'Write the marker', '--mission', 'fix'],
      {
        cwd: pipeline.workspace,
        env: pipeline.env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill Baton alone (not its runtime) once Claude Code waits for the delayed answer.
    const deadline = Date.now() + 60_000;
    while (requests('execute', model).length < 2) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('Claude Code never sent the request after its tool call');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(child.pid!, 'SIGKILL');
    await exited;

    const runs = JSON.parse((await pipeline.baton(['runs', '--json'], 20_000)).stdout) as {
      runId: string;
      status: string;
    }[];
    expect(runs[0]!.status).toBe('interrupted');
    const runId = runs[0]!.runId;
    let events = await readEvents(pipeline, runId);
    const [announced] = ofType(events, 'stage.session');
    const sessionId = announced!.payload.session_id as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const before = server().requests.length;
    const resumed = await batonJson(['resume', runId]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.json.status).toBe('succeeded');
    events = await readEvents(pipeline, runId);
    expect(dispatches(events)).toEqual([
      'execute@claude-code#1:first',
      'execute@claude-code#2:session-resume',
    ]);
    const started = ofType(events, 'agent.process.started').at(-1)!;
    expect(started.payload.argv.slice(-2)).toEqual(['--resume', sessionId]);
    // The killed runtime was stopped and recorded when the run was taken over.
    expect(ofType(events, 'agent.process.exited')[0]!.payload).toMatchObject({
      attempt: 1,
      status: 'interrupted',
      stopped_by: 'owner-lost',
    });
    // The server saw the earlier conversation again: the killed run's prompt, tool call and output.
    const again = server()
      .requests.slice(before)
      .filter((request) => request.model === model && request.endpoint === 'messages');
    expect(again).toHaveLength(1);
    expect(again[0]!.text).toContain('printf killed-run-output > marker.txt');
    expect(again[0]!.text).toContain('killed-run-output');
    expect(again[0]!.text).toContain('Baton stopped while you were running the execute stage');
  }, 150_000);
});

describe('usage, cost and budgets with the real CLIs', () => {
  it('sums usage per harness, stops before the second stage once the budget is spent, and gives Claude Code what is left as its own cap', async () => {
    configure(
      `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "claude-code"

[missions.careful]
steps = ["interview", "execute"]
max_cost_usd = 0.002

[pricing."${MODELS.codex}"]
input = 1.0
output = 10.0

[pricing."${MODELS['claude-code']}"]
input = 3.0
output = 15.0
`,
      ['codex', 'claude-code'],
    );
    // Two requests (a tool call, then the answer): the stage's usage is their sum.
    script('interview', MODELS.codex, [
      { toolCall: { command: `${SETTLE}echo looked` }, usage: TURN_USAGE },
      { text: 'Spec.', usage: TURN_USAGE },
    ]);
    script('execute', MODELS['claude-code'], [{ text: 'Built.', usage: TURN_USAGE }]);

    const stopped = await batonJson(['run', 'Build it', '--mission', 'careful']);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.json.status).toBe('budget_exhausted');
    // 2 × (1000 in + 20 out) at $1 / $10 per million: $0.0024.
    expect(stopped.json.stages).toHaveLength(1);
    expect(stopped.json.stages[0]!.usage).toMatchObject({
      totalTokens: 2040,
      costSource: 'pricing',
    });
    expect(stopped.json.stages[0]!.usage.costUsd).toBeCloseTo(0.0024, 10);
    expect(stopped.json.cause).toBe(
      "the run's budget is spent before execute (step 2): $0.0024 spent of $0.0020",
    );
    expect(requests('execute', MODELS['claude-code'])).toEqual([]);

    const resumed = await batonJson(['resume', stopped.json.runId, '--max-cost', '1']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.json.status).toBe('succeeded');
    const execute = resumed.json.stages.at(-1)!;
    // Claude Code priced nothing for a model it does not know: [pricing] did, 1000 × $3 + 20 × $15 per million.
    expect(execute.usage).toMatchObject({ totalTokens: 1020, costSource: 'pricing' });
    expect(execute.usage.costUsd).toBeCloseTo(0.0033, 10);
    expect(resumed.json.usage).toMatchObject({ totalTokens: 3060, costSource: 'pricing' });
    expect(resumed.json.usage.costUsd).toBeCloseTo(0.0057, 10);

    // Claude Code's own cap: the budget left, in the flag its --help documents.
    const events = await readEvents(pipeline, stopped.json.runId);
    const claude = ofType(events, 'agent.process.started').find(
      (event) => event.payload.runtime_id === 'claude-code',
    )!;
    const argv = claude.payload.argv as string[];
    expect(argv[argv.indexOf('--max-budget-usd') + 1]).toBe('0.9976');
    const help = execFileSync(REAL_CLIS.claude, ['--help'], {
      encoding: 'utf8',
      env: pipeline.env,
    });
    expect(help).toMatch(/--max-budget-usd <amount>/);
  }, 150_000);
});
