/**
 * `baton setup` through the built CLI, as a subprocess, against real files in a temp project:
 * dry runs, doctor's profile check before and after, reruns, revert, the Codex legacy layout
 * and its migration (with the real pinned codex for the version and doctor's load check),
 * and refusals that lose nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeConfigChange } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { applyChanges } from './commands/setup.js';
import { CLI_BIN, runCli, tempProject } from './test-support/project.js';

const here = dirname(fileURLToPath(import.meta.url));
const REAL_BIN = join(here, '..', '..', 'real-cli-tests', 'node_modules', '.bin');

function realCli(name: 'codex' | 'opencode'): string {
  const path = join(REAL_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`the pinned ${name} is not installed at ${path}; run pnpm install.`);
  }
  return path;
}

const realCodex = () => realCli('codex');

const HEADER =
  '# managed by baton: codex profile baton-worker — baton setup codex owns only the keys it writes here; edit anything else freely';

interface Project {
  readonly root: string;
  readonly env: Record<string, string>;
  readonly codexHome: string;
  readonly claudeDir: string;
  readonly hermesHome: string;
  readonly stateHome: string;
}

function project(runtime: string, extra = ''): Project {
  const root = tempProject({
    'baton.toml': `[orchestrator]\nruntime_backend = "${runtime}"\n\n[orchestrator.runtime_profile]\nbackend_profile = "worker"\n${extra}`,
  });
  const env = {
    CODEX_HOME: join(root, 'codex-home'),
    CLAUDE_CONFIG_DIR: join(root, 'claude'),
    HERMES_HOME: join(root, 'hermes'),
    XDG_STATE_HOME: join(root, 'state'),
  };
  return {
    root,
    env,
    codexHome: env.CODEX_HOME,
    claudeDir: env.CLAUDE_CONFIG_DIR,
    hermesHome: env.HERMES_HOME,
    stateHome: env.XDG_STATE_HOME,
  };
}

function codexProject(extra = ''): Project {
  return project(
    'codex',
    `\n[runtimes.codex]\nbinary = ${JSON.stringify(realCodex())}\nmodel = "profiled-model"\n${extra}`,
  );
}

function setup(target: Project, args: readonly string[]) {
  return runCli(target.root, ['setup', ...args], target.env);
}

function json(result: { stdout: string }) {
  return JSON.parse(result.stdout);
}

function profileCheck(target: Project, runtime: string) {
  const result = runCli(target.root, ['doctor', '--json'], target.env);
  const report = json(result).runtimes.find((entry: { id: string }) => entry.id === runtime);
  return report.checks.find((check: { id: string }) => check.id === 'profile');
}

/** Makes a directory unwritable even for root (immutable flag), or by mode otherwise. */
function makeReadOnly(directory: string): () => void {
  if (process.getuid?.() !== 0) {
    chmodSync(directory, 0o555);
    return () => chmodSync(directory, 0o755);
  }
  const set = spawnSync('chattr', ['+i', directory], { encoding: 'utf8' });
  if (set.status !== 0) {
    throw new Error(`cannot make ${directory} read-only as root: chattr +i: ${set.stderr}`);
  }
  return () => {
    spawnSync('chattr', ['-i', directory]);
  };
}

