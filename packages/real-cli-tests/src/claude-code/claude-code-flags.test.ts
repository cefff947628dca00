/**
 * Every argument the Claude Code adapter can emit is one the pinned `claude` 2.1.330 really
 * accepts: checked against the binary's own `--help`, over all access levels × profile ×
 * model × base_url × resume × contract, and over every effort × budget.
 */
import { createClaudeCodeAdapter } from '@baton/claude-code';
import { ACCESS_LEVELS, type StageRequest } from '@baton/core';
import { runCommand } from '@baton/core/doctor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { combinations } from '../combinations.js';
import { createSandbox, KEY_VARIABLE, type Sandbox } from './support.js';

interface HelpOption {
  readonly takesValue: boolean;
  readonly choices: readonly string[] | null;
}

/** Options of a commander `--help` page: `  --model <model>   …` and their `(choices: …)`. */
function parseHelp(help: string): Map<string, HelpOption> {
  const options = new Map<string, HelpOption>();
  const blocks = help.split('\n').reduce<string[]>((all, line) => {
    if (/^\s{2}-/.test(line)) all.push(line);
    else if (all.length > 0 && /^\s{3,}\S/.test(line)) all[all.length - 1] += ` ${line.trim()}`;
    return all;
  }, []);
  for (const block of blocks) {
    const head = block.trim().split(/\s{2,}/)[0]!;
    const names = head.split(/[ ,]+/).filter((part) => part.startsWith('-'));
    const takesValue = /[<[]/.test(head);
    const choices =
      /\(choices: ([^)]+)\)/
        .exec(block)?.[1]
        ?.match(/"([^"]+)"/g)
        ?.map((value) => value.slice(1, -1)) ?? null;
    for (const name of names) options.set(name, { takesValue, choices });
  }
  return options;
}

const adapter = createClaudeCodeAdapter();
let sandbox: Sandbox;
let help: string;

beforeAll(async () => {
  sandbox = createSandbox();
  const result = await runCommand(requireCli('claude'), ['--help'], {
    env: sandbox.env,
    timeoutMs: 20_000,
  });
  expect(result.exitCode).toBe(0);
  help = result.stdout;
});

afterAll(() => {
  sandbox.remove();
});

function requests(): StageRequest[] {
  return combinations({
    access: ACCESS_LEVELS,
    profile: [null, 'worker'],
    model: [undefined, 'claude-sonnet-4-5'],
    baseUrl: [undefined, 'http://127.0.0.1:4000/v1'],
    resumeSessionId: [undefined, '4cb922db-f10d-41ff-aeff-a5437125240f'],
    contract: ['', 'You are the Reviewer.'],
  }).map(({ access, profile, model, baseUrl, resumeSessionId, contract }) => ({
    stage: 'evaluate',
    prompt: 'Review the change.',
    contract,
    cwd: sandbox.workspace,
    access,
    profile,
    ...(model === undefined ? {} : { model }),
    ...(resumeSessionId === undefined ? {} : { resumeSessionId }),
    settings: baseUrl === undefined ? {} : { baseUrl, apiKeyEnv: KEY_VARIABLE },
    scratchDir: sandbox.scratchDir,
    env: sandbox.env,
  }));
}

/**
 * Checks each argument of the commands against the parsed --help, and returns the options used.
 * Two options are no lines of their own in 2.1.330's --help, and are proven by runs instead:
 * `--append-system-prompt-file` (named in `--bare`'s text; the runs test shows the file's
 * text in `system`) and `--max-turns` (hidden; the budget test shows it stop a run).
 */
function checkAgainstHelp(all: readonly StageRequest[]): Set<string> {
  const options = parseHelp(help);
  const used = new Set<string>();
  for (const request of all) {
    const { args } = adapter.buildCommand(request);
    for (let index = 0; index < args.length; index++) {
      const arg = args[index]!;
      expect(arg.startsWith('-'), `argument ${index} (${arg}) is an option`).toBe(true);
      used.add(arg);
      if (arg === '--append-system-prompt-file') {
        expect(help).toContain('--append-system-prompt[-file]');
        index++;
        continue;
      }
      if (arg === '--max-turns') {
        expect(options.has(arg), '--max-turns stays hidden').toBe(false);
        expect(args[++index]).toMatch(/^[1-9]\d*$/);
        continue;
      }
      const option = options.get(arg);
      expect(option, `${arg} in claude --help`).toBeDefined();
      if (!option!.takesValue) continue;
      const value = args[++index]!;
      expect(value, `${arg} takes a value`).toBeDefined();
      if (option!.choices !== null) {
        // `default` is gone from 2.1.330's list (it prints `manual`) but still accepted:
        // the runs test asserts the init event reports permissionMode "default".
        const accepted =
          arg === '--permission-mode' ? [...option!.choices, 'default'] : option!.choices;
        expect(accepted, `${arg} ${value}`).toContain(value);
      }
    }
  }
  return used;
}

