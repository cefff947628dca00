/**
 * `baton setup claude-code`: the backend profile is a settings file of Baton's own naming
 * (`baton-<profile>.settings.json` in Claude Code's config directory). Setup creates a
 * starter file when there is none and never rewrites one that exists: what goes in it
 * (`model`, `env`, `permissions`, …) is the user's. Revert removes the file only while it
 * is still exactly the starter.
 */
import { existsSync, readFileSync } from 'node:fs';
import type {
  NativeConfigChange,
  NativeConfigContext,
  NativeConfigWriter,
  RuntimeSettings,
} from '@baton/core';
import { profileSettingsPath } from './profile.js';

export const SETTINGS_SCHEMA_URL = 'https://json.schemastore.org/claude-code-settings.json';

/** The file setup writes: only a `$schema`, so editors complete the keys Claude Code reads. */
export const STARTER_SETTINGS = `${JSON.stringify({ $schema: SETTINGS_SCHEMA_URL }, null, 2)}\n`;

export function createClaudeCodeNativeConfig(_defaults: RuntimeSettings = {}): NativeConfigWriter {
  return {
    async plan(context: NativeConfigContext): Promise<readonly NativeConfigChange[]> {
      const path = profileSettingsPath(context.profile, context.env);
      if (existsSync(path)) return [];
      return [{ path, before: null, after: STARTER_SETTINGS, ownedKeys: ['$schema'] }];
    },
    async planRevert(context: NativeConfigContext): Promise<readonly NativeConfigChange[]> {
      const path = profileSettingsPath(context.profile, context.env);
      if (!existsSync(path)) return [];
      const before = readFileSync(path, 'utf8');
      if (before !== STARTER_SETTINGS) return [];
      return [{ path, before, after: null, ownedKeys: ['$schema'] }];
    },
  };
}
