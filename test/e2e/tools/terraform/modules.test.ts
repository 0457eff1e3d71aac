/**
 * Every module: fmt-clean HCL, the contract's outputs, the shared files kept once, and no
 * resource that Exoscale 0.54 or OpenStack 3.0 removed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVENTORY_OUTPUTS } from '../../../../src/providers/inventory.js';
import { CLOUD_CREDENTIAL_OUTPUTS } from '../../../../src/providers/cloud-credentials.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { MODULES } from '../../../helpers/terraform.js';

const PROVIDERS = ['aws', 'exoscale', 'openstack'] as const;

async function moduleText(provider: string): Promise<string> {
  const files = (await readdir(join(MODULES, provider))).filter((f) => f.endsWith('.tf')).sort();
  const texts = await Promise.all(files.map((f) => readFile(join(MODULES, provider, f), 'utf8')));
  // Comments out, so a removed name mentioned in a comment does not count.
  return texts.join('\n').replace(/^\s*#.*$/gm, '');
}

function blocks(text: string, kind: 'resource' | 'data' | 'output' | 'variable'): string[] {
  const pattern = kind === 'output' || kind === 'variable' ? new RegExp(`^${kind}\\s+"([^"]+)"`, 'gm') : new RegExp(`^${kind}\\s+"([^"]+)"\\s+"[^"]+"`, 'gm');
  return [...text.matchAll(pattern)].map((m) => m[1]!);
}

const REMOVED: Record<string, { resource: string[]; data: string[] }> = {
  exoscale: {
    resource: ['exoscale_compute', 'exoscale_network', 'exoscale_nic', 'exoscale_affinity', 'exoscale_ipaddress', 'exoscale_secondary_ipaddress', 'exoscale_security_group_rules', 'exoscale_ssh_keypair'],
    data: ['exoscale_compute_template'],
  },
  openstack: {
    resource: ['openstack_compute_secgroup_v2', 'openstack_compute_floatingip_v2', 'openstack_compute_floatingip_associate_v2'],
    data: [],
  },
};
// Families 3.0 removed wholesale: LBaaS v1, FWaaS v1, block storage v1/v2.
const REMOVED_OPENSTACK_PATTERN = /^openstack_(lb_\w+_v1|fw_\w+_v1|blockstorage_\w+_v[12])$/;

describe.each(PROVIDERS)('module %s', (provider) => {
  it('declares every output of the inventory contract, and the credentials its CCM and CSI get (sensitive)', async () => {
    const text = await moduleText(provider);
    const credentials: string[] = provider === 'aws' ? [] : Object.values(CLOUD_CREDENTIAL_OUTPUTS[provider]);
    // OpenStack also says where LoadBalancer Services go (cloud.conf [LoadBalancer]; not secret).
    const loadBalancer = provider === 'openstack' ? ['floating_network_id', 'subnet_id'] : [];
    expect(blocks(text, 'output').sort()).toEqual([...INVENTORY_OUTPUTS, ...credentials, ...loadBalancer].sort());
    // The URL is not a secret; the key, secret and application credential are.
    for (const name of credentials.filter((output) => output !== 'auth_url')) {
      expect(text.slice(text.indexOf(`output "${name}"`)).split('\n}')[0], name).toMatch(/sensitive\s+= true/);
    }
  });

  it('uses only current resource names', async () => {
    const text = await moduleText(provider);
    const resources = blocks(text, 'resource');
    const data = blocks(text, 'data');
    expect(resources.length).toBeGreaterThan(5);
    for (const name of [...resources, ...data]) expect(name.startsWith(`${provider}_`)).toBe(true);
    const removed = REMOVED[provider];
    if (removed) {
      expect(resources.filter((r) => removed.resource.includes(r))).toEqual([]);
      expect(data.filter((d) => removed.data.includes(d))).toEqual([]);
    }
    if (provider === 'openstack') expect([...resources, ...data].filter((r) => REMOVED_OPENSTACK_PATTERN.test(r))).toEqual([]);
  });

  it('gets the shared files from templates/terraform/shared, not a copy of its own', async () => {
    const own = await readdir(join(MODULES, provider));
    for (const file of await readdir(join(MODULES, 'shared'))) expect(own).not.toContain(file);
    expect(await readdir(join(MODULES, 'shared'))).toEqual(expect.arrayContaining(['ports.tf', 'common-variables.tf']));
  });

  it('pins a provider range that admits the versions users have', async () => {
    const versions = await readFile(join(MODULES, provider, 'versions.tf'), 'utf8');
    const expected = { aws: '">= 5.100, < 7.0"', exoscale: '"~> 0.70"', openstack: '">= 3.0, < 4.0"' }[provider];
    expect(versions).toContain(`version = ${expected}`);
  });
});

describe('the removed-name check itself', () => {
  it('finds a removed resource when one is present', () => {
    const text = 'resource "exoscale_compute" "old" {\n}\nresource "openstack_lb_pool_v1" "p" {\n}\n';
    expect(blocks(text, 'resource')).toEqual(['exoscale_compute', 'openstack_lb_pool_v1']);
    expect(REMOVED_OPENSTACK_PATTERN.test('openstack_lb_pool_v1')).toBe(true);
    expect(REMOVED_OPENSTACK_PATTERN.test('openstack_lb_pool_v2')).toBe(false);
  });
});

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: fmt/parse checks of the modules skipped');

describe.skipIf(noTerraform)('terraform fmt', () => {
  it('finds every module fmt-clean (fmt also fails on HCL that does not parse)', async () => {
    const result = await runTool('terraform', ['fmt', '-check', '-recursive', '-diff', MODULES], { allowFailure: true });
    expect(result.stdout).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('fails on invalid HCL, so the check can fail', async () => {
    const result = await runTool('terraform', ['fmt', '-check', '-'], { allowFailure: true, input: 'resource "x" "y" {\n  a = \n' });
    expect(result.exitCode).not.toBe(0);
  });
});
