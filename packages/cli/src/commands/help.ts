import type { Command, CommandContext, CommandTable } from '../context.js';
import { EXIT_OK } from '../context.js';
import { helpText } from '../global-options.js';
import { usageError } from '../output.js';

/** `baton help`, over the commands of `commands`. */
export function helpCommand(commands: CommandTable): Command {
  return {
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
        context.stdout.write(`${helpText(commands)}\n`);
        return EXIT_OK;
      }
      const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
      if (entry === undefined) {
        const { closestMatch } = await import('@baton/core');
        const suggestion = closestMatch(name, Object.keys(commands));
        throw usageError(
          `help: there is no command "${name}".` +
            (suggestion ? ` Did you mean "${suggestion}"?` : '') +
            ` Commands: ${Object.keys(commands).join(', ')}.`,
        );
      }
      context.stdout.write(`${(await entry.load()).usage}\n`);
      return EXIT_OK;
    },
  };
}
