import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { serializeSpec } from '../../../src/config/serialize.js';
import { settleBackendKey } from '../../../src/workflows/init/backend-key.js';
/** Provider adapters: rendered terraform/ dirs, inventory checks, the static inventory, stream parsing. */
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExternalToolError, ValidationError } from '../../../src/errors.js';
import { checkInventory } from '../../../src/providers/inventory-check.js';
import { inventoryFromSpec, prepareTerraformDir, providerAdapter, secureTerraformDir } from '../../../src/providers/index.js';
import { parseTerraformLine, redactTerraformLine } from '../../../src/tools/terraform-json.js';
import type { ClusterSpecInput } from '../../../src/config/schema.js';
import { spec, tempDir } from '../../helpers/terraform.js';

const FAKE_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE1234',
  AWS_SECRET_ACCESS_KEY: 'fake-aws-secret-value',
  EXOSCALE_API_KEY: 'EXOfakekey123',
  EXOSCALE_API_SECRET: 'fake-exo-secret-value',
  OS_PASSWORD: 'fake-os-password-value',
  OS_CLOUD: 'mycloud',
  HOME: '/root',
};
const extras = { sshPublicKey: 'ssh-ed25519 AAAAC3Nza test@k8sb\n', imageId: 'img-1234' };

const providers: Array<[string, ClusterSpecInput['provider'], Record<string, unknown>]> = [
  ['aws', { name: 'aws', region: 'eu-west-1' }, { region: 'eu-west-1', availability_zones: [] }],
  ['exoscale', { name: 'exoscale', zone: 'de-fra-1' }, { zone: 'de-fra-1' }],
  ['openstack', { name: 'openstack', externalNetwork: 'ext-net' }, { region: 'RegionOne', external_network: 'ext-net', pod_cidr: '10.244.0.0/16' }],
];

describe.each(providers)('prepareTerraformDir for %s', (name, provider, specific) => {
  it('copies the module and writes tfvars without credentials', async () => {
    const clusterDir = await tempDir(`render-${name}`);
    const cluster = spec(provider, { workers: { count: 4 } });
    const written = await prepareTerraformDir(clusterDir, cluster, extras);
    const tfDir = join(clusterDir, 'terraform');
    expect(written).toContain(join(tfDir, 'terraform.tfvars.json'));
    expect(written).toContain(join(tfDir, 'outputs.tf'));
    expect(written.some((p) => p.endsWith('backend.tf.json'))).toBe(false);
    expect((await readdir(tfDir)).sort()).toEqual(written.map((p) => p.slice(tfDir.length + 1)).sort());
    const text = await readFile(join(tfDir, 'terraform.tfvars.json'), 'utf8');
    const vars = JSON.parse(text) as Record<string, unknown>;
    expect(vars).toMatchObject({
      cluster_name: 'demo',
      node_cidr: '10.240.0.0/16',
      admin_cidrs: ['203.0.113.0/24'],
      cni: 'calico',
      image_id: 'img-1234',
      ssh_public_key: 'ssh-ed25519 AAAAC3Nza test@k8sb',
      worker_count: 4,
      control_plane_count: 1,
      ...specific,
    });
    const adapter = providerAdapter(cluster.provider.name);
    const credentials = adapter.credentialsEnv(FAKE_ENV);
    expect(Object.keys(credentials).length).toBeGreaterThan(0);
    expect(credentials).not.toHaveProperty('HOME');
    for (const value of Object.values(FAKE_ENV)) expect(text).not.toContain(value);
    // Every variable rendered is one the module declares.
    const declared = (await Promise.all(written.filter((p) => p.endsWith('.tf')).map((p) => readFile(p, 'utf8'))))
      .join('\n')
      .matchAll(/^variable "([^"]+)"/gm);
    const names = new Set([...declared].map((m) => m[1]));
    expect(Object.keys(vars).filter((key) => !names.has(key))).toEqual([]);
  });
});

describe('remote state', () => {
  it('writes backend.tf.json for an S3-compatible store', async () => {
    const clusterDir = await tempDir('backend');
    const cluster = spec({ name: 'exoscale' }, { terraform: { backend: { bucket: 'tfstate', region: 'ch-gva-2', endpoint: 'https://sos-ch-gva-2.exo.io' } } });
    const written = await prepareTerraformDir(clusterDir, cluster, extras);
    const path = written.find((p) => p.endsWith('backend.tf.json'))!;
    const backend = JSON.parse(await readFile(path, 'utf8'));
    expect(backend.terraform.backend.s3).toMatchObject({
      bucket: 'tfstate',
      key: 'k8s-bootstrap/demo/terraform.tfstate',
      endpoints: { s3: 'https://sos-ch-gva-2.exo.io' },
      use_path_style: true,
      use_lockfile: true,
    });
  });
});

