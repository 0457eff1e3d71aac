/**
 * Static cluster.yaml leaves out what does not apply to machines you already have: counts (the
 * host list decides them), disk sizes, instance types, the image and ssh.adminCidrs. Values left
 * in an older file are ignored, so editing the host list never contradicts them.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exampleSpec } from '../../../src/config/example.js';
import { parseSpecYaml } from '../../../src/config/load.js';
import { serializeSpec } from '../../../src/config/serialize.js';
import { specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { sameClusterSpec } from '../../../src/state/spec-record.js';
import { patched, staticDoc } from '../../helpers/config-fixtures.js';
import { runCli } from '../../helpers/fake-io.js';

const IGNORED = ['controlPlane', 'workers', 'image'];

describe('static cluster.yaml', () => {
  it('config example --provider static has no counts, disk sizes, image or adminCidrs', async () => {
    const run = await runCli(['config', 'example', '--provider', 'static']);
    expect(run.code).toBe(0);
    const doc = parse(run.stdout) as Record<string, Record<string, unknown>>;
    for (const key of IGNORED) expect(doc, key).not.toHaveProperty(key);
    expect(doc.ssh).not.toHaveProperty('adminCidrs');
    expect(run.stdout).not.toMatch(/count:|diskGb:|adminCidrs:|image:/);
  });

  it('a written static spec has none of them either, and reads back as the same cluster', () => {
    const spec = validateSpec(patched(staticDoc(), { workers: { min: 1 } }));
    const yaml = serializeSpec(spec);
    expect(yaml).not.toMatch(/count:|diskGb:|adminCidrs:|image:/);
    expect(parse(yaml).workers).toEqual({ min: 1 });
    expect(validateSpec(parseSpecYaml(yaml, 'cluster.yaml'))).toEqual(spec);
  });

  it('the example still validates after a worker host is added (the count follows the hosts)', () => {
    const doc = parse(serializeSpec(exampleSpec('static'))) as { provider: { hosts: unknown[] } };
    doc.provider.hosts.push({ address: '192.0.2.23', role: 'worker', name: 'worker-3' });
    expect(validateSpec(doc).workers.count).toBe(3);
  });

  it('an older file with counts, disks, types, image and adminCidrs is accepted and they are ignored', () => {
    const old = patched(staticDoc(), {
      controlPlane: { count: 3, diskGb: 80, type: 'm1.large' },
      workers: { count: 5, diskGb: 100 },
      image: { build: false, id: 'ami-0123456789abcdef0' },
      ssh: { adminCidrs: ['0.0.0.0/0'] },
    });
    const spec = validateSpec(old);
    expect(spec.controlPlane).toEqual({ count: 1, diskGb: 50 });
    expect(spec.workers).toEqual({ count: 1, diskGb: 50, min: 0 });
    expect(spec.ssh.adminCidrs).toEqual([]);
    expect(sameClusterSpec(spec, validateSpec(staticDoc()))).toBe(true);
    expect(specWarnings(spec)).toEqual([]);
  });
});
