/** Provider adapters by name, and the cluster folder's terraform/ preparation. */
import { UsageError } from '../errors.js';
import type { ClusterSpec, ProviderName } from '../config/schema.js';
import { awsAdapter } from './aws.js';
import { exoscaleAdapter } from './exoscale.js';
import { openstackAdapter } from './openstack.js';
import { prepareTerraformDirFor, type CloudProviderName, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

export { inventoryFromSpec } from './static.js';
export { checkInventory } from './inventory-check.js';
export {
  backendConfig,
  renderTfvars,
  terraformDirOf,
  terraformEnvironment,
  secureTerraformDir,
  BACKEND_FILE,
  TFVARS_FILE,
  type CloudProviderName,
  type ProviderAdapter,
  type ProvisionExtras,
} from './terraform-common.js';

const ADAPTERS: Record<CloudProviderName, ProviderAdapter> = {
  aws: awsAdapter,
  exoscale: exoscaleAdapter,
  openstack: openstackAdapter,
};

export function isCloudProvider(name: ProviderName): name is CloudProviderName {
  return name in ADAPTERS;
}

export function providerAdapter(name: ProviderName): ProviderAdapter {
  if (!isCloudProvider(name)) {
    throw new UsageError('NoTerraformForProvider', `provider "${name}" has no Terraform module; its inventory comes from the spec`);
  }
  return ADAPTERS[name];
}

/**
 * Writes <clusterDir>/terraform/: the provider's module files, terraform.tfvars.json and, when
 * spec.terraform.backend is set, backend.tf.json. Returns every path written.
 */
export async function prepareTerraformDir(clusterDir: string, spec: ClusterSpec, extras: ProvisionExtras): Promise<string[]> {
  return prepareTerraformDirFor(providerAdapter(spec.provider.name), clusterDir, spec, extras);
}
