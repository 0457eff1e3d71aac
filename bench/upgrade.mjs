#!/usr/bin/env node
// Wall time of `upgrade` (1.36.2 → 1.37.1) for 1 control plane + N workers on the simulated fleet,
// with --max-unavailable 1 and 5. The stand-ins make a drain and a kubelet restart take 1 s each, so
// the batch effect shows: with batches of 5 the worker part should take about a fifth of the time.
// Prints a table; asserts nothing. Needs root (the fleet); says why and exits 0 otherwise.
//   node bench/upgrade.mjs [--workers 5,20] [--max-unavailable 1,5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFlag, prepareFleetBench, timedCli as cli } from './fleet-bench.mjs';

const sizes = listFlag('--workers', '5,20');
const batchSizes = listFlag('--max-unavailable', '1,5');
const LATENCIES = { 'kubectl --kubeconfig /etc/kubernetes/admin.conf drain': 1000, 'systemctl restart kubelet': 1000 };
const FROM = '1.36.2';
const TO = '1.37.1';
const startFleet = await prepareFleetBench('bench/upgrade');

async function measure(workers, maxUnavailable) {
  const nodes = [{ name: 'cp-1', role: 'control-plane' }, ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: 'worker' }))];
  const fleet = await startFleet({ nodes, latencies: LATENCIES });
  const cwd = mkdtempSync(join(tmpdir(), 'k8sb-bench-upgrade-'));
  const dir = join(cwd, 'c');
  try {
    const hosts = fleet.nodes.flatMap((n) => [n.role === 'control-plane' ? '--control-plane-host' : '--worker-host', `${n.address},name=${n.name}`]);
    cli(['--dir', dir, '--output', 'plain', '--yes', 'init', '--name', 'bench', '--provider', 'static', ...hosts,
      '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel', '--kubernetes-version', FROM], cwd);
    return cli(['--dir', dir, '--output', 'plain', '--yes', 'upgrade', '--to', TO, '--max-unavailable', String(maxUnavailable)], cwd);
  } finally {
    fleet.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

const rows = [];
for (const workers of sizes) {
  for (const maxUnavailable of batchSizes) {
    rows.push({ workers, maxUnavailable, seconds: await measure(workers, maxUnavailable) });
    console.error(`measured N=${workers} --max-unavailable ${maxUnavailable}: ${rows.at(-1).seconds.toFixed(1)} s`);
  }
}

console.log(`\nupgrade ${FROM} → ${TO} wall time, 1 control plane + N workers (stand-in latency: drain 1 s, kubelet restart 1 s)\n`);
console.log('| workers | --max-unavailable | batches | wall time (s) | vs --max-unavailable 1 |');
console.log('|--------:|------------------:|--------:|--------------:|-----------------------:|');
for (const row of rows) {
  const serial = rows.find((r) => r.workers === row.workers && r.maxUnavailable === 1)?.seconds;
  const ratio = serial ? `${(row.seconds / serial).toFixed(2)}×` : '';
  const batches = Math.ceil(row.workers / row.maxUnavailable);
  console.log(`| ${String(row.workers).padStart(7)} | ${String(row.maxUnavailable).padStart(17)} | ${String(batches).padStart(7)} | ${row.seconds.toFixed(1).padStart(13)} | ${ratio.padStart(22)} |`);
}
