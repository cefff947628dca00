/**
 * `baton scale init` and `baton workers` through the built CLI, against a real PostgreSQL
 * started for this file; and the CLI without `@baton/scale` installed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { initScale, SCHEMA_VERSION, WorkerPresence } from '@baton/scale';
import { startThrowawayPostgres, type ThrowawayPostgres } from '@baton/scale/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, runCli, tempProject } from '../test-support/project.js';

let server: ThrowawayPostgres;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startThrowawayPostgres();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.dispose();
});

/** A database of its own in the shared server, so each test starts empty. */
function freshDatabase(name: string): Promise<string> {
  return server.createDatabase(name);
}

describe('baton scale init', () => {
  it('creates the tables, then finds nothing to do; the password is never printed', async () => {
    const url = await freshDatabase('init_twice');
    const project = tempProject();
    const first = runCli(project, ['scale', 'init'], { BATON_DATABASE_URL: url });
    expect(first.stderr).not.toContain('this is a bug');
    expect(first.status).toBe(0);
    const shown = url.replace(`:${server.password}@`, '@');
    expect(first.stdout).toBe(
      `✓ The scale database ${shown} is ready.\n` +
        `  Baton's tables  schema baton: created at version ${SCHEMA_VERSION}\n` +
        "  DBOS's tables   schema baton_dbos: migrated\n",
    );

    const second = runCli(project, ['scale', 'init', '--json'], { BATON_DATABASE_URL: url });
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({
      database: shown,
      schema: 'baton',
      versionBefore: SCHEMA_VERSION,
      version: SCHEMA_VERSION,
      dbosSchema: 'baton_dbos',
      log: [],
    });
    for (const output of [first.stdout, first.stderr, second.stdout, second.stderr]) {
      expect(output).not.toContain(server.password);
    }
  });

  it('reads the database from [scale] and the variable it names', async () => {
    const url = await freshDatabase('init_from_config');
    const project = tempProject({
      'baton.toml':
        '[scale]\ndatabase_url_env = "TEAM_PG"\napplication_version = "1"\nworkspace = "shared-path"\n[scale.shared_path]\nroot = "/mnt/baton"\n',
    });
    const missing = runCli(project, ['scale', 'init'], { BATON_DATABASE_URL: url });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(
      'baton: scale init: [scale] in ' +
        `${join(project, 'baton.toml')} names no database: set the variable TEAM_PG (its database_url_env)`,
    );
    const done = runCli(project, ['scale', 'init'], { TEAM_PG: url });
    expect(done.status).toBe(0);
    expect(done.stdout).toContain(`created at version ${SCHEMA_VERSION}`);
  });

  it('says what to do without a database, and with a wrong subcommand', () => {
    const project = tempProject();
    const none = runCli(project, ['scale', 'init']);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(
      'baton: scale init: No scale database: set BATON_DATABASE_URL to the PostgreSQL URL of the worker pool, or add [scale] to baton.toml (see docs/scale.md).\n',
    );
    expect(runCli(project, ['scale']).stderr).toContain('say what to do: baton scale init');
    const unknown = runCli(project, ['scale', 'start']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "start"');
  });
});

describe('baton scale limit', () => {
  it('sets, lists and removes the pool-wide limit of a runtime, by its canonical name', async () => {
    const url = await freshDatabase('limits');
    const project = tempProject();
    const env = { BATON_DATABASE_URL: url, NO_COLOR: '1' };
    const before = runCli(project, ['scale', 'limit'], env);
    expect(before.status, before.stderr).toBe(1);
    expect(before.stderr).toContain('has no table of runtime limits');
    expect(before.stderr).toContain('baton scale init');
    expect(before.stderr).not.toContain(server.password);
    await initScale(url);

    expect(runCli(project, ['scale', 'limit'], env).stdout).toMatch(
      /^No runtime limits in the pool at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/limits: each worker's slots are the only limit\.\n$/,
    );
    // An alias names its runtime; a first-party runtime need not be installed where limits are set.
    expect(runCli(project, ['scale', 'limit', 'claude', '2'], env).stdout).toMatch(
      /^RUNTIME\s+AT ONCE ACROSS THE POOL\nclaude-code\s+2\n$/,
    );
    const json = runCli(project, ['scale', 'limit', 'codex', '5', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual([
      { runtime: 'claude-code', maxConcurrent: 2 },
      { runtime: 'codex', maxConcurrent: 5 },
    ]);
    await WorkerPresence.start(url, {
      workerId: 'w1',
      runtimes: ['codex'],
      slots: 8,
      applicationVersion: 'v1',
      host: 'w1.internal',
    }).then((worker) => cleanups.push(() => worker.stop()));
    expect(runCli(project, ['workers'], env).stdout).toContain(
      '\nAt most at once across the pool (baton scale limit): claude-code 2, codex 5\n',
    );

    expect(
      JSON.parse(runCli(project, ['scale', 'limit', 'claude-code', 'none', '--json'], env).stdout),
    ).toEqual([{ runtime: 'codex', maxConcurrent: 5 }]);
    for (const [args, message] of [
      [['codex'], 'give a runtime and a number (or none)'],
      [['codex', '0'], 'must be a whole number from 1 to 10000, or none (got "0")'],
      [['codex', '2.5'], '(got "2.5")'],
      [['codex', '1', '2'], 'give a runtime and a number'],
    ] as const) {
      const refused = runCli(project, ['scale', 'limit', ...args], env);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(message);
    }
    const unknown = runCli(project, ['scale', 'limit', 'codx', '2'], env);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('Unknown runtime "codx". Did you mean "codex"?');
    expect(JSON.parse(runCli(project, ['scale', 'limit', '--json'], env).stdout)).toEqual([
      { runtime: 'codex', maxConcurrent: 5 },
    ]);
  });
});

describe('baton workers', () => {
  it('points at `baton scale init` before there are tables', async () => {
    const url = await freshDatabase('workers_uninitialised');
    const result = runCli(tempProject(), ['workers'], { BATON_DATABASE_URL: url });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /has no Baton tables yet .*Create them with: baton scale init\n$/,
    );
    expect(result.stderr).not.toContain(server.password);
  });

  it('lists the pool: each worker’s state, host, runtimes, slots, version and heartbeat', async () => {
    const url = await freshDatabase('workers_listed');
    await initScale(url);
    const project = tempProject();
    expect(runCli(project, ['workers'], { BATON_DATABASE_URL: url }).stdout).toMatch(
      /^No workers in the pool at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/workers_listed\.\n$/,
    );

    const alive = await WorkerPresence.start(url, {
      workerId: 'gpu-box',
      runtimes: ['codex', 'claude-code'],
      slots: 4,
      applicationVersion: '2026.12.1',
      host: 'gpu-box.internal',
    });
    cleanups.push(() => alive.stop());
    // A worker that crashed: killed with SIGKILL, its row stays and its lock is gone.
    const crashed = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { WorkerPresence } from '@baton/scale';
         await WorkerPresence.start(process.argv[1], { workerId: 'laptop', runtimes: ['opencode'],
           slots: 1, applicationVersion: '2026.12.1', host: 'laptop.local' });
         process.kill(process.pid, 'SIGKILL');`,
        url,
      ],
      { cwd: dirname(CLI_BIN), encoding: 'utf8' },
    );
    expect(crashed.signal).toBe('SIGKILL');

    const text = runCli(project, ['workers'], { BATON_DATABASE_URL: url, NO_COLOR: '1' });
    expect(text.status).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^WORKER\s+STATE\s+HOST\s+PID\s+RUNTIMES\s+SLOTS\s+VERSION\s+HEARTBEAT$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^gpu-box\\s+alive\\s+gpu-box\\.internal\\s+${process.pid}\\s+codex, claude-code\\s+4\\s+2026\\.12\\.1\\s+\\d+\\.\\d s ago$`,
      ),
    );
    expect(lines[2]).toMatch(
      /^laptop\s+gone\s+laptop\.local\s+\d+\s+opencode\s+1\s+2026\.12\.1\s+/,
    );
    expect(lines).toHaveLength(3);

    const json = runCli(project, ['workers', '--json'], { BATON_DATABASE_URL: url });
    expect(json.status).toBe(0);
    const workers = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(workers.map((worker) => Object.keys(worker))).toEqual([
      [
        'workerId',
        'state',
        'host',
        'pid',
        'runtimes',
        'slots',
        'applicationVersion',
        'startedAt',
        'lastHeartbeat',
        'heartbeatAgeMs',
      ],
      expect.any(Array),
    ]);
    expect(workers[0]).toMatchObject({
      workerId: 'gpu-box',
      state: 'alive',
      runtimes: ['codex', 'claude-code'],
      slots: 4,
    });
    expect(workers[1]).toMatchObject({ workerId: 'laptop', state: 'gone', host: 'laptop.local' });
    expect(Date.parse(workers[0]!.lastHeartbeat as string)).not.toBeNaN();
  });
});

