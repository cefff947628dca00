import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { helpText } from '../global-options.js';
import { usageError } from '../output.js';
import { COMMANDS } from './index.js';

export const command: Command = {
  name: 'help',
  summary: 'Show help for baton, or for one command: baton help <command>.',
  usage: [
    'Usage: baton help [<command>]',
    '',
    "Prints baton's help, or a command's (the same as baton <command> --help).",
  ].join('\n'),
  async run(context: CommandContext) {
    if (context.args.length > 1) throw usageError('help: name one command, e.g. baton help run.');
    const name = context.args[0];
    if (name === undefined) {
      context.stdout.write(`${helpText()}\n`);
      return EXIT_OK;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (entry === undefined) {
      const { closestMatch } = await import('@baton/core');
      const suggestion = closestMatch(name, Object.keys(COMMANDS));
      throw usageError(
        `help: there is no command "${name}".` +
          (suggestion ? ` Did you mean "${suggestion}"?` : '') +
          ` Commands: ${Object.keys(COMMANDS).join(', ')}.`,
      );
    }
    context.stdout.write(`${(await entry.load()).usage}\n`);
    return EXIT_OK;
  },
};
