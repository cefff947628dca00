/**
 * Scale mode for the commands that need it. `@baton/scale` (DBOS, the PostgreSQL driver) is an
 * optional companion of the CLI, imported only when a command needs it: a one-machine install
 * never has it, and every other command starts as fast without it. It is looked for beside
 * this CLI first, then in the project's own `node_modules`, like adapters.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatonError, resolveDatabaseUrl } from '@baton/core';
import type * as Scale from '@baton/scale';
import type { CommandContext } from './context.js';
import { discoveryRoots, loadForCommand } from './load.js';

export type ScaleModule = typeof Scale;

const PACKAGE = '@baton/scale';

/** `@baton/scale`, or a SCALE_NOT_INSTALLED error that says how to install it. */
export async function loadScale(
  context: Pick<CommandContext, 'cwd' | 'configFile' | 'env'>,
): Promise<ScaleModule> {
  try {
    return (await import('@baton/scale')) as ScaleModule;
  } catch (error) {
    if (!missing(error)) throw error;
  }
  for (const root of discoveryRoots(context)) {
    let entry: string;
    try {
      entry = createRequire(join(root, 'package.json')).resolve(PACKAGE);
    } catch {
      continue;
    }
    return (await import(pathToFileURL(entry).href)) as ScaleModule;
  }
  throw new BatonError(
    'SCALE_NOT_INSTALLED',
    `Scale mode needs the ${PACKAGE} package, which is not installed. Install it beside baton ` +
      `(the same version as @baton/cli): npm install ${PACKAGE}`,
    { details: { package: PACKAGE } },
  );
}

/** Only the package itself missing: a dependency of it missing is a broken install, shown as is. */
function missing(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 'ERR_MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    message.includes(`'${PACKAGE}'`)
  );
}

/**
 * The scale database's URL, from the config's `[scale]` (or `BATON_DATABASE_URL` alone), and
 * the config; a usage error says where to set it when there is none.
 */
export function scaleDatabase(context: CommandContext, command: string) {
  const { config } = loadForCommand(context);
  const resolved = resolveDatabaseUrl(config.scale, context.env);
  if (!resolved.ok) {
    throw new BatonError('USAGE', `${command}: ${resolved.message}`, {
      details: { command },
    });
  }
  return { url: resolved.url, config };
}
