/**
 * The options every command takes, and the help that lists them with the commands: shared
 * by the parser (`main.ts`), `baton help` and `baton completion`.
 */
import type { CommandTable } from './context.js';
import { usageError } from './output.js';

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  workspace: { type: 'string' },
  stage: { type: 'string', multiple: true },
  'runtime-backend': { type: 'string' },
  'backend-profile': { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type GlobalOption = keyof typeof GLOBAL_OPTIONS;

/** baton's help: the commands of `commands`, the options every command takes, exit codes. */
export function helpText(commands: CommandTable): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((name) => name.length));
  return [
    'baton — route each stage of an AI coding workflow to the agent harness best at it.',
    '',
    'Usage: baton <command> [options]',
    '',
    'Commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${commands[name]!.summary}`),
    '',
    'Options for every command:',
    '  --json                    Machine-readable output on stdout',
    '  --config FILE             Use FILE instead of the discovered baton.toml',
    '  --workspace DIR           The project Baton works in (default: the nearest folder above',
    '                            with a baton.toml or a .git); its .baton holds the journal',
    '  --stage STAGE=RUNTIME     Route a stage for this invocation (repeatable); a chain of',
    '                            fallbacks is comma-separated: --stage execute=codex,claude',
    '  --runtime-backend ID      Override orchestrator.runtime_backend',
    '  --backend-profile NAME    Override the backend profile',
    '  --no-color                No colour (also: NO_COLOR=1)',
    '  -h, --help                Help for baton or a command (also: baton help <command>)',
    '  -V, --version             Print the version',
    '',
    'Exit codes: 0 success, 1 a check or run failed, 2 usage or config error. Output to a',
    'reader that went away (`baton runs | head`) is dropped; the exit code stays the same.',
    'BATON_DEBUG=1 prints the stack with every error. Completion: baton completion bash|zsh|fish.',
  ].join('\n');
}

/** Single-letter habits from other tools, and what they mean here. */
const SHORT_HABITS: Readonly<Record<string, string>> = { v: '--version' };

/**
 * The usage error for an option given before any command that is not a global one
 * (`baton -v`): says so, with the option it most likely meant.
 */
export async function unknownGlobalOption(raw: string): Promise<Error> {
  // Loaded only on this path: every command's start-up stays free of core.
  const { closestMatch } = await import('@baton/core');
  const name = raw.replace(/^-+/, '').split('=')[0]!;
  const longNames = Object.keys(GLOBAL_OPTIONS);
  const guess =
    raw.startsWith('--') || name.length > 1
      ? closestMatch(name, longNames)
      : SHORT_HABITS[name] !== undefined && longNames.includes(SHORT_HABITS[name]!.slice(2))
        ? SHORT_HABITS[name]!.slice(2)
        : undefined;
  return usageError(
    `unknown option ${raw}${guess === undefined ? '' : `; did you mean --${guess}?`} (see baton --help)`,
  );
}
