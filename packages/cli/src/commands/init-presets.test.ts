/**
 * `baton init --preset NAME` and `--list-presets` (built CLI). Every preset is checked by the
 * loader the way a user's file is, against the first-party adapters this CLI finds installed,
 * and doctor's effort check accepts every effort it sets.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../test-support/project.js';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRESETS = readdirSync(join(PACKAGE, 'presets'))
  .filter((file) => file.endsWith('.toml'))
  .map((file) => file.slice(0, -'.toml'.length))
  .sort();

describe('baton init --preset', () => {
  it('ships the presets the design names', () => {
    expect(PRESETS).toEqual(['budget', 'claude', 'codex', 'split-review']);
  });

  it.each(PRESETS)('writes preset %s as it is kept, and the loader accepts it', (name) => {
    const root = tempProject();
    const result = runCli(root, ['init', '--preset', name, '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ path: join(root, 'baton.toml'), preset: name });
    const written = readFileSync(join(root, 'baton.toml'), 'utf8');
    expect(written).toBe(readFileSync(join(PACKAGE, 'presets', `${name}.toml`), 'utf8'));
    expect(written.split('\n')[0]).toMatch(new RegExp(`^# baton\\.toml — preset "${name}": .+`));

    // The loader: every key, name, chain and bound of the preset is valid.
    const stages = runCli(root, ['stages', '--json']);
    expect(stages.stderr).toBe('');
    expect(stages.status).toBe(0);
    const routing = JSON.parse(stages.stdout);
    expect(routing.configFiles).toEqual([join(root, 'baton.toml')]);

    // Every effort it sets is one its runtime's adapter accepts (the binaries need not exist).
    const doctor = JSON.parse(runCli(root, ['doctor', '--json']).stdout);
    const effortChecks = doctor.runtimes.flatMap((runtime: { checks: { id: string }[] }) =>
      runtime.checks.filter((check) => check.id === 'effort'),
    );
    expect(effortChecks.length).toBeGreaterThan(0);
    for (const check of effortChecks) expect(check).toMatchObject({ status: 'pass' });
  });

  it('routes as each preset says', () => {
    const routed = (name: string) => {
      const root = tempProject();
      runCli(root, ['init', '--preset', name]);
      return JSON.parse(runCli(root, ['stages', '--json']).stdout).stages;
    };
    const runtimes = (stages: Record<string, { chain: { runtime: string }[] }>) =>
      Object.fromEntries(
        Object.entries(stages).map(([stage, value]) => [
          stage,
          value.chain.map((target) => target.runtime),
        ]),
      );
    expect(runtimes(routed('claude'))).toEqual({
      interview: ['claude-code'],
      execute: ['claude-code'],
      evaluate: ['claude-code'],
      reflect: ['claude-code'],
    });
    expect(runtimes(routed('codex'))).toEqual({
      interview: ['codex'],
      execute: ['codex'],
      evaluate: ['codex'],
      reflect: ['codex'],
    });
    const split = routed('split-review');
    expect(split.execute.runtime).toBe('codex');
    expect(split.evaluate.runtime).toBe('claude-code');
    expect(runtimes(routed('budget')).execute).toEqual(['codex', 'claude-code']);
  });

  it('gives the budget preset a mission with a budget', () => {
    const root = tempProject();
    runCli(root, ['init', '--preset', 'budget']);
    const text = readFileSync(join(root, 'baton.toml'), 'utf8');
    expect(text).toContain('[missions.budget]');
    expect(text).toMatch(/^max_cost_usd = \d/m);
  });

  it('refuses an unknown preset with a did-you-mean and the list, exit 2, writing nothing', () => {
    const root = tempProject();
    const result = runCli(root, ['init', '--preset', 'cluade']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'init: unknown preset "cluade". Did you mean "claude"? Presets: budget, claude, codex, split-review (see baton init --list-presets).',
    );
    const json = runCli(root, ['init', '--preset', '../baton', '--json']);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'USAGE' });
    expect(readdirSync(root)).not.toContain('baton.toml');
    expect(runCli(root, ['init', '--preset']).status).toBe(2);
  });

  it('never overwrites a baton.toml', () => {
    const root = tempProject({ 'baton.toml': '# mine\n' });
    const result = runCli(root, ['init', '--preset', 'codex']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('already exists; baton init never overwrites it');
    expect(readFileSync(join(root, 'baton.toml'), 'utf8')).toBe('# mine\n');
  });

  it('lists the presets with what each does, in text and JSON', () => {
    const root = tempProject();
    const text = runCli(root, ['init', '--list-presets']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('claude        Claude Code runs every stage.');
    expect(text.stdout).toContain('split-review  one vendor writes the code, another reviews it.');
    expect(text.stdout).toContain('Write one with: baton init --preset NAME');
    const json = JSON.parse(runCli(root, ['init', '--list-presets', '--json']).stdout);
    expect(json.presets.map((preset: { name: string }) => preset.name)).toEqual(PRESETS);
    for (const preset of json.presets) expect(preset.description).not.toBe('');
    expect(readdirSync(root)).not.toContain('baton.toml');
  });
});

describe('the presets in the published package', () => {
  let installed: string;
  beforeAll(() => {
    // What npm would install: the packed tarball, unpacked.
    const directory = tempProject();
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', directory], {
      cwd: PACKAGE,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(pack.status, pack.stderr).toBe(0);
    const { filename } = (JSON.parse(pack.stdout) as { filename: string }[])[0]!;
    installed = join(directory, 'installed');
    mkdirSync(installed);
    const unpack = spawnSync('tar', ['-xzf', join(directory, filename), '-C', installed]);
    expect(unpack.status).toBe(0);
  }, 180_000);

  it('are shipped and found by the installed CLI', () => {
    const root = tempProject();
    writeFileSync(join(root, '.keep'), '');
    const result = spawnSync(
      process.execPath,
      [join(installed, 'package', 'bin', 'baton.js'), 'init', '--preset', 'split-review'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', HOME: root, XDG_CONFIG_HOME: join(root, 'xdg') },
        timeout: 60_000,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(root, 'baton.toml'), 'utf8')).toBe(
      readFileSync(join(PACKAGE, 'presets', 'split-review.toml'), 'utf8'),
    );
  });
});
