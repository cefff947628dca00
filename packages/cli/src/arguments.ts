/**
 * A command's own arguments, checked here so that every mistake gets one clear line naming
 * the command and the argument (exit 2), never a parser's internal message.
 */
import { parseArgs } from 'node:util';
import { closestMatch } from '@baton/core';
import { usageError } from './output.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** What the value is, for messages: `--limit N`. */
  readonly value?: string;
}

export type OptionValues<Options extends Record<string, OptionSpec>> = {
  -readonly [Name in keyof Options]?: Options[Name]['type'] extends 'string' ? string : boolean;
};

export interface ParsedArguments<Options extends Record<string, OptionSpec>> {
  readonly values: OptionValues<Options>;
  readonly positionals: string[];
}

/**
 * Parses `args` for `command`: only the given options, a value for each string option (a
 * negative number counts as a value, so `--limit -1` is checked as a limit), none for a
 * boolean one, and positionals only when `allowPositionals`.
 */
export function parseCommandArguments<const Options extends Record<string, OptionSpec>>(
  command: string,
  args: readonly string[],
  options: Options,
  { allowPositionals }: { readonly allowPositionals: boolean },
): ParsedArguments<Options> {
  const { values, positionals, tokens } = parseArgs({
    args: negativeNumbersAsValues(args, options),
    options: Object.fromEntries(
      Object.entries(options).map(([name, spec]) => [name, { type: spec.type }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const help = `see baton ${command} --help`;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) {
      const guess = token.rawName.startsWith('--')
        ? closestMatch(token.name, Object.keys(options))
        : undefined;
      throw usageError(
        `${command}: unknown option ${quote(token.rawName)}` +
          (guess === undefined ? '' : `; did you mean --${guess}?`) +
          ` (${help}).`,
      );
    }
    if (spec.type === 'string' && token.value === undefined) {
      throw usageError(
        `${command}: ${token.rawName} needs a value: ${token.rawName} ${spec.value ?? 'VALUE'}.`,
      );
    }
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw usageError(`${command}: ${token.rawName} takes no value (got ${quote(token.value)}).`);
    }
  }
  if (!allowPositionals && positionals.length > 0) {
    throw usageError(`${command}: unexpected argument ${quote(positionals[0]!)} (${help}).`);
  }
  return { values: values as OptionValues<Options>, positionals };
}

/** `--name -1` → `--name=-1` for string options: a negative number is never an option. */
function negativeNumbersAsValues(
  args: readonly string[],
  options: Record<string, OptionSpec>,
): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = args[index + 1];
    if (arg === '--') {
      result.push(...args.slice(index));
      break;
    }
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (
      name !== null &&
      Object.hasOwn(options, name) &&
      options[name]!.type === 'string' &&
      next !== undefined &&
      /^-\d/.test(next)
    ) {
      result.push(`${arg}=${next}`);
      index += 1;
    } else {
      result.push(arg);
    }
  }
  return result;
}

/** The one run id a command takes; an empty one is refused (it would match every run). */
export function runIdArgument(command: string, positionals: readonly string[]): string {
  if (positionals.length !== 1) {
    throw usageError(
      `${command}: give exactly one run id (see baton runs)${positionals.length > 1 ? `, got ${positionals.length}` : ''}.`,
    );
  }
  const runId = positionals[0]!.trim();
  if (runId === '') throw usageError(`${command}: the run id is empty; give one from baton runs.`);
  return runId;
}

function quote(text: string): string {
  return JSON.stringify(text);
}
