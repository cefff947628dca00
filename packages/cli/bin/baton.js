#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/. Kept tiny so start-up loads nothing extra.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
