export type { CodexSettings } from './codex-adapter.js';
export { createCodexAdapter, default } from './codex-adapter.js';

/** The version of this package (`@baton/codex`); a test keeps it equal to package.json. */
export const VERSION = '0.1.0';
