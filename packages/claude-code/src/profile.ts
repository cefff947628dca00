import { homedir } from 'node:os';
import { join } from 'node:path';
import { BatonError, type Environment, type ProfileMapping } from '@baton/core';

/**
 * A backend profile is a Claude Code settings file that Baton selects with `--settings`:
 * `$CLAUDE_CONFIG_DIR/baton-<profile>.settings.json` (default `~/.claude/`). A settings
 * layer, not an agent: `--agent` would replace the system prompt, and with it the role
 * contract appended through `--append-system-prompt-file`.
 */
export function nativeProfileName(profile: string): string {
  return `baton-${profile}`;
}

/** Claude Code's config directory: `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
export function claudeConfigDirectory(env: Environment): string {
  const configured = env.CLAUDE_CONFIG_DIR;
  if (configured !== undefined && configured !== '') return configured;
  return join(env.HOME || homedir(), '.claude');
}

/** The settings file that holds a backend profile. Refuses names that would leave the directory. */
export function profileSettingsPath(profile: string, env: Environment): string {
  if (profile === '' || /[/\\\0]/.test(profile) || profile === '.' || profile === '..') {
    throw new BatonError(
      'CONFIG_INVALID',
      `Backend profile "${profile}" cannot name a Claude Code settings file: use a name without ` +
        'slashes, such as "worker".',
      { details: { profile } },
    );
  }
  return join(claudeConfigDirectory(env), `${nativeProfileName(profile)}.settings.json`);
}

export const claudeCodeProfileMapping: ProfileMapping = {
  nativeName: nativeProfileName,
  describe(profile, env) {
    return `${profileSettingsPath(profile, env)} (a Claude Code settings file, selected with --settings)`;
  },
};
