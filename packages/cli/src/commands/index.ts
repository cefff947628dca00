import type { Command } from '../context.js';

/**
 * The subcommands, each loaded only when invoked so that a fast command like `stages`
 * never pays for the run engine or child-process code.
 */
export const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> =
  {
    stages: {
      summary: 'Show which runtime runs each stage, and why.',
      load: async () => (await import('./stages.js')).command,
    },
    doctor: {
      summary: 'Validate config and check every runtime the routing uses.',
      load: async () => (await import('./doctor.js')).command,
    },
    init: {
      summary: 'Write a commented starter baton.toml for the runtimes found installed.',
      load: async () => (await import('./init.js')).command,
    },
  };
