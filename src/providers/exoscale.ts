/**
 * Exoscale: managed private network, control planes behind a managed Elastic IP (health check
 * on /readyz), control planes and workers as individual instances with static leases
 * (templates/terraform/exoscale; the address plan is src/config/exoscale-network.ts).
 */
import { ValidationError } from '../errors.js';
import { parseCidr } from '../config/cidr.js';
import { exoscaleNodeCidrProblem } from '../config/exoscale-network.js';
import { DEFAULT_NETWORK, type ClusterSpec } from '../config/schema.js';
import { checkInventory } from './inventory-check.js';
import { commonTfvars, moduleDirOf, pickEnv, type ProviderAdapter, type ProvisionExtras } from './terraform-common.js';

export const EXOSCALE_CREDENTIAL_ENV = ['EXOSCALE_API_KEY', 'EXOSCALE_API_SECRET', 'EXOSCALE_API_ENVIRONMENT'] as const;

export const exoscaleAdapter: ProviderAdapter = {
  name: 'exoscale',
  terraformModuleDir: () => moduleDirOf('exoscale'),
  tfvars(spec: ClusterSpec, extras: ProvisionExtras) {
    const provider = spec.provider.name === 'exoscale' ? spec.provider : undefined;
    const vars = commonTfvars(spec, extras, 'exoscale');
    assertWorkersFit(spec);
    return { ...vars, zone: provider?.zone ?? 'ch-gva-2' };
  },
  credentialsEnv: (env) => pickEnv(env, EXOSCALE_CREDENTIAL_ENV),
  // Every node has a static lease, so every private_ip must be inside the node CIDR.
  inventoryFromOutputs: (outputs, spec) => checkInventory(outputs, spec),
};

/**
 * validateSpec checks the same for cluster.yaml; this catches a worker count that add-workers
 * raised (--count/--total) past what the address plan has room for, before Terraform runs.
 */
function assertWorkersFit(spec: ClusterSpec): void {
  const text = spec.network.nodeCidr ?? DEFAULT_NETWORK.nodeCidr;
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') return; // validateSpec reports a malformed CIDR
  const problem = exoscaleNodeCidrProblem(cidr, spec.workers.count);
  if (problem) {
    throw new ValidationError([{ path: 'network.nodeCidr', message: `${problem.message} (workers.count ${spec.workers.count})`, value: text, fix: problem.fix }]);
  }
}
