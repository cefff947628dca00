import { readFileSync } from 'node:fs';
import {
  BatonError,
  type NativeConfigChange,
  type NativeConfigContext,
  type NativeConfigWriter,
} from '@baton/core';
import { extensionManifestPath, nativeProfileName, profileNameProblem } from './profile.js';

/** The keys of `gemini-extension.json` Baton owns; everything else in the file is the user's. */
export const OWNED_KEYS = ['name', 'version'] as const;

/**
 * The manifest `baton setup gemini` creates for a backend profile. Gemini CLI needs only
 * `name` (equal to the directory's) and `version`; the user adds the rest (`contextFileName`,
 * `excludeTools`, `mcpServers`) as the profile needs. The file is strict JSON: Gemini CLI
 * parses it with `JSON.parse`, so it carries no comment.
 */
export function renderManifest(profile: string): string {
  const manifest = {
    name: nativeProfileName(profile),
    version: '1.0.0',
    description: `Baton backend profile "${profile}": add a GEMINI.md, excludeTools or mcpServers here.`,
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Writes one file, and only when it is missing: an existing manifest is the user's to edit
 * and is never rewritten, so no byte of it can be lost. It is still checked, because a
 * manifest Gemini CLI cannot load leaves the profile silently unused.
 */
export function createGeminiNativeConfig(): NativeConfigWriter {
  return {
    async plan(context) {
      const name = checkName(context.profile);
      const path = extensionManifestPath(context.profile, context.env);
      const before = readIfFile(path);
      if (before === null) {
        const change: NativeConfigChange = {
          path,
          before: null,
          after: renderManifest(context.profile),
          ownedKeys: [...OWNED_KEYS],
        };
        return [change];
      }
      checkExisting(path, before, name);
      return [];
    },
    async planRevert(context: NativeConfigContext) {
      const path = extensionManifestPath(context.profile, context.env);
      const before = readIfFile(path);
      // Only a file exactly as Baton wrote it is Baton's to remove; an edited one holds the
      // user's work.
      if (before === null || before !== renderManifest(context.profile)) return [];
      return [{ path, before, after: null, ownedKeys: [...OWNED_KEYS] }];
    },
  };
}

function checkName(profile: string): string {
  const name = nativeProfileName(profile);
  const problem = profileNameProblem(name);
  if (problem !== null)
    throw new BatonError('NATIVE_CONFIG', `${problem}; choose another backend_profile.`, {
      details: { runtime: 'gemini', profile },
    });
  return name;
}

function checkExisting(path: string, text: string, name: string): void {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} is not valid JSON (${(error as Error).message}). Baton left it untouched; fix it, or delete it and run setup again.`,
      { details: { path } },
    );
  }
  const fields = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as {
    name?: unknown;
    version?: unknown;
  };
  if (typeof fields.name !== 'string' || fields.name.toLowerCase() !== name.toLowerCase()) {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} names its extension ${JSON.stringify(fields.name ?? null)}; the profile needs "${name}". Baton left the file untouched; set "name": "${name}" in it.`,
      { details: { path, key: 'name' } },
    );
  }
  if (typeof fields.version !== 'string' || fields.version === '') {
    throw new BatonError(
      'NATIVE_CONFIG',
      `${path} has no "version", without which Gemini CLI does not load the extension. Baton left the file untouched; add "version": "1.0.0".`,
      { details: { path, key: 'version' } },
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
