/** AWS: VPC, NLB with client-IP preservation off, instances (templates/terraform/aws). */
import type { ClusterSpec } from '../config/schema.js';
import { checkInventory } from './inventory-check.js';
import { commonTfvars, moduleDirOf, pickEnv, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

export const awsAdapter: ProviderAdapter = {
  name: 'aws',
  terraformModuleDir: () => moduleDirOf('aws'),
  tfvars(spec: ClusterSpec, extras: ProvisionExtras) {
    const provider = spec.provider.name === 'aws' ? spec.provider : undefined;
    return {
      ...commonTfvars(spec, extras, 'aws'),
      region: provider?.region ?? 'eu-central-1',
      availability_zones: provider?.availabilityZones ?? [],
    };
  },
  // The whole AWS SDK chain: keys, profiles, web identity, container credentials, region, endpoints.
  credentialsEnv: (env) => pickEnv(env, [], ['AWS_']),
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec),
};
