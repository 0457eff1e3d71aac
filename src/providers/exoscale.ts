/**
 * Exoscale: managed private network, control planes behind a managed Elastic IP (health check
 * on /readyz), workers in an instance pool (templates/terraform/exoscale).
 */
import type { ClusterSpec } from '../spec/schema.js';
import { checkInventory } from './inventory-check.js';
import { commonTfvars, moduleDirOf, pickEnv, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

export const EXOSCALE_CREDENTIAL_ENV = ['EXOSCALE_API_KEY', 'EXOSCALE_API_SECRET', 'EXOSCALE_API_ENVIRONMENT'] as const;

export const exoscaleAdapter: ProviderAdapter = {
  name: 'exoscale',
  terraformModuleDir: () => moduleDirOf('exoscale'),
  tfvars(spec: ClusterSpec, extras: ProvisionExtras) {
    const provider = spec.provider.name === 'exoscale' ? spec.provider : undefined;
    return { ...commonTfvars(spec, extras, 'exoscale'), zone: provider?.zone ?? 'ch-gva-2' };
  },
  credentialsEnv: (env) => pickEnv(env, EXOSCALE_CREDENTIAL_ENV),
  // Pool members' private leases are not reported by the provider; see templates/terraform/exoscale/outputs.tf.
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec, { workersMayUsePublicAddress: true }),
};
