import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ConfigFlags } from '@baton/core';
import { COMMANDS } from './commands/index.js';
import { type CommandContext, EXIT_OK, EXIT_USAGE, type OutputStream } from './context.js';
import { handleProcessFailures } from './failures.js';
import { GLOBAL_OPTIONS, helpText, unknownGlobalOption } from './global-options.js';
import { reportError, usageError } from './output.js';
import { VERSION } from './version.js';
import { Secrets, Writer } from './writer.js';

export interface MainOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
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
  base: Omit<CommandContext, 'args' | 'configFile' | 'workspace' | 'flags'>,
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
    const unknown = (parsed.tokens ?? []).find(
      (token) => token.kind === 'option' && !Object.hasOwn(GLOBAL_OPTIONS, token.name),
    );
    if (unknown?.kind === 'option') throw await unknownGlobalOption(unknown.rawName);
    if (values.help === true) {
      stdout.write(`${helpText(COMMANDS)}\n`);
      return EXIT_OK;
    }
    stderr.write(`${helpText(COMMANDS)}\n`);
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

  for (const key of ['config', 'workspace', 'runtime-backend', 'backend-profile'] as const) {
    if (values[key] === true) throw usageError(`--${key} needs a value.`);
  }
  const workspace = typeof values.workspace === 'string' ? values.workspace : undefined;
  if (workspace !== undefined) checkWorkspace(base.cwd, workspace);
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
    workspace,
    flags,
  });
}

/** `--workspace DIR` must name a folder that exists: Baton works and journals there. */
function checkWorkspace(cwd: string, workspace: string): void {
  const path = resolve(cwd, workspace);
  let folder = false;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    throw usageError(`--workspace ${workspace}: there is no folder ${path}.`);
  }
  if (!folder) throw usageError(`--workspace ${workspace}: ${path} is not a folder.`);
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
