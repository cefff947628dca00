// Bundles the CLI (with core, run and their dependencies) into dist/bundle/, one chunk per
// lazily loaded command. Start-up cost of `baton` is mostly resolving and reading hundreds
// of small module files; a bundle reads a handful. Adapters are never bundled: they are
// discovered and imported at run time from the user's install.
import { rmSync } from 'node:fs';
import { build } from 'rolldown';

const outputDirectory = new URL('../dist/bundle', import.meta.url).pathname;
// Chunk names carry content hashes: clear the old ones so only this build's chunks ship.
rmSync(outputDirectory, { recursive: true, force: true });

await build({
  input: { main: new URL('../src/main.ts', import.meta.url).pathname },
  platform: 'node',
  // The sources, not the build of sibling packages: one pass, no stale dist.
  resolve: { conditionNames: ['@baton/source', 'import', 'default'] },
  // `baton test` loads @baton/scenario from the install: it starts harness stand-ins from
  // files of its own, and no other command should carry it. @baton/scale (DBOS, pg) is an
  // optional companion, imported only in scale mode: a one-machine install never has it.
  external: [/^node:/, /^@baton\/scenario(\/|$)/, /^@baton\/scale(\/|$)/],
  logLevel: 'warn',
  output: {
    dir: outputDirectory,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: false,
    minify: true,
  },
});
