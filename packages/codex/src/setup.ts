/**
 * `baton setup codex`: the backend profile `worker` is the file
 * `$CODEX_HOME/baton-worker.config.toml`, the layout Codex ≥ 0.134 reads for
 * `--profile baton-worker` (top-level keys layered over `config.toml`).
 *
 * Baton owns, in that file, only the keys the config gives values for:
 *
 * - `model` — `[runtimes.codex] model`;
 * - `model_provider = "baton"` and `[model_providers.baton]` `name`, `base_url`, `env_key`
 *   (the variable's name, never its value), `wire_api` — `base_url` / `api_key_env`.
 *
 * Every other byte of the file is the user's. A file Baton creates starts with one managed
 * comment line; revert removes Baton's keys (and the tables Baton added, not the user's, even
 * empty ones) and deletes a file Baton created only when nothing but that line is left. `config.toml` is never edited, except by `--migrate`, which moves a legacy
 * `[profiles.baton-worker]` table (and a `profile = "baton-worker"` selector) into the
 * profile file and removes exactly those lines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BatonError,
  type NativeConfigChange,
  type NativeConfigContext,
  type NativeConfigWriter,
  type RuntimeSettings,
} from '@baton/core';
import { parseVersion, satisfies } from '@baton/core/doctor';
import {
  editToml,
  extractLegacyProfile,
  findLegacyProfile,
  type LegacyProfileLocation,
  managedMarker,
  readFileSnapshot,
  type TomlEdit,
  type TomlValue,
} from '@baton/core/native-config';
import { PROVIDER_ID } from './command.js';
import {
  codexHome,
  findLegacyProfileEntries,
  nativeProfileName,
  profileFilePath,
  profileNameProblem,
} from './profile.js';

/** Codex reads `--profile NAME` from `$CODEX_HOME/NAME.config.toml` from this version on. */
export const PROFILE_FILES_SINCE = '0.134.0';

/** The table of the model provider Baton defines for `base_url`. */
export const PROVIDER_TABLE: readonly string[] = ['model_providers', PROVIDER_ID];

/** The values Baton owns in the profile file, for the given settings. */
export interface OwnedProfileValues {
  /** Top-level keys. */
  readonly topLevel: Readonly<Record<string, TomlValue>>;
  /** Keys of `[model_providers.baton]`, when `base_url` is set. */
  readonly provider: Readonly<Record<string, TomlValue>> | undefined;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

export function ownedProfileValues(settings: RuntimeSettings): OwnedProfileValues {
  const topLevel: Record<string, TomlValue> = {};
  if (isSet(settings.model)) topLevel.model = settings.model;
  if (!isSet(settings.baseUrl)) return { topLevel, provider: undefined };
  topLevel.model_provider = PROVIDER_ID;
  const provider: Record<string, TomlValue> = {
    name: 'Baton gateway',
    base_url: settings.baseUrl,
  };
  if (isSet(settings.apiKeyEnv)) provider.env_key = settings.apiKeyEnv;
  provider.wire_api = 'responses';
  return { topLevel, provider };
}

/** Dotted names of the owned keys (`model`, `model_providers.baton.base_url`), for output and docs. */
export function ownedKeyNames(values: OwnedProfileValues): string[] {
  return [
    ...Object.keys(values.topLevel),
    ...Object.keys(values.provider ?? {}).map((key) => [...PROVIDER_TABLE, key].join('.')),
  ];
}

function setEdits(values: OwnedProfileValues): TomlEdit[] {
  return [
    ...Object.entries(values.topLevel).map(
      ([key, value]): TomlEdit => ({ op: 'set', table: [], key, value }),
    ),
    ...Object.entries(values.provider ?? {}).map(
      ([key, value]): TomlEdit => ({ op: 'set', table: PROVIDER_TABLE, key, value }),
    ),
  ];
}

function removeEdits(values: OwnedProfileValues): TomlEdit[] {
  return [
    ...Object.keys(values.topLevel).map((key): TomlEdit => ({ op: 'remove', table: [], key })),
    ...Object.keys(values.provider ?? {}).map(
      (key): TomlEdit => ({ op: 'remove', table: PROVIDER_TABLE, key }),
    ),
  ];
}

/** The managed comment on the first line of a profile file Baton creates. */
export function profileHeader(profile: string): string {
  return managedMarker(
    `codex profile ${nativeProfileName(profile)}`,
    'baton setup codex owns only the keys it writes here; edit anything else freely',
  );
}

/** What a profile file Baton creates holds before its keys: the managed comment line. */
export function profileSkeleton(profile: string, eol: '\n' | '\r\n' = '\n'): string {
  return profileHeader(profile) + eol;
}

/** True when `text` is nothing but Baton's managed comment line (what revert deletes). */
function isSkeleton(text: string, profile: string): boolean {
  return text === profileSkeleton(profile) || text === profileSkeleton(profile, '\r\n');
}

/** The text of a regular file (symlinks and non-UTF-8 refused), `null` when it is missing. */
async function readText(path: string): Promise<string | null> {
  return (await readFileSnapshot(path)).text;
}

/** Reads a file that is only inspected, never written: through symlinks, `null` when missing. */
async function readForInspection(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new BatonError(
      'NATIVE_CONFIG',
      `Cannot read ${path}: ${(error as Error).message}. Nothing was changed.`,
      { details: { path, code }, cause: error },
    );
  }
}

