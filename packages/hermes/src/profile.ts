import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment, ProfileMapping } from '@baton/core';

/**
 * Hermes's home: `HERMES_HOME` when set, else `~/.hermes` with `HERMES_DATA_DIR_SUFFIX`
 * appended literally (both documented in Hermes's environment-variable reference).
 */
export function hermesHome(env: Environment): string {
  const explicit = env.HERMES_HOME;
  if (explicit !== undefined && explicit !== '') return explicit;
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return join(home, `.hermes${env.HERMES_DATA_DIR_SUFFIX ?? ''}`);
}

/** The native profile name for an abstract backend profile: `worker` → `baton-worker`. */
export function nativeProfileName(profile: string): string {
  // Hermes profiles are directories (`profiles/<name>/`): keep the name a plain path segment.
  const segment = profile
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `baton-${segment === '' ? 'profile' : segment}`;
}

/** Where `hermes -p <name>` reads its profile: `<home>/profiles/<name>/`. */
export function profileDirectory(profile: string, env: Environment): string {
  return join(hermesHome(env), 'profiles', nativeProfileName(profile));
}

export const hermesProfileMapping: ProfileMapping = {
  nativeName: nativeProfileName,
  describe(profile, env) {
    const name = nativeProfileName(profile);
    return `Hermes profile ${profileDirectory(profile, env)}/ (config.yaml, .env, SOUL.md), selected with \`hermes -p ${name}\``;
  },
};
