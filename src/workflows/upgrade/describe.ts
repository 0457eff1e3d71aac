/**
 * The upgrade plan as a person reads it before confirming, and as data for the `plan` event: the
 * hop phases the run builds (phases.ts), read with no tools bound, so the plan is the run.
 */
import type { ClusterSpec } from '../../config/schema.js';
import { describePhases, formatPlan, notConnected, type PlanStep } from '../../engine/describe.js';
import { kubeconfigPhase } from '../init/phases.js';
import type { Topology } from '../../nodes/topology.js';
import { hopPhases } from './phases.js';
import { planBatches, type HopPlan } from './plan.js';
import { addonPhases } from '../addons/phases.js';
import { enabledAddonNames } from '../../config/addons.js';
import { ADDON_CHARTS, addonPin } from '../../kube/addons/pins.js';
import type { HelmRelease } from '../../kube/addons/helm-commands.js';
import { minorOfText } from '../../kube/versions.js';

export interface DescribeOptions {
  spec: ClusterSpec;
  topology: Topology;
  plan: HopPlan;
  maxUnavailable: number;
  drainTimeoutMs: number;
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
