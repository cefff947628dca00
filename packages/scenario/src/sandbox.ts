/**
 * Where one scenario runs: a fresh temporary folder holding the workspace (seeded from the
 * scenario's `seed` directory, made a git repository), a home of its own for every runtime
 * (so nothing of the user's logins, sessions or settings is read or written), and the
 * environment the runtimes get: a minimal one (no credentials of the user's), plus a key of
 * its own per runtime for the scripted server.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type Environment } from '@baton/core';

/** Variables kept from the caller's environment: what finding and running programs needs. */
const KEPT = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SHELL', 'USER', 'LOGNAME', 'TERM'];

export interface Sandbox {
  readonly root: string;
  readonly workspace: string;
  readonly env: Readonly<Record<string, string>>;
  /** Each runtime's key for the scripted server, mapped to the runtime. */
  readonly keys: ReadonlyMap<string, string>;
  /** The variable holding each runtime's key. */
  readonly keyVariables: ReadonlyMap<string, string>;
  remove(): void;
}

export interface SandboxOptions {
  readonly seed: string | null;
  readonly git: boolean;
  readonly runtimes: readonly string[];
  readonly env: Environment;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'baton-test-'));
  try {
    const folder = (name: string) => {
      const path = join(root, name);
      mkdirSync(path);
      return path;
    };
    const workspace = folder('workspace');
    if (options.seed !== null) seedWorkspace(options.seed, workspace);
    const env: Record<string, string> = {};
    for (const name of KEPT) {
      const value = options.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      HOME: folder('home'),
      CODEX_HOME: folder('codex-home'),
      CLAUDE_CONFIG_DIR: folder('claude-config'),
      XDG_CONFIG_HOME: folder('xdg-config'),
      XDG_DATA_HOME: folder('xdg-data'),
      XDG_CACHE_HOME: folder('xdg-cache'),
      XDG_STATE_HOME: folder('xdg-state'),
      TMPDIR: folder('tmp'),
    });
    const keys = new Map<string, string>();
    const keyVariables = new Map<string, string>();
    for (const runtime of options.runtimes) {
      const variable = `BATON_TEST_KEY_${runtime.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      const key = `baton-test-${runtime}`;
      env[variable] = key;
      keys.set(key, runtime);
      keyVariables.set(runtime, variable);
    }
    if (options.git) initRepository(workspace, env);
    return {
      root,
      workspace,
      env,
      keys,
      keyVariables,
      remove: () => rmSync(root, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function seedWorkspace(seed: string, workspace: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(seed).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) {
    throw new BatonError('SCENARIO_INVALID', `The scenario's seed ${seed} is not a directory.`, {
      details: { seed },
    });
  }
  // The seed's own journal is not the scenario's.
  cpSync(seed, workspace, {
    recursive: true,
    filter: (source) => !source.split(/[\\/]/).includes('.baton'),
  });
}

/** A repository with the seed as its first commit, dated and authored the same every time. */
function initRepository(workspace: string, env: Record<string, string>): void {
  const gitEnv = {
    ...env,
    GIT_AUTHOR_NAME: 'baton test',
    GIT_AUTHOR_EMAIL: 'baton-test@localhost',
    GIT_COMMITTER_NAME: 'baton test',
    GIT_COMMITTER_EMAIL: 'baton-test@localhost',
    GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
  };
  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: workspace, env: gitEnv, encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      const why = result.error?.message ?? result.stderr.trim();
      throw new BatonError(
        'USAGE',
        `Could not make the scenario's workspace a git repository (git ${args[0]}: ${why}). ` +
          'Install git, or set git = false in the scenario.',
        { details: { workspace } },
      );
    }
  };
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '--allow-empty', '--no-gpg-sign', '-m', 'scenario seed');
}
