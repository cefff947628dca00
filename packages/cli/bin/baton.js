#!/usr/bin/env node
// Thin launcher for the bundled CLI (dist/bundle). The compile cache lets V8 reuse compiled
// code between runs, which roughly halves start-up for short commands like `baton stages`.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
