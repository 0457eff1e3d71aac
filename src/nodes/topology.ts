/**
 * The cluster as the bootstrap steps see it: the Inventory with roles, names and SSH details,
 * whatever provider produced it.
 */
import { InternalError } from '../errors.js';
import type { Inventory, InventoryNode } from '../providers/inventory.js';
import type { NodeRole } from '../config/node-names.js';

export interface ClusterNode {
  name: string;
  role: NodeRole;
  /** Address SSH reaches. */
  host: string;
  port: number;
  /** Node network address: node-ip and advertise address. */
  privateIp: string;
  user?: string;
  /**
   * The cloud's id of the machine as the CCM writes it in spec.providerID (kubelet --provider-id),
   * when the inventory knows it: AWS `aws:///<az>/<instance-id>`. Unset elsewhere (the CCM finds the node itself).
   */
  providerId?: string;
}

export interface Topology {
  apiEndpoint: string;
  controlPlanes: ClusterNode[];
  workers: ClusterNode[];
  sshUser: string;
  bastion?: { host: string; port?: number; user?: string };
}

export function topologyFromInventory(inventory: Inventory, userByNode: Record<string, string | undefined> = {}): Topology {
  const toNode = (role: NodeRole) => (node: InventoryNode): ClusterNode => ({
    name: node.name,
    role,
    host: node.public_ip || node.private_ip,
    port: node.ssh_port ?? 22,
    privateIp: node.private_ip || node.public_ip,
    user: userByNode[node.name],
    ...(node.provider_id ? { providerId: node.provider_id } : {}),
  });
  return {
    apiEndpoint: inventory.api_endpoint,
    controlPlanes: inventory.control_plane.map(toNode('control-plane')),
    workers: inventory.workers.map(toNode('worker')),
    sshUser: inventory.ssh_user,
    bastion: inventory.bastion ?? undefined,
  };
}

export function allNodes(topology: Topology): ClusterNode[] {
  return [...topology.controlPlanes, ...topology.workers];
}

export function firstControlPlane(topology: Topology): ClusterNode {
  const first = topology.controlPlanes[0];
  if (!first) throw new InternalError('NoControlPlane', 'the inventory has no control plane (inventory.json is checked on load)');
  return first;
}