describe('the default state key (security review finding 8)', () => {
  const withBackend = spec({ name: 'aws' }, { terraform: { backend: { bucket: 'tfstate', region: 'eu-west-1' } } });
  const keyOf = (cluster: { terraform: { backend?: { key?: string } } }) => cluster.terraform.backend?.key;

  it('differs between two folders whose clusters have the same name, and is written into cluster.yaml', async () => {
    const keys: string[] = [];
    for (const name of ['team-a', 'team-b']) {
      const dir = new ClusterDir(await tempDir(name));
      await dir.ensure();
      const settled = await settleBackendKey(withBackend, dir);
      expect(keyOf(settled)).toMatch(/^k8s-bootstrap\/demo-[0-9a-f]{8}\/terraform\.tfstate$/);
      // Once saved, the folder's cluster.yaml carries it: the next run (and a teammate with this file) uses the same state.
      await dir.writeFile('cluster.yaml', serializeSpec(settled));
      expect(keyOf(await settleBackendKey(withBackend, dir))).toBe(keyOf(settled));
      const written = await prepareTerraformDir(dir.root, settled, extras);
      const backend = JSON.parse(await readFile(written.find((p) => p.endsWith('backend.tf.json'))!, 'utf8'));
      expect(backend.terraform.backend.s3.key).toBe(keyOf(settled));
      keys.push(keyOf(settled)!);
    }
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('keeps the old default for a cluster that already uses it, and the spec\'s own key', async () => {
    const dir = new ClusterDir(await tempDir('legacy'));
    await dir.ensure();
    await prepareTerraformDir(dir.root, withBackend, extras);
    expect(keyOf(await settleBackendKey(withBackend, dir))).toBeUndefined();
    const ownKey = spec({ name: 'aws' }, { terraform: { backend: { bucket: 'tfstate', region: 'eu-west-1', key: 'teams/a/dev.tfstate' } } });
    expect(keyOf(await settleBackendKey(ownKey, dir))).toBe('teams/a/dev.tfstate');
  });
});

describe('terraform/ holds state and plans: owner-only (security review finding 16)', () => {
  it('makes an existing folder 0700 and its state, backup and plan files 0600, leaving the module files alone', async () => {
    const dir = join(await tempDir('secure'), 'terraform');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    for (const name of ['terraform.tfstate', 'terraform.tfstate.backup', 'tfplan', 'main.tf']) await writeFile(join(dir, name), '{}', { mode: 0o644 });
    await secureTerraformDir(dir);
    const mode = async (name: string) => (await stat(join(dir, name))).mode & 0o777;
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await Promise.all(['terraform.tfstate', 'terraform.tfstate.backup', 'tfplan'].map(mode))).toEqual([0o600, 0o600, 0o600]);
    expect(await mode('main.tf')).toBe(0o644);
  });
});

describe('cloud tfvars', () => {
  it('refuse a cloud cluster without admin CIDRs, naming the field', () => {
    const cluster = spec({ name: 'aws' }, { ssh: { adminCidrs: [] } });
    expect(() => providerAdapter('aws').tfvars(cluster, extras)).toThrow(ValidationError);
    expect(() => providerAdapter('aws').tfvars(cluster, extras)).toThrow(/ssh\.adminCidrs/);
  });
});

const good = {
  api_endpoint: 'api.example:6443',
  ssh_user: 'ubuntu',
  bastion: null,
  control_plane: [{ name: 'cp-1', public_ip: '198.51.100.1', private_ip: '10.240.0.10' }],
  workers: [{ name: 'w-1', public_ip: '198.51.100.2', private_ip: '10.240.0.11' }],
};
const wrap = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { sensitive: false, type: 'x', value: v }]));

