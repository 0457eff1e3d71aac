/**
 * The add-workers and remove-workers plans as a person reads them before confirming, and as
 * data for the `plan` event: the phases the run builds, read with no tools bound, plus the few
 * facts around them (the Terraform count change, the hosts that leave cluster.yaml).
 */
import { atKubernetesVersion } from '../../config/at-version.js';
import { describePhases, formatPlan, notConnected, type PlanStep } from '../../engine/describe.js';
import type { Phase } from '../../engine/step.js';
import { planNodeNames } from '../../config/node-names.js';
import { inventoryFromSpec } from '../../providers/static.js';
import { bootstrapPhases, kubeconfigPhase, verifyPhases } from '../init/phases.js';
import { provisionPhases } from '../run/provision.js';
import { topologyFromInventory, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { currentVersion, isJoined, type AddWorkersPlan, type ClusterFacts } from './plan-add.js';
import type { RemoveWorkersPlan } from './plan-remove.js';
import { remainingReadyPhase, removalPhases } from './remove-phases.js';
import { drainWarnings, judgeDrain, type DisruptionSnapshot } from '../../kube/disruption.js';
import { formatDuration } from '../../engine/timeouts.js';
import { DRAIN_DEFAULTS } from '../defaults.js';

/** What each worker's drain will meet, judged now (one worker at a time, as the run drains them). */
function removeDisruptionLines(plan: RemoveWorkersPlan, drain: RemoveDrainPlan): string[] {
  const wait = `after each drain, the Deployments/StatefulSets it moved are waited for at their replicas (--availability-timeout ${formatDuration(drain.availabilityTimeoutMs)})`;
  if (!drain.disruption) return [`  PodDisruptionBudgets and workloads: not read (each drain checks them before it cordons); ${wait}`];
  const lines: string[] = [];
  let blocked = false;
  for (const node of plan.remove) {
    const judgement = judgeDrain(drain.disruption, [node.name]);
    blocked ||= judgement.blocking.length > 0;
    for (const warning of drainWarnings(judgement)) lines.push(`    warning: ${node.name}: ${warning}`);
  }
  if (lines.length === 0) return [`  PodDisruptionBudgets: none blocks a drain; no single-replica workload on a removed worker; ${wait}`];
  return [
    `  PodDisruptionBudgets and workloads (as the cluster is now; ${wait}):`,
    ...lines,
    ...(blocked
      ? [drain.waitForBudgets ? '    --wait-for-budgets: a blocked drain is tried anyway (kubectl retries the eviction until --drain-timeout).' : '    A blocked drain stops the run before that worker is cordoned: scale the workload up or relax the budget first, or pass --wait-for-budgets.']
      : []),
  ];
}

export interface DescribeAddOptions {
  /** --rebuild-image: the Image step builds even when an up-to-date image exists. */
  rebuildImage?: boolean;
}

/** The steps add-workers runs, in order: (cloud) provisioning, then only the new workers. */
export function describeAddPlan(cluster: ClusterFacts, plan: AddWorkersPlan, options: DescribeAddOptions = {}): PlanStep[] {
  return describePhases(addPhases(cluster, plan, options));
}

function addPhases(cluster: ClusterFacts, plan: AddWorkersPlan, options: DescribeAddOptions): Phase[] {
  const topology = plannedTopology(cluster, plan);
  // What the run joins: every worker without its join checkpoint once the machines exist.
  const only = topology.workers.map((node) => node.name).filter((name) => !isJoined(cluster.state, name));
  const atVersion = atKubernetesVersion(plan.target, plan.version);
  const shape = { spec: plan.target, topology, ops: notConnected, version: plan.version, concurrency: 1, readyTimeoutMs: 0 };
  return [
    ...(plan.cloud ? provisionPhases({ spec: atVersion, rebuildImage: options.rebuildImage === true, workerCount: plan.targetCount, state: cluster.state }, notConnected) : []),
    ...bootstrapPhases({ ...shape, only: new Set(only), workersOnly: true }),
    ...verifyPhases({ ...shape, nodes: only }),
    kubeconfigPhase(shape),
  ];
}

/**
 * The cluster after provisioning: static hosts from the target cluster.yaml; on a cloud the
 * inventory's machines and the new ones, named as the Terraform module names them.
 */
function plannedTopology(cluster: ClusterFacts, plan: AddWorkersPlan): Topology {
  if (!plan.cloud) return topologyFromInventory(inventoryFromSpec(plan.target));
  const current = topologyFromInventory(cluster.inventory);
  const known = new Set(current.workers.map((node) => node.name));
  const created = planNodeNames(plan.target).workers.filter((name) => !known.has(name));
  const unknown = (name: string): ClusterNode => ({ name, role: 'worker', host: '', port: 22, privateIp: '' });
  return { ...current, workers: [...current.workers, ...created.map(unknown)] };
}

export function formatAddPlan(cluster: ClusterFacts, plan: AddWorkersPlan, steps = describeAddPlan(cluster, plan)): string {
  const first = cluster.inventory.control_plane[0]?.name ?? 'the first control plane';
  const lines = [`add-workers on cluster ${cluster.spec.name}: ${plan.joined.length} → ${plan.targetCount} workers, Kubernetes ${plan.version}`];
  if (plan.cloud && plan.machinesToCreate > 0) {
    lines.push(`  terraform: workers.count ${cluster.inventory.workers.length} → ${plan.targetCount} (${plan.machinesToCreate} new machine(s)); the plan must only add, or nothing is applied`);
  }
  for (const host of plan.addedHosts) lines.push(`  new host ${host.name}: ${host.address}${host.port !== 22 ? `:${host.port}` : ''}${host.privateAddress ? ` (node IP ${host.privateAddress})` : ''}`);
  lines.push(`  on ${first}: kubeadm token create --print-join-command (a fresh join token), kubectl get nodes`);
  lines.push(`  every other node: untouched${plan.joined.length ? ` (${plan.joined.join(', ')})` : ''}`);
  return `${lines.join('\n')}\n\n${formatPlan(steps)}`;
}

/** The steps remove-workers runs, in order: each worker out, (cloud) the smaller infrastructure, the rest Ready. */
export interface RemoveDrainPlan {
  /** --availability-timeout. */
  availabilityTimeoutMs: number;
  waitForBudgets?: boolean;
  /** The cluster's PDBs and workloads, read before the plan; undefined when not read. */
  disruption?: DisruptionSnapshot;
}

const DEFAULT_DRAIN_PLAN: RemoveDrainPlan = { availabilityTimeoutMs: DRAIN_DEFAULTS.availabilityTimeoutMs };

export function describeRemovePlan(cluster: ClusterFacts, plan: RemoveWorkersPlan, drainTimeoutMs: number, drain: RemoveDrainPlan = DEFAULT_DRAIN_PLAN): PlanStep[] {
  const atVersion = atKubernetesVersion(plan.target, currentVersion(cluster));
  return describePhases([
    ...removalPhases({
      topology: topologyFromInventory(cluster.inventory),
      remove: plan.remove.map((node) => node.name),
      drainTimeoutMs,
      availabilityTimeoutMs: drain.availabilityTimeoutMs,
      waitForBudgets: drain.waitForBudgets,
      ops: notConnected,
      state: notConnected,
      notReset: [],
    }),
    ...(plan.cloud ? provisionPhases({ spec: atVersion, rebuildImage: false, workerCount: plan.remaining.length, state: cluster.state }, notConnected) : []),
    remainingReadyPhase({ topology: topologyFromInventory(plan.targetInventory), readyTimeoutMs: 0, ops: notConnected }),
  ]);
}

export function formatRemovePlan(cluster: ClusterFacts, plan: RemoveWorkersPlan, drainTimeoutMs: number, steps = describeRemovePlan(cluster, plan, drainTimeoutMs), drain: RemoveDrainPlan = DEFAULT_DRAIN_PLAN): string {
  const lines = [`remove-workers on cluster ${cluster.spec.name}: ${cluster.inventory.workers.length} → ${plan.remaining.length} workers`];
  const removed = plan.remove.map((n) => n.name).join(', ');
  lines.push(
    plan.cloud
      ? `  terraform: workers.count ${cluster.inventory.workers.length} → ${plan.remaining.length} (destroys ${removed}); the plan must only remove them, or nothing is applied`
      : `  cluster.yaml and inventory.json: drop ${removed} (the machines stay, reset)`,
  );
  for (const name of plan.alreadyGone) lines.push(`  ${name}: not a worker of this cluster (already removed?), skipped`);
  lines.push(...removeDisruptionLines(plan, drain));
  return `${lines.join('\n')}\n\n${formatPlan(steps)}`;
}
