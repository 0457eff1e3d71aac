#!/usr/bin/env node
// init at scale: 1 control plane + N workers on the simulated fleet, each N side by side with the
// minimal parallel-ssh kubeadm script bench/reference/kubeadm-parallel-ssh.sh on a fresh fleet of
// the same N, in the same run. Both build the same cluster (prepare, kubeadm init, flannel, joins,
// every Node Ready); the tool also checks, checkpoints and verifies (etcd, a DNS lookup from a pod).
// Add-ons and the default StorageClass are off for the tool (the reference installs neither).
// The stand-ins take as long as the real tools' fast end (init 3 s, join 20 s), as bench/bootstrap.mjs.
//
// Prints per N: wall time of both and their ratio, join latency (time from the start of the run
// until each worker's `kubeadm join` ended: p50/p95 over the workers), the tool's own CPU time
// (user+system of the CLI's process, from process.resourceUsage at its exit: the stand-ins and
// sshd run in the nodes, not in it) and peak memory (maxRSS), both also per node, and SSH
// commands (sessions: exec channels and SFTP) per worker and on the control plane.
// Asserts nothing; --check makes it exit 1 when the tool is slower than 1.15x the reference at
// N >= 30 or a worker saw more than 4 SSH commands. Needs root (the fleet); says why and exits 0 otherwise.
//   node bench/scale.mjs [--workers 1,30,100] [--check] [--json FILE] [--keep-logs DIR (the tool's run logs)]
//     [--trace (prints worker-1's SSH commands and stand-in calls of both)]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFlag, prepareFleetBench, root } from './fleet-bench.mjs';

const sizes = listFlag('--workers', '1,30,100');
const check = process.argv.includes('--check');
const trace = process.argv.includes('--trace');
const jsonIndex = process.argv.indexOf('--json');
const jsonFile = jsonIndex > 0 ? process.argv[jsonIndex + 1] : undefined;
const logsIndex = process.argv.indexOf('--keep-logs');
const keepLogs = logsIndex > 0 ? process.argv[logsIndex + 1] : undefined;
const LATENCIES = { 'kubeadm init': 3000, 'kubeadm join': 20000 };
const VERSION = '1.37.1';
const RATIO_TARGET = 1.15;
const MAX_WORKER_COMMANDS = 4;
const startFleet = await prepareFleetBench('bench/scale');
const bin = join(root, 'bin/k8s-bootstrap.js');
const probe = join(root, 'bench/usage-probe.mjs');
const reference = join(root, 'bench/reference/kubeadm-parallel-ssh.sh');

const nodesOf = (workers) => [
  { name: 'cp-1', role: 'control-plane' },
  ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: 'worker' })),
];

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** What the fleet saw: join latency per worker (s after `startedMs`), SSH commands per node. */
function observe(fleet, startedMs) {
  const events = fleet.events();
  const workers = fleet.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
  const joinedAt = new Map();
  for (const e of events) {
    if (e.kind === 'tool' && e.command.startsWith('kubeadm join') && e.exitCode === 0) joinedAt.set(e.node, (Date.parse(e.time) - startedMs) / 1000);
  }
  const latencies = workers.map((w) => joinedAt.get(w)).filter((v) => v !== undefined);
  const perWorker = workers.map((w) => events.filter((e) => e.kind === 'ssh' && e.node === w).length);
  const cp = events.filter((e) => e.kind === 'ssh' && e.node === 'cp-1').length;
  const toolCalls = events.filter((e) => e.kind === 'tool').length;
  const firstWorker = workers[0];
  return {
    // What worker-1 ran, in order (--trace prints it): stand-in calls are what costs CPU on the fleet.
    traceWorker: events.filter((e) => e.node === firstWorker).map((e) => `${e.kind === 'ssh' ? 'ssh ' : '  '}${e.command.split('\n')[0].slice(0, 140)}`),
    joined: latencies.length,
    joinP50: percentile(latencies, 50),
    joinP95: percentile(latencies, 95),
    sshPerWorkerMax: Math.max(0, ...perWorker),
    sshPerWorkerMean: perWorker.reduce((a, b) => a + b, 0) / Math.max(1, perWorker.length),
    sshControlPlane: cp,
    standinCalls: toolCalls,
  };
}

