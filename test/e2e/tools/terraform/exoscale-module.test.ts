/**
 * The Exoscale module without the Exoscale provider (it cannot be installed here): the HCL's
 * shape, the address plan and the cloud-init template evaluated by the real terraform (both use
 * only built-in functions), cloud-init's own schema check of what the nodes get, shellcheck and
 * runs of the node scripts against stand-ins, and the adapter's tfvars and inventory check.
 * Infra review findings B1, B2, P4, W1, W2, B6, B7, W8, W9.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ValidationError } from '../../../../src/errors.js';
import { providerAdapter } from '../../../../src/providers/index.js';
import { cidrContains, parseCidr, parseIpv4, type Cidr } from '../../../../src/config/cidr.js';
import { exoscaleAddressPlan } from '../../../../src/config/exoscale-network.js';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { MODULES, spec } from '../../../helpers/terraform.js';

const EXOSCALE = join(MODULES, 'exoscale');

async function moduleText(): Promise<string> {
  const files = (await readdir(EXOSCALE)).filter((f) => f.endsWith('.tf')).sort();
  const texts = await Promise.all(files.map((f) => readFile(join(EXOSCALE, f), 'utf8')));
  return texts.join('\n').replace(/^\s*#.*$/gm, '');
}

/** The body of `resource "type" "name" { ... }` (top-level blocks close with "}" in column 0). */
function block(text: string, type: string, name: string): string {
  const start = text.indexOf(`resource "${type}" "${name}" {`);
  if (start < 0) throw new Error(`no resource ${type}.${name}`);
  return text.slice(start, text.indexOf('\n}', start) + 2);
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === 'string') throw new Error(text);
  return parsed;
}

