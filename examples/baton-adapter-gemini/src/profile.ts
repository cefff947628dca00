import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment, ProfileMapping } from '@baton/core';

/** Every Baton-managed Gemini CLI extension carries this prefix, so it never collides with the user's own. */
export const PROFILE_PREFIX = 'baton-';

/** The manifest file every Gemini CLI extension has in its directory. */
export const EXTENSION_MANIFEST = 'gemini-extension.json';

/** What Gemini CLI 0.56 accepts as an extension name (`validateName` in its extension manager). */
const EXTENSION_NAME = /^[A-Za-z0-9-]+$/;

/** `worker` → `baton-worker`. */
export function nativeProfileName(profile: string): string {
  return `${PROFILE_PREFIX}${profile}`;
}

/** Says why Gemini CLI would refuse this extension name, or `null` when it accepts it. */
export function profileNameProblem(nativeName: string): string | null {
  return EXTENSION_NAME.test(nativeName)
    ? null
    : `"${nativeName}" is not a valid Gemini CLI extension name (letters, digits and "-" only)`;
}

/**
 * `~/.gemini`, or `$GEMINI_CLI_HOME/.gemini`: Gemini CLI puts its whole user-level state
 * (settings, credentials, extensions) under the home directory that variable overrides.
 */
export function geminiDirectory(env: Environment): string {
  const home =
    env.GEMINI_CLI_HOME !== undefined && env.GEMINI_CLI_HOME !== ''
      ? env.GEMINI_CLI_HOME
      : env.HOME !== undefined && env.HOME !== ''
        ? env.HOME
        : homedir();
  return join(home, '.gemini');
}

/** The extension that holds a backend profile: `~/.gemini/extensions/baton-<profile>/`. */
export function extensionDirectory(profile: string, env: Environment): string {
  return join(geminiDirectory(env), 'extensions', nativeProfileName(profile));
}

export function extensionManifestPath(profile: string, env: Environment): string {
  return join(extensionDirectory(profile, env), EXTENSION_MANIFEST);
}

/**
 * Gemini CLI has no `--profile` flag. Its per-run selector with one slot is
 * `--extensions`: given names, it loads only those extensions. A backend profile is
 * therefore one extension, whose context file, excluded tools and MCP servers are the
 * profile's; the model still travels with `--model`.
 */
export const geminiProfileMapping: ProfileMapping = {
  nativeName: nativeProfileName,
  describe(profile, env) {
    return `${extensionManifestPath(profile, env)} (a Gemini CLI extension, selected alone with \`gemini --extensions ${nativeProfileName(profile)}\`)`;
  },
};
