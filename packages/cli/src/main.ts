import { parseArgs } from 'node:util';
import type { ConfigFlags } from '@baton/core';
import { COMMANDS } from './commands/index.js';
import { type CommandContext, EXIT_OK, EXIT_USAGE, type OutputStream } from './context.js';
import { reportError, usageError } from './output.js';
import { VERSION } from './version.js';

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
    '  --stage STAGE=RUNTIME     Route a stage for this invocation (repeatable)',
    '  --runtime-backend ID      Override orchestrator.runtime_backend',
    '  --backend-profile NAME    Override the backend profile',
    '  --no-color                No colour (also: NO_COLOR=1)',
    '  -h, --help                Help for baton or a command',
    '  -V, --version             Print the version',
    '',
    'Exit codes: 0 success, 1 a check or run failed, 2 usage or config error.',
  ].join('\n');
}

/** Runs the CLI; returns the exit code. Never throws for user errors. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const wantsJson = argv.includes('--json');
  let parsed: ReturnType<
    typeof parseArgs<{
      options: typeof GLOBAL_OPTIONS;
      strict: false;
      allowPositionals: true;
      tokens: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: GLOBAL_OPTIONS,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    return reportError({ json: wantsJson, stdout, stderr }, usageError((error as Error).message));
  }
  const values = parsed.values;
  const json = values.json === true;
  const reporter = { json, stdout, stderr };

  if (values.version === true && parsed.positionals.length === 0) {
    stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `baton ${VERSION}\n`);
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
    return reportError(
      reporter,
      usageError(
        `Unknown command "${commandName}".` +
          (suggestion ? ` Did you mean "${suggestion}"?` : '') +
          ` Commands: ${Object.keys(COMMANDS).join(', ')}.`,
      ),
    );
  }
  const command = await entry.load();
  if (values.help === true) {
    stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }

  for (const key of ['config', 'runtime-backend', 'backend-profile'] as const) {
    if (values[key] === true) return reportError(reporter, usageError(`--${key} needs a value.`));
  }
  const stages: Record<string, string> = {};
  for (const assignment of (values.stage ?? []) as (string | boolean)[]) {
    const text = String(assignment);
    const separator = text.indexOf('=');
    if (assignment === true || separator <= 0 || separator === text.length - 1) {
      return reportError(
        reporter,
        usageError(`--stage takes STAGE=RUNTIME, e.g. --stage evaluate=codex (got "${text}").`),
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

  const context: CommandContext = {
    args: commandArguments(parsed.tokens ?? [], argv),
    cwd: options.cwd ?? process.cwd(),
    env,
    stdout,
    stderr,
    json,
    color: stdout.isTTY === true && values['no-color'] !== true && (env.NO_COLOR ?? '') === '',
    configFile: typeof values.config === 'string' ? values.config : undefined,
    flags,
  };
  try {
    return await command.run(context);
  } catch (error) {
    return reportError(reporter, error);
  }
}

/** The command's own arguments: everything except the command name and the global options. */
function commandArguments(
  tokens: readonly { kind: string; index: number; name?: string; inlineValue?: boolean }[],
  argv: readonly string[],
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
      token.name in GLOBAL_OPTIONS
    ) {
      skip.add(token.index);
      const definition = GLOBAL_OPTIONS[token.name as keyof typeof GLOBAL_OPTIONS];
      if (definition.type === 'string' && token.inlineValue !== true) skip.add(token.index + 1);
    }
  }
  return argv.filter((_, index) => !skip.has(index));
}
