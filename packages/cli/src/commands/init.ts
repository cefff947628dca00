import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError, PROJECT_FILE_NAME, STAGES, type Stage } from '@baton/core';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { createRegistry } from '../load.js';
import { styles, table, visibleLength, writeJson } from '../output.js';
import { findPreset, listPresets } from '../presets.js';

/** Who we suggest for each stage when installed (PRODUCT.md's example routing). */
const PREFERRED: Readonly<Record<Stage, readonly string[]>> = {
  interview: ['codex', 'claude-code', 'opencode', 'hermes'],
  execute: ['opencode', 'codex', 'claude-code', 'hermes'],
  evaluate: ['claude-code', 'codex', 'opencode', 'hermes'],
  reflect: ['hermes', 'claude-code', 'codex', 'opencode'],
};

export interface InstalledRuntime {
  readonly id: string;
  readonly displayName: string;
  /** Where the executable was found, or `null`. HTTP runtimes have no executable. */
  readonly path: string | null;
  readonly reachedOverHttp: boolean;
}

export const command: Command = {
  name: 'init',
  summary: 'Write a commented starter baton.toml: from the runtimes found installed, or a preset.',
  usage: [
    'Usage: baton init [--preset NAME | --list-presets] [--json]',
    '',
    'Writes baton.toml in the current directory, routing each stage to a runtime found',
    'installed (adapter package present and executable on PATH). Never overwrites a file.',
    '  --preset NAME    write a named, commented routing instead (see --list-presets)',
    '  --list-presets   list the presets and what each routes where',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values } = parseCommandArguments(
      'init',
      context.args,
      { preset: { type: 'string', value: 'NAME' }, 'list-presets': { type: 'boolean' } },
      { allowPositionals: false },
    );
    if (values['list-presets'] === true) return printPresets(context);
    const target = join(context.cwd, PROJECT_FILE_NAME);
    if (values.preset !== undefined) {
      const preset = findPreset(values.preset);
      writeNew(target, preset.text);
      if (context.json) {
        writeJson(context, { path: target, preset: preset.name });
      } else {
        context.stdout.write(`Wrote ${target} (preset ${preset.name}: ${preset.description})\n`);
        context.stdout.write('Next: baton doctor\n');
      }
      return EXIT_OK;
    }
    const runtimes = await findInstalled(context);
    const { text, stages, runtimeBackend } = starterConfig(runtimes);
    writeNew(target, text);
    if (context.json) {
      writeJson(context, {
        path: target,
        runtimeBackend,
        stages,
        found: runtimes.filter((runtime) => runtime.path !== null).map((runtime) => runtime.id),
        notFound: runtimes.filter((runtime) => runtime.path === null).map((runtime) => runtime.id),
      });
    } else {
      const found = runtimes.filter((runtime) => runtime.path !== null);
      context.stdout.write(`Wrote ${target}\n`);
      context.stdout.write(
        found.length > 0
          ? `Found: ${found.map((runtime) => `${runtime.displayName} (${runtime.path})`).join(', ')}\n`
          : 'No runtime executable found on PATH; edit the file once one is installed.\n',
      );
      context.stdout.write('Next: baton doctor\n');
    }
    return EXIT_OK;
  },
};

/** Writes a new file; an existing one (even one created a moment ago by someone else) is never replaced. */
function writeNew(target: string, text: string): void {
  try {
    // 'wx' is O_CREAT | O_EXCL.
    writeFileSync(target, text, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new BatonError(
        'FILE_EXISTS',
        `${target} already exists; baton init never overwrites it. Edit it, or remove it and run baton init again.`,
        {
          details: { path: target },
        },
      );
    }
    throw error;
  }
}

function printPresets(context: CommandContext): number {
  const presets = listPresets();
  if (context.json) {
    writeJson(context, {
      presets: presets.map(({ name, description }) => ({ name, description })),
    });
    return EXIT_OK;
  }
  const style = styles(context.color);
  const rows = presets.map(({ name, description }) => [style.cyan(name), description]);
  context.stdout.write(
    `${table(rows, visibleLength)}\n\nWrite one with: baton init --preset NAME\n`,
  );
  return EXIT_OK;
}

async function findInstalled(context: CommandContext): Promise<InstalledRuntime[]> {
  const { findExecutable } = await import('@baton/core/doctor');
  return createRegistry(context)
    .list()
    .map(({ identity }) => ({
      id: identity.id,
      displayName: identity.displayName,
      path:
        identity.binary === null ? null : findExecutable(identity.binary, context.env, context.cwd),
      reachedOverHttp: identity.binary === null,
    }));
}

/** The starter file: routing from what is installed, every choice explained in a comment. */
export function starterConfig(runtimes: readonly InstalledRuntime[]): {
  text: string;
  stages: Record<Stage, string>;
  runtimeBackend: string;
} {
  const installed = new Set(
    runtimes.filter((runtime) => runtime.path !== null).map((runtime) => runtime.id),
  );
  const firstInstalled = runtimes.find((runtime) => installed.has(runtime.id))?.id;
  const runtimeBackend = installed.has('claude-code')
    ? 'claude-code'
    : (firstInstalled ?? 'claude-code');
  const stages = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      PREFERRED[stage].find((id) => installed.has(id)) ?? runtimeBackend,
    ]),
  ) as Record<Stage, string>;

  const found = runtimes.filter((runtime) => runtime.path !== null);
  const missing = runtimes.filter((runtime) => runtime.path === null && !runtime.reachedOverHttp);
  const http = runtimes.filter((runtime) => runtime.reachedOverHttp);
  const lines = [
    '# baton.toml: which agent harness runs each stage of a workflow.',
    '# Reference: docs/configuration.md in the Baton repository.',
    '#',
    `# Found installed: ${found.length > 0 ? found.map((runtime) => runtime.id).join(', ') : 'none'}`,
  ];
  if (missing.length > 0)
    lines.push(`# Not found on PATH: ${missing.map((runtime) => runtime.id).join(', ')}`);
  if (http.length > 0) {
    lines.push(
      `# Reached over HTTP (set [runtimes.<id>] base_url to use): ${http.map((runtime) => runtime.id).join(', ')}`,
    );
  }
  lines.push(
    '',
    '[orchestrator]',
    '# Runs every stage that nothing below routes elsewhere.',
    `runtime_backend = "${runtimeBackend}"`,
    '',
    '[orchestrator.runtime_profile]',
    '# An abstract profile each runtime maps to its own mechanism (see `baton setup`):',
    '# backend_profile = "worker"',
    '',
    '[orchestrator.runtime_profile.stages]',
    ...STAGES.map((stage) => `${stage.padEnd(9)} = "${stages[stage]}"`),
    '',
    '# Per-runtime settings. Secrets are named by environment variable, never written here.',
    '# [runtimes.codex]',
    '# model = "gpt-5.5"',
    '# timeout = "30m"',
    '',
  );
  return { text: lines.join('\n'), stages, runtimeBackend };
}
