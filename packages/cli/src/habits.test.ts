/**
 * Errors that answer and habits from other tools, through the built CLI: an unknown option
 * says which one it likely was; `baton help <command>`; an unknown runtime lists canonical ids
 * and names the adapter package a harness would need; a value from the environment or a flag
 * is shown as it was given; `baton contract` ends with a newline; a `baton.toml` that is a
 * folder is an error.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installFakeAdapter, runCli, tempProject } from './test-support/project.js';

function project(toml = '[orchestrator]\nruntime_backend = "alpha"\n'): string {
  const root = tempProject({ 'baton.toml': toml });
  installFakeAdapter(root, 'alpha');
  return root;
}

describe('unknown options', () => {
  it('say which option they most likely were', () => {
    const root = project();
    const cases: [string[], string][] = [
      [['-v'], 'unknown option -v; did you mean --version? (see baton --help)'],
      [['--verison'], 'unknown option --verison; did you mean --version? (see baton --help)'],
      [['--jsno'], 'unknown option --jsno; did you mean --json? (see baton --help)'],
      [['-x'], 'unknown option -x (see baton --help)'],
      [
        ['run', 'g', '--verbos'],
        'run: unknown option "--verbos"; did you mean --verbose? (see baton run --help).',
      ],
      [
        ['resume', 'x', '--aprove'],
        'resume: unknown option "--aprove"; did you mean --approve? (see baton resume --help).',
      ],
    ];
    for (const [args, message] of cases) {
      const result = runCli(root, args);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({
        args,
        status: 2,
        stderr: `baton: ${message}\n`,
      });
    }
    expect(runCli(root, ['-V']).stdout).toMatch(/^baton \d+\.\d+\.\d+/);
  });
});

describe('baton help', () => {
  it("prints baton's help, or a command's, like --help", () => {
    const root = project();
    const help = runCli(root, ['help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(runCli(root, ['--help']).stdout);
    const run = runCli(root, ['help', 'run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(runCli(root, ['run', '--help']).stdout);
    expect(run.stdout).toContain('Usage: baton run "<goal>"');
    const wrong = runCli(root, ['help', 'rnu']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^baton: help: there is no command "rnu"\. Did you mean "run"\?/);
  });
});

describe('runtime names', () => {
  it('an unknown runtime lists canonical ids, suggests the canonical id, and names the adapter a harness needs', () => {
    const root = project(
      '[orchestrator]\nruntime_backend = "alpha"\n[orchestrator.runtime_profile.stages]\nexecute = "claud"\ninterview = "gemini"\n',
    );
    const result = runCli(root, ['stages']);
    expect(result.status).toBe(2);
    const lines = result.stderr.split('\n');
    const execute = lines.find((line) => line.includes('stages.execute'))!;
    const interview = lines.find((line) => line.includes('stages.interview'))!;
    expect(execute).toMatch(
      /stages\.execute = "claud": unknown runtime\. Accepted: .*\. Did you mean "claude-code"\?$/,
    );
    expect(interview).toMatch(
      /stages\.interview = "gemini": unknown runtime\. Accepted: .*\. No adapter for "gemini" is installed; a third-party one would be the package baton-adapter-gemini \(npm install baton-adapter-gemini\)\.$/,
    );
    // Canonical ids only: the installed runtime and the first-party ones.
    const accepted = /Accepted: ([^.]*)\./.exec(execute)![1]!.split(', ').sort();
    expect(accepted).toEqual(['alpha', 'claude-code', 'codex', 'hermes', 'litellm', 'opencode']);
    // Aliases are accepted, not listed.
    expect(result.stderr).not.toContain('claudecode');
  });

  it('shows a value from the environment or a flag as it was given', () => {
    const root = project();
    const fromEnv = runCli(root, ['stages'], { BATON_STAGE_EXECUTE: 'codx' });
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.stderr).toContain(
      '  - BATON_STAGE_EXECUTE="codx" (environment): unknown runtime. Accepted: ',
    );
    expect(fromEnv.stderr).toContain('Did you mean "codex"?');
    const fromFlag = runCli(root, ['stages', '--stage', 'execute=codx']);
    expect(fromFlag.stderr).toContain('  - --stage execute=codx (command line): unknown runtime.');
  });
});

describe('small things', () => {
  it('baton contract ends with a newline', () => {
    const result = runCli(project(), ['contract', 'execute']);
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(result.stdout.endsWith('\n\n')).toBe(false);
  });

  it('a baton.toml that is a folder is an error that says so, not a silent skip to a parent', () => {
    const parent = project();
    const child = join(parent, 'child');
    mkdirSync(join(child, 'baton.toml'), { recursive: true });
    const result = runCli(child, ['stages']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `baton: Invalid configuration:\n  - ${join(child, 'baton.toml')}: is a directory, not a regular file\n`,
    );
  });
});
