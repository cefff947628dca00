// Exports only: the registry imports this entry point and takes its `default` export.

export type { GeminiSettings } from './gemini-adapter.js';
export { createGeminiAdapter, geminiAdapter as default } from './gemini-adapter.js';

/** The version of this package (`baton-adapter-gemini`), kept equal to package.json by a test. */
export const VERSION = '0.1.0';
