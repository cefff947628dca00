/** `[orchestrator.retry]`, `[pricing."<model>"]` and missions' budgets. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { config, fullRegistry, issues, load } from '../test-support/load-config.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { DEFAULT_RETRY_SETTINGS, loadConfig } from './load.js';

/** Loads a user file under a project file. */
function layered(user: string, project: string) {
  const root = tempDirectory();
  writeTree(root, { 'xdg/baton/config.toml': user, 'project/baton.toml': project });
  return loadConfig({
    cwd: join(root, 'project'),
    env: { XDG_CONFIG_HOME: join(root, 'xdg') },
    registry: fullRegistry(),
  });
}

describe('[orchestrator.retry]', () => {
  it('defaults to 2 retries from 2s, waits capped at 60s, 3 rate-limit waits', () => {
    expect(config(load(undefined)).retry).toEqual({
      maxRetries: 2,
      baseDelayMs: 2000,
      maxDelayMs: 60_000,
      rateLimitRetries: 3,
    });
    expect(DEFAULT_RETRY_SETTINGS).toEqual(config(load(undefined)).retry);
  });

  it('reads every key, durations in milliseconds', () => {
    const loaded = config(
      load(
        '[orchestrator.retry]\nmax_retries = 0\nbase_delay = "500ms"\nmax_delay = "2m"\nrate_limit_retries = 10\n',
      ),
    );
    expect(loaded.retry).toEqual({
      maxRetries: 0,
      baseDelayMs: 500,
      maxDelayMs: 120_000,
      rateLimitRetries: 10,
    });
  });

  it('layers key by key', () => {
    const loaded = config(
      layered(
        '[orchestrator.retry]\nmax_retries = 5\nbase_delay = "1s"\n',
        '[orchestrator.retry]\nbase_delay = "3s"\n',
      ),
    );
    expect(loaded.retry).toEqual({ ...DEFAULT_RETRY_SETTINGS, maxRetries: 5, baseDelayMs: 3000 });
  });

  it('refuses counts that are negative, fractional or above 10, and delays that are not durations or exceed 1h', () => {
    const found = issues(
      load(
        '[orchestrator.retry]\nmax_retries = -1\nrate_limit_retries = 1.5\nbase_delay = "2 seconds"\nmax_delay = "2h"\n',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.value, issue.message])).toEqual([
      ['orchestrator.retry.max_retries', -1, 'must not be negative'],
      [
        'orchestrator.retry.base_delay',
        '2 seconds',
        'is not a duration; write a number with a unit, e.g. "30m", "90s", "1h30m" or "500ms"',
      ],
      ['orchestrator.retry.max_delay', '2h', 'may be at most "1h"'],
      ['orchestrator.retry.rate_limit_retries', 1.5, 'must be a whole number, not 1.5'],
    ]);
    expect(issues(load('[orchestrator.retry]\nmax_retries = 11\n'))[0]).toMatchObject({
      message: 'may be at most 10',
    });
  });

  it('refuses a max_delay shorter than base_delay, in one file or across layers', () => {
    expect(issues(load('[orchestrator.retry]\nbase_delay = "10s"\nmax_delay = "5s"\n'))).toEqual([
      expect.objectContaining({
        path: 'orchestrator.retry.max_delay',
        value: '5s',
        message: 'must not be shorter than base_delay ("10s")',
      }),
    ]);
    const across = issues(
      layered(
        '[orchestrator.retry]\nbase_delay = "10s"\n',
        '[orchestrator.retry]\nmax_delay = "5s"\n',
      ),
    );
    expect(across).toEqual([
      expect.objectContaining({
        path: 'orchestrator.retry.max_delay',
        value: '5s',
        message:
          'leaves base_delay (10000 ms) longer than max_delay (5000 ms); make base_delay at most max_delay',
      }),
    ]);
    expect(across[0]!.source).toMatch(/project\/baton\.toml$/);
    // The default max_delay (60s) is below a 2m base_delay.
    expect(issues(load('[orchestrator.retry]\nbase_delay = "2m"\n'))[0]).toMatchObject({
      path: 'orchestrator.retry.base_delay',
      value: '2m',
      message:
        'leaves base_delay (120000 ms) longer than max_delay (60000 ms), the default; make base_delay at most max_delay',
    });
  });

  it('is a strict table', () => {
    const found = issues(load('[orchestrator.retry]\nmax_retry = 3\n'));
    expect(found[0]).toMatchObject({
      path: 'orchestrator.retry.max_retry',
      message: 'unknown key',
      suggestion: 'max_retries',
      accepted: ['max_retries', 'base_delay', 'max_delay', 'rate_limit_retries'],
    });
  });
});

