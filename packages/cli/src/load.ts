/**
 * Config and adapters for a command: discover adapter packages (the project's own
 * `node_modules`, then the ones installed beside this CLI), then load and validate config.
 */
import { dirname, resolve } from 'node:path';
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
  context: Pick<CommandContext, 'cwd' | 'configFile' | 'env'> & {
    readonly workspace?: string | undefined;
  },
): string[] {
  // A named workspace is where the project is: its own node_modules come first.
  const from =
    context.workspace === undefined ? context.cwd : resolve(context.cwd, context.workspace);
  const projectFile = findProjectFile(from);
  const roots = [from];
  if (projectFile) roots.push(dirname(projectFile));
  // A configuration named elsewhere may have its adapters installed beside it.
  if (context.configFile !== undefined)
    roots.push(dirname(resolve(context.cwd, context.configFile)));
  roots.push(dirname(fileURLToPath(import.meta.url)));
  return roots;
}

export function createRegistry(
  context: Pick<CommandContext, 'cwd' | 'configFile' | 'env'> & {
    readonly workspace?: string | undefined;
  },
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
    ...(context.workspace === undefined ? {} : { workspace: context.workspace }),
    flags: context.flags,
    registry,
  });
  if (!result.ok) throw configError(result.issues, result.files, result.omitted);
  // From here on, output also hides the values of the variables the config names as keys.
  context.secrets.learn(result.config);
  return { config: result.config, registry };
}
