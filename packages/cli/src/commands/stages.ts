import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { styles, table, visibleLength, writeJson } from '../output.js';
import { routingJson, routingTable } from '../routing.js';

export const command: Command = {
  name: 'stages',
  summary: 'Show which runtime (and model) runs each stage, and why.',
  usage: [
    'Usage: baton stages [--json] [--config FILE]',
    '',
    'Prints the resolved stage → runtime table. A stage with a fallback chain shows its first',
    'runtime on its row and each fallback, in the order tried, on a row below (↳).',
    '',
    'SOURCE says which rule chose the runtime:',
    '  stage     orchestrator.runtime_profile.stages.<stage>',
    '  default   orchestrator.runtime_profile.default',
    '  fallback  orchestrator.runtime_backend (default "claude-code")',
    '',
    'MODEL shows the model (and reasoning effort) and where the model came from:',
    '  (stage) or (default)  written beside the runtime there',
    '  (runtime)             [runtimes.<id>] model',
    "  harness default       none set: the runtime's own configuration decides",
  ].join('\n'),
  async run(context: CommandContext) {
    parseCommandArguments('stages', context.args, {}, { allowPositionals: false });
    const { config } = loadForCommand(context);
    if (context.json) {
      writeJson(context, routingJson(config));
      return EXIT_OK;
    }
    const style = styles(context.color);
    context.stdout.write(`${table(routingTable(config, style), visibleLength)}\n`);
    context.stdout.write(
      `\nbackend profile: ${config.backendProfile ?? 'none'}\nconfig files: ${config.files.length > 0 ? config.files.join(', ') : 'none (built-in defaults)'}\n`,
    );
    return EXIT_OK;
  },
};
