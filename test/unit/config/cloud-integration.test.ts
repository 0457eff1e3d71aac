/**
 * cloudIntegration, storage and loadBalancer: the defaults per provider, what the helpers resolve,
 * every problem reported with its field, value and fix (exit 2 through ValidationError), static
 * files without cloudIntegration, the JSON Schema's enums and patterns, the examples and the summary.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cloudIntegrationOn, resolvedStorageClass } from '../../../src/config/cloud-integration.js';
import { exampleSpec } from '../../../src/config/example.js';
import { parseSpecYaml } from '../../../src/config/load.js';
import { PROVIDERS } from '../../../src/config/schema.js';
import { clusterJsonSchema, serializeSpec } from '../../../src/config/serialize.js';
import { formatSpecSummary } from '../../../src/config/summary.js';
import { specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { awsDoc, patched, staticDoc, type Doc } from '../../helpers/config-fixtures.js';
import { runCli } from '../../helpers/fake-io.js';

const aws = (patch: Doc = {}) => patched(awsDoc(), patch);
const lab = (patch: Doc = {}) => patched(staticDoc(), patch);

function issuesOf(doc: unknown): ValidationIssue[] {
  try {
    validateSpec(doc);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the document to be refused');
}

describe('defaults', () => {
  it('a cloud gets its CCM and CSI and the cloud StorageClass', () => {
    const spec = validateSpec(aws());
    expect(spec.cloudIntegration).toEqual({ ccm: true, csi: true, credentials: 'terraform' });
    expect(spec.storage).toEqual({ defaultClass: 'auto' });
    expect(spec.loadBalancer).toEqual({});
    expect(cloudIntegrationOn(spec)).toEqual({ ccm: true, csi: true });
    expect(resolvedStorageClass(spec)).toBe('cloud');
  });

  it('static hosts: no cloud integration whatever the file says, local-path by default', () => {
    const spec = validateSpec(lab({ cloudIntegration: { ccm: true, csi: true } }));
    expect(spec.cloudIntegration).toEqual({ ccm: false, csi: false, credentials: 'terraform' });
    expect(cloudIntegrationOn(spec)).toEqual({ ccm: false, csi: false });
    expect(resolvedStorageClass(spec)).toBe('local-path');
  });

  it('auto on a cloud without its CSI is none; ccm off with csi on is allowed', () => {
    expect(resolvedStorageClass(validateSpec(aws({ cloudIntegration: { csi: false } })))).toBe('none');
    const spec = validateSpec(aws({ cloudIntegration: { ccm: false } }));
    expect(cloudIntegrationOn(spec)).toEqual({ ccm: false, csi: true });
    expect(resolvedStorageClass(spec)).toBe('cloud');
  });

  it('an explicit class is kept', () => {
    expect(resolvedStorageClass(validateSpec(aws({ storage: { defaultClass: 'none' } })))).toBe('none');
    expect(resolvedStorageClass(validateSpec(lab({ storage: { defaultClass: 'none' } })))).toBe('none');
  });

  it('MetalLB needs a worker: its L2 speaker skips the control planes kubeadm labels exclude-from-external-load-balancers', () => {
    const onlyControlPlanes = { provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }] }, loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.210'] } } };
    expect(() => validateSpec({ ...lab(), ...onlyControlPlanes })).toThrow(/loadBalancer\.metallb: needs a worker host/);
  });

  it('rook-ceph needs a worker: Ceph keeps its data on the workers\' disks only; config validate exits 2', async () => {
    const onlyControlPlanes = { provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }] }, storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } };
    expect(issuesOf({ ...lab(), ...onlyControlPlanes })).toContainEqual({
      path: 'storage.defaultClass',
      message: 'is rook-ceph, which needs a worker host: Ceph keeps its data on a disk of each worker, and there is none',
      value: 'rook-ceph',
      fix: 'add a worker host (--worker-host), or choose storage.defaultClass: local-path or none',
    });
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-rook-'));
    try {
      writeFileSync(join(dir, 'cluster.yaml'), stringify({ ...lab(), ...onlyControlPlanes }));
      const run = await runCli(['config', 'validate', '-c', join(dir, 'cluster.yaml')], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('storage.defaultClass: is rook-ceph, which needs a worker host');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rook-ceph on static hosts with its disk is accepted and resolves to rook-ceph', () => {
    const spec = validateSpec(lab({ storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'nvme1n1' } } }));
    expect(spec.storage).toEqual({ defaultClass: 'rook-ceph', rookCeph: { device: 'nvme1n1' } });
    expect(resolvedStorageClass(spec)).toBe('rook-ceph');
  });
});

interface BadCase {
  title: string;
  doc: Doc;
  path: string;
  message: string | RegExp;
  value?: unknown;
  fix?: string | RegExp;
}

const bad: BadCase[] = [
  { title: 'cloud class without the CSI', doc: aws({ cloudIntegration: { csi: false }, storage: { defaultClass: 'cloud' } }), path: 'storage.defaultClass', message: /cloudIntegration\.csi is false/, value: 'cloud', fix: 'set cloudIntegration.csi: true, or storage.defaultClass: none' },
  { title: 'cloud class on static hosts', doc: lab({ storage: { defaultClass: 'cloud' } }), path: 'storage.defaultClass', message: /static hosts have no cloud CSI driver/, value: 'cloud', fix: /local-path, rook-ceph or none/ },
  { title: 'local-path on a cloud', doc: aws({ storage: { defaultClass: 'local-path' } }), path: 'storage.defaultClass', message: /static hosts only/, value: 'local-path', fix: 'choose cloud (or auto), or none' },
  { title: 'rook-ceph on a cloud', doc: aws({ storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } }), path: 'storage.defaultClass', message: /static hosts only/, value: 'rook-ceph' },
  { title: 'rook-ceph without a device', doc: lab({ storage: { defaultClass: 'rook-ceph' } }), path: 'storage.rookCeph.device', message: /is required when storage.defaultClass is rook-ceph/, fix: /e\.g\. sdb/ },
  { title: 'device given as a path', doc: lab({ storage: { defaultClass: 'rook-ceph', rookCeph: { device: '/dev/sdb' } } }), path: 'storage.rookCeph.device', message: /must be a disk name under \/dev/, value: '/dev/sdb', fix: 'write "sdb" (without /dev/)' },
  { title: 'device with shell syntax', doc: lab({ storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb; rm -rf /' } } }), path: 'storage.rookCeph.device', message: /must be a disk name under \/dev/, value: 'sdb; rm -rf /' },
  { title: 'unknown class', doc: aws({ storage: { defaultClass: 'ebs' } }), path: 'storage.defaultClass', message: 'must be one of: auto, cloud, local-path, rook-ceph, none' },
  { title: 'MetalLB on a cloud', doc: aws({ loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0.220'] } } }), path: 'loadBalancer.metallb', message: /static hosts only: on aws LoadBalancer Services come from the cloud controller manager/, fix: 'remove loadBalancer' },
  { title: 'MetalLB range that is no range', doc: lab({ loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: 'is not an IPv4 range', value: '10.0.0.200-10.0.0' },
  { title: 'MetalLB range backwards', doc: lab({ loadBalancer: { metallb: { addresses: ['10.0.0.220-10.0.0.200'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: 'ends before it starts', fix: 'write 10.0.0.200-10.0.0.220' },
  { title: 'MetalLB CIDR with host bits', doc: lab({ loadBalancer: { metallb: { addresses: ['10.0.0.201/28'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: 'has host bits set', fix: 'use 10.0.0.192/28' },
  { title: 'MetalLB range with spaces', doc: lab({ loadBalancer: { metallb: { addresses: ['10.0.0.200 - 10.0.0.220'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: 'is not an IPv4 range' },
  { title: 'MetalLB inside the pod range', doc: lab({ loadBalancer: { metallb: { addresses: ['10.244.1.0/24'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: /overlaps network\.podCidr \(10\.244\.0\.0\/16\)/ },
  { title: 'MetalLB inside the Service range', doc: lab({ loadBalancer: { metallb: { addresses: ['10.96.0.10-10.96.0.20'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: /overlaps network\.serviceCidr/ },
  { title: 'MetalLB holding a host', doc: lab({ loadBalancer: { metallb: { addresses: ['192.0.2.20-192.0.2.30'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: /overlaps provider\.hosts\[1\]\.address \(192\.0\.2\.21\)/ },
  { title: 'MetalLB holding the virtual IP', doc: lab({ provider: { virtualIp: '192.0.2.100' }, loadBalancer: { metallb: { addresses: ['192.0.2.96/28'] } } }), path: 'loadBalancer.metallb.addresses[0]', message: /overlaps provider\.virtualIp \(192\.0\.2\.100\)/ },
  { title: 'MetalLB entries overlapping', doc: lab({ loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.210', '192.0.2.208/29'] } } }), path: 'loadBalancer.metallb.addresses[1]', message: 'overlaps loadBalancer.metallb.addresses[0] (192.0.2.200-192.0.2.210)' },
  { title: 'MetalLB without addresses', doc: lab({ loadBalancer: { metallb: { addresses: [] } } }), path: 'loadBalancer.metallb.addresses', message: /at least 1/ },
  { title: 'cloudIntegration typo', doc: aws({ cloudIntegration: { cmm: false } }), path: 'cloudIntegration.cmm', message: 'is not a known field', fix: 'did you mean "ccm"?' },
];

describe('bad cloud integration, storage and load balancer input', () => {
  it.each(bad)('$title', ({ doc, path, message, value, fix }) => {
    const issue = issuesOf(doc).find((i) => i.path === path);
    expect(issue, JSON.stringify(issuesOf(doc))).toBeDefined();
    if (typeof message === 'string') expect(issue!.message).toBe(message);
    else expect(issue!.message).toMatch(message);
    if (value !== undefined) expect(issue!.value).toEqual(value);
    if (typeof fix === 'string') expect(issue!.fix).toBe(fix);
    else if (fix) expect(issue!.fix).toMatch(fix);
  });

  it('refuses with exit 2 before anything runs (config validate)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-cloud-'));
    try {
      writeFileSync(join(dir, 'cluster.yaml'), stringify(aws({ storage: { defaultClass: 'local-path' } })));
      const run = await runCli(['config', 'validate', '-c', join(dir, 'cluster.yaml')], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('storage.defaultClass: is local-path, which the tool installs on static hosts only');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('good input and warnings', () => {
  it('MetalLB ranges and CIDRs clear of everything pass', () => {
    const spec = validateSpec(lab({ network: { nodeCidr: '192.0.2.0/24' }, loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.220', '192.0.2.240/28'] } } }));
    expect(spec.loadBalancer.metallb?.addresses).toEqual(['192.0.2.200-192.0.2.220', '192.0.2.240/28']);
    expect(specWarnings(spec)).toEqual([]);
  });

  it('says when MetalLB addresses are outside the nodes\' network', () => {
    const spec = validateSpec(lab({ network: { nodeCidr: '192.0.2.0/24' }, loadBalancer: { metallb: { addresses: ['198.51.100.10-198.51.100.20'] } } }));
    expect(specWarnings(spec)).toContainEqual(expect.objectContaining({ path: 'loadBalancer.metallb.addresses[0]', message: expect.stringMatching(/not inside network\.nodeCidr/) }));
  });

  it('rook-ceph with fewer than three workers warns (Rook\'s example needs three); three workers do not', () => {
    const one = validateSpec(lab({ storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } }));
    expect(specWarnings(one)).toContainEqual(
      expect.objectContaining({ path: 'storage.defaultClass', value: 'rook-ceph', message: expect.stringMatching(/with 1 worker: Rook's example cluster needs at least three; volumes get 1 copy .*loses the data/) }),
    );
    const two = validateSpec(lab({ provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }, ...[21, 22].map((n) => ({ address: `192.0.2.${n}`, role: 'worker' }))] }, storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } }));
    expect(specWarnings(two)).toContainEqual(
      expect.objectContaining({ path: 'storage.defaultClass', message: "is rook-ceph with 2 workers: Rook's example cluster needs at least three; volumes get 2 copies and 1 mon, so losing the worker that holds the single mon stops Ceph" }),
    );
    const hosts = [{ address: '192.0.2.10', role: 'control-plane' }, ...[21, 22, 23].map((n) => ({ address: `192.0.2.${n}`, role: 'worker' }))];
    const three = validateSpec(lab({ provider: { name: 'static', hosts }, storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } }));
    expect(specWarnings(three)).toEqual([]);
  });

  it('says rookCeph is ignored without the rook-ceph class', () => {
    const ignored = validateSpec(lab({ storage: { rookCeph: { device: 'sdb' } } }));
    expect(specWarnings(ignored)).toContainEqual(expect.objectContaining({ path: 'storage.rookCeph', message: 'is ignored: storage.defaultClass is auto, not rook-ceph' }));
  });
});

describe('cluster.yaml', () => {
  it('static files leave cloudIntegration out, and read back the same', () => {
    const spec = validateSpec(lab({ storage: { defaultClass: 'none' } }));
    const yaml = serializeSpec(spec);
    expect(parse(yaml)).not.toHaveProperty('cloudIntegration');
    expect(parse(yaml).storage).toEqual({ defaultClass: 'none' });
    expect(validateSpec(parseSpecYaml(yaml, 'cluster.yaml'))).toEqual(spec);
  });

  it('cloud files keep cloudIntegration, with what was turned off', () => {
    const yaml = serializeSpec(validateSpec(aws({ cloudIntegration: { ccm: false } })));
    expect(parse(yaml).cloudIntegration).toEqual({ ccm: false, csi: true, credentials: 'terraform' });
  });

  it.each(PROVIDERS)('config example --provider %s shows the sections that apply', async (provider) => {
    const run = await runCli(['config', 'example', '--provider', provider]);
    expect(run.code).toBe(0);
    const doc = parse(run.stdout) as Doc;
    if (provider === 'static') {
      expect(doc).not.toHaveProperty('cloudIntegration');
      expect(doc.storage).toEqual({ defaultClass: 'local-path' });
      expect(doc.loadBalancer).toEqual({ metallb: { addresses: ['192.0.2.200-192.0.2.220'] } });
    } else {
      expect(doc.cloudIntegration).toEqual({ ccm: true, csi: true, credentials: 'terraform' });
      expect(doc.storage).toEqual({ defaultClass: 'auto' });
      expect(doc).not.toHaveProperty('loadBalancer');
    }
    expect(validateSpec(doc)).toEqual(exampleSpec(provider));
  });
});

interface SchemaNode {
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

describe('JSON Schema', () => {
  const props = (clusterJsonSchema() as SchemaNode).properties!;

  it('storage.defaultClass is an enum and the device a /dev name', () => {
    expect(props.storage!.properties!.defaultClass!.enum).toEqual(['auto', 'cloud', 'local-path', 'rook-ceph', 'none']);
    const device = new RegExp(props.storage!.properties!.rookCeph!.properties!.device!.pattern!, 'u');
    expect(['sdb', 'vdb', 'nvme1n1', 'xvdf'].every((name) => device.test(name))).toBe(true);
    expect(['/dev/sdb', 'sd b', 'SDB', 'sdb;x'].some((name) => device.test(name))).toBe(false);
  });

  it('MetalLB addresses are IPv4 ranges or CIDRs', () => {
    const entry = new RegExp(props.loadBalancer!.properties!.metallb!.properties!.addresses!.items!.pattern!, 'u');
    expect(entry.test('10.0.0.200-10.0.0.220')).toBe(true);
    expect(entry.test('10.0.0.224/28')).toBe(true);
    expect(entry.test('10.0.0.200')).toBe(false);
    expect(entry.test('10.0.0.300-10.0.0.310')).toBe(false);
    expect(entry.test('fd00::/64')).toBe(false);
  });

  it('cloudIntegration has the two switches and where their credentials come from', () => {
    expect(Object.keys(props.cloudIntegration!.properties!)).toEqual(['ccm', 'csi', 'credentials']);
    expect(props.cloudIntegration!.properties!.credentials).toMatchObject({ enum: ['terraform', 'environment'], default: 'terraform' });
  });
});

describe('summary', () => {
  it('a cloud: which controllers and the default storage', () => {
    expect(formatSpecSummary(validateSpec(aws()))).toMatch(/Cloud +aws cloud controller manager \+ CSI driver/);
    expect(formatSpecSummary(validateSpec(aws()))).toMatch(/Storage +default class from the aws CSI driver/);
    const off = formatSpecSummary(validateSpec(aws({ cloudIntegration: { ccm: false, csi: false } })));
    expect(off).toMatch(/Cloud +no cloud controller manager, no CSI driver/);
    expect(off).toMatch(/Storage +no default class/);
    // The new rows do not widen the label column.
    expect(off).toMatch(/^ {2}Name {12}demo$/m);
  });

  it('static: MetalLB and the storage class, no cloud integration', () => {
    const text = formatSpecSummary(validateSpec(lab({ loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.220'] } }, storage: { defaultClass: 'local-path' } })));
    expect(text).toMatch(/Load balancer +MetalLB \(L2\), 192\.0\.2\.200-192\.0\.2\.220/);
    expect(text).toMatch(/Storage +default class local-path/);
    expect(text).not.toMatch(/^ +Cloud /m);
    expect(formatSpecSummary(validateSpec(lab()))).toMatch(/Load balancer +none \(LoadBalancer Services stay pending\)/);
  });
});
