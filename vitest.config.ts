import { defineConfig } from 'vitest/config';

// One config for the whole repo: packages' tests run against their TypeScript sources
// (the `@baton/source` export condition), never against stale builds.
export default defineConfig({
  resolve: { conditions: ['@baton/source'] },
  ssr: { resolve: { conditions: ['@baton/source'] } },
  test: {
    pool: 'forks',
    // Generous: property tests and real CLIs share two cores with the rest of the suite.
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
