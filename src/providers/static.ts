/** The static provider: no Terraform; the Inventory comes straight from spec.provider.hosts. */
import { UsageError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import { defaultNodeName } from '../config/node-names.js';
import type { Inventory, InventoryNode } from './inventory.js';

/** Port of the haproxy that k8s-bootstrap runs next to kube-apiserver (which holds 6443) for a keepalived VIP. */
export const STATIC_HA_PORT = 8443;

export function inventoryFromSpec(spec: ClusterSpec): Inventory {
  if (spec.provider.name !== 'static') {
    throw new UsageError('NotStatic', `inventoryFromSpec needs provider.name "static", got "${spec.provider.name}"`);
  }
  const provider = spec.provider;
  const controlPlane: InventoryNode[] = [];
  const workers: InventoryNode[] = [];
  for (const host of provider.hosts) {
    const group = host.role === 'control-plane' ? controlPlane : workers;
    group.push({
      name: host.name ?? defaultNodeName(host.role, group.length + 1),
      public_ip: host.address,
      private_ip: host.privateAddress ?? host.address,
      ssh_port: host.port,
    });
  }
  const first = controlPlane[0];
  if (!first) {
    throw new UsageError('NoControlPlane', 'provider.hosts has no host with role "control-plane"', {
      hint: 'Give at least one host `role: control-plane` in cluster.yaml.',
    });
  }
  const apiEndpoint =
    provider.apiEndpoint ??
    (controlPlane.length > 1 && provider.virtualIp ? `${provider.virtualIp}:${STATIC_HA_PORT}` : `${first.private_ip}:6443`);
  return {
    api_endpoint: apiEndpoint,
    ssh_user: spec.ssh.user,
    bastion: spec.ssh.bastion ?? null,
    control_plane: controlPlane,
    workers,
  };
}
