import type { ConfigFlags, Environment } from '@baton/core';
import type { Secrets, Writer } from './writer.js';

export type { OutputStream } from './writer.js';

/** Everything a command needs, parsed from the global options. */
export interface CommandContext {
  /** Arguments after the command name, global options removed. */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Environment;
  /** Where a command writes: only through these, which redact and make text safe to print. */
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** What the writers redact; loading the config adds the secrets it names. */
  readonly secrets: Secrets;
  /** `--json`: machine output on stdout, nothing else there. */
  readonly json: boolean;
  /** Colour on a TTY unless `NO_COLOR` or `--no-color`. */
  readonly color: boolean;
  /** `--config FILE`: the configuration only; it does not move the workspace. */
  readonly configFile: string | undefined;
  /** `--workspace DIR`: the project to work in, where the journal lives (`.baton`). */
  readonly workspace: string | undefined;
  /** Config values given as flags (the highest layer). */
  readonly flags: ConfigFlags;
}

/**
 * One subcommand. Modules under `commands/` export `command` of this type; `help` and
 * `completion`, which speak of every command, export a function that makes it from the
 * command table.
 */
export interface Command {
  readonly name: string;
  /** One line for `baton --help`. */
  readonly summary: string;
  /** Usage lines for `baton <name> --help`. */
  readonly usage: string;
  /**
   * Names of global options this command takes as its own, with its own meaning: they reach
   * it among its arguments instead (`show --stage STAGE` names a stage, not a routing).
   */
  readonly ownOptions?: readonly string[];
  run(context: CommandContext): Promise<number>;
}

/** A command as the table lists it: its line for `baton --help`, and how to load it. */
export interface CommandEntry {
  readonly summary: string;
  load(): Promise<Command>;
}

/** Every command by name (`commands/index.ts`). */
export type CommandTable = Readonly<Record<string, CommandEntry>>;

export const EXIT_OK = 0;
/** A check or run failed. */
export const EXIT_FAILED = 1;
/** Usage or config error. */
export const EXIT_USAGE = 2;
