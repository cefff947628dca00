import packageJson from '../package.json' with { type: 'json' };

/** This CLI's own version (inlined by the bundler, read from package.json otherwise). */
export const VERSION: string = packageJson.version;
