// Bundles the CLI (with core, run and their dependencies) into dist/bundle/, one chunk per
// lazily loaded command. Start-up cost of `baton` is mostly resolving and reading hundreds
// of small module files; a bundle reads a handful. Adapters are never bundled: they are
// discovered and imported at run time from the user's install.
import { build } from 'rolldown';

await build({
  input: { main: new URL('../src/main.ts', import.meta.url).pathname },
  platform: 'node',
  // The sources, not the build of sibling packages: one pass, no stale dist.
  resolve: { conditionNames: ['@baton/source', 'import', 'default'] },
  external: [/^node:/],
  logLevel: 'warn',
  output: {
    dir: new URL('../dist/bundle', import.meta.url).pathname,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: false,
  },
});
