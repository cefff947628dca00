/**
 * `baton setup opencode`: the backend profile `worker` is the OpenCode agent `baton-worker`,
 * which the command builder selects with `opencode run --agent baton-worker` (OpenCode falls
 * back to its default agent, silently, when it does not know the name). Where it goes:
 *
 * - `OPENCODE_CONFIG` set: the `agent.baton-worker` block of that config file;
 * - else, when the global `opencode.json` / `opencode.jsonc` (in `$XDG_CONFIG_HOME/opencode`,
 *   default `~/.config/opencode`) already defines `agent.baton-worker`: that block;
 * - else the Markdown agent file `agents/baton-worker.md` in `$OPENCODE_CONFIG_DIR`, or in
 *   the global config directory.
 *
 * In a JSON block Baton owns `description`, `mode` (`primary`) and, when `[runtimes.opencode]
 * model` is a `provider/model` OpenCode knows without Baton (no `base_url`), `model`; every
 * other byte of the file (comments, trailing commas, other agents) is the user's. The
 * Markdown file is Baton's whole, marked as such on its front matter's first line; a file
 * without that line is the user's and is never overwritten or deleted.
 */
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
  editJson,
  isBatonOwnedMarkdown,
  type JsonEdit,
  planOwnedMarkdown,
  readFileSnapshot,
  type YamlValue,
} from '@baton/core/native-config';
import { nativeAgentName, openCodeConfigDirectory } from './profile.js';

/** Where the agent is written: a Markdown agent file, or a block of a JSON/JSONC config file. */
export type AgentTarget =
  | { readonly kind: 'markdown'; readonly path: string }
  | { readonly kind: 'json'; readonly path: string };

/** A config file set with `OPENCODE_CONFIG` may gain provider keys: one Baton creates is private. */
export const CONFIG_FILE_MODE = 0o600;

/** The prompt of the Markdown agent; Baton's runs replace it with the stage's role contract. */
export const AGENT_PROMPT = 'Work on the task you are given, in the current project.\n';

/** The agent's settings Baton owns, for the given runtime settings. */
export function ownedAgentValues(
  profile: string,
  settings: RuntimeSettings,
): Record<string, string> {
  const values: Record<string, string> = {
    description: `Baton backend profile "${profile}": the agent Baton runs stages with.`,
    mode: 'primary',
  };
  // Only a provider/model OpenCode knows outside Baton's runs: the `baton` provider that
  // base_url adds exists in Baton's config layer alone, and Baton passes --model anyway.
  const model = settings.model?.trim();
  if (model && !settings.baseUrl && /^[^/]+\/.+$/.test(model)) values.model = model;
  return values;
}

async function readText(path: string): Promise<string | null> {
  return (await readFileSnapshot(path)).text;
}

/** True when the JSON/JSONC text defines `agent.<name>` (removing it would change the text). */
function definesAgent(text: string, name: string, path: string): boolean {
  return editJson(text, [{ op: 'remove', path: ['agent', name] }], { file: path }) !== text;
}

/** The file that holds (or will hold) the agent, by the rules at the top of this file. */
export async function agentTarget(
  profile: string,
  env: Environment,
  cwd: string,
): Promise<AgentTarget> {
  const name = nativeAgentName(profile);
  const explicit = env.OPENCODE_CONFIG;
  if (explicit !== undefined && explicit !== '') {
    return { kind: 'json', path: isAbsolute(explicit) ? explicit : resolve(cwd, explicit) };
  }
  const global = openCodeConfigDirectory(env);
  for (const file of ['opencode.json', 'opencode.jsonc']) {
    const path = join(global, file);
    const text = await readText(path);
    if (text !== null && definesAgent(text, name, path)) return { kind: 'json', path };
  }
  const directory =
    env.OPENCODE_CONFIG_DIR !== undefined && env.OPENCODE_CONFIG_DIR !== ''
      ? env.OPENCODE_CONFIG_DIR
      : global;
  return { kind: 'markdown', path: join(directory, 'agents', `${name}.md`) };
}

function isEmptyObject(text: string): boolean {
  return text === '{}\n' || text === '{}\r\n' || text === '{}';
}

export function createOpenCodeNativeConfig(defaults: RuntimeSettings = {}): NativeConfigWriter {
  const valuesOf = (context: NativeConfigContext) =>
    ownedAgentValues(context.profile, { ...defaults, ...context.settings });
  return {
    async plan(context): Promise<NativeConfigChange[]> {
      checkAgentName(context.profile);
      const name = nativeAgentName(context.profile);
      const target = await agentTarget(context.profile, context.env, context.cwd);
      const values = valuesOf(context);
      const before = await readText(target.path);
      if (target.kind === 'markdown') {
        const { description, ...rest } = values;
        const frontMatter: Record<string, YamlValue> = { description: description!, ...rest };
        const after = planOwnedMarkdown(
          before,
          name,
          { frontMatter, body: AGENT_PROMPT },
          { file: target.path },
        );
        return [
          {
            path: target.path,
            before,
            after,
            ownedKeys: ['(whole file)'],
            createDirectories: true,
          },
        ];
      }
      const edits = Object.entries(values).map(
        ([key, value]): JsonEdit => ({ op: 'set', path: ['agent', name, key], value }),
      );
      const after = editJson(before ?? '', edits, { file: target.path });
      return [
        {
          path: target.path,
          before,
          after,
          ownedKeys: Object.keys(values).map((key) => `agent.${name}.${key}`),
          mode: CONFIG_FILE_MODE,
          createDirectories: true,
        },
      ];
    },

    async planRevert(context): Promise<NativeConfigChange[]> {
      checkAgentName(context.profile);
      const name = nativeAgentName(context.profile);
      const target = await agentTarget(context.profile, context.env, context.cwd);
      const before = await readText(target.path);
      if (before === null) return [];
      if (target.kind === 'markdown') {
        if (isBatonOwnedMarkdown(before, name)) {
          return [{ path: target.path, before, after: null, ownedKeys: ['(whole file)'] }];
        }
        return [
          {
            path: target.path,
            before,
            after: before,
            ownedKeys: [],
            notes: [
              'This agent file has no Baton marker on its first front-matter line (baton setup did not write it), so revert leaves it in place.',
            ],
          },
        ];
      }
      const values = valuesOf(context);
      const edits = Object.keys(values).map(
        (key): JsonEdit => ({ op: 'remove', path: ['agent', name, key] }),
      );
      const original = await context.original?.(target.path);
      const removed = editJson(before, edits, { file: target.path, original });
      return [
        {
          path: target.path,
          before,
          // A file that was there before Baton (even `{}`) stays; without a record, `{}` goes.
          after: typeof original !== 'string' && isEmptyObject(removed) ? null : removed,
          ownedKeys: Object.keys(values).map((key) => `agent.${name}.${key}`),
        },
      ];
    },
  };
}

/** Refuses a profile name that cannot be an agent file name (it would leave the directory). */
export function checkAgentName(profile: string): void {
  if (/[/\\\0]/.test(profile) || profile === '' || profile === '.' || profile === '..') {
    throw new BatonError(
      'CONFIG_INVALID',
      `Backend profile "${profile}" cannot name an OpenCode agent file: use a name without slashes, such as "worker".`,
      { details: { profile } },
    );
  }
}
