/**
 * The resume guarantee as the fleet saw it: on every node, `kubeadm init` / `kubeadm join`
 * succeeded at most once, and no new init/join session was started on a node after its
 * successful one had finished (a session still running when the CLI was killed may end in a
 * failed duplicate, never in a second success), and no two init/join runs overlapped on one node
 * (a second join started beside one an interrupted run left running).
 */
import type { Fleet } from '../fleet/fleet.js';
import type { FleetEvent } from '../fleet/fleet-types.js';

const KUBEADM_OP = /^(?:sudo -n (?:env \S+ )*)?kubeadm (init --config|join)\b/;

function opOf(commandLine: string): string | undefined {
  const match = KUBEADM_OP.exec(commandLine.replace(/'\\''/g, "'").replace(/'/g, ''));
  return match ? (match[1]!.startsWith('init') ? 'init' : 'join') : undefined;
}

export interface KubeadmRecord {
  node: string;
  op: string;
  successes: number;
  /** ssh sessions running init/join opened after the successful one had finished */
  startedAfterSuccess: string[];
  /** init/join runs on this node that started while an earlier one still ran */
  overlapping: string[];
}

export function kubeadmRecords(fleet: Fleet): KubeadmRecord[] {
  const events = fleet.events();
  const records: KubeadmRecord[] = [];
  for (const node of fleet.nodes) {
    for (const op of ['init', 'join']) {
      const successes = events.filter((e) => e.kind === 'tool' && e.node === node.name && e.exitCode === 0 && opOf(e.command) === op);
      const finishedAt = successes.length > 0 ? Date.parse(successes[0]!.time) : Number.POSITIVE_INFINITY;
      const later = events.filter((e) => e.kind === 'ssh' && e.node === node.name && opOf(e.command) === op && Date.parse(e.time) > finishedAt);
      records.push({ node: node.name, op, successes: successes.length, startedAfterSuccess: later.map((e) => `${e.time} ${e.command}`), overlapping: overlappingRuns(events, node.name, op) });
    }
  }
  return records;
}

/** Stand-in runs of `kubeadm <op>` on a node that started before an earlier one had ended. */
function overlappingRuns(events: FleetEvent[], node: string, op: string): string[] {
  const runs = events
    .filter((e) => e.kind === 'tool' && e.node === node && e.startedAt !== undefined && opOf(e.command) === op)
    .map((e) => ({ start: Date.parse(e.startedAt!), end: Date.parse(e.time), text: `${e.startedAt} ${e.command}` }))
    .sort((a, b) => a.start - b.start);
  const overlapping: string[] = [];
  let latestEnd = Number.NEGATIVE_INFINITY;
  for (const run of runs) {
    if (run.start < latestEnd) overlapping.push(run.text);
    latestEnd = Math.max(latestEnd, run.end);
  }
  return overlapping;
}

/** Nodes with more than one successful init/join, a session started after success, or overlapping runs. */
export function repeatedKubeadm(fleet: Fleet): KubeadmRecord[] {
  return kubeadmRecords(fleet).filter((r) => r.successes > 1 || r.startedAfterSuccess.length > 0 || r.overlapping.length > 0);
}

/** "node:op" of every successful kubeadm init/join the fleet saw (proves the parser sees them). */
export function successfulKubeadm(fleet: Fleet): string[] {
  return kubeadmRecords(fleet).filter((r) => r.successes > 0).map((r) => `${r.node}:${r.op}`).sort();
}

/** History entries of the API: init and join per node (each must be exactly one). */
export function apiBootstrapCounts(fleet: Fleet): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of fleet.api().history) {
    if (entry.op !== 'init' && !entry.op.startsWith('join')) continue;
    counts[entry.node] = (counts[entry.node] ?? 0) + 1;
  }
  return counts;
}