export function createCodexNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const settingsOf = (context: NativeConfigContext): RuntimeSettings => ({
    ...defaults,
    ...context.settings,
  });
  return {
    async plan(context) {
      const notes = checkVersion(context);
      const name = checkName(context.profile);
      const path = profileFilePath(context.profile, context.env);
      const values = ownedProfileValues(settingsOf(context));
      const ownedKeys = ownedKeyNames(values);
      const configPath = join(codexHome(context.env), 'config.toml');
      const configText = await readForInspection(configPath);
      const legacy = configText === null ? undefined : inspectConfig(configPath, configText, name);

      if (legacy !== undefined) {
        if (context.migrate !== true) throw legacyError(configPath, path, name, legacy);
        return migrate(context, { path, configPath, values, ownedKeys, notes });
      }
      const before = await readText(path);
      const base = before ?? profileSkeleton(context.profile);
      const after = editToml(base, setEdits(values), { file: path });
      return [
        {
          path,
          before,
          after,
          ownedKeys,
          createDirectories: true,
          ...(notes.length > 0 ? { notes } : {}),
        },
      ];
    },

    async planRevert(context) {
      checkName(context.profile);
      const path = profileFilePath(context.profile, context.env);
      const before = await readText(path);
      if (before === null) return [];
      const values = ownedProfileValues(settingsOf(context));
      const original = await context.original?.(path);
      const removed = editToml(before, removeEdits(values), { file: path, original });
      // A file that was there before Baton stays; one Baton created goes once only its
      // managed line is left.
      const after =
        typeof original !== 'string' && isSkeleton(removed, context.profile) ? null : removed;
      return [{ path, before, after, ownedKeys: ownedKeyNames(values) }];
    },
  };
}

function checkName(profile: string): string {
  const name = nativeProfileName(profile);
  const problem = profileNameProblem(name);
  if (problem !== null) {
    throw new BatonError('NATIVE_CONFIG', `${problem}; choose another backend profile.`, {
      details: { profile, nativeName: name },
    });
  }
  return name;
}

/** Refuses versions that read `[profiles.*]`; a note when the version is unknown. */
function checkVersion(context: NativeConfigContext): string[] {
  const version =
    context.runtimeVersion === null ? undefined : parseVersion(context.runtimeVersion);
  if (version === undefined) {
    return [
      `The installed Codex version is unknown (is codex on PATH?); Baton wrote the profile layout of Codex >= ${PROFILE_FILES_SINCE}.`,
    ];
  }
  if (!satisfies(version, `>=${PROFILE_FILES_SINCE}`)) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `Codex ${version} reads profiles from [profiles.${nativeProfileName(context.profile)}] in config.toml; Baton writes the layout of Codex >= ${PROFILE_FILES_SINCE} only (a ${nativeProfileName(context.profile)}.config.toml file). Upgrade Codex (npm install -g @openai/codex@latest) and rerun. Nothing was changed.`,
      { details: { runtime: 'codex', version, reason: 'version' } },
    );
  }
  return [];
}

interface LegacyFindings {
  readonly location: LegacyProfileLocation;
  readonly lines: string[];
}

/**
 * What in `config.toml` stops `codex --profile <name>`: the legacy profile Baton may move,
 * or a selector for another profile, which breaks every run and which Baton does not own.
 */
