/**
 * cluster.yaml's JSON Schema: what editors check without the tool. Its `$schema` line must point
 * at a file that exists (cluster.schema.json beside cluster.yaml), and the schema must say what
 * it can: CIDR patterns, control-plane count 1/3/5, supported versions, names. ajv is not a
 * dependency, so the schema's keywords are checked structurally and its patterns run as RegExps
 * (JSON Schema patterns are ECMA-262 regular expressions).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleSpec } from '../../../src/config/example.js';
import { clusterJsonSchema, serializeSpec } from '../../../src/config/serialize.js';
import { runCli } from '../../helpers/fake-io.js';

interface Node {
  type?: string;
  pattern?: string;
  enum?: unknown[];
  properties?: Record<string, Node>;
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  const?: unknown;
}

const schema = clusterJsonSchema() as Node & Record<string, unknown>;

/** The node at a dotted path; `provider.<variant>.x` picks the variant whose name is <variant>. */
function at(path: string): Node {
  let node: Node = schema;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const variants = node.oneOf ?? node.anyOf;
    if (variants) {
      node = variants.find((v) => v.properties?.name?.const === part)!;
      continue;
    }
    node = part === '[]' ? node.items! : node.properties![part]!;
    expect(node, path).toBeDefined();
  }
  return node;
}

const accepts = (node: Node, value: string) => new RegExp(node.pattern!, 'u').test(value);

