/**
 * The OpenStack module (templates/terraform/openstack): the API load balancer's settings per
 * Octavia provider (OVN refuses allowed_cidrs, ROUND_ROBIN and HTTP(S) monitors), a listener that
 * no worker change can touch, DNS servers on the node subnet, and the cluster.yaml knobs reaching
 * terraform.tfvars.json.
 *
 * The openstack provider cannot be installed here, so the resources are read as text, and the
 * decisions (api-lb-settings.tf, pure locals) are evaluated by real Terraform in a root module that
 * stands in for the two values the real module reads from the cloud.
 */
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openstackAdapter } from '../../../../src/providers/openstack.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { nonAdditions, nonRemovals } from '../../../../src/workflows/workers/terraform-guard.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { MODULES, spec, tempDir } from '../../../helpers/terraform.js';

const OPENSTACK = join(MODULES, 'openstack');

async function openstackText(): Promise<string> {
  const dirs = [OPENSTACK, join(MODULES, 'shared')];
  const texts: string[] = [];
  for (const dir of dirs) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort()) texts.push(await readFile(join(dir, file), 'utf8'));
  }
  // Comments out, so a name mentioned in a comment does not count as a reference.
  return texts.join('\n').replace(/^\s*#.*$/gm, '');
}

/** The body of the block that starts with `header` (up to its matching brace), or undefined. */
function blockBody(text: string, header: string): string | undefined {
  const start = text.indexOf(`${header} {`);
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(text.indexOf('{', start) + 1, i);
  }
  return undefined;
}

/** Every `name = expression` of every locals block. */
function locals(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let at = 0;
  for (;;) {
    const index = text.indexOf('\nlocals {', at);
    if (index < 0) return found;
    const body = blockBody(text.slice(index + 1), 'locals') ?? '';
    at = index + body.length;
    let depth = 0;
    let current: string | undefined;
    for (const line of body.split('\n')) {
      const entry = /^\s*([a-z_][a-z0-9_]*)\s*=(.*)$/.exec(line);
      if (depth === 0 && entry) {
        current = entry[1]!;
        found.set(current, entry[2]!);
      } else if (current) found.set(current, `${found.get(current)}\n${line}`);
      depth += (line.match(/[[({]/g) ?? []).length - (line.match(/[\])}]/g) ?? []).length;
    }
  }
}

const REFERENCE = /\b(local\.[a-z0-9_]+|var\.[a-z0-9_]+|data\.[a-z0-9_]+\.[a-z0-9_]+|openstack_[a-z0-9_]+\.[a-z0-9_]+)/g;

/** Everything an expression depends on, following locals, resources and data sources. */
function dependencies(text: string, start: string): Set<string> {
  const named = locals(text);
  const seen = new Set<string>();
  const queue = [...start.matchAll(REFERENCE)].map((m) => m[1]!);
  while (queue.length > 0) {
    const ref = queue.shift()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    let body: string | undefined;
    if (ref.startsWith('local.')) body = named.get(ref.slice('local.'.length));
    else if (ref.startsWith('data.')) {
      const [, type, name] = ref.split('.');
      body = blockBody(text, `data "${type}" "${name}"`);
    } else if (ref.startsWith('openstack_')) {
      const [type, name] = ref.split('.');
      body = blockBody(text, `resource "${type}" "${name}"`);
    }
    if (body) queue.push(...[...body.matchAll(REFERENCE)].map((m) => m[1]!));
  }
  return seen;
}

const dependsOnWorkers = (refs: Set<string>) => [...refs].filter((ref) => ref === 'var.worker_count' || /^openstack_\w+\.worker$/.test(ref));

