/**
 * Steps remove-control-plane and add-control-plane share: the static HA load balancer rewritten
 * for a new set of control planes, the etcd membership check, and the topology with the control
 * plane the run works through first (firstControlPlane() is where kubectl and etcdctl run).
 */
import type { Phase, Step } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { Topology } from '../../nodes/topology.js';
import { stepId } from '../run/step-ids.js';

/** The same cluster with `name` as its first control plane (the others keep their order). */
export function withFirst(topology: Topology, name: string): Topology {
  const first = topology.controlPlanes.find((cp) => cp.name === name);
  if (!first) return topology;
  return { ...topology, controlPlanes: [first, ...topology.controlPlanes.filter((cp) => cp !== first)] };
}

/** This tool's keepalived + haproxy front the API (static, a virtual IP, no external load balancer). */
export function ownsStaticLoadBalancer(spec: ClusterSpec): boolean {
  return spec.provider.name === 'static' && !spec.provider.apiEndpoint && Boolean(spec.provider.virtualIp);
}

/**
 * haproxy's backends and keepalived's peers on every control plane of `topology` (inventory order:
 * the first is keepalived's MASTER), one at a time so the VIP stays held. The checkpoint's inputs
 * name the control planes: a later change of the set runs it again. Undefined without static HA.
 */
export function loadBalancerPhase(spec: ClusterSpec, topology: Topology, ops: () => SshNodeOps): Phase | undefined {
  if (!ownsStaticLoadBalancer(spec)) return undefined;
  const names = topology.controlPlanes.map((cp) => cp.name);
  return {
    title: 'Load balancer',
    concurrency: 1,
    steps: topology.controlPlanes.map((node) => ({
      stepId: stepId.loadBalancer(node.name),
      title: `haproxy backends and keepalived peers on ${node.name}: ${names.join(', ')}`,
      detail: `API endpoint ${topology.apiEndpoint}`,
      node: node.name,
      tool: 'ssh',
      inputs: `${topology.apiEndpoint}/${names.join(',')}`,
      retries: 2,
      run: (ctx) => ops().setupHaLoadBalancer(node, topology, ctx),
    })),
  };
}

/** etcd has one voting member per control plane of `topology`, no learner, no stranger (never checkpointed). */
export function etcdVerifyStep(topology: Topology, ops: () => SshNodeOps): Step {
  const first = topology.controlPlanes[0]!;
  return {
    stepId: stepId.controlPlaneVerifyEtcd,
    title: `etcd has ${topology.controlPlanes.length} member(s), one per control plane`,
    detail: 'etcdctl member list',
    node: first.name,
    tool: 'etcdctl',
    inputs: `run-${Date.now()}`,
    retries: 1,
    run: (ctx) => ops().verifyEtcdMembers(first, topology, ctx),
  };
}
