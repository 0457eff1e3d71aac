import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleSpec } from '../../../src/config/example.js';
import { parseSpecYaml } from '../../../src/config/load.js';
import { renderConfigReference } from '../../../src/config/config-reference.js';
import { PROVIDERS, SCHEMA_REF } from '../../../src/config/schema.js';
import { clusterJsonSchema, serializeSpec } from '../../../src/config/serialize.js';
import { validateSpec } from '../../../src/config/validate/index.js';

describe('serializeSpec', () => {
  it('starts with the yaml-language-server schema comment', () => {
    expect(serializeSpec(exampleSpec('aws')).split('\n')[0]).toBe(`# yaml-language-server: $schema=${SCHEMA_REF}`);
  });

  it('writes keys in schema order whatever order the object has', () => {
    const spec = exampleSpec('exoscale');
    const shuffled = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
    shuffled.network = { serviceCidr: spec.network.serviceCidr, podCidr: spec.network.podCidr, nodeCidr: spec.network.nodeCidr };
    expect(serializeSpec(shuffled)).toBe(serializeSpec(spec));
    const topKeys = serializeSpec(spec)
      .split('\n')
      .filter((line) => /^[a-zA-Z]+:/.test(line))
      .map((line) => line.split(':')[0]);
    expect(topKeys).toEqual(['apiVersion', 'kind', 'name', 'provider', 'kubernetes', 'network', 'controlPlane', 'workers', 'ssh', 'image', 'cloudIntegration', 'storage', 'addons', 'backup']);
  });

  it('writes the add-ons with their defaults, like the other sections, and empty values not at all', () => {
    const text = serializeSpec(exampleSpec('aws'));
    const addons = text.slice(text.indexOf('\naddons:\n') + 1);
    expect(addons).toBe(
      [
        'addons:',
        '  metrics-server:',
        '    enabled: true',
        '  traefik:',
        '    enabled: true',
        '    expose: auto',
        '  cert-manager:',
        '    enabled: true',
        '    acmeServer: https://acme-v02.api.letsencrypt.org/directory',
        '  kube-prometheus-stack:',
        '    enabled: false',
        '    retention: 15d',
        '  fluent-bit:',
        '    enabled: false',
        '  velero:',
        '    enabled: false',
        '    schedule: 0 3 * * *',
        '    ttl: 720h',
        'backup:',
        '  keep: 5',
        '',
      ].join('\n'),
    );
  });

  it('an old cluster.yaml without addons loads with the default set, and writing it back adds the section', () => {
    const old = serializeSpec(exampleSpec('static')).replace(/\naddons:\n[\s\S]*$/, '\n');
    expect(old).not.toContain('addons');
    const spec = validateSpec(parseSpecYaml(old, 'cluster.yaml'));
    expect(spec.addons.traefik.enabled).toBe(true);
    expect(spec).toEqual(exampleSpec('static'));
  });

  it('add-ons with fields and values round-trip, values keys in their own order', () => {
    const spec = validateSpec({
      ...exampleSpec('aws'),
      addons: {
        traefik: { values: { zeta: 1, alpha: { nested: [1, 'two'] } } },
        'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com' },
        'fluent-bit': { enabled: true, output: { name: 'es', options: { Host: 'es.example.com', Port: 9200 } } },
        velero: { enabled: true, bucket: 'demo-backups', region: 'eu-central-1', schedule: '15 1 * * *' },
      },
    });
    const text = serializeSpec(spec);
    expect(text).toContain('    values:\n      zeta: 1\n      alpha:\n        nested:\n          - 1\n          - two\n');
    expect(text).toContain('      options:\n        Host: es.example.com\n        Port: "9200"\n');
    expect(validateSpec(parseSpecYaml(text, 'cluster.yaml'))).toEqual(spec);
  });

  it.each(PROVIDERS)('the %s example round-trips and re-validates', (provider) => {
    const spec = exampleSpec(provider);
    expect(validateSpec(parseSpecYaml(serializeSpec(spec), 'example.yaml'))).toEqual(spec);
  });

  it('the static example uses documentation addresses', () => {
    const spec = exampleSpec('static');
    expect(spec.provider.name === 'static' && spec.provider.hosts.every((h) => h.address.startsWith('192.0.2.'))).toBe(true);
  });

  it('never writes credentials found in the environment', () => {
    const before = { ...process.env };
    process.env.EXOSCALE_API_SECRET = 'super-secret-value';
    try {
      expect(serializeSpec(exampleSpec('exoscale'))).not.toContain('super-secret-value');
    } finally {
      process.env = before;
    }
  });
});

describe('clusterJsonSchema', () => {
  it('has $schema (draft-07, what the YAML language server reads), no $id, a title and the top-level fields', () => {
    const schema = clusterJsonSchema() as { $schema: string; $id: string; title: string; properties: Record<string, unknown>; required: string[] };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toBeUndefined();
    expect(schema.title).toMatch(/cluster/);
    expect(Object.keys(schema.properties)).toContain('network');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'name', 'provider']);
  });

  it('has no property that could hold a credential', () => {
    expect(JSON.stringify(clusterJsonSchema())).not.toMatch(/"(password|secret|apiKey|apiSecret|token)"/i);
  });
});

describe('docs/config-reference.md', () => {
  it('is up to date with the schema (regenerate: npx tsx scripts/gen-config-reference.ts)', () => {
    const committed = readFileSync(new URL('../../../docs/config-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('has a row for every field of the schema', () => {
    const text = renderConfigReference();
    for (const path of ['name', 'provider.hosts[].privateAddress', 'network.podCidr', 'ssh.bastion.host', 'terraform.backend.bucket']) {
      expect(text).toContain(`| \`${path}\` |`);
    }
  });
});