describe('the OpenStack API load balancer does not depend on the workers (B3)', () => {
  it('no argument of the listener, pool, members, monitor or load balancer reaches a worker resource or worker_count', async () => {
    const text = await openstackText();
    for (const [type, name] of [
      ['openstack_lb_listener_v2', 'api'],
      ['openstack_lb_pool_v2', 'api'],
      ['openstack_lb_member_v2', 'api'],
      ['openstack_lb_monitor_v2', 'api'],
      ['openstack_lb_loadbalancer_v2', 'api'],
    ]) {
      const body = blockBody(text, `resource "${type}" "${name}"`);
      expect(body, `${type}.${name}`).toBeDefined();
      expect(dependsOnWorkers(dependencies(text, body!)), `${type}.${name}`).toEqual([]);
    }
  });

  it('the dependency walk finds a worker reference when one is there (the check can fail)', () => {
    const text = [
      'locals {',
      '  cidrs = concat(var.admin_cidrs, [for fip in openstack_networking_floatingip_v2.worker : "${fip.address}/32"])',
      '}',
      'resource "openstack_lb_listener_v2" "api" {',
      '  allowed_cidrs = local.cidrs',
      '}',
    ].join('\n');
    const body = blockBody(`\n${text}`, 'resource "openstack_lb_listener_v2" "api"')!;
    expect(dependsOnWorkers(dependencies(`\n${text}`, body))).toEqual(['openstack_networking_floatingip_v2.worker']);
  });

  it('admits node floating IPs on OVN with one security-group rule per node, so a worker change only adds or removes worker rules', async () => {
    const text = await openstackText();
    const rule = blockBody(text, 'resource "openstack_networking_secgroup_rule_v2" "api_fip_worker"');
    expect(rule).toBeDefined();
    expect(rule).toMatch(/openstack_networking_floatingip_v2\.worker\[count\.index\]\.address/);
    // What add-workers and remove-workers accept of such a plan (src/workflows/workers/terraform-guard.ts).
    const rule2 = 'openstack_networking_secgroup_rule_v2.api_fip_worker[2]';
    expect(nonAdditions([{ address: rule2, action: 'create' }], 'openstack')).toEqual([]);
    expect(nonRemovals([{ address: rule2, action: 'delete' }], 'openstack', [2])).toEqual([]);
    expect(nonRemovals([{ address: rule2, action: 'delete' }], 'openstack', [1])).toHaveLength(1);
  });
});

describe('the OpenStack control planes are keyed by node number', () => {
  it('gives each control plane its port, server, floating IP, pool member and (OVN only) API rule under the key N of <cluster>-cp-N', async () => {
    const text = await openstackText();
    for (const [type, name] of [
      ['openstack_networking_port_v2', 'control_plane'],
      ['openstack_compute_instance_v2', 'control_plane'],
      ['openstack_networking_floatingip_v2', 'control_plane'],
      ['openstack_lb_member_v2', 'api'],
    ]) {
      const body = blockBody(text, `resource "${type}" "${name}"`)!;
      expect(body, `${type}.${name}`).toMatch(/^\s*for_each = local\.control_plane_keys$/m);
      expect(body, `${type}.${name}`).not.toMatch(/count/);
    }
    expect(blockBody(text, 'resource "openstack_lb_member_v2" "api"')).toMatch(/address\s+= openstack_networking_port_v2\.control_plane\[each\.key\]\.all_fixed_ips\[0\]/);
    expect(blockBody(text, 'resource "openstack_compute_instance_v2" "control_plane"')).toMatch(/port = openstack_networking_port_v2\.control_plane\[each\.key\]\.id/);
    const rule = blockBody(text, 'resource "openstack_networking_secgroup_rule_v2" "api_fip_control_plane"')!;
    expect(rule).toMatch(/for_each = local\.lb_may_be_ovn \? local\.control_plane_keys : toset\(\[\]\)/);
    expect(rule).toMatch(/openstack_networking_floatingip_v2\.control_plane\[each\.key\]\.address/);
    // Workers stay counted: remove-workers takes the highest indexes.
    expect(blockBody(text, 'resource "openstack_compute_instance_v2" "worker"')).toMatch(/count = var\.worker_count/);
  });
});

