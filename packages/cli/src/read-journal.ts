/**
 * Where the reading commands (`runs`, `events`, `show`, `replay`) read runs from: the pool's
 * journal in PostgreSQL when this machine is in scale mode — `[scale]` in its config, or the
 * scale database's variable set (`BATON_DATABASE_URL`) — so every machine reads the same runs;
 * otherwise, or with `--local`, the workspace's own journal (`.baton/journal.db`). A config
 * that does not load does not stop a reader: it then goes by the variable alone.
 */
import { existsSync } from 'node:fs';
import { loadConfig, resolveDatabaseUrl } from '@baton/core';
import {
  Journal,
  type JournalStore,
  journalPath,
  locateProjectRoot,
  SqliteJournalStore,
} from '@baton/run';
import type { CommandContext } from './context.js';
import { createRegistry } from './load.js';
import { loadScale } from './scale.js';

/** `--local`: this machine's journal even in scale mode. */
export const LOCAL_OPTION = { local: { type: 'boolean' } } as const;

/** The usage line for `--local`. */
export const LOCAL_USAGE =
  "  --local         this workspace's journal (.baton/journal.db), not the scale pool's";

/** The pool's database URL when this machine is in scale mode, else `null`. */
export function poolUrl(context: CommandContext): string | null {
  let scale = null;
  try {
    const loaded = loadConfig({
      cwd: context.cwd,
      env: context.env,
      configFile: context.configFile,
      ...(context.workspace === undefined ? {} : { workspace: context.workspace }),
      flags: context.flags,
      registry: createRegistry(context),
    });
    if (loaded.ok) {
      context.secrets.learn(loaded.config);
      scale = loaded.config.scale;
    }
  } catch {
    // Unreadable config: the variable alone decides.
  }
  const resolved = resolveDatabaseUrl(scale, context.env);
  return resolved.ok ? resolved.url : null;
}

/**
 * The journal to read, read-only; `null` when this workspace has none yet (never in scale
 * mode: the pool's journal always exists once `baton scale init` has run).
 */
export async function openJournalForReading(
  context: CommandContext,
  options: { readonly local?: boolean | undefined } = {},
): Promise<JournalStore | null> {
  const url = options.local === true ? null : poolUrl(context);
  if (url !== null) {
    const scale = await loadScale(context);
    return scale.PgJournal.open(url, { readOnly: true });
  }
  const path = journalPath(locateProjectRoot({ cwd: context.cwd, workspace: context.workspace }));
  return existsSync(path) ? new SqliteJournalStore(Journal.open(path, { readOnly: true })) : null;
}
