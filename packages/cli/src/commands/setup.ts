import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatonError,
  type Environment,
  lookupError,
  type NativeConfigChange,
  type NativeConfigContext,
  type RuntimeAdapter,
  type RuntimeSettings,
} from '@baton/core';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { styles, usageError, writeJson } from '../output.js';

/** Limit for reading the runtime's version (`codex --version`). */
const VERSION_TIMEOUT_MS = 15_000;
/** The profile set up when neither `--profile` nor `backend_profile` names one. */
export const DEFAULT_PROFILE = 'worker';

export type ChangeAction = 'create' | 'update' | 'delete' | 'unchanged';

export interface SetupChangeReport {
  readonly path: string;
  readonly action: ChangeAction;
  readonly ownedKeys: readonly string[];
  /** Where the previous content was saved (mode 0600), when the file existed and changed. */
  readonly backup?: string;
  /** The unified diff, with `--dry-run`. */
  readonly diff?: string;
  readonly notes?: readonly string[];
}

export const command: Command = {
  name: 'setup',
  summary: "Write a runtime's native profile config, changing only the keys Baton owns.",
  usage: [
    'Usage: baton setup <runtime> [--profile NAME] [--dry-run] [--migrate] [--json]',
    '       baton setup --revert <runtime> [--profile NAME] [--dry-run] [--json]',
    '',
    "Writes the runtime's native profile for a backend profile (default: the configured",
    'backend_profile, else "worker", which becomes "baton-worker"): Codex',
    '$CODEX_HOME/baton-worker.config.toml, Claude Code $CLAUDE_CONFIG_DIR/baton-worker.settings.json,',
    'OpenCode the baton-worker agent, Hermes $HERMES_HOME/profiles/baton-worker/config.yaml,',
    'LiteLLM the baton-worker entry of [runtimes.litellm] config_path.',
    '',
    'Only the keys Baton owns are written; every other byte of the file stays as it is. A rerun',
    'changes nothing. Files are replaced atomically; symlinks, malformed files and files changed',
    'meanwhile are refused. A file that existed is first copied (mode 0600) to',
    '$XDG_STATE_HOME/baton/backups, never into a git work tree.',
    '',
    '  --profile NAME  the backend profile to set up',
    '  --dry-run       print the unified diff of each file; write nothing',
    '  --migrate       move a profile out of a layout the runtime no longer reads',
    '                  (Codex: [profiles.baton-worker] in config.toml)',
    '  --revert        remove exactly what Baton owns (and files it created, when nothing else',
    '                  is left in them)',
    '',
    'Exit 1 when a file is refused (nothing is written then), 2 for usage or config errors.',
  ].join('\n'),
  async run(context: CommandContext) {
    const options = parseOptions(context.args);
    const { config, registry } = loadForCommand(context);
    const lookup = registry.lookup(options.runtime);
    if (lookup.status !== 'found') throw lookupError(options.runtime, lookup);
    const adapter = await registry.load(lookup.id);
    const profile = options.profile ?? config.backendProfile ?? DEFAULT_PROFILE;
    const settings = config.runtimes[lookup.id] ?? {};
    const cwd = config.projectRoot;
    const runtimeVersion = options.revert
      ? null
      : await readRuntimeVersion(adapter, settings, profile, context.env, cwd);
    const writerContext: NativeConfigContext = {
      profile,
      settings,
      env: context.env,
      cwd,
      runtimeVersion,
      ...(options.migrate ? { migrate: true } : {}),
    };
    const changes = options.revert
      ? await adapter.nativeConfig.planRevert(writerContext)
      : await adapter.nativeConfig.plan(writerContext);

    const { unifiedDiff } = await import('@baton/core/native-config');
    const reports: SetupChangeReport[] = changes.map((change) => ({
      path: change.path,
      action: actionOf(change),
      ownedKeys: change.ownedKeys,
      ...(options.dryRun && change.before !== change.after
        ? { diff: unifiedDiff(change.path, change.before, change.after) }
        : {}),
      ...(change.notes !== undefined && change.notes.length > 0 ? { notes: change.notes } : {}),
    }));
    const written = options.dryRun
      ? reports
      : await applyChanges(changes, reports, backupDirectories(context.env, lookup.id));

    const result = {
      runtime: lookup.id,
      profile,
      nativeProfile: adapter.profile.nativeName(profile),
      runtimeVersion,
      revert: options.revert,
      dryRun: options.dryRun,
      changes: written,
      notes: written.flatMap((report) => report.notes ?? []),
    };
    if (context.json) writeJson(context, result);
    else print(context, result);
    return EXIT_OK;
  },
};