async function runTool(workers) {
  const fleet = await startFleet({ nodes: nodesOf(workers), latencies: LATENCIES });
  const cwd = mkdtempSync(join(tmpdir(), 'k8sb-scale-'));
  try {
    const config = join(cwd, 'cluster.yaml');
    // Only what the flags cannot say: no add-ons, no default StorageClass (the reference has neither).
    writeFileSync(config, 'name: bench\naddons:\n  metrics-server: {enabled: false}\n  traefik: {enabled: false}\n  cert-manager: {enabled: false}\nstorage:\n  defaultClass: none\n');
    const hosts = fleet.nodes.flatMap((n) => [n.role === 'control-plane' ? '--control-plane-host' : '--worker-host', `${n.address},name=${n.name}`]);
    const usageFile = join(cwd, 'usage.json');
    const args = ['--import', probe, bin, '--dir', join(cwd, 'c'), '--output', 'plain', '--yes', '--config', config,
      'init', '--name', 'bench', '--provider', 'static', ...hosts, '--kubernetes-version', VERSION,
      '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel'];
    const startedMs = Date.now();
    const run = spawnSync(process.execPath, args, { cwd, env: { ...process.env, CI: 'true', HOME: cwd, K8SB_BENCH_USAGE: usageFile }, encoding: 'utf8', maxBuffer: 256 << 20 });
    const seconds = (Date.now() - startedMs) / 1000;
    if (run.status !== 0) throw new Error(`k8s-bootstrap init (1+${workers}) failed (exit ${run.status}):\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`);
    if (keepLogs) cpSync(join(cwd, 'c', 'logs'), join(keepLogs, `tool-1+${workers}`), { recursive: true });
    const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
    return { seconds, cpuSeconds: (usage.userUs + usage.systemUs) / 1e6, maxRssMb: usage.maxRssKb / 1024, ...observe(fleet, startedMs) };
  } finally {
    fleet.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function runReference(workers) {
  const fleet = await startFleet({ nodes: nodesOf(workers), latencies: LATENCIES });
  const cwd = mkdtempSync(join(tmpdir(), 'k8sb-scale-ref-'));
  try {
    const knownHosts = join(cwd, 'known_hosts');
    writeFileSync(knownHosts, `${fleet.nodes.map((n) => fleet.knownHostsLine(n.name)).join('\n')}\n`);
    const cp = fleet.nodes.find((n) => n.role === 'control-plane');
    const env = {
      ...process.env,
      HOME: cwd,
      SSH_KEY: fleet.privateKeyPath,
      SSH_USER: fleet.sshUser,
      KNOWN_HOSTS: knownHosts,
      CONTROL_PLANE: `${cp.address},${cp.name}`,
      WORKERS: fleet.nodes.filter((n) => n.role === 'worker').map((n) => `${n.address},${n.name}`).join(' '),
      K8S_MINOR: VERSION.split('.').slice(0, 2).join('.'),
    };
    const startedMs = Date.now();
    const run = spawnSync('bash', [reference], { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
    const seconds = (Date.now() - startedMs) / 1000;
    if (run.status !== 0) throw new Error(`the reference script (1+${workers}) failed (exit ${run.status}):\n${run.stderr.slice(-3000)}`);
    return { seconds, ...observe(fleet, startedMs) };
  } finally {
    fleet.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

const rows = [];
for (const workers of sizes) {
  const tool = await runTool(workers);
  console.error(`1+${workers}: tool ${tool.seconds.toFixed(1)} s`);
  const ref = await runReference(workers);
  console.error(`1+${workers}: reference ${ref.seconds.toFixed(1)} s`);
  if (trace) console.error(`1+${workers}: worker-1 (tool):\n${tool.traceWorker.join('\n')}\n1+${workers}: worker-1 (reference):\n${ref.traceWorker.join('\n')}`);
  delete tool.traceWorker;
  delete ref.traceWorker;
  rows.push({ workers, tool, ref, ratio: tool.seconds / ref.seconds });
}

const f = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const nodes = (r) => r.workers + 1;
console.log(`\ninit, 1 control plane + N workers, k8s-bootstrap vs bench/reference/kubeadm-parallel-ssh.sh (same run; stand-in latency: kubeadm init 3 s, join 20 s)\n`);
console.log('| N | tool wall (s) | reference wall (s) | ratio | join p50/p95 tool (s) | join p50/p95 ref (s) | tool CPU (s) | CPU/node (ms) | tool maxRSS (MB) | RSS/node (MB) | SSH cmds/worker tool (max, mean) | ref | SSH cmds cp tool / ref |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| 1+${r.workers} | ${f(r.tool.seconds)} | ${f(r.ref.seconds)} | ${r.ratio.toFixed(2)}x | ${f(r.tool.joinP50)} / ${f(r.tool.joinP95)} | ${f(r.ref.joinP50)} / ${f(r.ref.joinP95)} | ${f(r.tool.cpuSeconds, 2)} | ${f((r.tool.cpuSeconds * 1000) / nodes(r), 0)} | ${f(r.tool.maxRssMb, 0)} | ${f(r.tool.maxRssMb / nodes(r), 2)} | ${r.tool.sshPerWorkerMax}, ${f(r.tool.sshPerWorkerMean)} | ${r.ref.sshPerWorkerMax} | ${r.tool.sshControlPlane} / ${r.ref.sshControlPlane} |`);
}
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(rows, null, 2)}\n`);
if (check) {
  const problems = rows.flatMap((r) => [
    ...(r.workers >= 30 && r.ratio > RATIO_TARGET ? [`1+${r.workers}: ${r.ratio.toFixed(2)}x the reference (target <= ${RATIO_TARGET}x)`] : []),
    ...(r.tool.sshPerWorkerMax > MAX_WORKER_COMMANDS ? [`1+${r.workers}: ${r.tool.sshPerWorkerMax} SSH commands on a worker (target <= ${MAX_WORKER_COMMANDS})`] : []),
  ]);
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
}
