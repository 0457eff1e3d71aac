#!/usr/bin/env node
// Thin launcher: everything lives in the compiled entry point.
import { main } from '../dist/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
