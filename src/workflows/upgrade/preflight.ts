/**
 * What `upgrade` checks before it changes anything (docs/kubernetes-facts.md §2 pre-requisites): every
 * node registered, Ready and schedulable, etcd healthy as the API server sees it, and the cluster
 * version from kubeadm-config (`kubeadm upgrade plan`). A node the upgrade itself drained and has
 * not finished (recorded in the state facts) is accepted: the resumed run finishes it.
 */
import type { StepContext } from '../../engine/step.js';
import { PreflightError } from '../../errors.js';
import { etcdIsHealthy } from '../../kube/upgrade-commands.js';
import type { NodeStatus } from '../../nodes/node-ops.js';
import { allNodes, type Topology } from '../../nodes/topology.js';
import type { UpgradeNodeOps } from '../../nodes/upgrade-node-ops.js';
import { cordonedFact } from './phases.js';

export interface ClusterSnapshot {
  /** From `kubeadm upgrade plan`, else the state, else the newest control-plane kubelet. */
  clusterVersion: string;
  nodes: NodeStatus[];
  readyz: string;
}

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

export async function inspectCluster(uops: UpgradeNodeOps, ctx: QuietCtx, recordedVersion?: string): Promise<ClusterSnapshot> {
  const nodes = await uops.getNodes(ctx);
  const readyz = await uops.readyz(ctx);
  const planned = await uops.plan(ctx, { quiet: true }).catch(() => undefined);
  const clusterVersion = planned?.clusterVersion ?? recordedVersion ?? newestControlPlaneKubelet(nodes);
  if (!clusterVersion) {
    throw new PreflightError('ClusterVersionUnknown', 'Cannot tell which Kubernetes version the cluster runs', {
      hint: 'kubeadm upgrade plan on the first control plane printed no "Cluster version"; run it there by hand (k8s-bootstrap ssh) to see why.',
    });
  }
  return { clusterVersion: clusterVersion.replace(/^v/, ''), nodes, readyz };
}

/** Nodes the upgrade drained and has not uncordoned yet, from the state facts. */
export function drainedByUpgrade(facts: Readonly<Record<string, string | number | boolean>>): Set<string> {
  const prefix = cordonedFact('');
  return new Set(Object.keys(facts).filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)));
}

/** Throws a PreflightError naming the first offending node, or when etcd is not healthy. */
export function checkSnapshot(snapshot: ClusterSnapshot, topology: Topology, drainedByUs: ReadonlySet<string>): void {
  for (const node of allNodes(topology)) {
    const status = snapshot.nodes.find((n) => n.name === node.name);
    if (!status) {
      throw new PreflightError('NodeNotRegistered', `Node ${node.name} is in the inventory but not registered with the API server`, {
        hint: `Fix ${node.name} (or remove it with remove-workers) before upgrading.`,
      });
    }
    if (drainedByUs.has(node.name)) continue;
    if (!status.ready) {
      throw new PreflightError('NodeNotReady', `Node ${node.name} is not Ready${status.readyMessage ? ` (${status.readyMessage})` : ''}: an upgrade starts only on a healthy cluster`, {
        hint: `Look at the kubelet on ${node.name} (k8s-bootstrap ssh ${node.name} -- sudo journalctl -u kubelet), then run upgrade again.`,
      });
    }
    if (status.unschedulable) {
      throw new PreflightError('NodeCordoned', `Node ${node.name} is cordoned: the upgrade would uncordon it, so it refuses to start`, {
        hint: `Uncordon ${node.name} (kubectl uncordon ${node.name}) if it should take work, or finish what you are doing on it first.`,
      });
    }
  }
  if (!etcdIsHealthy(snapshot.readyz)) {
    throw new PreflightError('EtcdUnhealthy', 'etcd is not healthy: kubectl get --raw "/readyz?verbose" does not report "[+]etcd ok"', {
      details: snapshot.readyz.trim().split('\n').slice(-15),
      hint: 'Repair etcd (and back it up) before upgrading; kubeadm upgrade apply would fail its health checks anyway.',
    });
  }
}

function newestControlPlaneKubelet(nodes: NodeStatus[]): string | undefined {
  const versions = nodes.filter((n) => n.roles.includes('control-plane') && n.kubeletVersion).map((n) => n.kubeletVersion.replace(/^v/, ''));
  return versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
}
