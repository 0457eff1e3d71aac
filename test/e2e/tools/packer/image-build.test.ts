/**
 * The temporary Terraform step before `packer build` on Exoscale and OpenStack (review finding
 * B4, and W7's networks/security groups): the modules under templates/terraform/*-image-build,
 * the variables the flow writes for them, and how their outputs become Packer variables.
 * Neither provider can be installed here, so the modules are checked with `terraform fmt` and by
 * reading them; the Packer side is in templates.test.ts (variables declared, openstack validated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExternalToolError, ValidationError } from '../../../../src/errors.js';
import { buildPlaceFromOutputs, IMAGE_BUILD_OUTPUTS, imageBuildModuleDir, prepareImageBuildDir } from '../../../../src/providers/image-build.js';
import { clusterSpecSchema, type ClusterSpec, type ClusterSpecInput } from '../../../../src/config/schema.js';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const MODULE_PROVIDERS = ['exoscale', 'openstack'] as const;
const NETWORK = '6a2b1c0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';

function spec(provider: ClusterSpecInput['provider']): ClusterSpec {
  return clusterSpecSchema.parse({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider, ssh: { adminCidrs: ['203.0.113.0/24', '198.51.100.7/32'] } });
}

const moduleText = (provider: 'exoscale' | 'openstack') => readFile(join(imageBuildModuleDir(spec({ name: provider }))!, 'main.tf'), 'utf8');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sb-imgbuild-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('image-build modules', () => {
  it('exist for exoscale and openstack only: amazon-ebs makes its own temporary group', () => {
    expect(imageBuildModuleDir(spec({ name: 'aws' }))).toBeUndefined();
    for (const provider of MODULE_PROVIDERS) expect(imageBuildModuleDir(spec({ name: provider }))).toMatch(new RegExp(`templates/terraform/${provider}-image-build$`));
  });

  it.each(MODULE_PROVIDERS)('%s outputs exactly what the flow reads', async (provider) => {
    const outputs = [...(await moduleText(provider)).matchAll(/^output "([a-z_]+)"/gm)].map((m) => m[1]);
    expect(outputs.sort()).toEqual([...IMAGE_BUILD_OUTPUTS].sort());
  });

  it.each(MODULE_PROVIDERS)('%s admits SSH (22/tcp) from each admin CIDR, and nothing else', async (provider) => {
    const hcl = await moduleText(provider);
    const rules = [...hcl.matchAll(/^resource "(exoscale_security_group_rule|openstack_networking_secgroup_rule_v2)" "([a-z_]+)" \{([\s\S]*?)\n\}/gm)];
    expect(rules.map((m) => m[2])).toEqual(['ssh']);
    const body = rules[0]![3]!;
    expect(body).toMatch(/for_each = toset\(var\.admin_cidrs\)/);
    expect(body).toMatch(provider === 'exoscale' ? /start_port\s+= 22\n\s+end_port\s+= 22/ : /port_range_min\s+= 22\n\s+port_range_max\s+= 22/);
    expect(body).toMatch(/(cidr|remote_ip_prefix)\s+= each\.value/);
  });

  it.each(MODULE_PROVIDERS)('%s: the tfvars the flow writes are declared, and every variable without default is written', async (provider) => {
    for (const providerSpec of [{ name: provider }, ...(provider === 'openstack' ? [{ name: provider, imageBuild: { networks: [NETWORK] }, dnsNameservers: ['10.0.0.2'] }] : [])]) {
      const written = await prepareImageBuildDir(dir, spec(providerSpec as ClusterSpecInput['provider']));
      expect(written?.dir).toBe(join(dir, 'image-build'));
      const hcl = await moduleText(provider);
      const declared = new Map([...hcl.matchAll(/^variable "([a-z_]+)" \{([\s\S]*?)\n\}/gm)].map((m) => [m[1]!, /\bdefault\s+=/.test(m[2]!)]));
      const tfvars = JSON.parse(await readFile(join(dir, 'image-build', 'terraform.tfvars.json'), 'utf8')) as Record<string, unknown>;
      for (const name of Object.keys(tfvars)) expect(declared.has(name), `${name} declared`).toBe(true);
      for (const [name, hasDefault] of declared) if (!hasDefault) expect(Object.keys(tfvars), `${name} written`).toContain(name);
      expect(tfvars.admin_cidrs).toEqual(['203.0.113.0/24', '198.51.100.7/32']);
      if (provider === 'openstack') expect(tfvars.create_network).toBe(!('imageBuild' in providerSpec));
      expect(JSON.stringify(tfvars)).not.toMatch(/key|secret|password|token/i);
    }
  });

  it('aws writes no image-build folder', async () => {
    expect(await prepareImageBuildDir(dir, spec({ name: 'aws' }))).toBeUndefined();
  });

  const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: terraform fmt of the image-build modules skipped');
  it.skipIf(noTerraform)('both modules are terraform fmt clean', () => {
    for (const provider of MODULE_PROVIDERS) {
      const result = spawnSync('terraform', ['fmt', '-check', '-diff', imageBuildModuleDir(spec({ name: provider }))!], { encoding: 'utf8' });
      expect({ provider, status: result.status, diff: result.stdout }).toEqual({ provider, status: 0, diff: '' });
    }
  });
});

describe('buildPlaceFromOutputs', () => {
  const outputs = (groups: unknown, networks: unknown) => ({ security_group_names: { value: groups }, network_ids: { value: networks } });

  it('exoscale: the module\'s group, no network', () => {
    expect(buildPlaceFromOutputs(spec({ name: 'exoscale' }), outputs(['demo-image-build'], []))).toEqual({ securityGroups: ['demo-image-build'], networks: [] });
  });

  it('openstack: the module\'s network, or the spec\'s; the spec\'s groups on top of the SSH one', () => {
    expect(buildPlaceFromOutputs(spec({ name: 'openstack' }), outputs(['demo-image-build'], ['net-made']))).toEqual({ securityGroups: ['demo-image-build'], networks: ['net-made'] });
    const named = spec({ name: 'openstack', imageBuild: { networks: [NETWORK], securityGroups: ['egress-proxy'] } });
    expect(buildPlaceFromOutputs(named, outputs(['demo-image-build'], []))).toEqual({ securityGroups: ['demo-image-build', 'egress-proxy'], networks: [NETWORK] });
  });

  it('refuses outputs of the wrong shape', () => {
    expect(() => buildPlaceFromOutputs(spec({ name: 'exoscale' }), outputs('demo', []))).toThrow(ExternalToolError);
    expect(() => buildPlaceFromOutputs(spec({ name: 'exoscale' }), { network_ids: { value: [] } })).toThrow(/security_group_names/);
  });
});

describe('provider.imageBuild in cluster.yaml', () => {
  const doc = (provider: Record<string, unknown>) => ({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider, ssh: { adminCidrs: ['203.0.113.0/24'] } });
  const issues = (provider: Record<string, unknown>) => {
    try {
      validateSpec(doc(provider));
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).exitCode).toBe(2);
      return (error as ValidationError).issues;
    }
  };

  it('accepts a subnet (with or without its VPC) on aws and networks and groups on openstack', () => {
    expect(issues({ name: 'aws', imageBuild: { subnetId: 'subnet-0123456789abcdef0' } })).toEqual([]);
    expect(issues({ name: 'aws', imageBuild: { subnetId: 'subnet-01234567', vpcId: 'vpc-0123456789abcdef0' } })).toEqual([]);
    expect(issues({ name: 'openstack', imageBuild: { networks: [NETWORK], securityGroups: ['egress proxy'] } })).toEqual([]);
  });

  it('names the field, the value and the fix', () => {
    expect(issues({ name: 'aws', imageBuild: { vpcId: 'vpc-0123456789abcdef0' } })).toEqual([
      expect.objectContaining({ path: 'provider.imageBuild.vpcId', value: 'vpc-0123456789abcdef0', fix: expect.stringMatching(/subnetId/) }),
    ]);
    expect(issues({ name: 'aws', imageBuild: { subnetId: 'subnet-x; rm -rf /' } })).toEqual([
      expect.objectContaining({ path: 'provider.imageBuild.subnetId', value: 'subnet-x; rm -rf /', fix: expect.stringMatching(/subnet-0123456789abcdef0/) }),
    ]);
    expect(issues({ name: 'openstack', imageBuild: { networks: ['public'] } })).toEqual([
      expect.objectContaining({ path: 'provider.imageBuild.networks[0]', value: 'public', message: expect.stringMatching(/UUID/) }),
    ]);
    expect(issues({ name: 'exoscale', imageBuild: {} }).map((issue) => issue.path)).toEqual(['provider.imageBuild']);
  });
});
