/** AWS: VPC, NLB with client-IP preservation off, instances (templates/terraform/aws). */
import { ExternalToolError } from '../errors.js';
import { cloudIntegrationOn } from '../config/cloud-integration.js';
import type { ClusterSpec } from '../config/schema.js';
import { checkInventory } from './inventory-check.js';
import type { Inventory, InventoryNode } from './inventory.js';
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
  inventoryFromOutputs: (outputs, spec) => withAwsProviderIds(checkInventory(outputs, spec), spec),
};

/**
 * The providerID the AWS CCM gives an instance, `aws:///<az>/<instance-id>` (cloud-provider-aws
 * pkg/providers/v1/aws.go InstanceID). kubelet registers with it (--provider-id), so the CCM
 * finds the instance by it and the node names need not be EC2 private DNS names
 * (docs/prerequisites.md "Node name conventions").
 */
export function awsProviderId(availabilityZone: string, instanceId: string): string {
  return `aws:///${availabilityZone}/${instanceId}`;
}

/**
 * Each node's instance_id and availability_zone outputs become its provider_id. With the CCM
 * on, a node without them could never be matched to its instance (its taint would stay), so
 * the module must output them.
 */
export function withAwsProviderIds(inventory: Inventory, spec: ClusterSpec): Inventory {
  const missing: string[] = [];
  const convert = (group: string) => (node: InventoryNode, index: number): InventoryNode => {
    const { instance_id: instanceId, availability_zone: zone, ...rest } = node;
    if (instanceId && zone) return { ...rest, provider_id: awsProviderId(zone, instanceId) };
    if (!rest.provider_id) missing.push(`${group}[${index}] ("${node.name}")`);
    return rest;
  };
  const result = { ...inventory, control_plane: inventory.control_plane.map(convert('control_plane')), workers: inventory.workers.map(convert('workers')) };
  if (missing.length > 0 && cloudIntegrationOn(spec).ccm) {
    throw new ExternalToolError('InventoryInvalid', `The Terraform outputs lack the instance of ${missing.join(', ')}: the AWS cloud controller manager needs each node's instance_id and availability_zone`, {
      details: missing.map((node) => `output ${node}: instance_id or availability_zone is missing`),
      hint: 'The module in the cluster folder\'s terraform/ must output instance_id and availability_zone for every node of control_plane and workers (as templates/terraform/aws/outputs.tf does), or set cloudIntegration.ccm to false in cluster.yaml.',
    });
  }
  return result;
}
