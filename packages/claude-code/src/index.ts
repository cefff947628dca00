export type { ClaudeCodeSettings } from './claude-code-adapter.js';
export { createClaudeCodeAdapter, default } from './claude-code-adapter.js';

/** The version of this package (`@baton/claude-code`); a test keeps it equal to package.json. */
export const VERSION = '0.1.0';
