/** AWS: VPC, NLB with client-IP preservation off, instances (templates/terraform/aws). */
import type { ClusterSpec } from '../spec/schema.js';
import { checkInventory } from './inventory-check.js';
import { commonTfvars, moduleDirOf, pickEnv, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

/** The standard AWS SDK credential chain, as environment variables. */
export const AWS_CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CA_BUNDLE',
] as const;

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
  credentialsEnv: (env) => pickEnv(env, AWS_CREDENTIAL_ENV),
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec),
};
