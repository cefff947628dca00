/**
 * `baton setup claude-code`: the backend profile is a settings file of Baton's own naming,
 * `$CLAUDE_CONFIG_DIR/baton-<profile>.settings.json` (default `~/.claude/`), which the
 * command builder selects with `--settings`.
 *
 * Baton owns two keys of that file: `$schema` (so editors complete the keys Claude Code
 * reads) and, when `[runtimes.claude-code] model` is set, `model`. Everything else in it —
 * `env`, `permissions`, hooks, the spacing and order of the file — is the user's and is kept
 * byte for byte. Revert removes those keys and gives back what the file held before Baton
 * first changed it: a file Baton created is deleted when nothing but `{}` is left; a file
 * that was there (even `{}` or empty) keeps its bytes. JSON has no comments, so the file
 * carries no managed comment: Baton's keys are known by name, and what the file was before
 * comes from the record `baton setup` keeps (`context.original`).
 */
import type {
  NativeConfigChange,
  NativeConfigContext,
  NativeConfigWriter,
  RuntimeSettings,
} from '@baton/core';
import { editJson, type JsonEdit, readFileSnapshot } from '@baton/core/native-config';
import { profileSettingsPath } from './profile.js';

export const SETTINGS_SCHEMA_URL = 'https://json.schemastore.org/claude-code-settings.json';

/** The file setup creates when nothing is configured but the profile: only a `$schema`. */
export const STARTER_SETTINGS = `${JSON.stringify({ $schema: SETTINGS_SCHEMA_URL }, null, 2)}\n`;

/** Settings files can gain `env` secrets by hand: a file Baton creates is private. */
export const SETTINGS_FILE_MODE = 0o600;

/** The values Baton owns in the settings file, in the order it writes them. */
export function ownedSettings(settings: RuntimeSettings): Record<string, string> {
  const owned: Record<string, string> = { $schema: SETTINGS_SCHEMA_URL };
  if (settings.model !== undefined && settings.model !== '') owned.model = settings.model;
  return owned;
}

/** What is left of a file Baton created once its keys are gone; revert deletes such a file. */
function isEmptyObject(text: string): boolean {
  return text === '{}\n' || text === '{}\r\n' || text === '{}';
}

export function createClaudeCodeNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const ownedOf = (context: NativeConfigContext) =>
    ownedSettings({ ...defaults, ...context.settings });
  return {
    async plan(context: NativeConfigContext): Promise<readonly NativeConfigChange[]> {
      const path = profileSettingsPath(context.profile, context.env);
      const owned = ownedOf(context);
      const before = (await readFileSnapshot(path)).text;
      const edits = Object.entries(owned).map(
        ([key, value]): JsonEdit => ({ op: 'set', path: [key], value }),
      );
      // Claude Code reads strict JSON: comments or trailing commas are refused, not kept.
      const after = editJson(before ?? '', edits, { file: path, flavor: 'json' });
      return [
        {
          path,
          before,
          after,
          ownedKeys: Object.keys(owned),
          mode: SETTINGS_FILE_MODE,
          createDirectories: true,
        },
      ];
    },
    async planRevert(context: NativeConfigContext): Promise<readonly NativeConfigChange[]> {
      const path = profileSettingsPath(context.profile, context.env);
      const owned = ownedOf(context);
      const before = (await readFileSnapshot(path)).text;
      if (before === null) return [];
      const edits = Object.keys(owned).map((key): JsonEdit => ({ op: 'remove', path: [key] }));
      const original = await context.original?.(path);
      const removed = editJson(before, edits, { file: path, flavor: 'json', original });
      return [
        {
          path,
          before,
          // A file that was there before Baton (even `{}`) stays; without a record, `{}` goes.
          after: typeof original !== 'string' && isEmptyObject(removed) ? null : removed,
          ownedKeys: Object.keys(owned),
        },
      ];
    },
  };
}
