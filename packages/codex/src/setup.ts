import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BatonError,
  type NativeConfigChange,
  type NativeConfigContext,
  type NativeConfigWriter,
  type RuntimeSettings,
} from '@baton/core';
import { parseVersion, satisfies } from '@baton/core/doctor';
import { tomlString } from './command.js';
import {
  codexHome,
  findLegacyProfileEntries,
  nativeProfileName,
  profileFilePath,
  profileNameProblem,
} from './profile.js';

/** Codex reads `--profile NAME` from `$CODEX_HOME/NAME.config.toml` from this version on. */
export const PROFILE_FILES_SINCE = '0.134.0';

/**
 * The file Baton owns for a backend profile: `$CODEX_HOME/baton-<profile>.config.toml`,
 * created when missing. Existing files are left alone for now (editing them in place, byte
 * for byte, comes with core's format-preserving editors).
 */
export function renderProfileFile(profile: string, settings: RuntimeSettings): string {
  const lines = [
    `# Codex profile for the Baton backend profile "${profile}": codex exec --profile ${nativeProfileName(profile)}.`,
    '# Written by `baton setup codex`. Top-level keys only (Codex >= 0.134 layers this file over config.toml).',
  ];
  if (settings.model !== undefined && settings.model !== '')
    lines.push(`model = ${tomlString(settings.model)}`);
  return `${lines.join('\n')}\n`;
}

export function createCodexNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const settingsOf = (context: NativeConfigContext): RuntimeSettings => ({
    ...defaults,
    ...context.settings,
  });
  return {
    async plan(context) {
      check(context);
      const path = profileFilePath(context.profile, context.env);
      if (readIfFile(path) !== null) return [];
      const settings = settingsOf(context);
      const change: NativeConfigChange = {
        path,
        before: null,
        after: renderProfileFile(context.profile, settings),
        ownedKeys: settings.model !== undefined && settings.model !== '' ? ['model'] : [],
      };
      return [change];
    },
    async planRevert(context) {
      const path = profileFilePath(context.profile, context.env);
      const before = readIfFile(path);
      const settings = settingsOf(context);
      // Only a file exactly as Baton wrote it is Baton's to remove.
      if (before === null || before !== renderProfileFile(context.profile, settings)) return [];
      return [
        {
          path,
          before,
          after: null,
          ownedKeys: settings.model !== undefined && settings.model !== '' ? ['model'] : [],
        },
      ];
    },
  };
}

function check(context: NativeConfigContext): void {
  const name = nativeProfileName(context.profile);
  const nameProblem = profileNameProblem(name);
  if (nameProblem !== null)
    throw new BatonError('NATIVE_CONFIG', `${nameProblem}; choose another backend_profile.`);
  const version =
    context.runtimeVersion === null ? undefined : parseVersion(context.runtimeVersion);
  if (version !== undefined && !satisfies(version, `>=${PROFILE_FILES_SINCE}`)) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `Codex ${version} reads profiles from [profiles.${name}] in config.toml; Baton writes the layout of Codex >= ${PROFILE_FILES_SINCE} only. Upgrade Codex: npm install -g @openai/codex@latest`,
      { details: { runtime: 'codex', version } },
    );
  }
  const configPath = join(codexHome(context.env), 'config.toml');
  const configText = readIfFile(configPath);
  const legacy = configText === null ? [] : findLegacyProfileEntries(configText, name);
  if (legacy.length > 0) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${configPath}:${legacy[0]!.line} has legacy \`${legacy[0]!.text}\`, which Codex >= ${PROFILE_FILES_SINCE} refuses with --profile ${name}. Move those settings into ${profileFilePath(context.profile, context.env)} and delete the legacy entry, then run setup again.`,
      { details: { path: configPath, line: legacy[0]!.line } },
    );
  }
}

function readIfFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
