/**
 * Node naming, shared by the providers, the dry-run plan and the real workflows so that the step ids a plan
 * shows (`prepare:cp-1`, `join:worker-2`) are the ids the engine checkpoints.
 */
import type { ClusterSpec, StaticHost } from './schema.js';

export type NodeRole = 'control-plane' | 'worker';

/** `cp-1`, `worker-3`: 1-based index within the role. */
export function defaultNodeName(role: NodeRole, index: number): string {
  return `${role === 'control-plane' ? 'cp' : 'worker'}-${index}`;
}

export interface NodeNames {
  controlPlanes: string[];
  workers: string[];
}

/**
 * Names of the nodes a spec describes. Static hosts keep their own `name` when set; unnamed
 * hosts get the default name of their position within their role. Cloud machines are named by
 * the Terraform modules: `<cluster>-cp-1`, `<cluster>-worker-1` (templates/terraform/<provider>/nodes.tf).
 */
export function planNodeNames(spec: ClusterSpec): NodeNames {
  if (spec.provider.name === 'static') {
    const hosts: StaticHost[] = spec.provider.hosts;
    return {
      controlPlanes: namesForRole(hosts, 'control-plane'),
      workers: namesForRole(hosts, 'worker'),
    };
  }
  return {
    controlPlanes: controlPlaneNumbers(spec).map((n) => `${spec.name}-${defaultNodeName('control-plane', n)}`),
    workers: range(spec.workers.count).map((i) => `${spec.name}-${defaultNodeName('worker', i)}`),
  };
}

/**
 * The N of each cloud control plane <cluster>-cp-N, ascending: the Terraform modules make one
 * machine per number (for_each) and output them in this order, so inventory.control_plane[i] is
 * the machine of the i-th number. Unset controlPlane.numbers: 1 to count.
 */
export function controlPlaneNumbers(spec: Pick<ClusterSpec, 'controlPlane'>): number[] {
  const numbers = spec.controlPlane.numbers ?? range(spec.controlPlane.count);
  return [...numbers].sort((a, b) => a - b);
}

function namesForRole(hosts: StaticHost[], role: NodeRole): string[] {
  return hosts.filter((host) => host.role === role).map((host, i) => host.name ?? defaultNodeName(role, i + 1));
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}
