import { resolveStages, STAGES } from '@baton/core';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { styles, table, visibleLength, writeJson } from '../output.js';
import { routingJson } from '../routing.js';

export const command: Command = {
  name: 'stages',
  summary: 'Show which runtime runs each stage, and why.',
  usage: [
    'Usage: baton stages [--json] [--config FILE]',
    '',
    'Prints the resolved stage → runtime table. `source` says which rule chose the runtime:',
    '  stage     orchestrator.runtime_profile.stages.<stage>',
    '  default   orchestrator.runtime_profile.default',
    '  fallback  orchestrator.runtime_backend (default "claude-code")',
  ].join('\n'),
  async run(context: CommandContext) {
    parseCommandArguments('stages', context.args, {}, { allowPositionals: false });
    const { config } = loadForCommand(context);
    if (context.json) {
      writeJson(context, routingJson(config));
      return EXIT_OK;
    }
    const style = styles(context.color);
    const resolved = resolveStages(config);
    const rows = [
      ['STAGE', 'RUNTIME', 'SOURCE'].map(style.bold),
      ...STAGES.map((stage) => [
        stage,
        style.cyan(resolved[stage].runtime),
        style.dim(resolved[stage].source),
      ]),
    ];
    context.stdout.write(`${table(rows, visibleLength)}\n`);
    context.stdout.write(
      `\nbackend profile: ${config.backendProfile ?? 'none'}\nconfig files: ${config.files.length > 0 ? config.files.join(', ') : 'none (built-in defaults)'}\n`,
    );
    return EXIT_OK;
  },
};