interface SetupOptions {
  readonly runtime: string;
  readonly profile: string | undefined;
  readonly dryRun: boolean;
  readonly revert: boolean;
  readonly migrate: boolean;
}

function parseOptions(args: readonly string[]): SetupOptions {
  const { values, positionals } = parseCommandArguments('setup', args, OPTIONS, {
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    throw usageError(
      positionals.length === 0
        ? 'setup: name the runtime to set up, e.g. `baton setup codex`.'
        : `setup: one runtime at a time (got ${positionals.join(', ')}).`,
    );
  }
  if (values.profile !== undefined && values.profile.trim() === '') {
    throw usageError('setup: --profile needs a name, e.g. --profile worker.');
  }
  if (values.revert === true && values.migrate === true) {
    throw usageError('setup: --migrate applies to setup, not to --revert.');
  }
  return {
    runtime: positionals[0]!,
    profile: values.profile,
    dryRun: values['dry-run'] === true,
    revert: values.revert === true,
    migrate: values.migrate === true,
  };
}

const OPTIONS = {
  profile: { type: 'string', value: 'NAME' },
  'dry-run': { type: 'boolean' },
  revert: { type: 'boolean' },
  migrate: { type: 'boolean' },
} as const;

/**
 * The installed runtime's version, from the adapter's own `binary` and `version` doctor
 * checks, so that the writer picks the layout that version reads; `null` when unknown.
 */
async function readRuntimeVersion(
  adapter: RuntimeAdapter,
  settings: RuntimeSettings,
  profile: string,
  env: Environment,
  cwd: string,
): Promise<string | null> {
  const { runChecks } = await import('@baton/core/doctor');
  const checks = adapter.doctorChecks().filter((check) => ['binary', 'version'].includes(check.id));
  if (!checks.some((check) => check.id === 'version')) return null;
  const report = await runChecks({
    adapter: { ...adapter, doctorChecks: () => checks },
    probe: false,
    timeoutMs: VERSION_TIMEOUT_MS,
    context: { settings, profile, env, cwd, stages: [] },
  });
  return report.version;
}

function actionOf(change: NativeConfigChange): ChangeAction {
  if (change.before === change.after) return 'unchanged';
  if (change.before === null) return 'create';
  return change.after === null ? 'delete' : 'update';
}

/** Where copies of changed files go: Baton's state directory, else the temp directory. */
export function backupDirectories(env: Environment, runtime: string): string[] {
  const state =
    env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== ''
      ? env.XDG_STATE_HOME
      : env.HOME !== undefined && env.HOME !== ''
        ? join(env.HOME, '.local', 'state')
        : undefined;
  const uid = process.getuid?.() ?? 'user';
  return [
    ...(state === undefined ? [] : [join(state, 'baton', 'backups', runtime)]),
    join(tmpdir(), `baton-backups-${uid}`, runtime),
  ];
}

/**
 * Applies the changes in order, each atomically and only if its file still holds what the
 * writer read. When one is refused, the ones already applied are put back, so a setup that
 * touches two files (a Codex migration) never leaves half of itself behind.
 */
export async function applyChanges(
  changes: readonly NativeConfigChange[],
  reports: readonly SetupChangeReport[],
  backupDir: readonly string[],
): Promise<SetupChangeReport[]> {
  const { applyFileChange, readFileSnapshot } = await import('@baton/core/native-config');
  // Every file first: a setup that touches two files is refused before it writes either.
  for (const change of changes) {
    if (change.before === change.after) continue;
    const current = await readFileSnapshot(change.path);
    if (current.text !== change.before) {
      throw new BatonError(
        'NATIVE_CONFIG',
        `${change.path} changed since Baton read it (another program wrote to it). Nothing was written; rerun to start from its current content.`,
        { details: { path: change.path, reason: 'changed' } },
      );
    }
  }
  const applied: NativeConfigChange[] = [];
  const results: SetupChangeReport[] = [];
  for (const [index, change] of changes.entries()) {
    const report = reports[index]!;
    if (change.before === change.after) {
      results.push(report);
      continue;
    }
    try {
      const outcome = await applyFileChange({
        path: change.path,
        expectedBefore: change.before,
        after: change.after,
        ...(change.mode === undefined ? {} : { mode: change.mode }),
        ...(change.createDirectories === undefined
          ? {}
          : { createDirectories: change.createDirectories }),
        ...(change.before === null ? {} : { backupDir }),
      });
      applied.push(change);
      results.push(
        outcome.backupPath === undefined ? report : { ...report, backup: outcome.backupPath },
      );
    } catch (error) {
      const undone = await undo(applied);
      if (BatonError.isInstance(error) && undone.length > 0) {
        throw new BatonError(
          error.code,
          `${error.message} The other file${undone.length === 1 ? '' : 's'} of this setup ${undone.length === 1 ? 'was' : 'were'} put back as ${undone.length === 1 ? 'it was' : 'they were'}: ${undone.join(', ')}.`,
          { details: { ...error.details, restored: undone }, cause: error },
        );
      }
      throw error;
    }
    if (change.after === null) {
      for (const directory of change.removeEmptyDirectories ?? []) {
        // rmdir removes only an empty directory: anything put there meanwhile stays.
        await rmdir(directory).catch(() => undefined);
      }
    }
  }
  return results;
}

/** Puts back already-applied changes, last first; returns the paths restored. */
async function undo(applied: readonly NativeConfigChange[]): Promise<string[]> {
  const { applyFileChange } = await import('@baton/core/native-config');
  const restored: string[] = [];
  for (const change of [...applied].reverse()) {
    try {
      await applyFileChange({
        path: change.path,
        expectedBefore: change.after,
        after: change.before,
      });
      restored.push(change.path);
    } catch {
      // Changed again by someone else: leave it to them; the error names what was refused.
    }
  }
  return restored;
}

interface SetupResult {
  readonly runtime: string;
  readonly profile: string;
  readonly nativeProfile: string;
  readonly runtimeVersion: string | null;
  readonly revert: boolean;
  readonly dryRun: boolean;
  readonly changes: readonly SetupChangeReport[];
}

const VERBS: Record<ChangeAction, { done: string; planned: string }> = {
  create: { done: 'created', planned: 'would create' },
  update: { done: 'updated', planned: 'would update' },
  delete: { done: 'deleted', planned: 'would delete' },
  unchanged: { done: 'unchanged', planned: 'unchanged' },
};

function print(context: CommandContext, result: SetupResult): void {
  const style = styles(context.color);
  const what = result.revert ? 'setup --revert' : 'setup';
  const version = result.runtimeVersion === null ? '' : ` ${result.runtimeVersion}`;
  const lines = [
    style.bold(
      `baton ${what} ${result.runtime}${version}: profile ${result.profile} → ${result.nativeProfile}`,
    ),
  ];
  const pending = result.changes.filter((change) => change.action !== 'unchanged');
  for (const change of result.changes) {
    const verb = VERBS[change.action][result.dryRun ? 'planned' : 'done'];
    lines.push(
      `  ${change.action === 'unchanged' ? style.dim(verb) : style.green(verb)} ${change.path}`,
    );
    if (change.ownedKeys.length > 0)
      lines.push(style.dim(`      Baton's keys: ${change.ownedKeys.join(', ')}`));
    if (change.backup !== undefined)
      lines.push(style.dim(`      previous content: ${change.backup}`));
    for (const note of change.notes ?? []) lines.push(`      ${style.yellow('note:')} ${note}`);
    if (change.diff !== undefined) lines.push('', change.diff.trimEnd(), '');
  }
  if (result.changes.length === 0 || pending.length === 0) {
    lines.push(
      result.revert
        ? 'Nothing of Baton’s to remove: nothing to change.'
        : 'Already set up: nothing to change.',
    );
  } else if (result.dryRun) {
    lines.push('Dry run: nothing was written.');
  }
  context.stdout.write(`${lines.join('\n')}\n`);
}
