import type { CommandTable } from '../context.js';

/**
 * The subcommands, each loaded only when invoked so that a fast command like `stages`
 * never pays for the run engine or child-process code.
 */
export const COMMANDS: CommandTable = {
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
  contract: {
    summary: "Print exactly the role contract a stage's runtime receives.",
    load: async () => (await import('./contract.js')).command,
  },
  run: {
    summary: 'Run a mission: each stage on the runtime the config routes it to.',
    load: async () => (await import('./run.js')).command,
  },
  runs: {
    summary: 'List the runs in the journal, newest first.',
    load: async () => (await import('./runs.js')).command,
  },
  show: {
    summary: "Tell a run's whole story: every stage's attempts, results and full output.",
    load: async () => (await import('./show.js')).command,
  },
  events: {
    summary: "Show a run's journal: every event, in order.",
    load: async () => (await import('./events.js')).command,
  },
  stop: {
    summary: 'Stop a running run: its stage is stopped, and baton resume continues it later.',
    load: async () => (await import('./stop.js')).command,
  },
  resume: {
    summary: 'Continue a run that is waiting for an answer or was interrupted.',
    load: async () => (await import('./resume.js')).command,
  },
  setup: {
    summary: "Write a runtime's native profile config, changing only the keys Baton owns.",
    load: async () => (await import('./setup.js')).command,
  },
  test: {
    summary:
      'Run scenario files against a scripted model server, offline: pass/fail, receipts, JUnit.',
    load: async () => (await import('./test.js')).command,
  },
  worker: {
    summary: 'Join the scale pool: run the stages of the runtimes this machine offers.',
    load: async () => (await import('./worker.js')).command,
  },
  workers: {
    summary: 'List the workers of the scale pool: their runtimes, slots and last heartbeat.',
    load: async () => (await import('./workers.js')).command,
  },
  scale: {
    summary: 'Prepare the database of a scale pool (baton scale init) and set its runtime limits.',
    load: async () => (await import('./scale.js')).command,
  },
  replay: {
    summary: "Re-derive a run's state from its journal and check it matches.",
    load: async () => (await import('./replay.js')).command,
  },
  help: {
    summary: 'Show help for baton, or for one command: baton help <command>.',
    load: async () => (await import('./help.js')).helpCommand(COMMANDS),
  },
  completion: {
    summary: 'Print a shell completion script: baton completion bash|zsh|fish.',
    load: async () => (await import('./completion.js')).completionCommand(COMMANDS),
  },
};
