/**
 * Every argument the Codex adapter can emit is one the pinned `codex exec` (and `codex exec
 * resume`) really accepts: checked against the binary's own `--help`, over all access
 * levels × profile × model × base_url × resume.
 */

import { createCodexAdapter } from '@baton/codex';
import { ACCESS_LEVELS, type StageRequest } from '@baton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { combinations } from '../combinations.js';
import { createSandbox, runSpec, type Sandbox, stageRequest } from './support.js';

interface HelpOption {
  readonly takesValue: boolean;
  readonly possibleValues: readonly string[] | null;
}

/** Options of a clap `--help` page: `-s, --sandbox <SANDBOX_MODE>` and its possible values. */
function parseHelp(help: string): Map<string, HelpOption> {
  const options = new Map<string, HelpOption>();
  const lines = help.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = /^\s{2,}(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: <[^>]+>(?:\.\.\.)?)?\s*$/.exec(
      line,
    );
    if (!match) continue;
    const takesValue = line.includes('<');
    let possibleValues: string[] | null = null;
    for (const following of lines.slice(index + 1, index + 8)) {
      const values = /\[possible values: ([^\]]+)\]/.exec(following);
      if (values) {
        possibleValues = values[1]!.split(',').map((value) => value.trim());
        break;
      }
      if (/^\s{2,}-/.test(following)) break;
    }
    const option = { takesValue, possibleValues };
    options.set(match[2]!, option);
    if (match[1] !== undefined) options.set(match[1], option);
  }
  return options;
}

// Created while the cases are collected: it.each needs the requests before beforeAll runs.
const sandbox: Sandbox = createSandbox();
let execHelp: string;
let resumeHelp: string;
let execOptions: Map<string, HelpOption>;
let resumeOptions: Map<string, HelpOption>;
let features: string;

async function codex(args: string[]): Promise<string> {
  const result = await runSpec(
    { file: requireCli('codex'), args, env: {}, cwd: sandbox.workspace, stdin: null },
    sandbox.env,
    15_000,
  );
  expect(result.exit.exitCode, `codex ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  [execHelp, resumeHelp, features] = await Promise.all([
    codex(['exec', '--help']),
    codex(['exec', 'resume', '--help']),
    codex(['features', 'list']),
  ]);
  execOptions = parseHelp(execHelp);
  resumeOptions = parseHelp(resumeHelp);
});

afterAll(() => sandbox.remove());

function allRequests(): Array<{ name: string; request: StageRequest }> {
  return combinations({
    access: ACCESS_LEVELS,
    profile: [null, 'worker'],
    model: [undefined, 'gpt-5.5'],
    baseUrl: [null, 'http://127.0.0.1:4000/v1'],
    resumeSessionId: [undefined, '01a1ffe5-7184-7220-8660-b0531b834ce8'],
    effort: [undefined, 'xhigh'],
  }).map(({ access, profile, model, baseUrl, resumeSessionId, effort }) => ({
    name: `${access} profile=${profile ?? '-'} model=${model ?? '-'} base_url=${baseUrl ? 'yes' : 'no'} resume=${resumeSessionId ? 'yes' : 'no'} effort=${effort ?? '-'}`,
    request: stageRequest(sandbox, baseUrl, {
      access,
      profile,
      ...(model === undefined ? {} : { model }),
      ...(resumeSessionId === undefined ? {} : { resumeSessionId }),
      ...(effort === undefined ? {} : { effort }),
      budget: { maxCostUsd: 0.5, maxTurns: 3 },
      contract: 'You are the "Builder".\nKeep evidence.',
    }),
  }));
}

describe('codex 0.169.0 accepts every flag the adapter emits', () => {
  it('reads the option tables from the real --help', () => {
    // The parser must see the options this suite relies on, or the checks below prove nothing.
    for (const flag of [
      '--json',
      '--skip-git-repo-check',
      '-C',
      '-s',
      '-p',
      '-m',
      '-c',
      '--disable',
      '--ephemeral',
    ]) {
      expect(execOptions.has(flag), flag).toBe(true);
    }
    expect(execOptions.get('-s')).toEqual({
      takesValue: true,
      possibleValues: ['read-only', 'workspace-write', 'danger-full-access'],
    });
    expect(resumeOptions.has('-C')).toBe(false);
    expect(resumeHelp).toContain('Usage: codex exec resume [OPTIONS] [SESSION_ID] [PROMPT]');
    expect(execHelp).toContain('If not provided as an argument (or if `-` is used),');
    expect(features).toMatch(/^unbounded_connection_retries\s/m);
  });

  it('offers no spend or turn cap, as the adapter declares', () => {
    const adapter = createCodexAdapter();
    expect(adapter.capabilities).toMatchObject({ costCap: false, turnCap: false });
    for (const help of [execHelp, resumeHelp]) expect(help).not.toMatch(/budget|max-turns|cost/i);
    // Its token budgets exist only as unfinished features, off by default.
    expect(features).toMatch(/^rollout_budget\s+under development\s+false$/m);
    expect(features).toMatch(/^token_budget\s+under development\s+false$/m);
  });

  it.each(allRequests())('$name', ({ request }) => {
    const command = createCodexAdapter().buildCommand(request);
    expect(command.file).toBe(requireCli('codex'));
    const args = [...command.args];
    expect(args[0]).toBe('exec');
    let options = execOptions;
    let subcommand: 'exec' | 'resume' = 'exec';
    const positionals: string[] = [];
    for (let index = 1; index < args.length; index++) {
      const arg = args[index]!;
      if (arg === '-' || !arg.startsWith('-')) {
        positionals.push(arg);
        if (arg === 'resume' && subcommand === 'exec' && positionals.length === 1) {
          subcommand = 'resume';
          options = resumeOptions;
          positionals.length = 0;
        }
        continue;
      }
      const option = options.get(arg);
      expect(
        option,
        `${arg} is not an option of codex exec${subcommand === 'resume' ? ' resume' : ''}`,
      ).toBeDefined();
      if (option!.takesValue) {
        const value = args[++index];
        expect(value, `${arg} needs a value`).toBeDefined();
        if (option!.possibleValues !== null) expect(option!.possibleValues).toContain(value);
        if (arg === '--disable') expect(features).toMatch(new RegExp(`^${value}\\s`, 'm'));
        if (arg === '-c') expect(value).toMatch(/^[a-z_.]+=/);
      }
    }
    // The prompt is read from stdin: `-` is the only prompt argument.
    if (request.resumeSessionId === undefined) {
      expect(subcommand).toBe('exec');
      expect(positionals).toEqual(['-']);
    } else {
      expect(subcommand).toBe('resume');
      expect(positionals).toEqual([request.resumeSessionId, '-']);
    }
    expect(command.stdin).toBe(request.prompt);
    expect(args.filter((arg) => arg === '-p').length).toBe(request.profile === null ? 0 : 1);
    expect(args.filter((arg) => arg.startsWith('model_reasoning_effort='))).toEqual(
      request.effort === undefined ? [] : [`model_reasoning_effort="${request.effort}"`],
    );
  });
});