describe('[pricing."<model>"]', () => {
  it('reads prices per million tokens; cached input defaults to input, reasoning to output', () => {
    const loaded = config(
      load(`
[pricing."gpt-5.5"]
input = 1.25
cached_input = 0.125
output = 10
reasoning = 12.5

[pricing.claude-opus]
input = 15
output = 75
`),
    );
    expect(loaded.pricing).toEqual({
      'gpt-5.5': {
        inputPerMTok: 1.25,
        cachedInputPerMTok: 0.125,
        outputPerMTok: 10,
        reasoningPerMTok: 12.5,
      },
      'claude-opus': {
        inputPerMTok: 15,
        cachedInputPerMTok: 15,
        outputPerMTok: 75,
        reasoningPerMTok: 75,
      },
    });
    expect(config(load(undefined)).pricing).toEqual({});
  });

  it('refuses a missing price, a negative or infinite one, text, and an unknown key', () => {
    const found = issues(
      load(`
[pricing.a]
input = 1
[pricing.b]
input = -1
output = inf
[pricing.c]
input = "1.25"
output = 2
outptu = 3
`),
    );
    expect(found.map((issue) => [issue.path, issue.message, issue.suggestion])).toEqual([
      ['pricing.a.output', 'is required', undefined],
      ['pricing.b.input', 'must not be negative', undefined],
      ['pricing.b.output', 'must be a finite number, not Infinity', undefined],
      ['pricing.c.input', 'must be a number, not a string', undefined],
      ['pricing.c.outptu', 'unknown key', 'output'],
    ]);
  });

  it('refuses an empty model name and reports __proto__', () => {
    const found = issues(
      load('[pricing." "]\ninput = 1\noutput = 1\n[pricing.__proto__]\ninput = 1\noutput = 1\n'),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      ['pricing." "', 'is not an accepted name: a model name must not be empty'],
      ['pricing.__proto__', 'unknown key ("__proto__" is reserved and names nothing)'],
    ]);
  });

  it('reports __proto__ inside [orchestrator.retry] and a price as an unknown key', () => {
    const found = issues(
      load(
        '[orchestrator.retry]\n__proto__ = 1\n[pricing.m]\ninput = 1\noutput = 1\n__proto__ = 2\n',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      ['orchestrator.retry.__proto__', 'unknown key'],
      ['pricing.m.__proto__', 'unknown key'],
    ]);
  });

  it('layers model by model: a model priced in the project file replaces the user file entry', () => {
    const loaded = config(
      layered(
        '[pricing.m]\ninput = 1\ncached_input = 0.1\noutput = 2\n[pricing.n]\ninput = 3\noutput = 4\n',
        '[pricing.m]\ninput = 5\noutput = 6\n',
      ),
    );
    expect(loaded.pricing.m).toEqual({
      inputPerMTok: 5,
      cachedInputPerMTok: 5,
      outputPerMTok: 6,
      reasoningPerMTok: 6,
    });
    expect(loaded.pricing.n?.inputPerMTok).toBe(3);
  });
});

describe('mission budgets', () => {
  it('reads max_cost_usd, max_tokens and max_turns; none by default', () => {
    const loaded = config(
      load(
        '[missions.careful]\nsteps = ["execute"]\nmax_cost_usd = 2.5\nmax_tokens = 400000\nmax_turns = 40\n[missions.open]\nsteps = ["execute"]\n',
      ),
    );
    expect(loaded.missions.careful).toMatchObject({
      budget: { maxCostUsd: 2.5, maxTokens: 400_000 },
      maxTurns: 40,
    });
    expect(loaded.missions.open).toMatchObject({
      budget: { maxCostUsd: null, maxTokens: null },
      maxTurns: null,
    });
    expect(loaded.missions.deliver).toMatchObject({
      budget: { maxCostUsd: null, maxTokens: null },
      maxTurns: null,
    });
  });

  it('refuses a zero or negative budget, fractional tokens or turns, and text', () => {
    const found = issues(
      load(
        '[missions.m]\nsteps = ["execute"]\nmax_cost_usd = 0\nmax_tokens = 1.5\nmax_turns = -3\n[missions.n]\nsteps = ["execute"]\nmax_cost_usd = "2.50"\nmax_token = 5\n',
      ),
    );
    expect(found.map((issue) => [issue.path, issue.message, issue.suggestion])).toEqual([
      ['missions.m.max_cost_usd', 'must be greater than 0', undefined],
      ['missions.m.max_tokens', 'must be a whole number, not 1.5', undefined],
      ['missions.m.max_turns', 'must be greater than 0', undefined],
      ['missions.n.max_cost_usd', 'must be a number, not a string', undefined],
      ['missions.n.max_token', 'unknown key', 'max_tokens'],
    ]);
  });
});
