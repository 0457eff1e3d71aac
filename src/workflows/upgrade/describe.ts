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

export interface DescribeOptions {
  spec: ClusterSpec;
  topology: Topology;
  plan: HopPlan;
  maxUnavailable: number;
  drainTimeoutMs: number;
  cloudInstalled?: boolean;
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
  lines.push('', formatPlan(steps));
  lines.push('A node that is not Ready after its upgrade stops the rollout and stays cordoned. Stopped runs resume with the same command.');
  return lines.join('\n');
}
