/**
 * Budgets, fallbacks and resumes through the built CLI, on the fake runtimes: `--max-cost`
 * stopping a run before its second stage and `resume --max-cost` going on, usage and cost
 * in the summary, `runs` and every `--json`; a fallback told live, in `events` and in `show`
 * with its refs; a failed run resumed with `--last`; bad budget and stage flags refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunProject } from '../test-support/run-project.js';

let project: RunProject | undefined;

afterEach(() => {
  expect(project?.cleanup() ?? []).toEqual([]);
  project = undefined;
});

interface UsageJson {
  totalTokens: number | null;
  costUsd: number | null;
  costSource: string | null;
  costComplete: boolean;
}

interface RunJson {
  runId: string;
  status: string;
  cause: string | null;
  usage: UsageJson;
  stages: {
    stage: string;
    runtime: string;
    status: string;
    failureClass: string | null;
    usage: UsageJson;
  }[];
}

const BUDGETED = `
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = "claude"
evaluate = "claude"
reflect = "hermes"

[missions.careful]
steps = ["execute", "evaluate"]
max_cost_usd = 5
`;

describe('run budgets through the CLI', () => {
  it('stops before the second stage, says what was spent and how to go on, and resumes with a raised budget', () => {
    project = new RunProject(BUDGETED);
    project.plan({
      execute: { usage: { input: 100, output: 10, cost: 0.3 } },
      evaluate: { usage: { input: 100, output: 10, cost: 0.3 } },
    });
    const text = project.baton(['run', 'Do it', '--mission', 'careful', '--max-cost', '0.25']);
    expect(text.status).toBe(1);
    const runId = project.latestRunId();
    expect(text.stdout).toContain(
      `■ Run ${runId} is out of budget: the run's budget is spent before evaluate (step 2): $0.3000 spent of $0.2500`,
    );
    expect(text.stdout).toContain(
      `Next: raise the budget and go on with baton resume ${runId} --max-cost USD (or --max-tokens N)`,
    );
    expect(text.stdout).toMatch(
      /Usage:\n {4}execute +claude-code +110 tokens · \$0\.3000\n {4}total +110 tokens · \$0\.3000\n/,
    );
    // The end line of the stage shows its tokens and cost.
    expect(text.stderr).toContain('110 tokens · $0.3000');

    const json = project.json<RunJson>([
      'run',
      'Do it',
      '--mission',
      'careful',
      '--max-cost',
      '0.25',
    ]);
    expect(json.status).toBe('budget_exhausted');
    expect(json.usage).toEqual({
      inputTokens: 100,
      cachedInputTokens: 0,
      outputTokens: 10,
      reasoningTokens: null,
      totalTokens: 110,
      costUsd: 0.3,
      costSource: 'runtime',
      costComplete: true,
    });
    expect(json.stages.map((stage) => [stage.stage, stage.usage.costUsd])).toEqual([
      ['execute', 0.3],
    ]);

    // `baton runs` lists what each run cost.
    const runs = project.baton(['runs']);
    expect(runs.stdout.split('\n')[0]).toMatch(/RUN +STATUS +MISSION +STARTED +COST +GOAL/);
    expect(runs.stdout).toContain('budget_exhausted');
    expect(runs.stdout).toContain('$0.3000');
    const listed = project.json<{ runId: string; usage: UsageJson }[]>(['runs']);
    expect(listed.map((run) => run.usage.costUsd)).toEqual([0.3, 0.3]);

    // Resuming with the budget it had would stop again at once: refused, with how to raise it.
    const same = project.baton(['resume', json.runId]);
    expect(same.status).toBe(2);
    expect(same.stderr).toContain(`Run ${json.runId} would stop again at once`);
    expect(same.stderr).toContain(`baton resume ${json.runId} --max-cost 0.4500`);

    const resumed = project.json<RunJson>(['resume', json.runId, '--max-cost', '1']);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.usage.costUsd).toBeCloseTo(0.6, 10);
    expect(resumed.stages.map((stage) => [stage.stage, stage.status])).toEqual([
      ['execute', 'succeeded'],
      ['evaluate', 'succeeded'],
    ]);
    // Claude Code got what was left of the budget as its own cap.
    const evaluate = project.invocations().at(-1) as unknown as { args: string[] };
    expect(evaluate.args[evaluate.args.indexOf('--max-budget-usd') + 1]).toBe('0.7');
    const events = project.baton(['events', json.runId]);
    expect(events.stdout).toMatch(
      /control\.directive\.emitted +budget_exhausted: the run's budget is spent before evaluate/,
    );
  });

  it('refuses budget and stage flags it cannot use, with one clear line', () => {
    project = new RunProject();
    const cases: [string[], string][] = [
      [
        ['run', 'g', '--max-cost', 'abc'],
        'run: --max-cost takes a positive number of US dollars, e.g. 2.50 (got "abc").',
      ],
      [
        ['run', 'g', '--max-cost', '0'],
        'run: --max-cost takes a positive number of US dollars, e.g. 2.50 (got "0").',
      ],
      [
        ['run', 'g', '--max-tokens', '1.5'],
        'run: --max-tokens takes a whole number of tokens, 1 or more (got "1.5").',
      ],
      [
        ['resume', 'x', '--from', 'exeucte'],
        'resume: --from takes a stage, one of interview, execute, evaluate, reflect (got "exeucte"); did you mean execute?',
      ],
    ];
    for (const [args, message] of cases) {
      const result = project.baton(args);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status: 2,
        stderr: `baton: ${message}\n`,
      });
    }
  });
});

describe('fallbacks and resumes through the CLI', () => {
  function gitInit(root: string): void {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: root,
          GIT_AUTHOR_NAME: 'U',
          GIT_AUTHOR_EMAIL: 'u@example.com',
          GIT_COMMITTER_NAME: 'U',
          GIT_COMMITTER_EMAIL: 'u@example.com',
        },
      });
    writeFileSync(join(root, '.gitignore'), 'node_modules/\nbin/\nxdg/\n.baton/\n');
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'app.ts'), 'export const app = 1;\n');
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'start');
  }

  it('tells a fallback live, in events and in show, naming the checkpoint and where the abandoned work is', () => {
    project = new RunProject(`
[orchestrator.runtime_profile.stages]
interview = "codex"
execute = ["codex", "claude"]
evaluate = "claude"
reflect = "hermes"
`);
    gitInit(project.root);
    project.plan({
      'execute@codex': {
        fail: true,
        status: 'quota',
        files: { write: { 'src/app.ts': 'export const app = 2;\n' } },
      },
    });
    const run = project.baton(['run', 'Change the app']);
    expect(run.status, run.stderr).toBe(0);
    const runId = project.latestRunId();
    const refs = `refs/baton/${runId}/1-execute-0`;
    expect(run.stderr).toMatch(
      /✖ execute · codex · \d+\.\ds · tokens unknown · cost unknown · failed \(quota_exhausted\): You've hit your usage limit\. Try again later\./,
    );
    expect(run.stderr).toContain(
      "↪ execute: codex failed (quota_exhausted: You've hit your usage limit. Try again later.); falling back on claude-code",
    );
    expect(run.stderr).toContain(`what was there is kept in ${refs}/1-abandoned`);

    const events = project.baton(['events', runId]).stdout;
    expect(events).toMatch(
      new RegExp(
        `stage\\.fallback +execute fallback: codex \\(quota_exhausted: You've hit your usage limit\\. Try again later\\.\\) → claude-code \\(attempt 2\\) · from ${refs}/checkpoint · kept ${refs}/1-abandoned`,
      ),
    );
    expect(events).toContain(
      `stage.checkpoint           execute abandoned (attempt 1) · ${refs}/1-abandoned`,
    );

    const show = project.baton(['show', runId]).stdout;
    expect(show).toMatch(
      /\n {2}attempt 1 on codex: failed \(quota_exhausted\) · \d+\.\ds · tokens unknown · cost unknown — You've hit your usage limit/,
    );
    expect(show).toContain(`    what it left: ${refs}/1-abandoned`);
    expect(show).toMatch(
      / {2}attempt 2 on claude-code, a fallback from codex \(quota_exhausted\): succeeded/,
    );
    expect(show).toContain(`  checkpoint: ${refs}/checkpoint`);
    const story = project.json<{
      steps: {
        stage: string;
        attempts: { fallbackFrom: unknown; abandonedRef: string | null }[];
      }[];
    }>(['show', runId]);
    expect(
      story.steps[1]!.attempts.map((attempt) => [attempt.fallbackFrom, attempt.abandonedRef]),
    ).toEqual([
      [null, `${refs}/1-abandoned`],
      [
        {
          runtime: 'codex',
          failureClass: 'quota_exhausted',
          cause: "You've hit your usage limit. Try again later.",
        },
        null,
      ],
    ]);
  });

  it('resumes the last failed run from its failed stage only', () => {
    project = new RunProject();
    project.plan({ evaluate: { attempts: [{ fail: true, status: 401 }, {}] } });
    const failed = project.baton(['run', 'g']);
    expect(failed.status).toBe(1);
    const runId = project.latestRunId();
    expect(failed.stdout).toContain(
      `Next: check claude-code with baton doctor --probe, then continue from evaluate with baton resume ${runId}`,
    );
    const before = project.invocations().length;
    const resumed = project.json<RunJson>(['resume', '--last']);
    expect(resumed.runId).toBe(runId);
    expect(resumed.status).toBe('succeeded');
    expect(
      project
        .invocations()
        .slice(before)
        .map((call) => call.stage),
    ).toEqual(['evaluate', 'reflect']);
  });
});
