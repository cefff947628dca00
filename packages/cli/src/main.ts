import { parseArgs } from 'node:util';
import type { ConfigFlags } from '@baton/core';
import { COMMANDS } from './commands/index.js';
import { type CommandContext, EXIT_OK, EXIT_USAGE, type OutputStream } from './context.js';
import { handleProcessFailures } from './failures.js';
import { reportError, usageError } from './output.js';
import { VERSION } from './version.js';
import { Secrets, Writer } from './writer.js';

export interface MainOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
}

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  stage: { type: 'string', multiple: true },
  'runtime-backend': { type: 'string' },
  'backend-profile': { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((name) => name.length));
  return [
    'baton — route each stage of an AI coding workflow to the agent harness best at it.',
    '',
    'Usage: baton <command> [options]',
    '',
    'Commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name]!.summary}`),
    '',
    'Options for every command:',
    '  --json                    Machine-readable output on stdout',
    '  --config FILE             Use FILE instead of the discovered baton.toml',
    '  --stage STAGE=RUNTIME     Route a stage for this invocation (repeatable); a chain of',
    '                            fallbacks is comma-separated: --stage execute=codex,claude',
    '  --runtime-backend ID      Override orchestrator.runtime_backend',
    '  --backend-profile NAME    Override the backend profile',
    '  --no-color                No colour (also: NO_COLOR=1)',
    '  -h, --help                Help for baton or a command',
    '  -V, --version             Print the version',
    '',
    'Exit codes: 0 success, 1 a check or run failed, 2 usage or config error. Output to a',
    'reader that went away (`baton runs | head`) is dropped; the exit code stays the same.',
    'BATON_DEBUG=1 prints the stack with every error.',
  ].join('\n');
}

/**
 * Runs the CLI; returns the exit code. Never throws: every failure — a user's mistake, a
 * failed check, a bug, a module that would not load — goes through `reportError`; with the
 * process's own streams, so do uncaught exceptions and unhandled rejections.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdoutStream = options.stdout ?? process.stdout;
  const stderrStream = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const parsed = parseArgs({
    args: [...argv],
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = parsed.values;
  const json = values.json === true;
  const colourAllowed = values['no-color'] !== true && (env.NO_COLOR ?? '') === '';
  const secrets = new Secrets(env);
  const stdout = new Writer(stdoutStream, secrets, { color: colourAllowed });
  const stderr = new Writer(stderrStream, secrets, { color: colourAllowed });
  const reporter = { json, stdout, stderr, env };
  if (stdoutStream === process.stdout && stderrStream === process.stderr) {
    handleProcessFailures(reporter);
  }
  try {
    return await dispatch(argv, parsed, {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdout,
      stderr,
      secrets,
      json,
      color: stdout.isTTY && colourAllowed,
    });
  } catch (error) {
    return reportError(reporter, error);
  }
}

type GlobalParse = ReturnType<
  typeof parseArgs<{
    options: typeof GLOBAL_OPTIONS;
    strict: false;
    allowPositionals: true;
    tokens: true;
  }>
>;

async function dispatch(
  argv: readonly string[],
  parsed: GlobalParse,
  base: Omit<CommandContext, 'args' | 'configFile' | 'flags'>,
): Promise<number> {
  const { stdout, stderr, json } = base;
  const values = parsed.values;
  if (values.version === true && parsed.positionals.length === 0) {
    if (json) stdout.jsonText(`${JSON.stringify({ version: VERSION })}\n`);
    else stdout.write(`baton ${VERSION}\n`);
    return EXIT_OK;
  }
  const commandName = parsed.positionals[0];
  if (commandName === undefined) {
    if (values.help === true) {
      stdout.write(`${helpText()}\n`);
      return EXIT_OK;
    }
    stderr.write(`${helpText()}\n`);
    return EXIT_USAGE;
  }
  const entry = Object.hasOwn(COMMANDS, commandName) ? COMMANDS[commandName] : undefined;
  if (!entry) {
    const { closestMatch } = await import('@baton/core');
    const suggestion = closestMatch(commandName, Object.keys(COMMANDS));
    throw usageError(
      `Unknown command "${commandName}".` +
        (suggestion ? ` Did you mean "${suggestion}"?` : '') +
        ` Commands: ${Object.keys(COMMANDS).join(', ')}.`,
    );
  }
  const command = await entry.load();
  if (values.help === true) {
    stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }

  for (const key of ['config', 'runtime-backend', 'backend-profile'] as const) {
    if (values[key] === true) throw usageError(`--${key} needs a value.`);
  }
  // A command may take a global option's name as its own (`show --stage STAGE`).
  const owned = new Set(command.ownOptions ?? []);
  const stages: Record<string, string> = {};
  for (const assignment of (owned.has('stage') ? [] : (values.stage ?? [])) as (
    | string
    | boolean
  )[]) {
    const text = String(assignment);
    const separator = text.indexOf('=');
    if (assignment === true || separator <= 0 || separator === text.length - 1) {
      throw usageError(
        `--stage takes STAGE=RUNTIME or STAGE=RUNTIME,RUNTIME…, e.g. --stage evaluate=codex (got "${text}").`,
      );
    }
    stages[text.slice(0, separator)] = text.slice(separator + 1);
  }
  const flags: ConfigFlags = {
    ...(typeof values['runtime-backend'] === 'string'
      ? { runtimeBackend: values['runtime-backend'] }
      : {}),
    ...(typeof values['backend-profile'] === 'string'
      ? { backendProfile: values['backend-profile'] }
      : {}),
    ...(Object.keys(stages).length > 0 ? { stages } : {}),
  };
  return command.run({
    ...base,
    args: commandArguments(parsed.tokens ?? [], argv, owned),
    configFile: typeof values.config === 'string' ? values.config : undefined,
    flags,
  });
}

/** The command's own arguments: everything except the command name and the global options. */
function commandArguments(
  tokens: readonly { kind: string; index: number; name?: string; inlineValue?: boolean }[],
  argv: readonly string[],
  owned: ReadonlySet<string>,
): string[] {
  const skip = new Set<number>();
  let commandSeen = false;
  for (const token of tokens) {
    if (token.kind === 'positional' && !commandSeen) {
      commandSeen = true;
      skip.add(token.index);
    } else if (
      token.kind === 'option' &&
      token.name !== undefined &&
      token.name in GLOBAL_OPTIONS &&
      !owned.has(token.name)
    ) {
      skip.add(token.index);
      const definition = GLOBAL_OPTIONS[token.name as keyof typeof GLOBAL_OPTIONS];
      if (definition.type === 'string' && token.inlineValue !== true) skip.add(token.index + 1);
    }
  }
  return argv.filter((_, index) => !skip.has(index));
}
