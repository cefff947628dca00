export type { OpencodeSettings } from './opencode-adapter.js';
export { createOpencodeAdapter, default } from './opencode-adapter.js';

/** The version of this package (`@baton/opencode`); a test keeps it equal to package.json. */
export const VERSION = '0.1.0';
