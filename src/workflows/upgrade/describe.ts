/**
 * The upgrade plan as a person reads it before confirming, and as data for the `plan` event: the
 * hop phases the run builds (phases.ts), read with no tools bound, so the plan is the run.
 */
import type { ClusterSpec } from '../../config/schema.js';
import { describePhases, formatPlan, notConnected, type PlanStep } from '../../engine/describe.js';
import { formatDuration } from '../../engine/timeouts.js';
import { DRAIN_DEFAULTS } from '../defaults.js';
import { kubeconfigPhase } from '../init/phases.js';
import type { Topology } from '../../nodes/topology.js';
import { hopPhases } from './phases.js';
import { planBatches, type HopPlan } from './plan.js';
import { addonPhases } from '../addons/phases.js';
import { enabledAddonNames } from '../../config/addons.js';
import { ADDON_CHARTS, addonPin } from '../../kube/addons/pins.js';
import type { HelmRelease } from '../../kube/addons/helm-commands.js';
import { minorOfText } from '../../kube/versions.js';
import { drainWarnings, judgeDrain, type DisruptionSnapshot } from '../../kube/disruption.js';

/**
 * What the drains will meet, judged now per control plane and per batch of workers: budgets that
 * block (the run stops there, before the cordon) or slow a drain, and single-replica workloads.
 */
export function disruptionLines(options: Pick<DescribeOptions, 'topology' | 'maxUnavailable' | 'disruption' | 'waitForBudgets' | 'availabilityTimeoutMs'>): string[] {
  const snapshot = options.disruption;
  if (!snapshot) return ['  PodDisruptionBudgets and workloads: not read (each drain checks them before it cordons).'];
  const groups = [...options.topology.controlPlanes.map((node) => [node]), ...planBatches(options.topology.workers, options.maxUnavailable)];
  const lines: string[] = [];
  let blocked = false;
  for (const group of groups) {
    const judgement = judgeDrain(snapshot, group.map((n) => n.name));
    blocked ||= judgement.blocking.length > 0;
    for (const warning of drainWarnings(judgement)) lines.push(`    warning: ${group.map((n) => n.name).join(', ')}: ${warning}`);
  }
  const wait = `after each control plane and each batch, the Deployments/StatefulSets that had pods on it are waited for at their replicas (--availability-timeout ${formatDuration(options.availabilityTimeoutMs ?? DRAIN_DEFAULTS.availabilityTimeoutMs)})`;
  if (lines.length === 0) return [`  PodDisruptionBudgets: none blocks a drain; no single-replica workload on a drained node; ${wait}.`];
  return [
    `  PodDisruptionBudgets and workloads (as the cluster is now; ${wait}):`,
    ...lines,
    ...(blocked
      ? [options.waitForBudgets ? '    --wait-for-budgets: a blocked drain is tried anyway (kubectl retries the eviction until --drain-timeout).' : '    A blocked drain stops the run before that node is cordoned: scale the workload up or relax the budget first, or pass --wait-for-budgets.']
      : []),
  ];
}

export interface DescribeOptions {
  spec: ClusterSpec;
  topology: Topology;
  plan: HopPlan;
  maxUnavailable: number;
  drainTimeoutMs: number;
  /** --availability-timeout: the moved workloads' wait after each node or batch. @default DRAIN_DEFAULTS */
  availabilityTimeoutMs?: number;
  waitForBudgets?: boolean;
  /** The cluster's PDBs and workloads (read before the plan): their warnings are named; undefined when not read. */
  disruption?: DisruptionSnapshot;
  cloudInstalled?: boolean;
  /** The cluster's Helm releases (read before the plan): the add-on moves are named from them. */
  addonReleases?: readonly HelmRelease[];
}

/** Every hop's steps in run order, then the kubeconfig refresh. */
export function describeUpgradeSteps(options: DescribeOptions): PlanStep[] {
  const { spec, topology, plan } = options;
  return describePhases([
    ...plan.hops.flatMap((version, index) =>
      hopPhases({
        spec,
        topology,
        uops: notConnected,
        state: notConnected,
        version,
        hop: index + 1,
        hops: plan.hops.length,
        maxUnavailable: options.maxUnavailable,
        drainTimeoutMs: options.drainTimeoutMs,
        readyTimeoutMs: 0,
        availabilityTimeoutMs: options.availabilityTimeoutMs,
        waitForBudgets: options.waitForBudgets,
        cloudInstalled: options.cloudInstalled,
      }),
    ),
    kubeconfigPhase({ topology, ops: notConnected }),
    ...addonPhases({ spec, topology, version: plan.target, ops: notConnected, upgrade: true }),
  ]);
}

export function describeUpgradePlan(options: DescribeOptions, steps = describeUpgradeSteps(options)): string {
  const { spec, topology, plan } = options;
  const lines: string[] = [];
  lines.push(`Upgrade plan for cluster ${spec.name}: v${plan.from} → v${plan.target}${plan.resumed ? ' (continuing an earlier, unfinished run)' : ''}`);
  if (plan.hops.length > 1) {
    lines.push(
      `  More than one minor ahead: upgrading through each minor in turn (${plan.hops.map((h) => `v${h}`).join(' → ')}),`,
      '  automatically; each hop is finished and verified (every node Ready at its version) before the next.',
    );
  }
  const batches = planBatches(topology.workers, options.maxUnavailable);
  if (batches.length > 0) {
    lines.push(`  Workers in ${batches.length} batch${batches.length === 1 ? '' : 'es'} of at most ${options.maxUnavailable} (--max-unavailable; never more cordoned at once).`);
  }
  lines.push(...disruptionLines(options));
  lines.push(...addonMoves(options));
  lines.push('', formatPlan(steps));
  lines.push('A node that is not Ready after its upgrade stops the rollout and stays cordoned. Stopped runs resume with the same command.');
  return lines.join('\n');
}

/**
 * The add-ons after the nodes: each enabled one that is installed moves to the target minor's
 * pin; one with no pin for it stays (said, not a failure); one not installed is left alone.
 */
function addonMoves(options: DescribeOptions): string[] {
  const { spec, plan } = options;
  const names = enabledAddonNames(spec);
  if (names.length === 0) return [];
  const minor = minorOfText(plan.target);
  const lines = [`  Add-ons, after the nodes and the kubeconfig, to the versions pinned for Kubernetes ${minor}:`];
  for (const name of names) {
    const pin = addonPin(name, minor)?.version;
    if (!options.addonReleases) {
      lines.push(`    ${name}: ${pin ? `to ${pin} if installed` : `no version for ${minor} yet: stays where it is (warning)`}`);
      continue;
    }
    const release = options.addonReleases.find((r) => r.name === name && r.namespace === ADDON_CHARTS[name].namespace);
    if (!release) lines.push(`    ${name}: not installed, left alone (k8s-bootstrap addons apply ${name} installs it)`);
    else if (!pin) lines.push(`    ${name} ${release.chartVersion}: no version for Kubernetes ${minor} yet: stays at ${release.chartVersion} (warning)`);
    else if (release.chartVersion === pin) lines.push(`    ${name} ${pin}: already at the pin (values re-checked)`);
    else lines.push(`    ${name} ${release.chartVersion} → ${pin}`);
  }
  return lines;
}
