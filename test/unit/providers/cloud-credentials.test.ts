/**
 * The CCM/CSI credentials from the Terraform outputs (src/providers/cloud-credentials.ts), the
 * AWS providerID from the instance outputs (src/providers/aws.ts), and secrets kept out of the
 * inventory that inventory.json is written from.
 */
import { describe, expect, it } from 'vitest';
import { ExternalToolError } from '../../../src/errors.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { awsProviderId } from '../../../src/providers/aws.js';
import { CLOUD_CREDENTIAL_OUTPUTS, readCloudCredentials, registerCloudCredentials } from '../../../src/providers/cloud-credentials.js';
import { providerAdapter } from '../../../src/providers/index.js';
import { topologyFromInventory } from '../../../src/nodes/topology.js';
import type { ClusterSpecInput } from '../../../src/config/schema.js';
import { spec } from '../../helpers/terraform.js';

const EXO_KEY = 'EXO0123456789abcdef01234567';
const EXO_SECRET = 'exo-secret-0123456789abcdefghijklmnopq';
const AC_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const AC_SECRET = 'app-cred-secret-0123456789abcdefghijklmnop';

/** `terraform output -json` as TerraformCli.output() returns it. */
const wrapped = (value: unknown, sensitive = false) => ({ sensitive, type: typeof value === 'string' ? 'string' : ['tuple', []], value });

function outputs(nodeExtra: (group: string, index: number) => Record<string, unknown> = () => ({})): Record<string, unknown> {
  return {
    api_endpoint: wrapped('198.51.100.50:6443'),
    ssh_user: wrapped('ubuntu'),
    bastion: wrapped(null),
    control_plane: wrapped([{ name: 'demo-cp-1', public_ip: '198.51.100.1', private_ip: '10.240.0.10', ...nodeExtra('control_plane', 0) }]),
    workers: wrapped([
      { name: 'demo-worker-1', public_ip: '198.51.100.2', private_ip: '10.240.0.20', ...nodeExtra('workers', 0) },
      { name: 'demo-worker-2', public_ip: '198.51.100.3', private_ip: '10.240.0.21', ...nodeExtra('workers', 1) },
    ]),
    ccm_api_key: wrapped(EXO_KEY, true),
    ccm_api_secret: wrapped(EXO_SECRET, true),
    application_credential_id: wrapped(AC_ID, true),
    application_credential_secret: wrapped(AC_SECRET, true),
    auth_url: wrapped('https://keystone.example:5000/v3'),
  };
}

const exoscale = (extra: Partial<ClusterSpecInput> = {}) => spec({ name: 'exoscale', zone: 'de-fra-1' }, extra);
const openstack = (extra: Partial<ClusterSpecInput> = {}) => spec({ name: 'openstack', region: 'RegionTwo' }, extra);
const aws = (extra: Partial<ClusterSpecInput> = {}) => spec({ name: 'aws', region: 'eu-central-1' }, extra);

describe('readCloudCredentials', () => {
  it('exoscale: the restricted key of ccm_api_key / ccm_api_secret', () => {
    expect(readCloudCredentials(exoscale(), outputs())).toEqual({ exoscale: { apiKey: EXO_KEY, apiSecret: EXO_SECRET } });
  });

  it('openstack: the application credential, auth_url, and the region of cluster.yaml', () => {
    expect(readCloudCredentials(openstack(), outputs())).toEqual({
      openstack: { authUrl: 'https://keystone.example:5000/v3', region: 'RegionTwo', applicationCredentialId: AC_ID, applicationCredentialSecret: AC_SECRET },
    });
  });

  it('openstack: the floating network and subnet for cloud.conf [LoadBalancer], when the module outputs them', () => {
    const withNetwork = { ...outputs(), floating_network_id: wrapped('ext-net-1'), subnet_id: wrapped('subnet-7') };
    expect(readCloudCredentials(openstack(), withNetwork).openstack).toMatchObject({ floatingNetworkId: 'ext-net-1', subnetId: 'subnet-7' });
  });

  it('takes unwrapped values too (outputValues of inventory-check)', () => {
    const plain = { ccm_api_key: EXO_KEY, ccm_api_secret: EXO_SECRET };
    expect(readCloudCredentials(exoscale(), plain).exoscale?.apiKey).toBe(EXO_KEY);
  });

  it('aws (instance profiles) and static need none', () => {
    expect(readCloudCredentials(aws(), {})).toEqual({});
    expect(readCloudCredentials(spec({ name: 'static', hosts: [{ address: '10.0.0.1', role: 'control-plane' }] }), {})).toEqual({});
  });

  it('needs none when ccm and csi are both off, even from a module without the outputs', () => {
    expect(readCloudCredentials(exoscale({ cloudIntegration: { ccm: false, csi: false } }), {})).toEqual({});
    expect(readCloudCredentials(openstack({ cloudIntegration: { ccm: false, csi: false } }), {})).toEqual({});
  });

  it('still needs them when only the CSI is on', () => {
    expect(readCloudCredentials(exoscale({ cloudIntegration: { ccm: false, csi: true } }), outputs()).exoscale?.apiKey).toBe(EXO_KEY);
  });

  it('names each missing or empty output, never a value', () => {
    const some = { ...outputs(), ccm_api_secret: wrapped('', true) } as Record<string, unknown>;
    delete some.ccm_api_key;
    let error: unknown;
    try {
      readCloudCredentials(exoscale(), some);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExternalToolError);
    const text = `${(error as ExternalToolError).message} ${(error as ExternalToolError).hint ?? ''}`;
    expect(text).toMatch(/output "ccm_api_key", "ccm_api_secret" are missing or empty/);
    expect(text).toMatch(/cloudIntegration\.ccm/);
    const openstackMissing = { ...outputs(), application_credential_secret: wrapped(null, true) };
    expect(() => readCloudCredentials(openstack(), openstackMissing)).toThrow(/output "application_credential_secret" is missing or empty/);
    expect(() => readCloudCredentials(openstack(), openstackMissing)).not.toThrow(new RegExp(AC_ID));
  });

  it('lists the output names the modules declare', () => {
    expect(Object.values(CLOUD_CREDENTIAL_OUTPUTS.exoscale).sort()).toEqual(['ccm_api_key', 'ccm_api_secret']);
    expect(Object.values(CLOUD_CREDENTIAL_OUTPUTS.openstack).sort()).toEqual(['application_credential_id', 'application_credential_secret', 'auth_url']);
  });

  it('registers the secret values (not the URL or region) for redaction', () => {
    const secrets = new SecretSet();
    registerCloudCredentials(secrets, readCloudCredentials(exoscale(), outputs()));
    registerCloudCredentials(secrets, readCloudCredentials(openstack(), outputs()));
    expect([...secrets.values()].sort()).toEqual([AC_ID, AC_SECRET, EXO_KEY, EXO_SECRET].sort());
  });
});

