/** `[scale]`: the database, the pinned version, the workspace strategy; and the URL's secrets. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../redact.js';
import { config, fullRegistry, issues, load } from '../test-support/load-config.js';
import { tempDirectory, writeTree } from '../test-support/temp.js';
import { formatIssues } from './issues.js';
import { loadConfig } from './load.js';
import { databaseUrlSecrets, resolveDatabaseUrl } from './scale.js';
import type { ScaleSettings } from './types.js';

const GIT = `[scale]
application_version = "2026.12.1"
workspace = "git"
[scale.git]
remote = "git@git.internal:team/app.git"
`;

describe('[scale]', () => {
  it('is absent unless a file has it', () => {
    expect(config(load('')).scale).toBeNull();
  });

  it('reads the git strategy with its default branch prefix, and the default URL variable', () => {
    const loaded = config(load(GIT));
    expect(loaded.scale).toEqual({
      databaseUrl: null,
      databaseUrlEnv: 'BATON_DATABASE_URL',
      applicationVersion: '2026.12.1',
      workspace: {
        strategy: 'git',
        remote: 'git@git.internal:team/app.git',
        branchPrefix: 'baton/',
      },
      source: expect.stringMatching(/baton\.toml$/),
    });
  });

  it('reads the shared-path strategy, a URL without a password and another URL variable', () => {
    const loaded = config(
      load(`[scale]
database_url = "postgresql://baton@db.internal:5432/baton?sslmode=require"
database_url_env = "TEAM_PG_URL"
application_version = "v7"
workspace = "shared-path"
[scale.shared_path]
root = "/mnt/baton"
`),
    );
    expect(loaded.scale).toMatchObject({
      databaseUrl: 'postgresql://baton@db.internal:5432/baton?sslmode=require',
      databaseUrlEnv: 'TEAM_PG_URL',
      applicationVersion: 'v7',
      workspace: { strategy: 'shared-path', root: '/mnt/baton' },
    });
  });

  it('requires the version and the workspace strategy, and that strategy’s table only', () => {
    const found = issues(
      load(`[scale]
database_url_env = "pg url"
[scale.shared_path]
root = "relative/path"
[scale.git]
remote = ""
branch_prefix = "-x/../"
`),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'scale.database_url_env',
        'must be the name of an environment variable (letters, digits, underscores), not its value',
      ],
      ['scale.application_version', 'is required'],
      ['scale.workspace', 'is required'],
      ['scale.git.remote', 'must not be empty'],
      [
        'scale.git.branch_prefix',
        expect.stringContaining('must be the start of a git branch name'),
      ],
      ['scale.shared_path.root', expect.stringContaining('must be an absolute path')],
    ]);

    const mismatched = issues(load(`${GIT}[scale.shared_path]\nroot = "/mnt/x"\n`));
    expect(mismatched.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'scale.shared_path',
        'does not apply with workspace = "git"; remove it, or change workspace',
      ],
    ]);
    const missing = issues(load('[scale]\napplication_version = "1"\nworkspace = "shared-path"\n'));
    expect(missing.map((issue) => [issue.path, issue.message])).toEqual([
      ['scale.shared_path', expect.stringContaining('is required with workspace = "shared-path"')],
    ]);
    const unknown = issues(load('[scale]\napplication_version = "1"\nworkspace = "nfs"\n'));
    expect(unknown.map((issue) => [issue.path, issue.message, issue.accepted])).toEqual([
      ['scale.workspace', 'is not an accepted value', ['git', 'shared-path']],
    ]);
    expect(found[2]!.accepted).toEqual(['git', 'shared-path']);
  });

  it('refuses a password in database_url without repeating it', () => {
    for (const url of [
      'postgresql://baton:hunter2-secret@db.internal/baton',
      'postgres://db.internal/baton?sslmode=require&password=hunter2-secret',
    ]) {
      const found = issues(
        load(
          `[scale]\ndatabase_url = "${url}"\napplication_version = "1"\nworkspace = "git"\n[scale.git]\nremote = "r"\n`,
        ),
      );
      expect(found.map((issue) => [issue.path, issue.message])).toEqual([
        [
          'scale.database_url',
          expect.stringContaining(
            'must not carry a password: put the whole URL in an environment variable',
          ),
        ],
      ]);
      expect(JSON.stringify(found)).not.toContain('hunter2-secret');
      expect(formatIssues(found)).not.toContain('hunter2-secret');
    }
  });

  it('refuses a URL that is not PostgreSQL', () => {
    const found = issues(
      load(GIT.replace('workspace = "git"', 'workspace = "git"\ndatabase_url = "mysql://db/x"')),
    );
    expect(found.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'scale.database_url',
        'must be a postgresql:// URL, e.g. "postgresql://baton@db.internal:5432/baton"',
      ],
    ]);
  });

  it('is one unit: the project’s [scale] replaces the user’s whole', () => {
    const root = tempDirectory();
    writeTree(root, {
      'xdg/baton/config.toml':
        '[scale]\ndatabase_url_env = "MY_PG"\napplication_version = "old"\nworkspace = "shared-path"\n[scale.shared_path]\nroot = "/mnt/a"\n',
      'project/baton.toml': GIT,
    });
    const loaded = config(
      loadConfig({
        cwd: join(root, 'project'),
        env: { XDG_CONFIG_HOME: join(root, 'xdg') },
        registry: fullRegistry(),
      }),
    );
    expect(loaded.scale).toMatchObject({
      databaseUrlEnv: 'BATON_DATABASE_URL',
      applicationVersion: '2026.12.1',
      workspace: { strategy: 'git' },
    });
  });
});

describe('the scale database URL', () => {
  const settings = (overrides: Partial<ScaleSettings> = {}): ScaleSettings => ({
    databaseUrl: null,
    databaseUrlEnv: 'BATON_DATABASE_URL',
    applicationVersion: '1',
    workspace: { strategy: 'shared-path', root: '/mnt' },
    source: '/p/baton.toml',
    ...overrides,
  });

  it('comes from the variable first, then the file', () => {
    const url = 'postgresql://baton:pw-123456@db/baton';
    expect(resolveDatabaseUrl(null, { BATON_DATABASE_URL: url })).toEqual({
      ok: true,
      url,
      source: 'environment (BATON_DATABASE_URL)',
    });
    const withFile = settings({ databaseUrl: 'postgresql://baton@db/file', databaseUrlEnv: 'PG' });
    expect(resolveDatabaseUrl(withFile, { PG: url, BATON_DATABASE_URL: 'ignored' })).toMatchObject({
      url,
      source: 'environment (PG)',
    });
    expect(resolveDatabaseUrl(withFile, {})).toEqual({
      ok: true,
      url: 'postgresql://baton@db/file',
      source: '/p/baton.toml ([scale] database_url)',
    });
  });

  it('says where to set it when there is none, and never repeats a bad value', () => {
    expect(resolveDatabaseUrl(null, {})).toEqual({
      ok: false,
      message:
        'No scale database: set BATON_DATABASE_URL to the PostgreSQL URL of the worker pool, or add [scale] to baton.toml (see docs/scale.md).',
    });
    expect(resolveDatabaseUrl(settings({ databaseUrlEnv: 'PG' }), {})).toEqual({
      ok: false,
      message:
        '[scale] in /p/baton.toml names no database: set the variable PG (its database_url_env) to the PostgreSQL URL, or give database_url.',
    });
    const bad = resolveDatabaseUrl(null, { BATON_DATABASE_URL: 'mysql://u:sekrit-123@h/d' });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('sekrit');
  });

  it('gives its password to every redactor, whichever variable holds it', () => {
    const env = {
      BATON_DATABASE_URL: 'postgresql://baton:p%40ss-w0rd-1@db/baton',
      TEAM_PG: 'postgresql://db/baton?password=team-secret-9',
    };
    expect(databaseUrlSecrets(null, env)).toEqual(['p%40ss-w0rd-1', 'p@ss-w0rd-1']);
    expect(databaseUrlSecrets({ databaseUrlEnv: 'TEAM_PG' }, env)).toEqual([
      'p%40ss-w0rd-1',
      'p@ss-w0rd-1',
      'team-secret-9',
    ]);
    const redactor = createRedactor({
      env,
      config: { runtimes: {}, scale: settings({ databaseUrlEnv: 'TEAM_PG' }) },
    });
    expect(redactor.text('psql said: bad password p@ss-w0rd-1 / team-secret-9')).toBe(
      'psql said: bad password [REDACTED] / [REDACTED]',
    );
  });
});