describe('Exoscale module: workers are instances with static leases (B1, B2)', () => {
  it('has no instance pool; each worker is an exoscale_compute_instance at worker[i] named <cluster>-worker-<i+1> with its fixed private address', async () => {
    const text = await moduleText();
    expect(text).not.toMatch(/exoscale_instance_pool/);
    const worker = block(text, 'exoscale_compute_instance', 'worker');
    expect(worker).toMatch(/count\s+= var\.worker_count/);
    expect(worker).toMatch(/name\s+= "\$\{var\.cluster_name\}-worker-\$\{count\.index \+ 1\}"/);
    expect(worker).toMatch(/network_interface \{\s+network_id = exoscale_private_network\.nodes\.id\s+ip_address = local\.worker_private_ips\[count\.index\]/);
    expect(worker).toMatch(/ssh_keys\s+= \[exoscale_ssh_key\.cluster\.name\]/);
  });

  it('outputs every worker with its static lease as private_ip, in index order', async () => {
    const outputs = await readFile(join(EXOSCALE, 'outputs.tf'), 'utf8');
    const workers = outputs.slice(outputs.indexOf('output "workers"'));
    expect(workers).toMatch(/for i, node in exoscale_compute_instance\.worker/);
    expect(workers).toMatch(/private_ip = local\.worker_private_ips\[i\]/);
    expect(workers).not.toMatch(/private_ip = node\.public_ip_address/);
  });

  it('the adapter checks workers against the node CIDR like every other node (no public-address exemption)', () => {
    const cluster = spec({ name: 'exoscale', zone: 'de-fra-1' });
    const outputs = {
      api_endpoint: '198.51.100.50:6443',
      ssh_user: 'ubuntu',
      control_plane: [{ name: 'demo-cp-1', public_ip: '198.51.100.1', private_ip: '10.240.0.10' }],
      workers: [{ name: 'demo-worker-1', public_ip: '198.51.100.2', private_ip: '10.240.0.16' }],
    };
    expect(providerAdapter('exoscale').inventoryFromOutputs(outputs, cluster).workers[0]!.private_ip).toBe('10.240.0.16');
    const pooled = { ...outputs, workers: [{ name: 'demo-worker-1', public_ip: '198.51.100.2', private_ip: '198.51.100.2' }] };
    expect(() => providerAdapter('exoscale').inventoryFromOutputs(pooled, cluster)).toThrow(/"demo-worker-1": private_ip 198\.51\.100\.2 is outside network\.nodeCidr/);
  });
});

describe('Exoscale module: provider floor, firewall and names (P4, W2, W9, B7)', () => {
  it('pins ~> 0.70: port-less IPIP rules need 0.69.3, ssh_keys 0.63', async () => {
    const versions = await readFile(join(EXOSCALE, 'versions.tf'), 'utf8');
    expect(versions).toMatch(/source = "exoscale\/exoscale"\s+#[^\n]*\n(\s+#[^\n]*\n)*\s+version = "~> 0\.70"/);
  });

  it('allows ICMP of any type and code between nodes', async () => {
    const rule = block(await moduleText(), 'exoscale_security_group_rule', 'icmp_between_nodes');
    expect(rule).toMatch(/protocol\s+= "ICMP"/);
    expect(rule).toMatch(/icmp_type\s+= -1/);
    expect(rule).toMatch(/icmp_code\s+= -1/);
    expect(rule).toMatch(/user_security_group_id = exoscale_security_group\.nodes\.id/);
    expect(rule).not.toMatch(/start_port|end_port/);
  });

  it('names every organisation-wide object (security groups, SSH key, anti-affinity group) with the zone', async () => {
    const text = await moduleText();
    const names = [
      ...['nodes', 'control_plane', 'workers'].map((name) => block(text, 'exoscale_security_group', name)),
      block(text, 'exoscale_ssh_key', 'cluster'),
      block(text, 'exoscale_anti_affinity_group', 'control_plane'),
    ].map((body) => /\n\s+name\s+= "([^"]+)"/.exec(body)?.[1]);
    expect(names).toHaveLength(5);
    for (const name of names) expect(name).toMatch(/^\$\{var\.cluster_name\}-\$\{var\.zone\}/);
    // The three security groups share one namespace, so their names differ.
    expect(new Set(names.slice(0, 3)).size).toBe(3);
  });

  it('an older cluster keeps those objects under their old names: renaming them would replace its control planes', async () => {
    const text = await moduleText();
    const ignored = (body: string) => /ignore_changes\s*=\s*\[([^\]]*)\]/.exec(body)?.[1]?.split(',').map((item) => item.trim());
    for (const name of ['nodes', 'control_plane', 'workers']) expect(ignored(block(text, 'exoscale_security_group', name))).toContain('name');
    expect(ignored(block(text, 'exoscale_ssh_key', 'cluster'))).toContain('name');
    expect(ignored(block(text, 'exoscale_anti_affinity_group', 'control_plane'))).toEqual(expect.arrayContaining(['name', 'description']));
  });

  it('admits the API health checks from the documented health-check sources only, not the internet', async () => {
    const rule = block(await moduleText(), 'exoscale_security_group_rule', 'api_healthcheck');
    expect(rule).toMatch(/public_security_group = "public-nlb-healthcheck-sources"/);
    expect(rule).toMatch(/start_port\s+= 6443/);
    expect(await moduleText()).not.toMatch(/cidr\s+= "0\.0\.0\.0\/0"/);
  });
});

