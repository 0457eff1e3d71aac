/** Image reuse: the inputs hash, the build/reuse decision, and the packer/ folder of a cluster. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { decideImageBuild, imageInputsHash, preparePackerDir, specImageInputs, type ImageInputs } from '../../../src/providers/image.js';
import { clusterSpecSchema, type ClusterSpec, type ClusterSpecInput } from '../../../src/config/schema.js';

function spec(provider: ClusterSpecInput['provider'], extra: Partial<ClusterSpecInput> = {}): ClusterSpec {
  return clusterSpecSchema.parse({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'demo',
    provider,
    kubernetes: { version: '1.36.2' },
    ...extra,
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sb-image-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imageInputsHash', () => {
  async function inputs(overrides: Partial<ImageInputs> = {}): Promise<ImageInputs> {
    const templateFile = join(dir, 'aws.pkr.hcl');
    const scriptFile = join(dir, 'prepare-node.sh');
    await writeFile(templateFile, 'source "amazon-ebs" "node" {}\n');
    await writeFile(scriptFile, '#!/usr/bin/env bash\necho prepare\n');
    return { provider: 'aws', templateFile, scriptFile, kubernetesVersion: '1.36.2', runtime: 'containerd', baseImage: 'ubuntu-noble', location: 'eu-west-1', ...overrides };
  }

  it('is stable for the same inputs', async () => {
    const same = await inputs();
    expect(imageInputsHash(same)).toBe(imageInputsHash({ ...same }));
    expect(imageInputsHash(same)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the version, runtime, base image, provider and script content', async () => {
    const base = await inputs();
    const original = imageInputsHash(base);
    expect(imageInputsHash({ ...base, kubernetesVersion: '1.36.3' })).not.toBe(original);
    expect(imageInputsHash({ ...base, runtime: 'cri-o' })).not.toBe(original);
    expect(imageInputsHash({ ...base, baseImage: 'ubuntu-jammy' })).not.toBe(original);
    expect(imageInputsHash({ ...base, provider: 'exoscale' })).not.toBe(original);
    await writeFile(base.scriptFile, '#!/usr/bin/env bash\necho prepare differently\n');
    expect(imageInputsHash(base)).not.toBe(original);
  });
});

describe('decideImageBuild', () => {
  const aws = spec({ name: 'aws', region: 'eu-central-1' });
  const hash = imageInputsHash(specImageInputs(aws));

  it('uses image.id from the spec and skips the build, even with --rebuild-image', () => {
    const withId = spec({ name: 'aws' }, { image: { id: 'ami-0123' } });
    expect(decideImageBuild(withId, undefined)).toMatchObject({ action: 'use-spec-id', imageId: 'ami-0123' });
    const forced = decideImageBuild(withId, { image: { id: 'ami-old', inputsHash: hash, builtAt: '' } }, { rebuild: true });
    expect(forced).toMatchObject({ action: 'use-spec-id', imageId: 'ami-0123' });
    expect(forced.reason).toMatch(/--rebuild-image ignored/);
  });

  it('builds when nothing was built yet', () => {
    expect(decideImageBuild(aws, { image: undefined })).toMatchObject({ action: 'build', inputsHash: hash });
  });

  it('reuses an image built from the same inputs', () => {
    const state = { image: { id: 'eu-central-1:ami-0abc', inputsHash: hash, builtAt: '2026-11-01T00:00:00Z' } };
    // The bare AMI of the spec's region (eu-central-1), as Terraform needs it (test/e2e/tools/packer/image-id.test.ts).
    expect(decideImageBuild(aws, state)).toMatchObject({ action: 'reuse', imageId: 'ami-0abc', inputsHash: hash });
  });

  it('rebuilds when the inputs changed or --rebuild-image is given', () => {
    const stale = { image: { id: 'eu-central-1:ami-0abc', inputsHash: 'f'.repeat(64), builtAt: '' } };
    expect(decideImageBuild(aws, stale).action).toBe('build');
    const newer = spec({ name: 'aws', region: 'eu-central-1' }, { kubernetes: { version: '1.36.3' } });
    const current = { image: { id: 'eu-central-1:ami-0abc', inputsHash: hash, builtAt: '' } };
    expect(decideImageBuild(newer, current).action).toBe('build');
    expect(decideImageBuild(aws, current, { rebuild: true })).toMatchObject({ action: 'build', reason: '--rebuild-image was given' });
  });

  it('refuses image.build=false without an image.id', () => {
    const noBuild = spec({ name: 'aws' }, { image: { build: false } });
    expect(() => decideImageBuild(noBuild, undefined)).toThrow(ValidationError);
  });
});

describe('preparePackerDir', () => {
  it.each([
    ['exoscale', { name: 'exoscale', zone: 'de-fra-1' }, { zone: 'de-fra-1', base_image: 'Linux Ubuntu 24.04 LTS 64-bit', instance_type: 'standard.medium' }],
    ['aws', { name: 'aws', region: 'eu-west-1' }, { region: 'eu-west-1', instance_type: 't3.medium' }],
    ['openstack', { name: 'openstack', region: 'RegionTwo', externalNetwork: 'ext-net' }, { region: 'RegionTwo', floating_ip_network: 'ext-net', base_image: 'Ubuntu 24.04' }],
  ] as const)('%s: copies the template and script and writes the variables without credentials', async (provider, providerSpec, expected) => {
    const cluster = spec(providerSpec as ClusterSpecInput['provider']);
    const files = await preparePackerDir(dir, cluster);
    expect(files.written).toEqual([
      join(dir, 'packer', `${provider}.pkr.hcl`),
      join(dir, 'packer', 'prepare-node.sh'),
      join(dir, 'packer', 'variables.pkrvars.json'),
    ]);
    for (const path of files.written) expect((await stat(path)).isFile()).toBe(true);
    const variables = JSON.parse(await readFile(files.varFile, 'utf8')) as Record<string, unknown>;
    expect(variables).toMatchObject({ kubernetes_version: '1.36.2', kubernetes_minor: '1.36', runtime: 'containerd', prepare_script: files.script, ...expected });
    expect(variables.image_name).toMatch(/^k8sb-demo-1-36-2-[0-9a-f]{8}$/);
    expect(Object.keys(variables).join(',')).not.toMatch(/key|secret|password|token/i);
    // The copy hashes like the package's own files, so the decision and the build agree.
    expect(files.inputsHash).toBe(decideImageBuild(cluster, undefined).inputsHash);
  });

  it('never writes credentials from the environment', async () => {
    const saved = { ...process.env };
    process.env.EXOSCALE_API_KEY = 'EXOfake-key-123';
    process.env.EXOSCALE_API_SECRET = 'fake-secret-value-xyz';
    try {
      const files = await preparePackerDir(dir, spec({ name: 'exoscale' }));
      for (const path of files.written) {
        const text = await readFile(path, 'utf8');
        expect(text).not.toContain('fake-secret-value-xyz');
        expect(text).not.toContain('EXOfake-key-123');
      }
    } finally {
      process.env = saved;
    }
  });
});