describe('claude 2.1.330 --help accepts every argument the adapter emits', () => {
  it('is the pinned version', async () => {
    const version = await runCommand(requireCli('claude'), ['--version'], {
      env: sandbox.env,
      timeoutMs: 20_000,
    });
    expect(version.stdout.trim()).toBe('2.1.330 (Claude Code)');
  });

  it('knows every option and value, over 96 commands', () => {
    const options = parseHelp(help);
    const all = requests();
    expect(all).toHaveLength(96);
    const used = checkAgainstHelp(all);
    expect([...used].sort()).toEqual([
      '--append-system-prompt-file',
      '--disallowedTools',
      '--model',
      '--output-format',
      '--permission-mode',
      '--resume',
      '--settings',
      '--verbose',
      '-p',
    ]);
    expect(options.get('--permission-mode')?.choices).toEqual([
      'acceptEdits',
      'auto',
      'bypassPermissions',
      'manual',
      'dontAsk',
      'plan',
    ]);
    expect(options.get('--output-format')?.choices).toEqual(['text', 'json', 'stream-json']);
  });

  it('knows every effort and budget option, over 30 more commands', () => {
    const all: StageRequest[] = combinations({
      access: ACCESS_LEVELS,
      effort: adapter.capabilities.efforts,
      budget: [undefined, { maxCostUsd: 0.75, maxTurns: 4 }],
    }).map(({ access, effort, budget }) => ({
      stage: 'execute',
      prompt: 'Build it.',
      contract: 'You are the Builder.',
      cwd: sandbox.workspace,
      access,
      profile: null,
      effort,
      ...(budget === undefined ? {} : { budget }),
      settings: {},
      scratchDir: sandbox.scratchDir,
      env: sandbox.env,
    }));
    expect(all).toHaveLength(30);
    const used = checkAgainstHelp(all);
    expect([...used].filter((flag) => /effort|max-/.test(flag)).sort()).toEqual([
      '--effort',
      '--max-budget-usd',
      '--max-turns',
    ]);
    // --effort is no commander `choices` list: its help text names the levels.
    expect(parseHelp(help).get('--effort')?.takesValue).toBe(true);
    expect(help).toMatch(
      new RegExp(
        `--effort <level>\\s+Effort level for the current session\\s+\\(${adapter.capabilities.efforts.join(', ')}\\)`,
      ),
    );
    expect(parseHelp(help).get('--max-budget-usd')?.takesValue).toBe(true);
  });

  it('refuses a budget of 0, as the builder does before it gets there', async () => {
    const result = await runCommand(
      requireCli('claude'),
      ['-p', '--output-format', 'stream-json', '--verbose', '--max-budget-usd', '0'],
      { env: sandbox.env, cwd: sandbox.workspace, timeoutMs: 20_000, input: 'hi' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(
      "error: option '--max-budget-usd <amount>' argument '0' is invalid. --max-budget-usd must be a number greater than 0",
    );
  });

  it('names the probe-only options in --help too', () => {
    const options = parseHelp(help);
    expect(options.get('--no-session-persistence')?.takesValue).toBe(false);
    expect(options.get('--tools')?.takesValue).toBe(true);
  });

  it('rejects an option it does not know (so every run that succeeds proves its options)', async () => {
    const result = await runCommand(
      requireCli('claude'),
      ['-p', '--output-format', 'stream-json', '--verbose', '--bogus-flag'],
      {
        env: sandbox.env,
        cwd: sandbox.workspace,
        timeoutMs: 20_000,
        input: 'hi',
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe("error: unknown option '--bogus-flag'");
  });
});
