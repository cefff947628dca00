/**
 * `baton setup litellm`: the backend profile `worker` is the model alias `baton-worker`, a
 * `model_list` entry of the proxy's `config.yaml` (`[runtimes.litellm] config_path`,
 * relative to the project directory) whose `litellm_params.model` is the upstream model
 * (`[runtimes.litellm] model`).
 *
 * Baton owns that entry's `model_name` and `litellm_params.model`, nothing else: keys the user
 * adds to the entry (`api_key: os.environ/…`, `api_base`, `rpm`, `model_info`) stay byte for
 * byte, because the model is set in place. An entry Baton adds carries a managed comment
 * above it; revert removes such an entry whole, and leaves an entry the user wrote (no
 * comment) where it is. A `config.yaml` Baton creates starts with one managed comment line
 * and is deleted by revert when nothing else is left in it.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  BatonError,
  type Environment,
  type NativeConfigChange,
  type NativeConfigContext,
  type NativeConfigWriter,
  type RuntimeSettings,
} from '@baton/core';
import {
  editYaml,
  managedMarker,
  readFileSnapshot,
  sequenceItemSubject,
} from '@baton/core/native-config';
import { nativeModelAlias } from './profile.js';

export const MODEL_LIST: readonly string[] = ['model_list'];
const MATCH_KEY = 'model_name';
const MODEL_PATH: readonly string[] = ['litellm_params', 'model'];

/** The managed comment on the first line of a `config.yaml` Baton creates. */
export const CONFIG_HEADER = managedMarker(
  'litellm config',
  'baton setup litellm owns only the model_list entries it marks; edit anything else freely',
);

/** The keys Baton owns in its entry, as `--json` and the docs name them. */
export function ownedKeys(alias: string): string[] {
  const entry = sequenceItemSubject(MODEL_LIST, MATCH_KEY, alias);
  return [`${entry}.${MATCH_KEY}`, `${entry}.${MODEL_PATH.join('.')}`];
}

/** `[runtimes.litellm] config_path`: `~/` expanded, relative paths from the project directory. */
export function proxyConfigPath(settings: RuntimeSettings, env: Environment, cwd: string): string {
  const configured = settings.configPath;
  if (configured === undefined || configured === '') {
    throw new BatonError(
      'CONFIG_INVALID',
      'baton setup litellm needs the proxy\'s config file: set config_path under [runtimes.litellm] in baton.toml (e.g. config_path = "litellm/config.yaml").',
      { details: { key: 'runtimes.litellm.config_path' } },
    );
  }
  if (configured === '~' || configured.startsWith('~/')) {
    const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
    return join(home, configured.slice(1));
  }
  return isAbsolute(configured) ? configured : resolve(cwd, configured);
}

function upstreamModel(settings: RuntimeSettings, alias: string): string {
  if (settings.model !== undefined && settings.model !== '') return settings.model;
  throw new BatonError(
    'CONFIG_INVALID',
    `baton setup litellm needs the upstream model for the alias ${alias}: set model under [runtimes.litellm] in baton.toml (a LiteLLM model, e.g. model = "openai/gpt-4o").`,
    { details: { key: 'runtimes.litellm.model' } },
  );
}

function hasMarker(text: string, alias: string): boolean {
  const marker = managedMarker(sequenceItemSubject(MODEL_LIST, MATCH_KEY, alias));
  return text.split(/\r?\n/).some((line) => line.trim() === marker);
}

export function createLitellmNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const settingsOf = (context: NativeConfigContext): RuntimeSettings => ({
    ...defaults,
    ...context.settings,
  });
  return {
    async plan(context): Promise<readonly NativeConfigChange[]> {
      const settings = settingsOf(context);
      const alias = nativeModelAlias(context.profile);
      const path = proxyConfigPath(settings, context.env, context.cwd);
      const model = upstreamModel(settings, alias);
      const before = (await readFileSnapshot(path)).text;
      const after = editYaml(
        before ?? `${CONFIG_HEADER}\n`,
        [
          {
            op: 'set-in-item',
            path: MODEL_LIST,
            matchKey: MATCH_KEY,
            matchValue: alias,
            itemPath: MODEL_PATH,
            value: model,
          },
        ],
        { file: path },
      );
      return [
        {
          path,
          before,
          after,
          ownedKeys: ownedKeys(alias),
          ...(before === after
            ? {}
            : { notes: ['Restart the proxy (or let it reload) so that it serves the alias.'] }),
        },
      ];
    },
    async planRevert(context): Promise<readonly NativeConfigChange[]> {
      const settings = settingsOf(context);
      const alias = nativeModelAlias(context.profile);
      const path = proxyConfigPath(settings, context.env, context.cwd);
      const before = (await readFileSnapshot(path)).text;
      if (before === null) return [];
      const original = await context.original?.(path);
      const removed = editYaml(
        before,
        [{ op: 'remove-item', path: MODEL_LIST, matchKey: MATCH_KEY, matchValue: alias }],
        { file: path, original },
      );
      if (removed === before) return [];
      if (!hasMarker(before, alias)) {
        return [
          {
            path,
            before,
            after: before,
            ownedKeys: ownedKeys(alias),
            notes: [
              `The ${alias} entry has no Baton marker above it (baton setup did not add it), so revert leaves it in place.`,
            ],
          },
        ];
      }
      // A file that was there before Baton stays (a `model_list: []` of the user's too); one
      // Baton created goes once only its managed line is left.
      const created =
        typeof original !== 'string' &&
        (removed === `${CONFIG_HEADER}\n` || removed === `${CONFIG_HEADER}\r\n`);
      return [{ path, before, after: created ? null : removed, ownedKeys: ownedKeys(alias) }];
    },
  };
}

/** The writer with no factory settings. */
export const litellmNativeConfig: NativeConfigWriter = createLitellmNativeConfig();