describe('the OpenStack module wires the load balancer to its settings (P3)', () => {
  it('the pool, monitor and listener take their values from api-lb-settings.tf, and that follows the provider Octavia reports', async () => {
    const text = await openstackText();
    expect(blockBody(text, 'resource "openstack_lb_pool_v2" "api"')).toMatch(/lb_method\s*=\s*local\.api_lb_method\b/);
    const monitor = blockBody(text, 'resource "openstack_lb_monitor_v2" "api"')!;
    expect(monitor).toMatch(/\btype\s*=\s*local\.api_monitor_type\b/);
    expect(monitor).toMatch(/local\.api_monitor_problem\s*==\s*null/);
    expect(blockBody(text, 'resource "openstack_lb_listener_v2" "api"')).toMatch(/allowed_cidrs\s*=\s*local\.api_listener_allowed_cidrs\b/);
    expect(blockBody(text, 'resource "openstack_lb_loadbalancer_v2" "api"')).toMatch(/loadbalancer_provider\s*=\s*var\.lb_provider\b/);
    // Octavia reports the provider it used (the cloud default when lb_provider is null).
    expect(locals(text).get('lb_provider_in_use')).toMatch(/openstack_lb_loadbalancer_v2\.api\.loadbalancer_provider/);
  });
});

describe('the OpenStack node subnet (B9)', () => {
  it('sets dns_nameservers from a variable whose default is not empty', async () => {
    const text = await openstackText();
    expect(blockBody(text, 'resource "openstack_networking_subnet_v2" "nodes"')).toMatch(/dns_nameservers\s*=\s*var\.dns_nameservers\b/);
    const variable = blockBody(text, 'variable "dns_nameservers"');
    expect(variable).toMatch(/default\s*=\s*\["[0-9.]+"/);
  });
});

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: the OpenStack load-balancer settings are not evaluated');

/**
 * A root module of api-lb-settings.tf and the module's variables, with stand-ins for what the
 * real module reads from the cloud: the provider Octavia reports and the external subnets' CIDRs.
 */
async function evaluateSettings(vars: Record<string, unknown>): Promise<Record<string, unknown>> {
  const dir = await tempDir('os-lb');
  await copyFile(join(OPENSTACK, 'api-lb-settings.tf'), join(dir, 'api-lb-settings.tf'));
  await copyFile(join(OPENSTACK, 'variables.tf'), join(dir, 'variables.tf'));
  await copyFile(join(MODULES, 'shared', 'common-variables.tf'), join(dir, 'common-variables.tf'));
  await writeFile(
    join(dir, 'stand-ins.tf'),
    [
      'variable "reported_provider" {',
      '  type = string',
      '}',
      'locals {',
      '  lb_provider_in_use     = var.reported_provider',
      '  external_network_cidrs = ["198.51.100.0/24"]',
      '}',
      ...['api_lb_method', 'api_monitor_type', 'api_monitor_problem', 'api_listener_allowed_cidrs', 'lb_is_ovn'].flatMap((name) => [`output "${name}" {`, `  value = local.${name}`, '}']),
      'output "dns_nameservers" {',
      '  value = var.dns_nameservers',
      '}',
    ].join('\n'),
  );
  const base = {
    cluster_name: 'demo',
    node_cidr: '10.240.0.0/16',
    admin_cidrs: ['203.0.113.0/24'],
    image_id: 'img',
    ssh_public_key: 'ssh-ed25519 AAAA',
    control_plane_type: 'm1.medium',
    worker_type: 'm1.large',
    region: 'RegionOne',
  };
  await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify({ ...base, ...vars }));
  const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  const init = await runTool('terraform', ['init', '-input=false', '-backend=false'], { cwd: dir, env, allowFailure: true });
  expect(init.exitCode, init.stderr).toBe(0);
  const apply = await runTool('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: dir, env, allowFailure: true });
  if (apply.exitCode !== 0) throw new Error(`terraform apply failed: ${apply.stderr || apply.stdout}`);
  const output = await runTool('terraform', ['output', '-json'], { cwd: dir, env });
  const parsed = JSON.parse(output.stdout) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([key, entry]) => [key, entry.value]));
}