describe('Exoscale address plan in the adapter and the spec (W1)', () => {
  it('refuses more workers than the node CIDR has static addresses for, naming the field, the value and the fix (exit 2)', () => {
    const doc = { apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'exoscale' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, network: { nodeCidr: '192.168.10.0/24' } };
    expect(validateSpec({ ...doc, workers: { count: 176 } }).workers.count).toBe(176);
    let error: unknown;
    try {
      validateSpec({ ...doc, workers: { count: 177 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/network\.nodeCidr: has room for 176 workers with static addresses on Exoscale .*not 177 \(got "192\.168\.10\.0\/24"\): use a \/23 or larger/);
    expect(() => validateSpec({ ...doc, network: { nodeCidr: '192.168.10.0/28' }, workers: { count: 1 } })).toThrow(/network\.nodeCidr: is too small for the Exoscale address plan.*use a \/27 or larger/);
  });

  it('the adapter refuses a count that add-workers raised past the plan, before Terraform runs', () => {
    const cluster = spec({ name: 'exoscale' }, { network: { nodeCidr: '192.168.10.0/24' } });
    const extras = { sshPublicKey: 'ssh-ed25519 AAAA test', imageId: 'tmpl-1' };
    expect(providerAdapter('exoscale').tfvars(cluster, extras)).toMatchObject({ zone: 'ch-gva-2', node_cidr: '192.168.10.0/24', worker_count: 2 });
    const grown = { ...cluster, workers: { ...cluster.workers, count: 200 } };
    expect(() => providerAdapter('exoscale').tfvars(grown, extras)).toThrow(ValidationError);
    expect(() => providerAdapter('exoscale').tfvars(grown, extras)).toThrow(/has room for 176 workers.*\(workers\.count 200\)/);
  });
});

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: the Exoscale address plan and cloud-init template are not evaluated');

/** Evaluates an expression with terraform console in a folder holding the given module files. */
function consoleEval(files: Record<string, string>, vars: Record<string, unknown>, expression: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-exo-console-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
  // base64: console prints strings with HCL escapes ($${ for ${), base64 has none.
  const out = execFileSync('terraform', ['console'], { cwd: dir, input: `base64encode(jsonencode(${expression}))\n`, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
  return JSON.parse(Buffer.from(JSON.parse(out.trim()) as string, 'base64').toString('utf8'));
}

const COMMON_VARS = { cluster_name: 'demo', admin_cidrs: ['192.0.2.0/24'], image_id: 'tmpl', ssh_public_key: 'ssh-ed25519 AAAA', control_plane_type: 'standard.medium', worker_type: 'standard.large' };

describe.skipIf(noTerraform)('the address plan, evaluated by terraform (W1)', () => {
  const files = () => ({
    'addresses.tf': readFileSync(join(EXOSCALE, 'addresses.tf'), 'utf8'),
    'common-variables.tf': readFileSync(join(MODULES, 'shared', 'common-variables.tf'), 'utf8'),
    'control-plane-numbers.tf': readFileSync(join(MODULES, 'shared', 'control-plane-numbers.tf'), 'utf8'),
  });
  const cases: Array<[string, number, number]> = [
    ['10.240.0.0/16', 5, 1000],
    ['192.168.10.0/24', 3, 176],
    ['10.1.0.32/27', 5, 8],
  ];

  it.each(cases)('%s with %i control planes and %i workers: static leases inside the network, distinct, outside the dynamic range, as src/config/exoscale-network.ts plans', (text, controlPlanes, workers) => {
    const plan = consoleEval(files(), { ...COMMON_VARS, node_cidr: text, control_plane_count: controlPlanes, worker_count: workers }, '{ cp = [for n in local.control_plane_numbers : local.control_plane_private_ips[tostring(n)]], workers = local.worker_private_ips, start = cidrhost(var.node_cidr, local.dynamic_first_host), end = cidrhost(var.node_cidr, local.dynamic_last_host), capacity = local.worker_capacity }') as {
      cp: string[];
      workers: string[];
      start: string;
      end: string;
      capacity: number;
    };
    const network = cidr(text);
    const expected = exoscaleAddressPlan(network);
    expect(plan.capacity).toBe(expected.workerCapacity);
    expect(plan.capacity).toBeGreaterThanOrEqual(workers);
    expect(parseIpv4(plan.start)! - network.base).toBe(expected.dynamicFirstHost);
    expect(parseIpv4(plan.end)! - network.base).toBe(expected.dynamicLastHost);
    expect(plan.cp).toHaveLength(controlPlanes);
    expect(plan.workers).toHaveLength(workers);
    expect(parseIpv4(plan.cp[0]!)! - network.base).toBe(expected.firstControlPlaneHost);
    expect(parseIpv4(plan.workers[0]!)! - network.base).toBe(expected.firstWorkerHost);
    const statics = [...plan.cp, ...plan.workers].map((ip) => parseIpv4(ip)!);
    expect(new Set(statics).size).toBe(statics.length);
    for (const ip of statics) {
      expect(cidrContains(network, ip)).toBe(true);
      expect(ip < parseIpv4(plan.start)! || ip > parseIpv4(plan.end)!).toBe(true);
    }
    expect(parseIpv4(plan.start)!).toBeLessThanOrEqual(parseIpv4(plan.end)!);
  });

  it('does not depend on the counts, so add-workers and remove-workers leave the private network alone', () => {
    const range = (workers: number) => consoleEval(files(), { ...COMMON_VARS, node_cidr: '10.240.0.0/16', worker_count: workers }, '[local.dynamic_first_host, local.dynamic_last_host]');
    expect(range(1)).toEqual(range(40));
  });

  it('network.tf takes the dynamic range from the plan', async () => {
    const network = block(await moduleText(), 'exoscale_private_network', 'nodes');
    expect(network).toMatch(/start_ip\s+= cidrhost\(var\.node_cidr, local\.dynamic_first_host\)/);
    expect(network).toMatch(/end_ip\s+= cidrhost\(var\.node_cidr, local\.dynamic_last_host\)/);
  });
});

const noCloudInit = noTerraform ?? missingRequirement(hasCommand('cloud-init'), 'cloud-init is not installed: the rendered cloud-config is not schema-checked');

describe.skipIf(noCloudInit)('cloud-init of the nodes, rendered by terraform (W8, B6)', () => {
  const source = (name: string) => readFileSync(join(EXOSCALE, name), 'utf8');
  const render = (apiAddress: string | null, nodeAddress: string | null) =>
    consoleEval(
      {},
      {},
      `templatefile(${JSON.stringify(join(EXOSCALE, 'cloud-init.yaml.tftpl'))}, { privnet_script = file(${JSON.stringify(join(EXOSCALE, 'privnet-up.sh'))}), hairpin_script = file(${JSON.stringify(join(EXOSCALE, 'api-hairpin.sh'))}), hairpin_unit = file(${JSON.stringify(join(EXOSCALE, 'k8sb-api-hairpin.service'))}), api_address = ${apiAddress === null ? 'null' : JSON.stringify(apiAddress)}, node_address = ${nodeAddress === null ? 'null' : JSON.stringify(nodeAddress)} })`,
    ) as string;
  const schemaCheck = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'k8sb-exo-ci-')), 'user-data.yaml');
    writeFileSync(file, text);
    return spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  };
  type CloudConfig = { write_files: Array<{ path: string; content: string; permissions: string }>; runcmd: unknown[] };

  it('a control plane gets the private-network script and the API hairpin service, and cloud-init accepts it', () => {
    const text = render('198.51.100.7', '10.240.0.11');
    const result = schemaCheck(text);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('Valid cloud-config');
    const config = parse(text) as CloudConfig;
    const file = (path: string) => config.write_files.find((entry) => entry.path === path)?.content;
    // The embedded files arrive byte for byte.
    expect(file('/usr/local/sbin/k8sb-privnet-up')).toBe(source('privnet-up.sh'));
    expect(file('/usr/local/sbin/k8sb-api-hairpin')).toBe(source('api-hairpin.sh'));
    expect(file('/etc/systemd/system/k8sb-api-hairpin.service')).toBe(source('k8sb-api-hairpin.service'));
    expect(file('/etc/k8s-bootstrap/api-hairpin.env')).toBe('API_ADDRESS=198.51.100.7\nNODE_ADDRESS=10.240.0.11\nAPI_PORT=6443\n');
    expect(config.runcmd).toEqual([['/usr/local/sbin/k8sb-privnet-up'], ['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'k8sb-api-hairpin.service']]);
  });

  it('a worker gets the private-network script only, and cloud-init accepts it', () => {
    const text = render(null, null);
    const result = schemaCheck(text);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    const config = parse(text) as CloudConfig;
    expect(config.write_files.map((entry) => entry.path)).toEqual(['/usr/local/sbin/k8sb-privnet-up']);
    expect(config.runcmd).toEqual([['/usr/local/sbin/k8sb-privnet-up']]);
    expect(text).not.toMatch(/^\s+eth1:/m);
  });

  it('the schema check fails on a broken cloud-config, so it can fail', () => {
    const result = schemaCheck('#cloud-config\nwrite_files: yes\nruncmd: 5\n');
    expect(result.status).not.toBe(0);
  });

  it('nodes.tf gives control planes the Elastic IP and their own address, workers neither', async () => {
    const text = await moduleText();
    const cp = block(text, 'exoscale_compute_instance', 'control_plane');
    expect(cp).toMatch(/api_address\s+= exoscale_elastic_ip\.api\.ip_address/);
    expect(cp).toMatch(/node_address = local\.control_plane_private_ips\[each\.key\]/);
    expect(block(text, 'exoscale_compute_instance', 'worker')).toMatch(/user_data\s+= local\.worker_user_data/);
    expect(text).toMatch(/worker_user_data = templatefile\([^\n]*api_address = null, node_address = null/);
  });
});

const noShellcheck = missingRequirement(hasCommand('shellcheck'), 'shellcheck is not installed: the Exoscale node scripts are not checked');

describe.skipIf(noShellcheck)('the Exoscale node scripts', () => {
  it.each(['privnet-up.sh', 'api-hairpin.sh'])('%s has no shellcheck findings', (name) => {
    const result = spawnSync('shellcheck', ['-s', 'sh', join(EXOSCALE, name)], { encoding: 'utf8' });
    expect(result.status, result.stdout).toBe(0);
  });
});

/** A folder of stand-in commands, each logging its argv (and stdin) to calls.log. */
function standIns(commands: Record<string, string>): { bin: string; calls: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-exo-bin-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(commands)) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return { bin, calls: () => readFileSync(log, 'utf8') };
}

describe('privnet-up.sh finds the private NIC instead of assuming eth1 (W8)', () => {
  it('configures every physical NIC except the default-route one, matched by MAC', () => {
    const { bin, calls } = standIns({
      ip: "echo 'default via 203.0.113.1 dev ens3 proto dhcp src 203.0.113.20 metric 100'",
      netplan: '',
    });
    const root = mkdtempSync(join(tmpdir(), 'k8sb-exo-sys-'));
    const nic = (name: string, mac: string, physical: boolean) => {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'address'), `${mac}\n`);
      if (physical) mkdirSync(join(root, name, 'device'));
    };
    nic('ens3', '06:00:00:00:00:01', true);
    nic('ens4', '0a:11:22:33:44:55', true);
    nic('lo', '00:00:00:00:00:00', false);
    nic('vxlan.calico', '66:00:00:00:00:09', false);
    const netplanFile = join(root, 'privnet.yaml');
    const result = spawnSync('sh', [join(EXOSCALE, 'privnet-up.sh')], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, SYS_CLASS_NET: root, NETPLAN_FILE: netplanFile },
    });
    expect(result.status, result.stderr).toBe(0);
    const config = parse(readFileSync(netplanFile, 'utf8')) as { network: { version: number; ethernets: Record<string, Record<string, unknown>> } };
    expect(config.network.version).toBe(2);
    expect(Object.values(config.network.ethernets)).toEqual([{ match: { macaddress: '0a:11:22:33:44:55' }, dhcp4: true, 'dhcp4-overrides': { 'use-routes': false } }]);
    expect(calls()).toMatch(/^netplan apply$/m);
  });

  it('fails with a message when there is no second NIC', () => {
    const { bin } = standIns({ ip: "echo 'default via 203.0.113.1 dev eth0'", netplan: '' });
    const root = mkdtempSync(join(tmpdir(), 'k8sb-exo-sys-'));
    mkdirSync(join(root, 'eth0', 'device'), { recursive: true });
    writeFileSync(join(root, 'eth0', 'address'), '06:00:00:00:00:01\n');
    const result = spawnSync('sh', [join(EXOSCALE, 'privnet-up.sh')], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, SYS_CLASS_NET: root, NETPLAN_FILE: join(root, 'x.yaml') } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no NIC besides eth0');
  });
});

