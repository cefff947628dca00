/**
 * `baton test` with the real pinned CLIs: the built CLI runs the example scenario
 * through a project whose routing sends interview to the real Codex, execute to the real
 * OpenCode and evaluate to the real Claude Code, each aimed by `baton test` at the
 * scenario's scripted server (the project's baton.toml names only the binaries).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SPEC_FIRST_SCENARIO } from '../../../scenario/src/test-support/spec-first.js';
import { requireCli } from '../binaries.js';
import { BATON_BIN, NODE_FIRST_PATH, runProcess } from './support.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** The scenario, and the contract reaching Claude Code in the evaluate stage's requests. */
const SCENARIO = `${SPEC_FIRST_SCENARIO}[[expect]]
request = { stage = "evaluate", runtime = "claude-code" }
path = "text"
contains = "(stage: evaluate)"
`;

describe('baton test with the real CLIs', () => {
  it("passes the issue's example scenario", async () => {
    const root = mkdtempSync(join(tmpdir(), 'baton-e2e-test-'));
    roots.push(root);
    const project = join(root, 'project');
    mkdirSync(join(project, 'tests'), { recursive: true });
    writeFileSync(
      join(project, 'baton.toml'),
      [
        '[orchestrator.runtime_profile.stages]',
        'interview = "codex"',
        'execute = "opencode"',
        'evaluate = "claude-code"',
        '',
        '[missions.spec-first]',
        'steps = ["interview", { human = "Approve the spec?" }, "execute", "evaluate"]',
        '',
        `[runtimes.codex]\nbinary = ${JSON.stringify(requireCli('codex'))}`,
        `[runtimes.opencode]\nbinary = ${JSON.stringify(requireCli('opencode'))}`,
        `[runtimes.claude-code]\nbinary = ${JSON.stringify(requireCli('claude'))}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(project, 'tests', 'spec-first.baton-test.toml'), SCENARIO);
    // The temporary directory inside the root: a failing scenario's kept folder goes with it.
    mkdirSync(join(root, 'tmp'));
    const env = {
      PATH: NODE_FIRST_PATH,
      HOME: join(root, 'home'),
      XDG_CONFIG_HOME: join(root, 'xdg'),
      TMPDIR: join(root, 'tmp'),
    };
    const result = await runProcess(process.execPath, [BATON_BIN, 'test', '--no-color'], {
      cwd: project,
      env,
      timeoutMs: 200_000,
    });
    expect(result.timedOut, result.stderr).toBe(false);
    expect(result.stdout, result.stderr).toMatch(/✔ spec-first mission passes with a good spec/);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
    expect(result.exitCode).toBe(0);
  }, 240_000);
});
