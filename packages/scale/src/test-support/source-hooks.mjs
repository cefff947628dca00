// Lets a plain `node` process run the workspace's TypeScript sources, as vitest does: child
// processes of tests (a second journal writer, a worker) then run the code under test, not a
// build that may be stale. Use: node --import <this file> script.mjs
//
// Node strips the types of .ts files itself; these hooks add the `@baton/source` export
// condition (so @baton/* packages resolve to their src/), and find `./x.ts` where the sources
// import `./x.js` (TypeScript's convention for ESM).
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const conditions = [...new Set(['@baton/source', ...(context.conditions ?? [])])];
    const next = (candidate) => nextResolve(candidate, { ...context, conditions });
    try {
      return next(specifier);
    } catch (error) {
      const relative =
        specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !specifier.endsWith('.js'))
        throw error;
      return next(`${specifier.slice(0, -3)}.ts`);
    }
  },
});
