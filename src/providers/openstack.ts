/** OpenStack: tenant network + router, Octavia LB with a floating IP (templates/terraform/openstack). */
import type { ClusterSpec } from '../spec/schema.js';
import { checkInventory } from './inventory-check.js';
import { commonTfvars, moduleDirOf, pickEnv, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

export const openstackAdapter: ProviderAdapter = {
  name: 'openstack',
  terraformModuleDir: () => moduleDirOf('openstack'),
  tfvars(spec: ClusterSpec, extras: ProvisionExtras) {
    const provider = spec.provider.name === 'openstack' ? spec.provider : undefined;
    return {
      ...commonTfvars(spec, extras, 'openstack'),
      region: provider?.region ?? 'RegionOne',
      external_network: provider?.externalNetwork ?? 'public',
      // Lets native-routing CNIs pass Neutron port security with pod source addresses.
      pod_cidr: spec.network.podCidr,
    };
  },
  // OS_CLOUD (clouds.yaml) or the OS_* variables; the provider reads them itself.
  credentialsEnv: (env) => pickEnv(env, [], ['OS_']),
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec),
};
