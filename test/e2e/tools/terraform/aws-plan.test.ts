/**
 * The real AWS module with the real provider (local plugin dir), offline: init, validate, and a
 * plan for 3 control planes + 5 workers made with tfvars rendered by the AWS adapter. The same plan
 * shows the cloud integration's credentials: instance profiles with the CCM and EBS CSI policies,
 * the cluster tags the CCM looks for, and no static key anywhere.
 */
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsAdapter } from '../../../../src/providers/aws.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { awsPluginDir, MODULES, REPO, spec, tempDir } from '../../../helpers/terraform.js';

const pluginDir = awsPluginDir();
const skip =
  missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: AWS module plan skipped') ??
  missingRequirement(pluginDir !== undefined, 'no AWS provider in K8SB_TF_PLUGIN_DIR or /opt/tf-plugins: AWS module plan skipped');

interface PlannedResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
}

const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0' };

/** What a plan would put anywhere reachable from the cluster: every planned value and output. */
const plannedJson = new Map<string, string>();

async function tf(dir: string, ...args: string[]) {
  return runTool('terraform', [`-chdir=${dir}`, ...args], { env, allowFailure: true });
}

interface PlanShape {
  clusterName?: string;
  controlPlanes?: number;
  workers?: number;
}

async function planResources(dir: string, adminCidrs: string[], name: string, shape: PlanShape = {}): Promise<PlannedResource[]> {
  const cluster = spec({ name: 'aws', region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] }, {
    name: shape.clusterName ?? 'demo',
    ssh: { adminCidrs },
    controlPlane: { count: shape.controlPlanes ?? 3 },
    workers: { count: shape.workers ?? 5 },
  });
  const vars = awsAdapter.tfvars(cluster, { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfflineTestKeyOnlyForPlanning000000000000 test', imageId: 'ami-0123456789abcdef0' });
  await writeFile(join(dir, `${name}.tfvars.json`), JSON.stringify(vars));
  const plan = await tf(dir, 'plan', '-input=false', '-no-color', '-lock=false', `-var-file=${name}.tfvars.json`, `-out=${name}.tfplan`);
  expect(plan.exitCode, plan.stderr).toBe(0);
  const show = await runTool('terraform', [`-chdir=${dir}`, 'show', '-json', `${name}.tfplan`], { env });
  const json = JSON.parse(show.stdout) as { planned_values: { outputs?: unknown; root_module: { resources: PlannedResource[] } }; resource_changes?: unknown };
  plannedJson.set(name, JSON.stringify({ planned: json.planned_values, changes: json.resource_changes }));
  return json.planned_values.root_module.resources;
}

const count = (resources: PlannedResource[], type: string) => resources.filter((r) => r.type === type).length;

function openToWorld(resources: PlannedResource[], port: number): PlannedResource[] {
  return resources.filter(
    (r) =>
      r.type === 'aws_vpc_security_group_ingress_rule' &&
      r.values.cidr_ipv4 === '0.0.0.0/0' &&
      (r.values.ip_protocol === '-1' || (Number(r.values.from_port) <= port && port <= Number(r.values.to_port))),
  );
}

describe.skipIf(skip)('AWS module, offline', () => {
  let dir = '';
  let restricted: PlannedResource[] = [];

  beforeAll(async () => {
    dir = await tempDir('aws');
    for (const module of ['shared', 'aws']) {
      for (const file of await readdir(join(MODULES, module))) await copyFile(join(MODULES, module, file), join(dir, file));
    }
    // Terraform merges *_override.tf files: fake credentials and skip_* flags, test only.
    await copyFile(join(REPO, 'test', 'fixtures', 'terraform', 'aws-offline-override.tf'), join(dir, 'offline_override.tf'));
    const init = await tf(dir, 'init', '-input=false', '-no-color', '-backend=false', `-plugin-dir=${pluginDir}`);
    expect(init.exitCode, init.stderr).toBe(0);
    restricted = await planResources(dir, ['203.0.113.0/24'], 'restricted');
  });

  it('validates', async () => {
    const result = await tf(dir, 'validate', '-no-color');
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('plans 3 control planes, 5 workers and one NLB with 3 targets', () => {
    // Keyed by node number (control-plane-numbers.tf): cp-N is control_plane["N"].
    expect(restricted.filter((r) => r.type === 'aws_instance' && r.address.startsWith('aws_instance.control_plane')).map((r) => [r.address, (r.values.tags as Record<string, string>).Name])).toEqual([
      ['aws_instance.control_plane["1"]', 'demo-cp-1'],
      ['aws_instance.control_plane["2"]', 'demo-cp-2'],
      ['aws_instance.control_plane["3"]', 'demo-cp-3'],
    ]);
    expect(restricted.filter((r) => r.type === 'aws_instance' && r.address.startsWith('aws_instance.worker'))).toHaveLength(5);
    expect(count(restricted, 'aws_lb')).toBe(1);
    expect(count(restricted, 'aws_lb_listener')).toBe(1);
    expect(count(restricted, 'aws_lb_target_group_attachment')).toBe(3);
    expect(count(restricted, 'aws_subnet')).toBe(3);
    const group = restricted.find((r) => r.type === 'aws_lb_target_group')!;
    expect(String(group.values.preserve_client_ip)).toBe('false');
    expect((group.values.health_check as Array<Record<string, unknown>>)[0]).toMatchObject({ protocol: 'HTTPS', path: '/readyz' });
  });

  it('plans the security-group rules as designed', () => {
    const ingress = restricted.filter((r) => r.type === 'aws_vpc_security_group_ingress_rule');
    const byName = (prefix: string) => ingress.filter((r) => r.address.startsWith(`aws_vpc_security_group_ingress_rule.${prefix}`));
    expect(byName('ssh')).toHaveLength(1);
    expect(byName('ssh')[0]!.values).toMatchObject({ from_port: 22, to_port: 22, cidr_ipv4: '203.0.113.0/24' });
    expect(byName('api_admin')).toHaveLength(1);
    expect(byName('lb_admin')).toHaveLength(1);
    // all + calico's BGP, VXLAN, IPIP, Typha
    expect(byName('between_nodes').map((r) => r.values.ip_protocol).sort()).toEqual(['-1', '4', 'tcp', 'tcp', 'udp']);
    expect(byName('nodeports')[0]!.values).toMatchObject({ from_port: 30000, to_port: 32767, cidr_ipv4: '203.0.113.0/24' });
    expect(byName('lb_control_plane')).toHaveLength(3);
    expect(byName('lb_worker')).toHaveLength(5);
    expect(count(restricted, 'aws_vpc_security_group_egress_rule')).toBe(2);
  });

  it('opens neither 22 nor 6443 to 0.0.0.0/0 when the admin CIDRs are restricted', () => {
    expect(openToWorld(restricted, 22)).toEqual([]);
    expect(openToWorld(restricted, 6443)).toEqual([]);
  });

  it('does open them when the spec says admin 0.0.0.0/0 (so the check can fail)', async () => {
    const open = await planResources(dir, ['0.0.0.0/0'], 'open');
    expect(openToWorld(open, 22).length).toBeGreaterThan(0);
    expect(openToWorld(open, 6443).length).toBeGreaterThan(0);
  });

  it('encrypts every root volume', () => {
    const instances = restricted.filter((r) => r.type === 'aws_instance');
    expect(instances).toHaveLength(8);
    for (const instance of instances) {
      const [root] = instance.values.root_block_device as Array<Record<string, unknown>>;
      expect({ address: instance.address, encrypted: root?.encrypted }).toEqual({ address: instance.address, encrypted: true });
    }
  });

  describe('cloud integration: instance profiles, cluster tags, no static credential', () => {
    const byAddress = (address: string) => restricted.find((r) => r.address === address)!;
    const CLUSTER_TAG = 'kubernetes.io/cluster/demo';

    it('plans a role and an instance profile for control planes and for workers, with the CCM, node and EBS CSI policies', () => {
      expect(restricted.filter((r) => r.type === 'aws_iam_role').map((r) => r.values.name).sort()).toEqual([expect.stringMatching(/^demo-[0-9a-f]{8}-control-plane$/), expect.stringMatching(/^demo-[0-9a-f]{8}-worker$/)]);
      const profiles = restricted.filter((r) => r.type === 'aws_iam_instance_profile');
      expect(profiles.map((r) => r.address).sort()).toEqual(['aws_iam_instance_profile.control_plane', 'aws_iam_instance_profile.worker']);
      const assume = JSON.parse(byAddress('aws_iam_role.control_plane').values.assume_role_policy as string) as { Statement: Array<{ Principal: unknown; Action: unknown }> };
      expect(assume.Statement[0]).toMatchObject({ Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });
      // kubernetes/cloud-provider-aws docs/prerequisites.md: the control-plane policy on the control planes only.
      const ccm = JSON.parse(byAddress('aws_iam_role_policy.ccm_control_plane[0]').values.policy as string) as { Statement: Array<{ Action: string[] }> };
      expect(ccm.Statement[0]!.Action).toEqual(expect.arrayContaining(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup', 'ec2:DescribeInstances', 'ec2:AuthorizeSecurityGroupIngress', 'elasticloadbalancing:SetSecurityGroups']));
      // All 57 distinct actions of the doc's list (which names elasticloadbalancing:AddTags twice).
      expect(new Set(ccm.Statement[0]!.Action).size).toBe(57);
      expect(restricted.filter((r) => r.type === 'aws_iam_role_policy').map((r) => r.address).sort()).toEqual(['aws_iam_role_policy.ccm_control_plane[0]', 'aws_iam_role_policy.node["control_plane"]', 'aws_iam_role_policy.node["worker"]']);
      const node = JSON.parse(byAddress('aws_iam_role_policy.node["worker"]').values.policy as string) as { Statement: Array<{ Action: string[] }> };
      expect(node.Statement[0]!.Action).toEqual(expect.arrayContaining(['ec2:DescribeInstances', 'ecr:GetAuthorizationToken']));
      expect(node.Statement[0]!.Action.some((action) => /^(elasticloadbalancing|iam):/.test(action))).toBe(false);
      const attachments = restricted.filter((r) => r.type === 'aws_iam_role_policy_attachment');
      expect(attachments.map((r) => r.values.policy_arn)).toEqual([
        'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2',
        'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2',
      ]);
    });

    it('gives every instance its role\'s profile, IMDSv2 with hop limit 2 (EBS CSI from a pod) and the cluster tag', () => {
      const profileName = (role: string) => byAddress(`aws_iam_instance_profile.${role}`).values.name;
      for (const instance of restricted.filter((r) => r.type === 'aws_instance')) {
        const role = instance.address.startsWith('aws_instance.control_plane') ? 'control_plane' : 'worker';
        expect({ address: instance.address, profile: instance.values.iam_instance_profile }).toEqual({ address: instance.address, profile: profileName(role) });
        expect((instance.values.metadata_options as Array<Record<string, unknown>>)[0]).toMatchObject({ http_tokens: 'required', http_put_response_hop_limit: 2 });
        expect((instance.values.tags as Record<string, string>)[CLUSTER_TAG]).toBe('owned');
      }
    });

    it('tags the VPC, the public subnets (with role/elb) and exactly one security group per instance', () => {
      expect((byAddress('aws_vpc.cluster').values.tags as Record<string, string>)[CLUSTER_TAG]).toBe('owned');
      for (const subnet of restricted.filter((r) => r.type === 'aws_subnet')) {
        expect(subnet.values.tags).toMatchObject({ [CLUSTER_TAG]: 'owned', 'kubernetes.io/role/elb': '1' });
      }
      // The CCM refuses an instance with several tagged groups (pkg/providers/v1/aws.go findSecurityGroupForInstance).
      const tagged = restricted.filter((r) => r.type === 'aws_security_group' && (r.values.tags as Record<string, string> | null)?.[CLUSTER_TAG] === 'owned');
      expect(tagged.map((r) => r.address)).toEqual(['aws_security_group.nodes']);
    });

    it('creates no access key and puts no static credential in user data, outputs or any planned value', () => {
      expect(restricted.filter((r) => r.type === 'aws_iam_access_key' || r.type === 'aws_iam_user')).toEqual([]);
      for (const instance of restricted.filter((r) => r.type === 'aws_instance')) expect(instance.values.user_data ?? null).toBeNull();
      const planned = plannedJson.get('restricted')!;
      // The fake keys of aws-offline-override.tf are what Terraform itself uses: they must not leak into the plan.
      expect(planned).not.toContain('AKIAOFFLINETESTKEY00');
      expect(planned).not.toContain('offline-test-secret-not-real');
      expect(planned).not.toMatch(/AKIA[0-9A-Z]{16}|aws_secret_access_key|secret_access_key/i);
    });
  });

  describe('load balancer and target group names', () => {
    const base32 = 'abcdefghijklmnopqrstuvwxyz01234-';
    const names = {
      one: 'a',
      thirtyOne: 'abcdefghijklmnopqrstuvwxyz01234',
      thirtyTwo: 'abcdefghijklmnopqrstuvwxyz012345',
      // Two of 63 characters that share their first 32 (whose last is a hyphen).
      longOne: `${base32}${'b'.repeat(30)}c`,
      longTwo: `${base32}${'b'.repeat(30)}d`,
      // A hyphen as 19th character (where the name is cut) and the prefix AWS reserves.
      awkward: 'internal-toolsabcd-xyz',
    };
    const lbNames = new Map<string, { lb: string; group: string }>();

    beforeAll(async () => {
      // Two plans at a time: each is mostly the provider starting up.
      const entries = Object.entries(names);
      for (let i = 0; i < entries.length; i += 2) {
        await Promise.all(
          entries.slice(i, i + 2).map(async ([key, clusterName]) => {
            const resources = await planResources(dir, ['203.0.113.0/24'], `name-${key}`, { clusterName, controlPlanes: 1, workers: 0 });
            const lb = resources.find((r) => r.type === 'aws_lb')!.values.name as string;
            const group = resources.find((r) => r.type === 'aws_lb_target_group')!.values.name as string;
            lbNames.set(clusterName, { lb, group });
          }),
        );
      }
    }, 600_000);

    it('plan for cluster names of 1, 31, 32 and 63 characters (and a hyphen at the cut, and "internal-")', () => {
      expect(Object.values(names).map((n) => n.length)).toEqual([1, 31, 32, 63, 63, 22]);
      for (const clusterName of Object.values(names)) {
        const planned = lbNames.get(clusterName)!;
        for (const name of [planned.lb, planned.group]) {
          // The provider's own checks ran at plan time; these restate them for the record.
          expect(name.length, name).toBeLessThanOrEqual(32);
          expect(name, clusterName).toMatch(/^[0-9A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?$/);
          expect(name).not.toMatch(/^internal-/);
        }
      }
    });

    it('differ for two long names that share their first 32 characters', () => {
      const one = lbNames.get(names.longOne)!;
      const two = lbNames.get(names.longTwo)!;
      expect(one.lb).not.toBe(two.lb);
      expect(one.group).not.toBe(two.group);
    });
  });
});
