#!/usr/bin/env node
// Thin launcher for the bundled CLI (dist/bundle).
//
// The Node.js version is checked first, before anything else loads: the bundle imports
// node:sqlite and other modules an older Node lacks, and would die with a stack trace.
// Hence no static import here (imports load before any statement runs), no top-level
// await, and no syntax newer than what old Nodes parse (no `?.`, no `??`).
const REQUIRED = [22, 13];
const found = process.versions.node;
const [major, minor] = found.split('.').map(Number);
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(
    `baton needs Node.js ≥ ${REQUIRED.join('.')} (found ${found}); install Node.js 24 LTS and run baton with it.\n`,
  );
  process.exit(1);
}

import('node:module')
  .then((module) => {
    // The compile cache lets V8 reuse compiled code between runs, which roughly halves
    // start-up for short commands like `baton stages`.
    module.default.enableCompileCache();
    return import('../dist/bundle/main.js');
  })
  .then((bundle) => bundle.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