describe('checkInventory', () => {
  const cluster = spec({ name: 'aws' });
  const failure = (raw: unknown, options = {}) => {
    try {
      checkInventory(raw, cluster, options);
    } catch (error) {
      expect(error).toBeInstanceOf(ExternalToolError);
      return (error as Error).message;
    }
    throw new Error('no error');
  };

  it('accepts terraform output -json and plain values', () => {
    expect(checkInventory(wrap(good), cluster)).toEqual(good);
    expect(checkInventory(good, cluster).workers).toHaveLength(1);
  });

  it('names a missing output', () => {
    const { workers: _, ...rest } = good;
    expect(failure(wrap(rest))).toContain('output "workers" is missing');
  });

  it('names the node and value outside the node CIDR', () => {
    const raw = { ...good, workers: [{ name: 'w-9', public_ip: '198.51.100.2', private_ip: '192.168.1.5' }] };
    expect(failure(raw)).toMatch(/"w-9".*192\.168\.1\.5.*10\.240\.0\.0\/16/);
  });

  it('names duplicate names and addresses', () => {
    const raw = { ...good, workers: [{ name: 'cp-1', public_ip: '198.51.100.2', private_ip: '10.240.0.10' }] };
    const message = failure(raw);
    expect(message).toContain('node name "cp-1" appears 2 times');
    expect(message).toContain('private_ip 10.240.0.10 is also used by "cp-1"');
  });

  it('exempts no worker from the node CIDR, on Exoscale neither (every node has a static lease)', () => {
    const raw = { ...good, workers: [{ name: 'w-1', public_ip: '198.51.100.2', private_ip: '198.51.100.2' }] };
    expect(failure(raw)).toContain('outside network.nodeCidr');
    const exoscale = spec({ name: 'exoscale', zone: 'de-fra-1' });
    expect(() => providerAdapter('exoscale').inventoryFromOutputs(raw, exoscale)).toThrow(/"w-1": private_ip 198\.51\.100\.2 is outside network\.nodeCidr 10\.240\.0\.0\/16/);
  });
});

describe('inventoryFromSpec', () => {
  const hosts = [
    { address: '192.0.2.1', role: 'control-plane' as const },
    { address: '192.0.2.2', privateAddress: '10.0.0.2', role: 'control-plane' as const, name: 'alpha' },
    { address: '192.0.2.3', role: 'worker' as const, port: 2222 },
  ];

  it('names nodes by role and index and uses the first control plane as endpoint', () => {
    const inventory = inventoryFromSpec(spec({ name: 'static', hosts }));
    expect(inventory.control_plane.map((n) => n.name)).toEqual(['cp-1', 'alpha']);
    expect(inventory.workers[0]).toEqual({ name: 'worker-1', public_ip: '192.0.2.3', private_ip: '192.0.2.3', ssh_port: 2222 });
    expect(inventory.api_endpoint).toBe('192.0.2.1:6443');
  });

  it('prefers apiEndpoint, then the virtual IP on 8443 for HA', () => {
    expect(inventoryFromSpec(spec({ name: 'static', hosts, virtualIp: '10.0.0.100' })).api_endpoint).toBe('10.0.0.100:8443');
    expect(inventoryFromSpec(spec({ name: 'static', hosts, virtualIp: '10.0.0.100', apiEndpoint: 'lb:6443' })).api_endpoint).toBe('lb:6443');
  });
});

describe('the JSON UI parser', () => {
  it('turns progress into "Creating… 20s elapsed"', () => {
    const line = JSON.stringify({ '@level': 'info', '@message': 'x', type: 'apply_progress', hook: { resource: { addr: 'aws_instance.cp[0]' }, action: 'create', elapsed_seconds: 20 } });
    expect(parseTerraformLine(line)).toMatchObject({ type: 'apply_progress', message: 'aws_instance.cp[0]: Creating… 20s elapsed' });
  });

  it('tolerates unknown types and non-JSON lines', () => {
    expect(parseTerraformLine(JSON.stringify({ '@level': 'info', '@message': 'hello', type: 'ephemeral_open' }))).toEqual({ type: 'message', level: 'info', kind: 'ephemeral_open', message: 'hello' });
    expect(parseTerraformLine('plain text')).toMatchObject({ type: 'message', message: 'plain text' });
  });

  it('removes sensitive output values from logged lines', () => {
    const line = JSON.stringify({ type: 'outputs', outputs: { token: { sensitive: true, value: 'abc-secret' }, ip: { sensitive: false, value: '1.2.3.4' } } });
    const redacted = redactTerraformLine(line);
    expect(redacted).not.toContain('abc-secret');
    expect(redacted).toContain('1.2.3.4');
  });
});
