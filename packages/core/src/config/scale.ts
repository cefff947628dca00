/**
 * Scale mode's settings that need no validation library: where the database URL comes from
 * and which of its parts are secret. Kept apart from the schema so that redaction, which every
 * command loads, does not load zod.
 */
import type { Environment } from '../adapter/v1/spec.js';
import type { ScaleSettings } from './types.js';

/** The variable that holds the scale database's URL unless `[scale] database_url_env` names another. */
export const DEFAULT_DATABASE_URL_ENV = 'BATON_DATABASE_URL';

/** How a stage's workspace reaches the worker that runs it (`[scale] workspace`). */
export const WORKSPACE_STRATEGIES = ['git', 'shared-path'] as const;

/** `[scale.git] branch_prefix` when not given: a run's branch is `baton/<run id>`. */
export const DEFAULT_BRANCH_PREFIX = 'baton/';

export type DatabaseUrlResolution =
  | {
      readonly ok: true;
      readonly url: string;
      /** Where it came from, for messages: `environment (BATON_DATABASE_URL)` or a file. */
      readonly source: string;
    }
  | { readonly ok: false; readonly message: string };

/**
 * The scale database's URL: the variable `database_url_env` names (default
 * `BATON_DATABASE_URL`) when it is set, else `[scale] database_url`. `scale` is `null` when no
 * config file has `[scale]`: the variable alone is enough to reach the database.
 */
export function resolveDatabaseUrl(
  scale: ScaleSettings | null,
  env: Environment,
): DatabaseUrlResolution {
  const variable = scale?.databaseUrlEnv ?? DEFAULT_DATABASE_URL_ENV;
  const fromEnv = env[variable]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') {
    // The value is never repeated: it may hold a password.
    if (!/^postgres(?:ql)?:\/\//.test(fromEnv) || !URL.canParse(fromEnv)) {
      return {
        ok: false,
        message: `The variable ${variable} does not hold a PostgreSQL URL; set it to one like postgresql://baton@db.internal:5432/baton.`,
      };
    }
    return { ok: true, url: fromEnv, source: `environment (${variable})` };
  }
  if (scale?.databaseUrl) {
    return { ok: true, url: scale.databaseUrl, source: `${scale.source} ([scale] database_url)` };
  }
  return {
    ok: false,
    message:
      scale === null
        ? `No scale database: set ${DEFAULT_DATABASE_URL_ENV} to the PostgreSQL URL of the worker pool, or add [scale] to baton.toml (see docs/scale.md).`
        : `[scale] in ${scale.source} names no database: set the variable ${variable}` +
          `${scale.databaseUrlEnv === DEFAULT_DATABASE_URL_ENV ? '' : ' (its database_url_env)'} to the PostgreSQL URL, or give database_url.`,
  };
}

/** The password of the scale database's URL held in the environment, for redaction. */
export function databaseUrlSecrets(
  scale: Pick<ScaleSettings, 'databaseUrlEnv'> | null | undefined,
  env: Environment,
): string[] {
  const secrets = new Set<string>();
  for (const variable of new Set([DEFAULT_DATABASE_URL_ENV, scale?.databaseUrlEnv])) {
    const value = variable === undefined ? undefined : env[variable]?.trim();
    if (value === undefined || !URL.canParse(value)) continue;
    const url = new URL(value);
    for (const secret of [url.password, url.searchParams.get('password') ?? '']) {
      if (secret === '') continue;
      secrets.add(secret);
      try {
        secrets.add(decodeURIComponent(secret));
      } catch {
        // Not percent-encoded text: the raw form is enough.
      }
    }
  }
  return [...secrets];
}