describe('api-hairpin.sh sends the control plane\'s own Elastic IP calls to its local apiserver while it is ready (B6)', () => {
  const configFile = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'k8sb-exo-hp-')), 'api-hairpin.env');
    writeFileSync(file, 'API_ADDRESS=198.51.100.7\nNODE_ADDRESS=10.240.0.11\nAPI_PORT=6443\n');
    return file;
  };
  const run = (bin: string, ...args: string[]) =>
    spawnSync('sh', [join(EXOSCALE, 'api-hairpin.sh'), ...args], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HAIRPIN_CONFIG: configFile() } });

  it('with nft: a DNAT of EIP:6443 to the node address when /readyz answers', () => {
    const { bin, calls } = standIns({ curl: 'exit 0', nft: 'cat >> "$(dirname "$0")/../nft-input"' });
    const result = run(bin, 'once');
    expect(result.status, result.stderr).toBe(0);
    expect(calls()).toContain('curl --silent --fail --insecure --max-time 3 --output /dev/null https://10.240.0.11:6443/readyz');
    const input = readFileSync(join(bin, '..', 'nft-input'), 'utf8');
    expect(input).toMatch(/type nat hook output priority -100;/);
    expect(input).toContain('ip daddr 198.51.100.7 tcp dport 6443 dnat to 10.240.0.11:6443');
    expect(result.stdout).toContain('198.51.100.7:6443 -> 10.240.0.11:6443');
  });

  it('with nft: no redirection while the local apiserver is not ready, and "off" removes it', () => {
    const { bin, calls } = standIns({ curl: 'exit 7', nft: '' });
    expect(run(bin, 'once').status).toBe(0);
    expect(calls()).toMatch(/^nft delete table ip k8sb_api_hairpin$/m);
    expect(calls()).not.toMatch(/^nft -f/m);
    expect(run(bin, 'off').status).toBe(0);
  });

  it.skipIf(existsSync('/usr/bin/nft') || existsSync('/bin/nft'))('without nft: the same DNAT with iptables in its own chain', () => {
    const { bin, calls } = standIns({ curl: 'exit 0', iptables: 'case "$*" in *" -C "*) exit 1;; esac' });
    expect(run(bin, 'once').status).toBe(0);
    const log = calls();
    expect(log).toMatch(/^iptables -w -t nat -I OUTPUT -j K8SB-API-HAIRPIN$/m);
    expect(log).toMatch(/^iptables -w -t nat -A K8SB-API-HAIRPIN -d 198\.51\.100\.7 -p tcp --dport 6443 -j DNAT --to-destination 10\.240\.0\.11:6443$/m);
  });

  it('the systemd unit runs the loop, is restarted, removes the redirection on stop and starts at boot', () => {
    const unit = readFileSync(join(EXOSCALE, 'k8sb-api-hairpin.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/k8sb-api-hairpin run$/m);
    expect(unit).toMatch(/^ExecStopPost=\/usr\/local\/sbin\/k8sb-api-hairpin off$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });
});

describe('Exoscale module: the CCM and CSI get a restricted API key of their own (iam.tf)', () => {
  it('makes an IAM role that denies by default and allows compute operations only, and a key of that role, named with the zone', async () => {
    const text = await moduleText();
    const role = block(text, 'exoscale_iam_role', 'cloud_controllers');
    expect(role).toMatch(/count\s+= local\.cloud_credentials \? 1 : 0/);
    expect(role).toMatch(/name\s+= "\$\{var\.cluster_name\}-\$\{var\.zone\}-cloud-controllers"/);
    expect(role).toMatch(/default_service_strategy = "deny"/);
    expect(role).toMatch(/services = \{\s+compute = \{\s+type = "rules"\s+rules = \[\s+\{\s+expression = local\.cloud_operations_expression\s+action\s+= "allow"/);
    const key = block(text, 'exoscale_iam_api_key', 'cloud_controllers');
    expect(key).toMatch(/role_id = exoscale_iam_role\.cloud_controllers\[0\]\.id/);
    expect(text).not.toMatch(/exoscale_iam_access_key|exoscale_iam_org_policy/);
  });

  it('outputs the key and secret as sensitive ccm_api_key / ccm_api_secret', async () => {
    const outputs = await readFile(join(EXOSCALE, 'outputs.tf'), 'utf8');
    expect(outputs).toMatch(/output "ccm_api_key" \{\s+value\s+= one\(exoscale_iam_api_key\.cloud_controllers\[\*\]\.key\)\s+sensitive = true/);
    expect(outputs).toMatch(/output "ccm_api_secret" \{\s+value\s+= one\(exoscale_iam_api_key\.cloud_controllers\[\*\]\.secret\)\s+sensitive = true/);
  });
});

describe.skipIf(noTerraform)('the Exoscale IAM policy, evaluated by terraform', () => {
  // Only iam.tf's locals: the resources need the provider, which cannot be installed here.
  const files = () => {
    const iam = readFileSync(join(EXOSCALE, 'iam.tf'), 'utf8');
    const start = iam.indexOf('\nlocals {');
    return {
      'iam-locals.tf': iam.slice(start, iam.indexOf('\n}\n', start) + 3),
      'common-variables.tf': readFileSync(join(MODULES, 'shared', 'common-variables.tf'), 'utf8'),
    };
  };
  const vars = { ...COMMON_VARS, node_cidr: '10.240.0.0/16', control_plane_count: 1, worker_count: 1 };
  // exoscale/exoscale-csi-driver README "Prerequisite": the official CSI policy.
  const CSI_OFFICIAL = ['list-zones', 'get-block-storage-volume', 'list-block-storage-volumes', 'create-block-storage-volume', 'delete-block-storage-volume', 'attach-block-storage-volume-to-instance', 'detach-block-storage-volume', 'update-block-storage-volume-labels', 'resize-block-storage-volume', 'get-block-storage-snapshot', 'list-block-storage-snapshots', 'create-block-storage-snapshot', 'delete-block-storage-snapshot', 'list-quotas'];
  const operations = (expression: string) => {
    const match = /^operation in \[((?:'[a-z-]+',)*'[a-z-]+')\]$/.exec(expression);
    expect(match, expression).not.toBeNull();
    return match![1]!.split(',').map((item) => item.slice(1, -1));
  };

  it('with CCM and CSI: the CSI\'s official operations and the CCM\'s instance and load-balancer ones, each once, in the CSI README\'s expression form', () => {
    const evaluated = consoleEval(files(), vars, '{ expression = local.cloud_operations_expression, on = local.cloud_credentials }') as { expression: string; on: boolean };
    const allowed = operations(evaluated.expression);
    expect(allowed).toEqual(expect.arrayContaining([...CSI_OFFICIAL, 'get-instance', 'list-instances', 'create-load-balancer', 'add-service-to-load-balancer', 'get-operation']));
    expect(new Set(allowed).size).toBe(allowed.length);
    expect(allowed.some((operation) => /iam|api-key|role|sos|dbaas/.test(operation))).toBe(false);
    expect(evaluated.on).toBe(true);
  });

  it('with the CSI only: exactly its official operations (no load balancers)', () => {
    const evaluated = consoleEval(files(), { ...vars, cloud_ccm: false }, 'local.cloud_operations_expression') as string;
    expect(operations(evaluated)).toEqual(CSI_OFFICIAL);
  });

  it('with both off: no role and no key', () => {
    expect(consoleEval(files(), { ...vars, cloud_ccm: false, cloud_csi: false }, 'local.cloud_credentials')).toBe(false);
  });

  it('with a key the user made (cloudIntegration.credentials: environment -> cloud_credentials_from_terraform = false): no role and no key', () => {
    expect(consoleEval(files(), { ...vars, cloud_credentials_from_terraform: false }, 'local.cloud_credentials')).toBe(false);
    expect(consoleEval(files(), { ...vars, cloud_credentials_from_terraform: true }, 'local.cloud_credentials')).toBe(true);
    const tfvars = providerAdapter('exoscale').tfvars(spec({ name: 'exoscale', zone: 'de-fra-1' }, { cloudIntegration: { credentials: 'environment' } }), { sshPublicKey: 'ssh-ed25519 AAAA k', imageId: 'tmpl' });
    expect(tfvars).toMatchObject({ cloud_credentials_from_terraform: false });
  });
});