function inspectConfig(configPath: string, text: string, name: string): LegacyFindings | undefined {
  const location = findLegacyProfile(text, name, { file: configPath });
  const selectors = findLegacyProfileEntries(text, null);
  if (location?.selector === undefined && selectors.length > 0) {
    const selector = selectors[0]!;
    throw new BatonError(
      'NATIVE_CONFIG',
      `${configPath}:${selector.line} has \`${selector.text}\`, a profile selector Codex >= ${PROFILE_FILES_SINCE} refuses on every run. It selects a profile that is not Baton's, so Baton will not move it: move that profile's [profiles.…] table into its own <name>.config.toml, delete the line, and rerun. Nothing was changed.`,
      { details: { path: configPath, line: selector.line, reason: 'foreign-selector' } },
    );
  }
  if (location === undefined) return undefined;
  const lines = [
    ...location.tables.map(
      (table) =>
        `\`[${table.array ? '[' : ''}${table.path.join('.')}${table.array ? ']' : ''}]\` (${lineSpan(table.range)})`,
    ),
    ...location.keys.map((key) => `\`${key.key.join('.')}\` (${lineSpan(key.range)})`),
    ...(location.selector === undefined
      ? []
      : [`\`profile = "${name}"\` (${lineSpan(location.selector.range)})`]),
  ];
  return { location, lines };
}

function lineSpan(range: { startLine: number; endLine: number }): string {
  return range.startLine === range.endLine
    ? `line ${range.startLine}`
    : `lines ${range.startLine}–${range.endLine}`;
}

function legacyError(
  configPath: string,
  profilePath: string,
  name: string,
  legacy: LegacyFindings,
): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${configPath} still defines the profile ${name} the old way: ${legacy.lines.join(', ')}. Codex >= ${PROFILE_FILES_SINCE} refuses \`--profile ${name}\` while it is there. Rerun with --migrate to move those settings into ${profilePath} (every other byte of config.toml stays as it is), or move them by hand. Nothing was changed.`,
    {
      details: {
        path: configPath,
        reason: 'legacy-profile',
        found: legacy.lines,
        remedy: 'baton setup codex --migrate',
      },
    },
  );
}

interface MigrationTarget {
  readonly path: string;
  readonly configPath: string;
  readonly values: OwnedProfileValues;
  readonly ownedKeys: string[];
  readonly notes: string[];
}

/**
 * Moves the legacy profile into the profile file: the profile file first (Baton's managed
 * line, the moved keys with their comments and spelling, then Baton's own keys on top),
 * then `config.toml` without exactly the moved lines.
 */
async function migrate(
  context: NativeConfigContext,
  target: MigrationTarget,
): Promise<NativeConfigChange[]> {
  const { path, configPath, values } = target;
  const name = nativeProfileName(context.profile);
  const configBefore = await readText(configPath);
  if (configBefore === null) throw changedError(configPath);
  const extracted = extractLegacyProfile(configBefore, name, { file: configPath });
  if (extracted === undefined) throw changedError(configPath);

  const profileBefore = await readText(path);
  if (profileBefore !== null) {
    const withoutOwned = editToml(profileBefore, removeEdits(values), { file: path });
    if (!isSkeleton(withoutOwned, context.profile) && withoutOwned.trim() !== '') {
      throw new BatonError(
        'NATIVE_CONFIG',
        `Both ${path} and the legacy [profiles.${name}] in ${configPath} hold settings; Baton will not merge them. Move what you want to keep from config.toml into ${path} by hand, delete the legacy lines, and rerun. Nothing was changed.`,
        { details: { path, configPath, reason: 'migration-conflict' } },
      );
    }
  }
  const eol = extracted.configText.includes('\r\n') ? '\r\n' : '\n';
  const moved = profileSkeleton(context.profile, eol) + extracted.profileText;
  const profileAfter = editToml(moved, setEdits(values), { file: path });
  const selector = extracted.location.selector === undefined ? [] : ['profile'];
  return [
    {
      path,
      before: profileBefore,
      after: profileAfter,
      ownedKeys: target.ownedKeys,
      createDirectories: true,
      notes: [
        ...target.notes,
        `Moved the settings of [profiles.${name}] from ${configPath} into this file.`,
      ],
    },
    {
      path: configPath,
      before: configBefore,
      after: extracted.configText,
      ownedKeys: [`profiles.${name}`, ...selector],
      notes: [
        `Removed the legacy [profiles.${name}]${selector.length > 0 ? ` and profile = "${name}"` : ''}; every other line is unchanged.`,
      ],
    },
  ];
}

function changedError(path: string): BatonError {
  return new BatonError(
    'NATIVE_CONFIG',
    `${path} changed while Baton was reading it. Nothing was changed; rerun.`,
    { details: { path, reason: 'changed' } },
  );
}
