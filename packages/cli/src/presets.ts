/**
 * Named starter routings for `baton init --preset NAME`: each a commented `baton.toml` kept as
 * a file in this package's `presets/` folder (shipped beside `dist/`), so a preset is read,
 * reviewed and tested exactly as a user will see it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestMatch } from '@baton/core';
import { usageError } from './output.js';

export interface Preset {
  readonly name: string;
  /** The preset's one-line summary: its first line after `preset "<name>": `. */
  readonly description: string;
  readonly path: string;
}

const PRESET_EXTENSION = '.toml';

/**
 * The `presets/` folder at this package's root. Found by walking up from this module to the
 * folder holding package.json: the same from the sources, the compiled files and the bundle's
 * chunks, wherever the package is installed.
 */
export function presetsDirectory(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let directory = from; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return join(directory, 'presets');
    if (dirname(directory) === directory) {
      throw new Error(`no package.json above ${from}: cannot find the presets`);
    }
  }
}

/** Every preset, by name. */
export function listPresets(directory = presetsDirectory()): Preset[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(PRESET_EXTENSION))
    .sort()
    .map((file) => {
      const name = file.slice(0, -PRESET_EXTENSION.length);
      const path = join(directory, file);
      return { name, description: describe(name, readFileSync(path, 'utf8')), path };
    });
}

/** The preset named `name`, or a usage error listing the presets with a did-you-mean. */
export function findPreset(
  name: string,
  directory = presetsDirectory(),
): Preset & { text: string } {
  const presets = listPresets(directory);
  const preset = presets.find((candidate) => candidate.name === name);
  if (preset === undefined) {
    const names = presets.map((candidate) => candidate.name);
    const suggestion = closestMatch(name, names);
    throw usageError(
      `init: unknown preset "${name}".` +
        (suggestion ? ` Did you mean "${suggestion}"?` : '') +
        ` Presets: ${names.join(', ')} (see baton init --list-presets).`,
    );
  }
  return { ...preset, text: readFileSync(preset.path, 'utf8') };
}

function describe(name: string, text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  const marker = `preset "${name}": `;
  const at = first.indexOf(marker);
  return at === -1 ? '' : first.slice(at + marker.length).trim();
}