describe('the JSON Schema checks what it can without the tool', () => {
  it.each(['network.podCidr', 'network.serviceCidr', 'network.nodeCidr', 'ssh.adminCidrs.[]', 'firewall.nodePortCidrs.[]'])('%s is an IPv4 CIDR', (path) => {
    const node = at(path);
    expect(node.pattern).toBeDefined();
    expect(accepts(node, '10.244.0.0/16')).toBe(true);
    expect(accepts(node, '203.0.113.7/32')).toBe(true);
    expect(accepts(node, 'not-a-cidr')).toBe(false);
    expect(accepts(node, '10.244.0.0')).toBe(false);
    expect(accepts(node, '300.1.1.1/8')).toBe(false);
    expect(accepts(node, '10.0.0.0/33')).toBe(false);
  });

  it('controlPlane.count is 1, 3 or 5', () => {
    expect(at('controlPlane.count').enum).toEqual([1, 3, 5]);
  });

  it('kubernetes.version is MAJOR.MINOR.PATCH of a supported minor', () => {
    const node = at('kubernetes.version');
    expect(accepts(node, '1.37.1')).toBe(true);
    expect(accepts(node, '1.35.0')).toBe(true);
    expect(accepts(node, '1.30.0')).toBe(false);
    expect(accepts(node, 'v1.37.1')).toBe(false);
    expect(accepts(node, '1.37')).toBe(false);
  });

  it('name is a DNS-1123 label', () => {
    const node = at('name');
    expect(accepts(node, 'demo-1')).toBe(true);
    expect(accepts(node, 'Demo_1')).toBe(false);
    expect(accepts(node, 'demo-')).toBe(false);
  });

  it('providers, runtimes and CNIs are enums', () => {
    expect((schema.properties!.provider!.oneOf ?? schema.properties!.provider!.anyOf)!.map((v) => v.properties!.name!.const)).toEqual(['exoscale', 'openstack', 'aws', 'static']);
    expect(at('kubernetes.runtime').enum).toEqual(['containerd', 'cri-o']);
    expect(at('kubernetes.cni').enum).toEqual(['calico', 'flannel', 'cilium']);
  });

  it('addons: one strict mapping per add-on, enabled defaulting to the default set, values a free mapping', () => {
    const addons = at('addons') as Node & { additionalProperties?: unknown };
    expect(Object.keys(addons.properties!)).toEqual(['metrics-server', 'traefik', 'cert-manager', 'kube-prometheus-stack', 'fluent-bit', 'velero']);
    expect(addons.additionalProperties).toBe(false);
    const defaults = Object.fromEntries(Object.entries(addons.properties!).map(([name, node]) => [name, (node.properties!.enabled as { default?: unknown }).default]));
    expect(defaults).toEqual({ 'metrics-server': true, traefik: true, 'cert-manager': true, 'kube-prometheus-stack': false, 'fluent-bit': false, velero: false });
    for (const name of Object.keys(addons.properties!)) {
      const values = at(`addons.${name}.values`) as Node & { additionalProperties?: unknown; description?: string };
      expect(values.type).toBe('object');
      expect(values.additionalProperties).toEqual({});
      expect(values.description).toContain(`templates/addons/${name}/values.yaml`);
      expect(values.description).toContain('never put secrets here');
    }
    expect(at('addons.traefik.expose').enum).toEqual(['auto', 'loadbalancer', 'hostport', 'nodeport']);
    expect(at('addons.fluent-bit.output.name').enum).toEqual(['es', 'opensearch', 'loki', 'forward', 'http', 'splunk', 's3', 'stdout', 'null']);
  });

  it('add-on fields carry their patterns', () => {
    const cases: [string, string[], string[]][] = [
      ['addons.kube-prometheus-stack.domain', ['monitoring.example.com', 'lab'], ['Monitoring.example.com', 'a b', 'x.com;reboot', '-x.com']],
      ['addons.kube-prometheus-stack.retention', ['15d', '1y', '4w2d', '12h30m', '90s'], ['15', '3mo', 'd', '', '15D']],
      ['addons.velero.bucket', ['demo-backups', 'a.b.c'], ['My_Backups', 'ab', '-x-', 'x'.repeat(64)]],
      ['addons.velero.schedule', ['0 3 * * *', '*/15 * * * MON-FRI'], ['0 3 * *', '@daily', '0 3 * * *; reboot']],
      ['addons.velero.ttl', ['720h', '1h30m', '90s'], ['30d', '720', '', '1.5h']],
      ['addons.velero.s3Url', ['https://minio.example.com:9000', 'https://sos-ch-gva-2.exo.io'], ['http://minio.lan:9000', 's3://bucket']],
      ['addons.cert-manager.acmeEmail', ['ops@example.com'], ['ops', 'ops@', 'a b@example.com']],
    ];
    for (const [path, good, bad] of cases) {
      const node = at(path);
      for (const value of good) expect(accepts(node, value), `${path} ${value}`).toBe(true);
      for (const value of bad) expect(accepts(node, value), `${path} ${value}`).toBe(false);
    }
  });

  it('names no URL that nothing publishes', () => {
    expect(JSON.stringify(schema)).not.toContain('k8s-bootstrap.io/schema');
  });
});

describe('the $schema line resolves', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'k8sb-schema-'));
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('cluster.yaml points at ./cluster.schema.json', () => {
    expect(serializeSpec(exampleSpec('aws')).split('\n')[0]).toBe('# yaml-language-server: $schema=./cluster.schema.json');
  });

  it('init writes cluster.schema.json beside cluster.yaml, the same schema `config schema` prints', async () => {
    const run = await runCli(['init', '--dry-run', '--yes', '--name', 'demo', '--provider', 'aws', '--admin-cidr', '203.0.113.0/24'], { cwd });
    expect(run.code).toBe(0);
    const specFile = join(cwd, 'clusters', 'demo', 'cluster.yaml');
    const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(specFile, 'utf8'))![1]!;
    const schemaFile = resolve(dirname(specFile), reference);
    expect(existsSync(schemaFile)).toBe(true);
    const printed = await runCli(['config', 'schema'], { cwd });
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(JSON.parse(printed.stdout));
  });

  it('config example tells how to get the schema it points at', async () => {
    const run = await runCli(['config', 'example', '--provider', 'aws'], { cwd });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=./cluster.schema.json');
    expect(lines[1]).toBe('# Editors: write the schema next to this file with "k8s-bootstrap config schema > cluster.schema.json".');
  });
});
