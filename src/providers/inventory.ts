/**
 * Provider -> Inventory contract: what provisioning hands to everything after it.
 * Terraform modules output exactly these names (terraform output -json); the static provider
 * builds the same shape from the spec.
 */
export interface InventoryNode {
  name: string;
  /** Address the operator's SSH reaches (or the bastion forwards to). */
  public_ip: string;
  /** Address on the node network: kubelet node-ip, advertise address. */
  private_ip: string;
  /** SSH port; 22 when absent. */
  ssh_port?: number;
}

export interface Inventory {
  /** host:port that kubeadm's controlPlaneEndpoint uses. */
  api_endpoint: string;
  ssh_user: string;
  bastion?: { host: string; port?: number; user?: string } | null;
  control_plane: InventoryNode[];
  workers: InventoryNode[];
}

export const INVENTORY_OUTPUTS = ['api_endpoint', 'ssh_user', 'bastion', 'control_plane', 'workers'] as const;
