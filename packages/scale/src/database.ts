/**
 * Connections to the scale database, and what its failures mean in words a user can act on.
 *
 * A database URL may carry a password (in its user part, or as a `password` parameter): it is
 * shown only as `displayDatabaseUrl` makes it — scheme, user, host, port and database, never
 * a password nor any query parameter — in messages, errors and output alike.
 */
import { BatonError, REDACTED } from '@baton/core';
import pg from 'pg';

/** How long a connection attempt may take before the database counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The URL as it may be shown: `postgresql://user@host:port/database`, nothing secret. */
export function displayDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a database URL that does not parse)';
  }
  const user = parsed.username === '' ? '' : `${decodeSafely(parsed.username)}@`;
  // A socket folder given as ?host=/path is the only query parameter worth showing, and holds no secret.
  const socket = parsed.hostname === '' ? parsed.searchParams.get('host') : null;
  const host = socket ?? `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}`;
  return `${parsed.protocol}//${user}${host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Whether a database URL carries a password (in its user part or a `password` parameter). */
export function databaseUrlHasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.searchParams.has('password');
  } catch {
    return false;
  }
}

/** The password of a URL, so that output can be redacted of it. */
export function passwordsOfUrl(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [decodeSafely(parsed.password), parsed.searchParams.get('password') ?? ''].filter(
      (secret) => secret !== '',
    );
  } catch {
    return [];
  }
}

export interface PoolOptions {
  /** Every transaction read-only (the server refuses writes), as a second guard. */
  readonly readOnly?: boolean;
  /** How long a statement waits for a lock before failing (`lock_timeout`). */
  readonly lockTimeoutMs?: number;
  /** Tags the connections in `pg_stat_activity`. */
  readonly applicationName: string;
  /** The most connections this pool opens. */
  readonly max?: number;
}

/**
 * A pool of connections. Session settings ride in the URL's `options` parameter, merged
 * with any the URL already has: `pg` lets the URL's own values override its config.
 */
export function createPool(url: string, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withSessionSettings(url, options),
    max: options.max ?? 4,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle connection's failure (the server restarted, say) must not end the process: the
  // next query opens a new connection, or fails with its own error.
  pool.on('error', () => {});
  return pool;
}

/** The URL with Baton's session settings added to its `options` parameter. */
export function withSessionSettings(url: string, options: PoolOptions): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new BatonError(
      'USAGE',
      `The database URL ${displayDatabaseUrl(url)} is not a URL: write it as postgresql://user@host:5432/database.`,
      { cause: error },
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new BatonError(
      'USAGE',
      `The database URL ${displayDatabaseUrl(url)} is not a PostgreSQL URL: it must start with postgresql://.`,
    );
  }
  const settings = [
    parsed.searchParams.get('options') ?? '',
    // Never a write, even by mistake.
    options.readOnly === true ? '-c default_transaction_read_only=on' : '',
    options.lockTimeoutMs === undefined ? '' : `-c lock_timeout=${options.lockTimeoutMs}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
  if (settings !== '') parsed.searchParams.set('options', settings);
  if (!parsed.searchParams.has('application_name')) {
    parsed.searchParams.set('application_name', options.applicationName);
  }
  return parsed.toString();
}

export interface FailureContext {
  /** The database as shown (`displayDatabaseUrl`), with the schema when it matters. */
  readonly location: string;
  /** What Baton was doing, e.g. "read the journal in". */
  readonly action: string;
  /** How long Baton waited for a lock. */
  readonly lockTimeoutMs?: number;
  readonly runId?: string | undefined;
  /** Text never to repeat from the server's or the driver's message (the URL's password). */
  readonly secrets?: readonly string[];
}

const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * The BatonError for a failure of the database that the user can act on; anything else (a
 * BatonError, a bug) is returned unchanged. Messages carry the database as shown, never its
 * URL, and never the server's `detail` (which may quote a row).
 */
export function databaseFailure(error: unknown, context: FailureContext): unknown {
  if (BatonError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
  let reason = error instanceof Error ? error.message : String(error);
  for (const secret of context.secrets ?? []) reason = reason.replaceAll(secret, REDACTED);
  const { location, action } = context;
  const details = { database: location, ...(context.runId ? { runId: context.runId } : {}) };
  const options = { cause: error, details };

  const unreachable =
    (typeof code === 'string' && UNREACHABLE_ERRNO.has(code)) ||
    sqlState?.startsWith('08') === true ||
    sqlState === '57P01' ||
    sqlState === '57P02' ||
    sqlState === '57P03' ||
    /Connection terminated|timeout expired|connection timeout/i.test(reason);
  if (unreachable) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `Cannot reach the database ${location} to ${action} it (${reason}). Check that PostgreSQL is running ` +
        'there and that the scale database URL names it, then try again.',
      { ...options, details: { ...details, transient: true } },
    );
  }
  if (sqlState === '28P01' || sqlState === '28000') {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} refused the login (${reason}). Check the user and password the scale ` +
        'database URL gives (or PGPASSWORD, or ~/.pgpass), then try again.',
      options,
    );
  }
  if (sqlState === '3D000') {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} does not exist. Create it with \`baton scale init\` (or createdb), then try again.`,
      options,
    );
  }
  if (sqlState === '3F000' || sqlState === '42P01' || sqlState === '42883') {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} has no Baton tables yet (${reason}). Create them with: baton scale init`,
      options,
    );
  }
  if (sqlState === '42501') {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} refused to let this user ${action} it (${reason}). Grant the user ` +
        'access to the Baton schema, or run as its owner.',
      options,
    );
  }
  if (sqlState === '55P03') {
    return new BatonError(
      'JOURNAL_LOCKED',
      `The journal in ${location} is locked: another Baton process has held the run for more than ` +
        `${seconds(context.lockTimeoutMs ?? 0)}. Wait for it to finish (see: baton runs), then try again.`,
      { ...options, details: { ...details, transient: true } },
    );
  }
  if (sqlState === '25006') {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} accepts no writes (${reason}); it may be a standby. Point the scale ` +
        'database URL at the primary, then try again.',
      options,
    );
  }
  if (sqlState?.startsWith('53') === true) {
    return new BatonError(
      'JOURNAL_UNAVAILABLE',
      `The database ${location} is out of resources (${reason}): free disk space or connections there, then try again.`,
      options,
    );
  }
  return error;
}

/**
 * Whether a failure of the database is one to wait out rather than report: the server
 * unreachable or restarting, a lock held past the wait. Work a durable step does in the
 * database is not retried by DBOS, so the step retries it (see `untilDone`).
 */
export function isPassingFailure(error: unknown): boolean {
  const known = BatonError.isInstance(error)
    ? error
    : databaseFailure(error, { location: 'the database', action: 'use' });
  return BatonError.isInstance(known) && known.details.transient === true;
}

/**
 * Runs `work` until it succeeds or fails for a reason other than a passing failure of the
 * database: waits between tries grow from 100 ms to 5 s. Only for work that may be done twice
 * (an append with a key, a read). Gives up when `signal` aborts, with its reason.
 */
export async function untilDone<T>(
  work: () => Promise<T>,
  options: { readonly signal?: AbortSignal; readonly onWait?: (error: unknown) => void } = {},
): Promise<T> {
  let delay = 100;
  while (true) {
    try {
      return await work();
    } catch (error) {
      if (!isPassingFailure(error) || options.signal?.aborted === true) throw error;
      options.onWait?.(error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A connection of its own (a session that holds locks, or a command's one look), or the failure to open it. */
export async function openClient(
  url: string,
  applicationName: string,
  action: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: withSessionSettings(url, { applicationName }),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // A broken connection surfaces on the next query; an 'error' event must not end the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw databaseFailureAt(url, error, action);
  }
  return client;
}

/** `databaseFailure` for an action on the database at `url`, its passwords kept out. */
export function databaseFailureAt(url: string, error: unknown, action: string): unknown {
  return databaseFailure(error, {
    location: displayDatabaseUrl(url),
    action,
    secrets: passwordsOfUrl(url),
  });
}
