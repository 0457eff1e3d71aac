#!/usr/bin/env node
// Wall time of `init` for 1 control plane + N workers on the simulated fleet, whose kubeadm
// stand-ins take as long as the real tools' fast end (init 3 s, join 20 s). Prints a table; asserts
// nothing. Needs root (the fleet); says why and exits 0 otherwise.
//   node bench/bootstrap.mjs [--workers 1,10,30] [--concurrency-one 1,10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFlag, prepareFleetBench, timedCli } from './fleet-bench.mjs';

const sizes = listFlag('--workers', '1,10,30');
const serialSizes = listFlag('--concurrency-one', '1,10,30');
const LATENCIES = { 'kubeadm init': 3000, 'kubeadm join': 20000 };
const startFleet = await prepareFleetBench('bench/bootstrap');

async function measure(workers, concurrency) {
  const nodes = [{ name: 'cp-1', role: 'control-plane' }, ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: 'worker' }))];
  const fleet = await startFleet({ nodes, latencies: LATENCIES });
  const cwd = mkdtempSync(join(tmpdir(), 'k8sb-bench-'));
  try {
    const hosts = fleet.nodes.flatMap((n) => [n.role === 'control-plane' ? '--control-plane-host' : '--worker-host', `${n.address},name=${n.name}`]);
    return timedCli([
      '--dir', join(cwd, 'c'), '--output', 'plain', '--yes',
      'init', '--name', 'bench', '--provider', 'static', ...hosts,
      '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
      ...(concurrency ? ['--concurrency', String(concurrency)] : []),
    ], cwd);
  } finally {
    fleet.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

const rows = [];
for (const n of sizes) rows.push({ workers: n, concurrency: 'default (32)', seconds: await measure(n) });
for (const n of serialSizes) rows.push({ workers: n, concurrency: '1', seconds: await measure(n, 1) });

const base = rows.find((r) => r.workers === sizes[0] && r.concurrency.startsWith('default'))?.seconds;
console.log(`\ninit wall time, 1 control plane + N workers (stand-in latency: kubeadm init 3 s, join 20 s)\n`);
console.log('| workers | concurrency | wall time (s) | vs N=1, default |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.workers} | ${r.concurrency} | ${r.seconds.toFixed(1)} | ${base ? `${(r.seconds / base).toFixed(2)}x` : '-'} |`);
