#!/usr/bin/env node
// Start-up time of `k8s-bootstrap --version` next to a bare `node -e 0`: the difference is what
// the CLI itself costs before doing anything. Build first (npm run build). Prints, asserts nothing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const RUNS = 20;
const bin = fileURLToPath(new URL('../bin/k8s-bootstrap.js', import.meta.url));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(args) {
  const samples = [];
  // One warm-up run so the first sample does not pay for a cold file cache.
  spawnSync(process.execPath, args, { stdio: 'ignore' });
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  }
  return median(samples);
}

const bare = time(['-e', '0']);
const version = time([bin, '--version']);
const help = time([bin, '--help']);
const fmt = (ms) => `${ms.toFixed(1).padStart(7)} ms`;
console.log(`median of ${RUNS} runs`);
console.log(`node -e 0                    ${fmt(bare)}`);
console.log(`k8s-bootstrap --version      ${fmt(version)}   (+${(version - bare).toFixed(1)} ms)`);
console.log(`k8s-bootstrap --help         ${fmt(help)}   (+${(help - bare).toFixed(1)} ms)`);
