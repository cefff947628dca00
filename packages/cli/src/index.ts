export type { Command, CommandContext, OutputStream } from './context.js';
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './context.js';
export { type MainOptions, main } from './main.js';