describe('baton setup codex (built CLI, real codex 0.169.0 for its version and doctor)', () => {
  it('--dry-run prints the unified diff and writes nothing', () => {
    const target = codexProject();
    const result = setup(target, ['codex', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const path = join(target.codexHome, 'baton-worker.config.toml');
    expect(result.stdout).toBe(
      [
        'baton setup codex 0.169.0: profile worker → baton-worker',
        `  would create ${path}`,
        "      Baton's keys: model",
        '',
        '--- /dev/null',
        `+++ b${path}`,
        '@@ -0,0 +1,2 @@',
        `+${HEADER}`,
        '+model = "profiled-model"',
        '',
        'Dry run: nothing was written.',
        '',
      ].join('\n'),
    );
    expect(existsSync(target.codexHome)).toBe(false);
    const asJson = json(setup(target, ['codex', '--dry-run', '--json']));
    expect(asJson).toEqual({
      runtime: 'codex',
      profile: 'worker',
      nativeProfile: 'baton-worker',
      runtimeVersion: '0.169.0',
      revert: false,
      dryRun: true,
      changes: [
        {
          path,
          action: 'create',
          ownedKeys: ['model'],
          diff: `--- /dev/null\n+++ b${path}\n@@ -0,0 +1,2 @@\n+${HEADER}\n+model = "profiled-model"\n`,
        },
      ],
      notes: [],
    });
    expect(existsSync(target.codexHome)).toBe(false);
  });

  it("turns doctor's profile check from fail to pass; a rerun changes nothing; revert restores", () => {
    const target = codexProject();
    const path = join(target.codexHome, 'baton-worker.config.toml');
    expect(profileCheck(target, 'codex')).toMatchObject({
      status: 'fail',
      summary: `profile baton-worker has no ${path}; Codex would silently run with the base config`,
    });

    const first = setup(target, ['codex', '--json']);
    expect(first.status).toBe(0);
    expect(json(first).changes).toEqual([{ path, action: 'create', ownedKeys: ['model'] }]);
    expect(readFileSync(path, 'utf8')).toBe(`${HEADER}\nmodel = "profiled-model"\n`);
    expect(profileCheck(target, 'codex')).toMatchObject({
      status: 'pass',
      summary: `${path} loads (codex --profile baton-worker)`,
    });

    const written = statSync(path, { bigint: true });
    const again = setup(target, ['codex']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('Already set up: nothing to change.');
    expect(statSync(path, { bigint: true }).mtimeNs).toBe(written.mtimeNs);

    const revert = setup(target, ['--revert', 'codex', '--json']);
    expect(revert.status).toBe(0);
    expect(json(revert).changes).toMatchObject([{ path, action: 'delete' }]);
    expect(existsSync(path)).toBe(false);
    expect(profileCheck(target, 'codex').status).toBe('fail');
  });

  it('revert gives a user-written profile file back byte for byte; the backup is private and outside git', () => {
    const target = codexProject();
    const temp = join(tempProject(), 'tmp');
    mkdirSync(temp);
    const env = { ...target.env, TMPDIR: temp };
    mkdirSync(target.codexHome);
    // The project is a git work tree: a backup must never land inside one.
    mkdirSync(join(target.root, '.git'));
    const path = join(target.codexHome, 'baton-worker.config.toml');
    const original =
      '\uFEFF# my profile\r\napproval_policy = "never"   # ü\r\n\r\n[[skills]]\r\nname = """\r\nmulti\r\nline"""\r\n';
    writeFileSync(path, original);
    const result = runCli(target.root, ['setup', 'codex', '--json'], env);
    expect(result.status).toBe(0);
    const [change] = json(result).changes;
    expect(change).toMatchObject({ path, action: 'update' });
    expect(readFileSync(path, 'utf8')).toBe(
      '\uFEFF# my profile\r\napproval_policy = "never"   # ü\r\nmodel = "profiled-model"\r\n\r\n[[skills]]\r\nname = """\r\nmulti\r\nline"""\r\n',
    );
    // XDG_STATE_HOME is inside the project's work tree, so the backup goes to the temp directory.
    expect(dirname(change.backup)).toBe(join(temp, 'baton-backups-' + process.getuid?.(), 'codex'));
    expect(statSync(change.backup).mode & 0o777).toBe(0o600);
    expect(readFileSync(change.backup, 'utf8')).toBe(original);

    expect(runCli(target.root, ['setup', '--revert', 'codex'], env).status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('keeps backups in $XDG_STATE_HOME/baton/backups when that is outside any git work tree', () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    const path = join(target.codexHome, 'baton-worker.config.toml');
    writeFileSync(path, 'sandbox_mode = "read-only"\n');
    const [change] = json(setup(target, ['codex', '--json'])).changes;
    expect(dirname(change.backup)).toBe(join(target.stateHome, 'baton', 'backups', 'codex'));
    expect(readdirSync(dirname(change.backup))).toHaveLength(1);
  });

  it('explains a legacy [profiles.baton-worker] and exits 1 without writing; --migrate moves it', () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    const configPath = join(target.codexHome, 'config.toml');
    const legacy =
      '# keep me\nmodel = "gpt-5"\n\n[profiles.baton-worker]\napproval_policy = "never"\n[mcp_servers.docs]\ncommand = "docs"   # a server\n';
    writeFileSync(configPath, legacy);
    const path = join(target.codexHome, 'baton-worker.config.toml');

    const refused = setup(target, ['codex', '--json']);
    expect(refused.status).toBe(1);
    expect(json(refused).error).toMatchObject({
      code: 'NATIVE_CONFIG',
      reason: 'legacy-profile',
      path: configPath,
      remedy: 'baton setup codex --migrate',
    });
    const text = setup(target, ['codex']);
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('Rerun with --migrate');
    expect(readFileSync(configPath, 'utf8')).toBe(legacy);
    expect(existsSync(path)).toBe(false);

    const dry = setup(target, ['codex', '--migrate', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('-[profiles.baton-worker]');
    expect(readFileSync(configPath, 'utf8')).toBe(legacy);

    const migrated = setup(target, ['codex', '--migrate', '--json']);
    expect(migrated.status).toBe(0);
    expect(json(migrated).changes.map((change: { action: string }) => change.action)).toEqual([
      'create',
      'update',
    ]);
    expect(readFileSync(configPath, 'utf8')).toBe(
      '# keep me\nmodel = "gpt-5"\n\n[mcp_servers.docs]\ncommand = "docs"   # a server\n',
    );
    expect(readFileSync(path, 'utf8')).toBe(
      `${HEADER}\napproval_policy = "never"\nmodel = "profiled-model"\n`,
    );
    expect(profileCheck(target, 'codex').status).toBe('pass');
  });

  it('refuses a malformed profile file, naming where it is broken, and leaves it alone', () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    const path = join(target.codexHome, 'baton-worker.config.toml');
    writeFileSync(path, 'a = 1\nb = [1,\n');
    const result = setup(target, ['codex', '--json']);
    expect(result.status).toBe(1);
    expect(json(result).error).toMatchObject({
      code: 'NATIVE_CONFIG',
      file: path,
      line: expect.any(Number),
      column: expect.any(Number),
    });
    expect(readFileSync(path, 'utf8')).toBe('a = 1\nb = [1,\n');
  });

  it('refuses a symlinked profile file', () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    writeFileSync(join(target.root, 'dotfile.toml'), 'model = "mine"\n');
    symlinkSync(
      join(target.root, 'dotfile.toml'),
      join(target.codexHome, 'baton-worker.config.toml'),
    );
    const result = setup(target, ['codex']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is a symbolic link; Baton does not write through symlinks');
    expect(readFileSync(join(target.root, 'dotfile.toml'), 'utf8')).toBe('model = "mine"\n');
  });

  it('fails clearly in a read-only directory, losing nothing', () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    const path = join(target.codexHome, 'baton-worker.config.toml');
    writeFileSync(path, 'sandbox_mode = "read-only"\n');
    const restore = makeReadOnly(target.codexHome);
    try {
      const result = setup(target, ['codex', '--json']);
      expect(result.status).toBe(1);
      expect(json(result).error.code).toBe('NATIVE_CONFIG');
      expect(json(result).error.message).toMatch(
        /^Cannot (create a lock file for|write) .*: (permission denied|operation not permitted)\. Nothing was changed\.$/,
      );
    } finally {
      restore();
    }
    expect(readFileSync(path, 'utf8')).toBe('sandbox_mode = "read-only"\n');
    expect(readdirSync(target.codexHome)).toEqual(['baton-worker.config.toml']);
  });

  it('two setups at once never corrupt the file', async () => {
    const target = codexProject();
    mkdirSync(target.codexHome);
    const path = join(target.codexHome, 'baton-worker.config.toml');
    writeFileSync(path, '# mine\nsandbox_mode = "read-only"\n');
    const models = ['one', 'two', 'three'];
    for (const model of models) {
      writeFileSync(
        join(target.root, `${model}.toml`),
        `[orchestrator]\nruntime_backend = "codex"\n\n[runtimes.codex]\nbinary = ${JSON.stringify(realCodex())}\nmodel = "${model}"\n`,
      );
    }
    const runs = await Promise.all(
      models.map(
        (model) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(
              process.execPath,
              [CLI_BIN, 'setup', 'codex', '--json', '--config', join(target.root, `${model}.toml`)],
              {
                cwd: target.root,
                env: {
                  PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
                  HOME: target.root,
                  ...target.env,
                },
                stdio: 'ignore',
              },
            );
            child.on('close', resolve);
          }),
      ),
    );
    expect(runs.every((status) => status === 0 || status === 1)).toBe(true);
    expect(runs).toContain(0);
    const final = readFileSync(path, 'utf8');
    expect([
      '# mine\nsandbox_mode = "read-only"\nmodel = "one"\n',
      '# mine\nsandbox_mode = "read-only"\nmodel = "two"\n',
      '# mine\nsandbox_mode = "read-only"\nmodel = "three"\n',
    ]).toContain(final);
    expect(readdirSync(target.codexHome)).toEqual(['baton-worker.config.toml']);
  });
});

describe('baton setup for the other runtimes (built CLI)', () => {
  it("claude-code: writes the settings file and doctor's profile check passes; revert removes it", () => {
    const target = project('claude-code', '\n[runtimes.claude-code]\nmodel = "sonnet"\n');
    const path = join(target.claudeDir, 'baton-worker.settings.json');
    expect(profileCheck(target, 'claude-code').status).toBe('fail');
    const result = setup(target, ['claude', '--json']);
    expect(result.status).toBe(0);
    expect(json(result)).toMatchObject({
      runtime: 'claude-code',
      changes: [{ path, action: 'create', ownedKeys: ['$schema', 'model'] }],
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(profileCheck(target, 'claude-code').status).toBe('pass');
    expect(setup(target, ['claude-code', '--revert']).status).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('opencode (real opencode 1.18.33): the agent OpenCode resolves, in agents/ or in the OPENCODE_CONFIG file', () => {
    const target = project(
      'opencode',
      `\n[runtimes.opencode]\nbinary = ${JSON.stringify(realCli('opencode'))}\n`,
    );
    const xdg = {
      XDG_CONFIG_HOME: join(target.root, 'xdg'),
      XDG_DATA_HOME: join(target.root, 'data'),
      XDG_CACHE_HOME: join(target.root, 'cache'),
    };
    const withXdg = { ...target, env: { ...target.env, ...xdg } };
    const agent = join(target.root, 'xdg', 'opencode', 'agents', 'baton-worker.md');
    expect(profileCheck(withXdg, 'opencode').status).toBe('fail');
    const result = setup(withXdg, ['opencode', '--json']);
    expect(result.status).toBe(0);
    expect(json(result).changes).toEqual([
      { path: agent, action: 'create', ownedKeys: ['(whole file)'] },
    ]);
    expect(profileCheck(withXdg, 'opencode')).toMatchObject({
      status: 'pass',
      summary: 'agent "baton-worker" found (no model of its own, mode primary)',
    });
    expect(setup(withXdg, ['opencode', '--revert']).status).toBe(0);
    expect(existsSync(agent)).toBe(false);

    const custom = join(target.root, 'team.jsonc');
    writeFileSync(custom, '{\n  // the team config\n  "share": "disabled",\n}\n');
    const withCustom = { ...withXdg, env: { ...withXdg.env, OPENCODE_CONFIG: custom } };
    expect(setup(withCustom, ['opencode']).status).toBe(0);
    expect(existsSync(agent)).toBe(false);
    expect(readFileSync(custom, 'utf8')).toContain('  "share": "disabled",\n  "agent": {');
    expect(profileCheck(withCustom, 'opencode').status).toBe('pass');
  }, 90_000);

  it("hermes: creates the profile directory and doctor's profile check passes; revert removes both", () => {
    const target = project('hermes', '\n[runtimes.hermes]\nmodel = "stub-model"\n');
    const directory = join(target.hermesHome, 'profiles', 'baton-worker');
    expect(profileCheck(target, 'hermes').status).toBe('fail');
    const result = setup(target, ['hermes']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`created ${join(directory, 'config.yaml')}`);
    expect(profileCheck(target, 'hermes').status).toBe('pass');
    expect(setup(target, ['hermes', '--revert']).status).toBe(0);
    expect(existsSync(directory)).toBe(false);
  });

  it('litellm: writes the alias into the configured config.yaml, relative to the project', () => {
    const target = project(
      'litellm',
      '\n[runtimes.litellm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "openai/gpt-4o"\nconfig_path = "proxy/config.yaml"\n',
    );
    mkdirSync(join(target.root, 'proxy'));
    const path = join(target.root, 'proxy', 'config.yaml');
    writeFileSync(
      path,
      'model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n',
    );
    const result = setup(target, ['litellm', '--profile', 'reviewer', '--json']);
    expect(result.status).toBe(0);
    expect(json(result)).toMatchObject({ profile: 'reviewer', nativeProfile: 'baton-reviewer' });
    expect(readFileSync(path, 'utf8')).toContain('  - model_name: baton-reviewer\n');
  });

  it('revert gives back an `"agent": {}` the user wrote, across reruns and another profile', () => {
    const target = project('opencode');
    const custom = join(target.root, 'opencode.jsonc');
    const original =
      '{\n  "$schema": "https://opencode.ai/config.json",\n  "agent": {},\n  "mcp": { "docs": { "type": "remote", "url": "https://mcp.example.invalid/sse" } }\n}\n';
    writeFileSync(custom, original);
    const env = { ...target.env, OPENCODE_CONFIG: custom };
    const run = (args: readonly string[]) => runCli(target.root, ['setup', ...args], env);
    expect(run(['opencode']).status).toBe(0);
    expect(run(['opencode']).stdout).toContain('Already set up: nothing to change.');
    expect(run(['opencode', '--profile', 'reviewer']).status).toBe(0);
    // The record of the original sits beside the backups, one private file per path.
    const records = join(target.stateHome, 'baton', 'originals', 'opencode');
    expect(readdirSync(records)).toHaveLength(1);
    expect(statSync(join(records, readdirSync(records)[0]!)).mode & 0o777).toBe(0o600);
    expect(run(['--revert', 'opencode']).status).toBe(0);
    expect(readFileSync(custom, 'utf8')).toContain('"baton-reviewer"');
    // The dry run of the last revert already plans the user's empty object back.
    const dry = run(['--revert', 'opencode', '--profile', 'reviewer', '--dry-run']);
    expect(dry.stdout).toContain('+  "agent": {},');
    expect(run(['--revert', 'opencode', '--profile', 'reviewer']).status).toBe(0);
    expect(readFileSync(custom, 'utf8')).toBe(original);
    expect(readdirSync(records)).toEqual([]);
  });

  it('exits 2 without a runtime, for an unknown one, and for bad options', () => {
    const target = project('codex');
    const none = setup(target, ['--json']);
    expect(none.status).toBe(2);
    expect(json(none).error.message).toBe(
      'setup: name the runtime to set up, e.g. `baton setup codex`.',
    );
    const typo = setup(target, ['codx', '--json']);
    expect(typo.status).toBe(2);
    expect(json(typo).error).toMatchObject({
      code: 'UNKNOWN_RUNTIME',
      message: 'Unknown runtime "codx". Did you mean "codex"?',
    });
    expect(setup(target, ['codex', '--revert', '--migrate']).status).toBe(2);
    expect(setup(target, ['codex', '--bogus']).status).toBe(2);
  });

  it('says when a runtime is set up already and when there is nothing to revert', () => {
    const target = project('claude-code');
    expect(setup(target, ['claude-code', '--revert']).stdout).toContain(
      'Nothing of Baton’s to remove: nothing to change.',
    );
  });
});

describe('applying a setup that touches several files', () => {
  const reportsOf = (changes: readonly NativeConfigChange[]) =>
    changes.map((change) => ({
      path: change.path,
      action: 'update' as const,
      ownedKeys: change.ownedKeys,
    }));

  it('checks every file before writing any', async () => {
    const target = project('codex');
    const first = join(target.root, 'first.toml');
    const second = join(target.root, 'second.toml');
    writeFileSync(first, 'a = 1\n');
    writeFileSync(second, 'changed by someone else\n');
    const changes: NativeConfigChange[] = [
      { path: first, before: 'a = 1\n', after: 'a = 2\n', ownedKeys: ['a'] },
      { path: second, before: 'b = 1\n', after: 'b = 2\n', ownedKeys: ['b'] },
    ];
    await expect(
      applyChanges(changes, reportsOf(changes), [join(target.root, 'backups')]),
    ).rejects.toThrow(`${second} changed since Baton read it`);
    expect(readFileSync(first, 'utf8')).toBe('a = 1\n');
    expect(readFileSync(second, 'utf8')).toBe('changed by someone else\n');
  });

  it('puts back the files already written when a later one is refused', async () => {
    const target = project('codex');
    const first = join(target.root, 'first.toml');
    writeFileSync(first, 'a = 1\n');
    writeFileSync(join(target.root, 'blocker'), 'keep');
    const second = join(target.root, 'blocker', 'second.toml');
    const changes: NativeConfigChange[] = [
      { path: first, before: 'a = 1\n', after: 'a = 2\n', ownedKeys: ['a'] },
      { path: second, before: null, after: 'b = 2\n', ownedKeys: ['b'] },
    ];
    const error = await applyChanges(changes, reportsOf(changes), [
      join(target.root, 'backups'),
    ]).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toBe(
      `Cannot write ${second}: ${join(target.root, 'blocker')} is not a directory. Nothing was changed. The other file of this setup was put back as it was: ${first}.`,
    );
    expect(readFileSync(first, 'utf8')).toBe('a = 1\n');
  });
});
