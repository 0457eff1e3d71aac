/** The upgrade plan as a person reads it before confirming: hops, node order, command classes. */
import type { ClusterSpec } from '../../config/schema.js';
import type { Topology } from '../run/topology.js';
import { minorOfText, planBatches, type HopPlan } from './plan.js';

export interface DescribeOptions {
  spec: ClusterSpec;
  topology: Topology;
  plan: HopPlan;
  maxUnavailable: number;
  drainTimeoutMs: number;
}

export function describeUpgradePlan(options: DescribeOptions): string {
  const { spec, topology, plan } = options;
  const [first, ...others] = topology.controlPlanes;
  const names = (nodes: { name: string }[]) => nodes.map((n) => n.name).join(', ');
  const lines: string[] = [];
  lines.push(`Upgrade plan for cluster ${spec.name}: v${plan.from} → v${plan.target}${plan.resumed ? ' (continuing an earlier, unfinished run)' : ''}`);
  if (plan.hops.length > 1) {
    lines.push(
      `  More than one minor ahead: upgrading through each minor in turn (${plan.hops.map((h) => `v${h}`).join(' → ')}),`,
      '  automatically; each hop is finished and verified (every node Ready at its version) before the next.',
    );
  }
  const repos = spec.kubernetes.runtime === 'cri-o' ? 'pkgs.k8s.io + CRI-O repositories' : 'pkgs.k8s.io repository';
  const drain = `drain (--ignore-daemonsets, timeout ${Math.round(options.drainTimeoutMs / 1000)}s)`;
  const kubelet = `unhold/install/hold kubelet+kubectl; systemctl daemon-reload; systemctl restart kubelet${spec.kubernetes.runtime === 'cri-o' ? ' (and cri-o)' : ''}; wait Ready; uncordon`;
  const batches = planBatches(topology.workers, options.maxUnavailable);
  plan.hops.forEach((version, index) => {
    const kubeadm = `switch the ${repos} to v${minorOfText(version)} + apt-get update; unhold/install/hold kubeadm ${version}`;
    lines.push(`Hop ${index + 1}/${plan.hops.length}: v${version}`);
    let step = 1;
    if (first) {
      lines.push(`  ${step++}. ${first.name} (first control plane): ${kubeadm}; kubeadm upgrade plan; kubeadm upgrade apply v${version} --yes; CNI ${spec.kubernetes.cni} upgraded only if its pinned version changed`);
    }
    if (others.length > 0) lines.push(`  ${step++}. ${names(others)}, one at a time: ${kubeadm}; kubeadm upgrade node`);
    const oneAtATime = topology.controlPlanes.length > 1 ? ', one at a time' : '';
    lines.push(`  ${step++}. ${names(topology.controlPlanes)}${oneAtATime}: ${drain}; ${kubelet}`);
    if (batches.length > 0) {
      lines.push(`  ${step++}. workers in ${batches.length} batch${batches.length === 1 ? '' : 'es'} of at most ${options.maxUnavailable} (--max-unavailable; never more cordoned at once): ${batches.map((b) => `[${names(b)}]`).join(' ')}`);
      lines.push(`     each: ${kubeadm}; kubeadm upgrade node; ${drain}; ${kubelet}`);
    }
    lines.push(`  ${step}. verify: every node Ready at v${version}`);
  });
  lines.push('A node that is not Ready after its upgrade stops the rollout and stays cordoned. Stopped runs resume with the same command.');
  return lines.join('\n');
}
