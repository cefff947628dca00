import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment, ProfileMapping } from '@baton/core';

/**
 * A backend profile is an OpenCode agent, selected for one run with `opencode run --agent
 * <name>`: `agent.<name>` in an opencode.json, or `agents/<name>.md` in a config directory.
 * The agent carries the profile's model, permissions, tools and options.
 */
export function nativeProfileName(profile: string): string {
  return `baton-${profile}`;
}

/** The same name, as the OpenCode agent it is. */
export const nativeAgentName = nativeProfileName;

/**
 * OpenCode's global config directory: `$XDG_CONFIG_HOME/opencode`, else
 * `~/.config/opencode` (what `opencode debug paths` reports as `config`).
 */
export function openCodeConfigDirectory(env: Environment): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'opencode');
}

/** The global opencode.json that holds Baton's profile agents. */
export function globalConfigPath(env: Environment): string {
  return join(openCodeConfigDirectory(env), 'opencode.json');
}

/** The Markdown agent file `baton setup opencode` writes for a backend profile. */
export function agentFilePath(profile: string, env: Environment): string {
  return join(openCodeConfigDirectory(env), 'agents', `${nativeProfileName(profile)}.md`);
}

export const openCodeProfileMapping: ProfileMapping = {
  nativeName: nativeProfileName,
  describe(profile, env) {
    const name = nativeProfileName(profile);
    return (
      `${agentFilePath(profile, env)} (an OpenCode agent; or agent "${name}" in an opencode.json), ` +
      `selected with \`opencode run --agent ${name}\``
    );
  },
};