describe.skipIf(noTerraform)('api-lb-settings.tf evaluated by Terraform', () => {
  it('on OVN: SOURCE_IP_PORT, a TCP monitor and no allowed_cidrs', async () => {
    const out = await evaluateSettings({ lb_provider: 'ovn', reported_provider: 'ovn' });
    expect(out).toMatchObject({ lb_is_ovn: true, api_lb_method: 'SOURCE_IP_PORT', api_monitor_type: 'TCP' });
    expect(out.api_listener_allowed_cidrs ?? null).toBeNull();
    expect(out.api_monitor_problem ?? null).toBeNull();
  }, 60_000);

  it('on OVN as the cloud default (lb_provider null, Octavia reports ovn): the same OVN settings', async () => {
    const out = await evaluateSettings({ reported_provider: 'ovn' });
    expect(out).toMatchObject({ lb_is_ovn: true, api_lb_method: 'SOURCE_IP_PORT', api_monitor_type: 'TCP' });
    expect(out.api_listener_allowed_cidrs ?? null).toBeNull();
  }, 60_000);

  it('on amphora: ROUND_ROBIN, the HTTPS /readyz monitor, and allowed_cidrs of admins, nodes and the external network', async () => {
    const out = await evaluateSettings({ reported_provider: 'amphora' });
    expect(out).toMatchObject({ lb_is_ovn: false, api_lb_method: 'ROUND_ROBIN', api_monitor_type: 'HTTPS' });
    expect(out.api_listener_allowed_cidrs).toEqual(['203.0.113.0/24', '10.240.0.0/16', '198.51.100.0/24']);
  }, 60_000);

  it('names the problem when an HTTPS monitor is asked for on OVN', async () => {
    const out = await evaluateSettings({ api_monitor_type: 'HTTPS', reported_provider: 'ovn' });
    expect(String(out.api_monitor_problem)).toMatch(/OVN.*TCP/);
  }, 60_000);

  it('gives the node subnet public resolvers by default', async () => {
    const out = await evaluateSettings({ reported_provider: 'amphora' });
    expect(out.dns_nameservers).toEqual(['1.1.1.1', '9.9.9.9']);
  }, 60_000);

  it('refuses a DNS server that is not an IPv4 address', async () => {
    await expect(evaluateSettings({ reported_provider: 'amphora', dns_nameservers: ['dns.example'] })).rejects.toThrow(/dns_nameservers/);
  }, 60_000);
});

describe('the OpenStack adapter writes the knobs of cluster.yaml to tfvars (W6)', () => {
  const extras = { sshPublicKey: 'ssh-ed25519 AAAA k', imageId: 'img-1' };

  it('writes lb_provider, api_monitor_type, server_group_policy and dns_nameservers when set', () => {
    const cluster = spec({
      name: 'openstack',
      lbProvider: 'ovn',
      apiMonitorType: 'TCP',
      serverGroupPolicy: 'anti-affinity',
      dnsNameservers: ['10.0.0.53'],
    });
    expect(openstackAdapter.tfvars(cluster, extras)).toMatchObject({
      lb_provider: 'ovn',
      api_monitor_type: 'TCP',
      server_group_policy: 'anti-affinity',
      dns_nameservers: ['10.0.0.53'],
    });
  });

  it('leaves them out when unset, so the module defaults (cloud default provider, auto monitor) apply', () => {
    const vars = JSON.parse(JSON.stringify(openstackAdapter.tfvars(spec({ name: 'openstack' }), extras))) as Record<string, unknown>;
    for (const key of ['lb_provider', 'api_monitor_type', 'server_group_policy', 'dns_nameservers', 'allow_all_between_nodes', 'nodeport_cidrs']) {
      expect(vars).not.toHaveProperty(key);
    }
  });

  it('writes the shared firewall knobs allow_all_between_nodes and nodeport_cidrs', () => {
    const cluster = spec({ name: 'openstack' }, { firewall: { allowAllBetweenNodes: false, nodePortCidrs: ['198.51.100.0/24'] } });
    expect(openstackAdapter.tfvars(cluster, extras)).toMatchObject({ allow_all_between_nodes: false, nodeport_cidrs: ['198.51.100.0/24'] });
  });
});

