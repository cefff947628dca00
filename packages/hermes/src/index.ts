import { createHermesAdapter } from './hermes-adapter.js';

export { createHermesAdapter, type HermesSettings } from './hermes-adapter.js';

/** The package version (kept equal to package.json by a test). */
export const VERSION = '0.1.0';

const hermes = createHermesAdapter();
export default hermes;