describe('the CLI without @baton/scale', () => {
  it('runs every other command, and says how to install it for scale commands', () => {
    // The built CLI alone, outside the workspace: what a one-machine install has.
    const install = mkdtempSync(join(tmpdir(), 'baton-cli-alone-'));
    cleanups.push(() => rmSync(install, { recursive: true, force: true }));
    const cli = join(dirname(CLI_BIN), '..');
    cpSync(join(cli, 'bin'), join(install, 'bin'), { recursive: true });
    cpSync(join(cli, 'dist', 'bundle'), join(install, 'dist', 'bundle'), { recursive: true });
    writeFileSync(join(install, 'package.json'), '{ "type": "module" }\n');
    // Neither DBOS nor the PostgreSQL driver is in the bundle.
    for (const chunk of readdirSync(join(install, 'dist', 'bundle'), { recursive: true })) {
      const path = join(install, 'dist', 'bundle', String(chunk));
      if (!path.endsWith('.js')) continue;
      const text = readFileSync(path, 'utf8');
      expect(text.includes('dbos_migrations'), path).toBe(false);
      expect(text.includes('SCRAM-SERVER-FIRST-MESSAGE'), path).toBe(false);
    }

    const project = tempProject();
    const run = (args: string[]) =>
      spawnSync(process.execPath, [join(install, 'bin', 'baton.js'), ...args], {
        cwd: project,
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', HOME: project, BATON_DATABASE_URL: 'postgresql://db/x' },
      });
    const version = run(['--version']);
    expect(version.status).toBe(0);
    const workers = run(['workers', '--json']);
    expect(workers.status).toBe(2);
    expect(JSON.parse(workers.stdout)).toEqual({
      error: {
        code: 'SCALE_NOT_INSTALLED',
        message:
          'Scale mode needs the @baton/scale package, which is not installed. Install it beside baton (the same version as @baton/cli): npm install @baton/scale',
        package: '@baton/scale',
      },
    });
  });
});