describe('the OpenStack CCM and Cinder CSI get an application credential of their own', () => {
  it('creates one restricted (unrestricted = false) application credential, only when ccm or csi is on, and outputs it as sensitive', async () => {
    const text = await openstackText();
    const credential = blockBody(text, 'resource "openstack_identity_application_credential_v3" "cloud_controllers"')!;
    expect(credential).toMatch(/count = local\.cloud_credentials \? 1 : 0/);
    // Keystone's URL is read whenever the CCM or CSI runs, also with a credential the user made.
    expect(blockBody(text, 'data "openstack_identity_auth_scope_v3" "current"')).toMatch(/count = local\.cloud_integration && var\.auth_url == null \? 1 : 0/);
    expect(credential).toMatch(/unrestricted = false/);
    expect(credential).toMatch(/roles\s+= var\.application_credential_roles/);
    expect(credential).not.toMatch(/\bsecret\s+=/);
    for (const [name, attribute] of [['application_credential_id', 'id'], ['application_credential_secret', 'secret']]) {
      expect(blockBody(text, `output "${name}"`)).toMatch(new RegExp(`value\\s+= one\\(openstack_identity_application_credential_v3\\.cloud_controllers\\[\\*\\]\\.${attribute}\\)\\s+sensitive = true`));
    }
    expect(blockBody(text, 'output "auth_url"')).toMatch(/local\.auth_url/);
  });
});

/** auth-url.tf with a stand-in for the service catalog the identity_auth_scope_v3 data source returns. */
async function evaluateAuthUrl(catalog: unknown[], vars: Record<string, unknown> = {}): Promise<unknown> {
  const dir = await tempDir('os-auth');
  await copyFile(join(OPENSTACK, 'auth-url.tf'), join(dir, 'auth-url.tf'));
  await copyFile(join(OPENSTACK, 'variables.tf'), join(dir, 'variables.tf'));
  await copyFile(join(MODULES, 'shared', 'common-variables.tf'), join(dir, 'common-variables.tf'));
  await writeFile(join(dir, 'stand-ins.tf'), ['variable "catalog" {', '  type = any', '}', 'locals {', '  service_catalog = var.catalog', '}', 'output "auth_url" {', '  value = local.auth_url', '}'].join('\n'));
  const base = { cluster_name: 'demo', node_cidr: '10.240.0.0/16', admin_cidrs: ['203.0.113.0/24'], image_id: 'img', ssh_public_key: 'ssh-ed25519 AAAA', control_plane_type: 'm1.medium', worker_type: 'm1.large', region: 'RegionTwo' };
  await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify({ ...base, catalog, ...vars }));
  const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  const apply = await runTool('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: dir, env, allowFailure: true });
  if (apply.exitCode !== 0) throw new Error(`terraform apply failed: ${apply.stderr || apply.stdout}`);
  const output = await runTool('terraform', ['output', '-json', 'auth_url'], { cwd: dir, env });
  return JSON.parse(output.stdout) as unknown;
}

