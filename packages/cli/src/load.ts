/**
 * Config and adapters for a command: discover adapter packages (the project's own
 * `node_modules`, then the ones installed beside this CLI), then load and validate config.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterRegistry, type BatonConfig, findProjectFile, loadConfig } from '@baton/core';
import type { CommandContext } from './context.js';
import { configError } from './output.js';

export interface Loaded {
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
}

/** Adapter discovery roots: the project first, so its own install wins, then this CLI's. */
export function discoveryRoots(
  context: Pick<CommandContext, 'cwd' | 'configFile' | 'env'>,
): string[] {
  const projectFile = findProjectFile(context.cwd);
  const roots = [context.cwd];
  if (projectFile) roots.push(dirname(projectFile));
  roots.push(dirname(fileURLToPath(import.meta.url)));
  return roots;
}

export function createRegistry(
  context: Pick<CommandContext, 'cwd' | 'configFile' | 'env'>,
): AdapterRegistry {
  return new AdapterRegistry().discover(discoveryRoots(context));
}

/** Loads config or throws a config error listing every problem. */
export function loadForCommand(context: CommandContext): Loaded {
  const registry = createRegistry(context);
  const result = loadConfig({
    cwd: context.cwd,
    env: context.env,
    configFile: context.configFile,
    flags: context.flags,
    registry,
  });
  if (!result.ok) throw configError(result.issues, result.files, result.omitted);
  // From here on, output also hides the values of the variables the config names as keys.
  context.secrets.learn(result.config);
  return { config: result.config, registry };
}
