import { lookupError, parseStage, renderRoleContract, resolveStage } from '@baton/core';
import { parseCommandArguments } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { loadForCommand } from '../load.js';
import { usageError, writeJson } from '../output.js';

export const command: Command = {
  name: 'contract',
  summary: "Print exactly the role contract a stage's runtime receives.",
  usage: [
    'Usage: baton contract <stage> [--runtime ID] [--json]',
    '',
    "Prints the stage's rendered role contract (with [contracts.<stage>] overrides applied),",
    'as the runtime receives it (control characters, which a terminal would act on, shown',
    'escaped), ending with a newline. --runtime names another runtime than the one the config',
    'routes the stage to.',
    "With --json: the exact text, its sha256 (as journaled), the runtime and the runtime's",
    'delivery channel.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments(
      'contract',
      context.args,
      { runtime: { type: 'string', value: 'ID' } },
      { allowPositionals: true },
    );
    if (positionals.length !== 1)
      throw usageError('contract: give exactly one stage, e.g. baton contract evaluate.');
    const runtimeName = values.runtime;
    const stage = parseStage(positionals[0]!);
    const { config, registry } = loadForCommand(context);
    let runtime = resolveStage(config, stage).runtime;
    if (runtimeName !== undefined) {
      const lookup = registry.lookup(runtimeName);
      if (lookup.status !== 'found') {
        throw lookupError(runtimeName, lookup);
      }
      runtime = lookup.id;
    }
    const contract = renderRoleContract(stage, config);
    const channel = registry.get(runtime)?.identity.contractChannel ?? null;
    if (context.json) {
      writeJson(context, {
        stage,
        role: contract.role,
        runtime,
        channel,
        version: contract.version,
        sha256: contract.sha256,
        overrideSource: contract.overrideSource,
        text: contract.text,
      });
    } else {
      // Ends with a newline, so a shell prompt never lands on its last line; --json has the
      // exact text.
      context.stdout.write(contract.text.endsWith('\n') ? contract.text : `${contract.text}\n`);
    }
    return EXIT_OK;
  },
};
