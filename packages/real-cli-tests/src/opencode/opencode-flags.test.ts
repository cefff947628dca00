/**
 * Every argument the OpenCode adapter can emit is one the pinned `opencode` 1.18.33 really
 * accepts: checked against the binary's own `opencode run --help`, over all access levels ×
 * profile × model × base_url × resume × contract × effort × turn budget. The binary refuses
 * an unknown option (exit 1), so every run that succeeds in the runs test proves its options
 * too. A turn budget travels in the config layer (the agent's `steps`), not in argv.
 */
import { ACCESS_LEVELS, type StageRequest } from '@baton/core';
import { runCommand } from '@baton/core/doctor';
import { createOpencodeAdapter } from '@baton/opencode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCli } from '../binaries.js';
import { combinations } from '../combinations.js';
import { createSandbox, KEY_VARIABLE, type Sandbox } from './support.js';

interface HelpOption {
  readonly type: string;
  readonly choices: readonly string[] | null;
}

/** Options of a yargs `--help` page: `  -m, --model  text  [string]` with `[choices: …]`. */
function parseHelp(help: string): Map<string, HelpOption> {
  const options = new Map<string, HelpOption>();
  const blocks = help.split('\n').reduce<string[]>((all, line) => {
    if (/^\s{2,8}-/.test(line)) all.push(line);
    else if (all.length > 0 && /^\s{10,}\S/.test(line)) all[all.length - 1] += ` ${line.trim()}`;
    return all;
  }, []);
  for (const block of blocks) {
    const head = block.trim().split(/\s{2,}/)[0]!;
    const names = head.split(/[ ,]+/).filter((part) => part.startsWith('-'));
    const type = /\[(string|boolean|number|array)\]/.exec(block)?.[1] ?? 'unknown';
    const choices =
      /\[choices: ([^\]]+)\]/
        .exec(block)?.[1]
        ?.match(/"([^"]+)"/g)
        ?.map((value) => value.slice(1, -1)) ?? null;
    for (const name of names) options.set(name, { type, choices });
  }
  return options;
}

const adapter = createOpencodeAdapter();
let sandbox: Sandbox;
let help: string;

beforeAll(async () => {
  sandbox = createSandbox();
  const result = await runCommand(requireCli('opencode'), ['run', '--help'], {
    env: sandbox.env,
    cwd: sandbox.workspace,
    timeoutMs: 30_000,
  });
  expect(result.exitCode).toBe(0);
  help = result.stdout + result.stderr;
});

afterAll(() => {
  sandbox.remove();
});

function requests(): StageRequest[] {
  return combinations({
    access: ACCESS_LEVELS,
    profile: [null, 'worker'],
    model: [undefined, 'anthropic/claude-sonnet-4-5'],
    baseUrl: [undefined, 'http://127.0.0.1:4000/v1'],
    resumeSessionId: [undefined, 'ses_e0014db6cffe1xqLRYbZabiLeT'],
    contract: ['', 'You are the Builder.'],
    effort: [undefined, 'high'],
    maxTurns: [undefined, 3],
  })
    .filter(({ baseUrl, model }) => baseUrl === undefined || model !== undefined) // refused: a base_url needs a model
    .map(({ access, profile, model, baseUrl, resumeSessionId, contract, effort, maxTurns }) => ({
      stage: 'execute',
      prompt: 'Build it.',
      contract,
      cwd: sandbox.workspace,
      access,
      profile,
      ...(model === undefined ? {} : { model }),
      ...(resumeSessionId === undefined ? {} : { resumeSessionId }),
      ...(effort === undefined ? {} : { effort }),
      ...(maxTurns === undefined ? {} : { budget: { maxTurns } }),
      settings: baseUrl === undefined ? {} : { baseUrl, apiKeyEnv: KEY_VARIABLE },
      scratchDir: sandbox.scratchDir,
      env: sandbox.env,
    }));
}

describe('opencode 1.18.33 run --help accepts every argument the adapter emits', () => {
  it('is the pinned version', async () => {
    const version = await runCommand(requireCli('opencode'), ['--version'], {
      env: sandbox.env,
      timeoutMs: 30_000,
    });
    expect(version.stdout.trim()).toBe('1.18.33');
  });

  it('knows every option and value, over 288 commands', () => {
    const options = parseHelp(help);
    const all = requests();
    expect(all).toHaveLength(288);
    const used = new Set<string>();
    for (const request of all) {
      const { args } = adapter.buildCommand(request);
      expect(args[0]).toBe('run');
      for (let index = 1; index < args.length; index++) {
        const arg = args[index]!;
        expect(arg.startsWith('-'), `argument ${index} (${arg}) is an option`).toBe(true);
        used.add(arg);
        const option = options.get(arg);
        expect(option, `${arg} in opencode run --help`).toBeDefined();
        if (option!.type === 'boolean') continue;
        const value = args[++index]!;
        expect(value, `${arg} takes a value`).toBeDefined();
        expect(value.startsWith('-'), `${arg} ${value}`).toBe(false);
        if (option!.choices !== null) expect(option!.choices, `${arg} ${value}`).toContain(value);
      }
    }
    expect([...used].sort()).toEqual([
      '--agent',
      '--auto',
      '--dir',
      '--format',
      '--model',
      '--session',
      '--title',
      '--variant',
    ]);
    expect(options.get('--format')).toEqual({ type: 'string', choices: ['default', 'json'] });
    expect(options.get('--auto')?.type).toBe('boolean');
    expect(options.get('--model')?.type).toBe('string');
    expect(options.get('--session')?.type).toBe('string');
    expect(options.get('--agent')?.type).toBe('string');
    expect(options.get('--dir')?.type).toBe('string');
    expect(options.get('--title')?.type).toBe('string');
    expect(options.get('--variant')?.type).toBe('string');
  });

  it('takes every declared effort as a --variant value (OpenCode lists no choices)', () => {
    const options = parseHelp(help);
    expect(options.get('--variant')).toEqual({ type: 'string', choices: null });
    expect(help).toMatch(/--variant\s+model variant \(provider-specific reasoning effort/);
    for (const effort of adapter.capabilities.efforts) {
      const { args } = adapter.buildCommand({ ...requests()[0]!, effort });
      expect(args.slice(-2)).toEqual(['--variant', effort]);
    }
  });

  it('takes the message from stdin: the positional message is optional', () => {
    expect(help).toContain('opencode run [message..]');
  });

  it('rejects an option it does not know (so every run that succeeds proves its options)', async () => {
    const result = await runCommand(
      requireCli('opencode'),
      ['run', '--format', 'json', '--bogus-flag'],
      {
        env: sandbox.env,
        cwd: sandbox.workspace,
        timeoutMs: 30_000,
        input: 'hi',
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('opencode run [message..]');
  });

  it('refuses an empty message', async () => {
    const result = await runCommand(requireCli('opencode'), ['run', '--format', 'json'], {
      env: sandbox.env,
      cwd: sandbox.workspace,
      timeoutMs: 30_000,
      input: '',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('You must provide a message or a command');
  });
});
