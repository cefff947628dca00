/**
 * `baton setup hermes`: the backend profile `worker` is the Hermes profile `baton-worker`,
 * the directory `<HERMES_HOME>/profiles/baton-worker/` that `hermes -p baton-worker` reads
 * (`HERMES_HOME` defaults to `~/.hermes`). Setup writes its `config.yaml`, the file doctor's
 * `profile` check looks for.
 *
 * Baton owns these keys of that file and nothing else:
 *
 * - `agent.api_max_retries: 0` — Baton retries whole stages itself, so a dead provider must
 *   fail the run at once;
 * - `model.default` — `[runtimes.hermes] model`;
 * - with `base_url`: `model.provider: custom:baton` and `providers.baton.api`,
 *   `providers.baton.transport: chat_completions`, `providers.baton.key_env` (the name of
 *   the variable `api_key_env` names, never a key).
 *
 * A `config.yaml` Baton creates starts with one managed comment line. Revert removes Baton's
 * keys (and the mappings Baton added, not the user's, even empty ones), then deletes a file
 * Baton created, and the profile directory when it is empty, only when nothing but that line
 * is left.
 */
import { join } from 'node:path';
import type {
  NativeConfigChange,
  NativeConfigContext,
  NativeConfigWriter,
  RuntimeSettings,
} from '@baton/core';
import {
  editYaml,
  type KeyPath,
  managedMarker,
  readFileSnapshot,
  type YamlEdit,
} from '@baton/core/native-config';
import { normaliseBaseUrl } from './command.js';
import { nativeProfileName, profileDirectory } from './profile.js';

/** The custom provider Baton defines for `base_url`, selected as `model.provider: custom:baton`. */
export const PROVIDER_NAME = 'baton';

/** A profile's `config.yaml` may gain keys by hand (`api_key`): a file Baton creates is private. */
export const CONFIG_FILE_MODE = 0o600;

/** One owned key: where it is in `config.yaml` and what Baton writes there. */
export interface OwnedYamlValue {
  readonly path: KeyPath;
  readonly value: string | number;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** The keys Baton owns in the profile's `config.yaml` for these settings, in writing order. */
export function ownedConfigValues(settings: RuntimeSettings): OwnedYamlValue[] {
  const owned: OwnedYamlValue[] = [{ path: ['agent', 'api_max_retries'], value: 0 }];
  if (isSet(settings.model)) owned.push({ path: ['model', 'default'], value: settings.model });
  if (isSet(settings.baseUrl)) {
    owned.push(
      { path: ['model', 'provider'], value: `custom:${PROVIDER_NAME}` },
      { path: ['providers', PROVIDER_NAME, 'api'], value: normaliseBaseUrl(settings.baseUrl) },
      { path: ['providers', PROVIDER_NAME, 'transport'], value: 'chat_completions' },
    );
    if (isSet(settings.apiKeyEnv)) {
      owned.push({ path: ['providers', PROVIDER_NAME, 'key_env'], value: settings.apiKeyEnv });
    }
  }
  return owned;
}

/** The managed comment on the first line of a `config.yaml` Baton creates. */
export function configHeader(profile: string): string {
  return managedMarker(
    `hermes profile ${nativeProfileName(profile)}`,
    'baton setup hermes owns only the keys it writes here; edit anything else freely',
  );
}

/** The profile's `config.yaml`: `<HERMES_HOME>/profiles/baton-<profile>/config.yaml`. */
export function profileConfigPath(profile: string, env: NativeConfigContext['env']): string {
  return join(profileDirectory(profile, env), 'config.yaml');
}

function isSkeleton(text: string, profile: string): boolean {
  const header = configHeader(profile);
  return text === `${header}\n` || text === `${header}\r\n`;
}

export function createHermesNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const ownedOf = (context: NativeConfigContext) =>
    ownedConfigValues({ ...defaults, ...context.settings });
  return {
    async plan(context): Promise<readonly NativeConfigChange[]> {
      const path = profileConfigPath(context.profile, context.env);
      const owned = ownedOf(context);
      const before = (await readFileSnapshot(path)).text;
      const base = before ?? `${configHeader(context.profile)}\n`;
      const edits = owned.map(
        ({ path: key, value }): YamlEdit => ({ op: 'set', path: key, value }),
      );
      const after = editYaml(base, edits, { file: path });
      return [
        {
          path,
          before,
          after,
          ownedKeys: owned.map((entry) => entry.path.join('.')),
          mode: CONFIG_FILE_MODE,
          createDirectories: true,
        },
      ];
    },
    async planRevert(context): Promise<readonly NativeConfigChange[]> {
      const path = profileConfigPath(context.profile, context.env);
      const before = (await readFileSnapshot(path)).text;
      if (before === null) return [];
      const owned = ownedOf(context);
      const original = await context.original?.(path);
      const removed = editYaml(
        before,
        owned.map(({ path: key }): YamlEdit => ({ op: 'remove', path: key })),
        { file: path, original },
      );
      const ownedKeys = owned.map((entry) => entry.path.join('.'));
      // A file that was there before Baton stays; one Baton created goes once only its
      // managed line is left.
      if (typeof original === 'string' || !isSkeleton(removed, context.profile))
        return [{ path, before, after: removed, ownedKeys }];
      return [
        {
          path,
          before,
          after: null,
          ownedKeys,
          removeEmptyDirectories: [profileDirectory(context.profile, context.env)],
        },
      ];
    },
  };
}

/** The writer with no factory settings. */
export const hermesNativeConfig: NativeConfigWriter = createHermesNativeConfig();
