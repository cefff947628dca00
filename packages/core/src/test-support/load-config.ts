/** Loading config in tests of core: a registry of every first-party runtime, temp projects. */
import { join } from 'node:path';
import { formatIssues } from '../config/issues.js';
import { type ConfigResult, type LoadConfigOptions, loadConfig } from '../config/load.js';
import type { BatonConfig } from '../config/types.js';
import { AdapterRegistry } from '../registry.js';
import { FIRST_PARTY_IDENTITIES, fakeAdapter } from './fake-adapter.js';
import { tempDirectory, writeTree } from './temp.js';

/** Every first-party runtime installed, except those named. */
export function fullRegistry(except: readonly string[] = []): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const identity of FIRST_PARTY_IDENTITIES) {
    if (!except.includes(identity.id)) registry.register(fakeAdapter(identity));
  }
  return registry;
}

/** Loads `toml` as a project's baton.toml, with an empty user config dir. */
export function load(toml: string | undefined, options: Partial<LoadConfigOptions> = {}) {
  const root = tempDirectory();
  if (toml !== undefined) writeTree(root, { 'project/baton.toml': toml });
  writeTree(root, { 'project/.keep': '' });
  return loadConfig({
    cwd: join(root, 'project'),
    env: { XDG_CONFIG_HOME: join(root, 'xdg'), HOME: join(root, 'home') },
    registry: fullRegistry(),
    ...options,
  });
}

/** The problems of a config that must be rejected. */
export function issues(result: ConfigResult) {
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

/** The config of a result that must be accepted. */
export function config(result: ConfigResult): BatonConfig {
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.config;
}
