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
  /**
   * AWS outputs: the instance and its zone, which make provider_id (src/providers/aws.ts) and
   * do not stay in the inventory.
   */
  instance_id?: string;
  availability_zone?: string;
  /** The machine's id as the cloud controller manager writes it (spec.providerID), when known. */
  provider_id?: string;
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