describe.skipIf(noTerraform)('auth-url.tf evaluated by Terraform', () => {
  const endpoint = (iface: string, region: string, url: string) => ({ id: `${iface}-${region}`, interface: iface, region, region_id: region, url });
  const catalog = [
    { id: 'n', name: 'nova', type: 'compute', endpoints: [endpoint('public', 'RegionTwo', 'https://nova.example/v2.1')] },
    { id: 'k', name: 'keystone', type: 'identity', endpoints: [endpoint('internal', 'RegionTwo', 'http://10.0.0.5:5000'), endpoint('public', 'RegionOne', 'https://keystone-one.example:5000/v3'), endpoint('public', 'RegionTwo', 'https://keystone-two.example:5000/v3')] },
  ];

  it('takes the public identity endpoint of the cluster\'s region', async () => {
    expect(await evaluateAuthUrl(catalog)).toBe('https://keystone-two.example:5000/v3');
  });

  it('falls back to any public identity endpoint when Keystone has none in that region, and never an internal one', async () => {
    const elsewhere = [{ ...catalog[1], endpoints: [endpoint('internal', 'RegionTwo', 'http://10.0.0.5:5000'), endpoint('public', 'RegionOne', 'https://keystone-one.example:5000/v3')] }];
    expect(await evaluateAuthUrl(elsewhere)).toBe('https://keystone-one.example:5000/v3');
  });

  it('uses var.auth_url when set', async () => {
    expect(await evaluateAuthUrl(catalog, { auth_url: 'https://keystone.internal.example/v3' })).toBe('https://keystone.internal.example/v3');
  });
});

/** The locals of application-credential.tf (no provider needed) with these variables, applied by Terraform. */
async function evaluateCredentialLocals(vars: Record<string, unknown>): Promise<{ integration: boolean; credentials: boolean }> {
  const dir = await tempDir('os-credential-locals');
  const text = await readFile(join(OPENSTACK, 'application-credential.tf'), 'utf8');
  const start = text.indexOf('\nlocals {');
  await writeFile(join(dir, 'locals.tf'), `${text.slice(start, text.indexOf('\n}\n', start) + 3)}\noutput "on" {\n  value = { integration = local.cloud_integration, credentials = local.cloud_credentials }\n}\n`);
  await copyFile(join(MODULES, 'shared', 'common-variables.tf'), join(dir, 'common-variables.tf'));
  const base = { cluster_name: 'demo', node_cidr: '10.240.0.0/16', admin_cidrs: ['203.0.113.0/24'], image_id: 'img', ssh_public_key: 'ssh-ed25519 AAAA', control_plane_type: 'm1.medium', worker_type: 'm1.large' };
  await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify({ ...base, ...vars }));
  const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  const apply = await runTool('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: dir, env, allowFailure: true });
  if (apply.exitCode !== 0) throw new Error(`terraform apply failed: ${apply.stderr || apply.stdout}`);
  return JSON.parse((await runTool('terraform', ['output', '-json', 'on'], { cwd: dir, env })).stdout) as { integration: boolean; credentials: boolean };
}

describe.skipIf(noTerraform)('the application credential with cloudIntegration.credentials, evaluated by Terraform', () => {
  it('terraform (the default): created while the CCM or CSI runs', async () => {
    expect(await evaluateCredentialLocals({})).toEqual({ integration: true, credentials: true });
    expect(await evaluateCredentialLocals({ cloud_ccm: false })).toEqual({ integration: true, credentials: true });
  });

  it('environment (cloud_credentials_from_terraform = false): none created, Keystone\'s URL still read', async () => {
    expect(await evaluateCredentialLocals({ cloud_credentials_from_terraform: false })).toEqual({ integration: true, credentials: false });
    expect(openstackAdapter.tfvars(spec({ name: 'openstack' }, { cloudIntegration: { credentials: 'environment' } }), { sshPublicKey: 'ssh-ed25519 AAAA k', imageId: 'img-1' })).toMatchObject({ cloud_credentials_from_terraform: false });
  });

  it('both parts off: neither', async () => {
    expect(await evaluateCredentialLocals({ cloud_ccm: false, cloud_csi: false })).toEqual({ integration: false, credentials: false });
  });
});