describe('AWS inventory: each node gets providerID aws:///<az>/<instance-id>', () => {
  const ids = (group: string, index: number) => ({
    instance_id: group === 'control_plane' ? 'i-0123456789abcdef0' : `i-0fedcba987654321${index}`,
    availability_zone: index === 0 ? 'eu-central-1a' : 'eu-central-1b',
  });

  it('from instance_id and availability_zone, which then leave the inventory', () => {
    const inventory = providerAdapter('aws').inventoryFromOutputs(outputs(ids), aws());
    expect(inventory.control_plane[0]).toEqual({ name: 'demo-cp-1', public_ip: '198.51.100.1', private_ip: '10.240.0.10', provider_id: 'aws:///eu-central-1a/i-0123456789abcdef0' });
    expect(inventory.workers.map((node) => node.provider_id)).toEqual(['aws:///eu-central-1a/i-0fedcba9876543210', 'aws:///eu-central-1b/i-0fedcba9876543211']);
    expect(awsProviderId('us-east-1c', 'i-0abc12345')).toBe('aws:///us-east-1c/i-0abc12345');
  });

  it('reaches the topology nodes as providerId (kubelet --provider-id)', () => {
    const topology = topologyFromInventory(providerAdapter('aws').inventoryFromOutputs(outputs(ids), aws()));
    expect(topology.controlPlanes[0]!.providerId).toBe('aws:///eu-central-1a/i-0123456789abcdef0');
    expect(topology.workers[1]!.providerId).toBe('aws:///eu-central-1b/i-0fedcba9876543211');
  });

  it('other providers leave providerId unset (their CCMs find the machine themselves)', () => {
    const topology = topologyFromInventory(providerAdapter('exoscale').inventoryFromOutputs(outputs(), exoscale()));
    expect(topology.controlPlanes[0]!.providerId).toBeUndefined();
  });

  it('with the CCM on, a node without its instance is an error naming the output and node', () => {
    const partial = outputs((group, index) => (group === 'workers' && index === 1 ? {} : ids(group, index)));
    expect(() => providerAdapter('aws').inventoryFromOutputs(partial, aws())).toThrow(/workers\[1\] \("demo-worker-2"\).*instance_id and availability_zone/);
  });

  it('with the CCM off, nodes without instances are fine', () => {
    const inventory = providerAdapter('aws').inventoryFromOutputs(outputs(), aws({ cloudIntegration: { ccm: false, csi: true } }));
    expect(inventory.workers[0]!.provider_id).toBeUndefined();
  });

  it('refuses an instance id or zone that could not be one (they reach the kubeadm config)', () => {
    const bad = outputs((group, index) => ({ ...ids(group, index), instance_id: 'i-12; rm -rf /' }));
    expect(() => providerAdapter('aws').inventoryFromOutputs(bad, aws())).toThrow(/instance_id": must be an EC2 instance id/);
    const badZone = outputs((group, index) => ({ ...ids(group, index), availability_zone: 'EU Central' }));
    expect(() => providerAdapter('aws').inventoryFromOutputs(badZone, aws())).toThrow(/availability_zone": must be an availability zone name/);
  });
});

describe('credentials never reach the inventory (inventory.json is written from it)', () => {
  it.each([
    ['aws', aws()],
    ['exoscale', exoscale()],
    ['openstack', openstack()],
  ] as const)('%s: no credential output and no secret value in the inventory', (name, cluster) => {
    const withIds = outputs(() => ({ instance_id: 'i-0123456789abcdef0', availability_zone: 'eu-central-1a' }));
    const text = JSON.stringify(providerAdapter(name).inventoryFromOutputs(withIds, cluster));
    for (const secret of [EXO_KEY, EXO_SECRET, AC_ID, AC_SECRET]) expect(text).not.toContain(secret);
    for (const output of ['ccm_api', 'application_credential', 'auth_url']) expect(text).not.toContain(output);
  });
});
