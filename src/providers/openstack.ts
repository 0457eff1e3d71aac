/** OpenStack: tenant network + router, Octavia LB with a floating IP (templates/terraform/openstack). */
import type { ClusterSpec } from '../config/schema.js';
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
      // Unset knobs stay undefined, which JSON leaves out: the module's defaults (the cloud's
      // Octavia provider, a monitor that suits it, soft-anti-affinity, public resolvers) apply.
      lb_provider: provider?.lbProvider,
      api_monitor_type: provider?.apiMonitorType,
      server_group_policy: provider?.serverGroupPolicy,
      dns_nameservers: provider?.dnsNameservers,
    };
  },
  // OS_CLOUD (clouds.yaml) or the OS_* variables; the provider reads them itself.
  credentialsEnv: (env) => pickEnv(env, [], ['OS_']),
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec),
};
