import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Environment,
  lookupError,
  type NativeConfigChange,
  type NativeConfigContext,
  type RuntimeAdapter,
  type RuntimeSettings,
} from '@baton/core';
import type { ApplyChangesOptions } from '@baton/core/native-config';
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
    '$XDG_STATE_HOME/baton/backups, never into a git work tree; what it held before Baton first',
    'changed it is kept in $XDG_STATE_HOME/baton/originals, for --revert to give back.',
    '',
    '  --profile NAME  the backend profile to set up',
    '  --dry-run       print the unified diff of each file; write nothing',
    '  --migrate       move a profile out of a layout the runtime no longer reads',
    '                  (Codex: [profiles.baton-worker] in config.toml)',
    '  --revert        remove exactly what Baton owns, and the files, tables and objects it',
    '                  created when nothing else is left in them; yours stay, even empty',
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
    const { originalRecords } = await import('@baton/core/native-config');
    const originals = originalRecords(stateDirectories(context.env, lookup.id, 'originals'));
    const runtimeVersion = options.revert
      ? null
      : await readRuntimeVersion(adapter, settings, profile, context.env, cwd);
    const writerContext: NativeConfigContext = {
      profile,
      settings,
      env: context.env,
      cwd,
      runtimeVersion,
      original: (path) => originals.read(path),
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
      : await applyChanges(changes, reports, backupDirectories(context.env, lookup.id), {
          originals,
          revert: options.revert,
        });

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

/**
 * Where Baton keeps what setup needs later, per runtime: `backups` (copies of changed files)
 * and `originals` (each file's text before Baton first changed it, which revert gives back):
 * Baton's state directory, else the temp directory (used when the state directory is inside
 * a git work tree).
 */
export function stateDirectories(
  env: Environment,
  runtime: string,
  kind: 'backups' | 'originals',
): string[] {
  const state =
    env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== ''
      ? env.XDG_STATE_HOME
      : env.HOME !== undefined && env.HOME !== ''
        ? join(env.HOME, '.local', 'state')
        : undefined;
  const uid = process.getuid?.() ?? 'user';
  return [
    ...(state === undefined ? [] : [join(state, 'baton', kind, runtime)]),
    join(tmpdir(), `baton-${kind}-${uid}`, runtime),
  ];
}

/** Where copies of changed files go: Baton's state directory, else the temp directory. */
export function backupDirectories(env: Environment, runtime: string): string[] {
  return stateDirectories(env, runtime, 'backups');
}

/**
 * Applies the changes (see `applyNativeConfigChanges`: all files checked first, each written
 * atomically with a backup, the ones already written put back when one is refused, the record
 * of originals kept and retired) and adds each backup's path to its report.
 */
export async function applyChanges(
  changes: readonly NativeConfigChange[],
  reports: readonly SetupChangeReport[],
  backupDir: readonly string[],
  options: Omit<ApplyChangesOptions, 'backupDir'> = {},
): Promise<SetupChangeReport[]> {
  const { applyNativeConfigChanges } = await import('@baton/core/native-config');
  const outcomes = await applyNativeConfigChanges(changes, { ...options, backupDir });
  return reports.map((report, index) => {
    const backup = outcomes[index]?.backupPath;
    return backup === undefined ? report : { ...report, backup };
  });
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
