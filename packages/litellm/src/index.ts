export { createLitellmAdapter, default, type LitellmSettings } from './litellm-adapter.js';

/** The package version (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
