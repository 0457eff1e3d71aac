import { describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { DEFAULT_INSTANCE_TYPES, DEFAULT_NETWORK } from '../../../src/config/schema.js';
import { applyProviderDefaults } from '../../../src/config/defaults.js';
import { checkSpec, specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { awsDoc, patched, staticDoc } from '../../helpers/config-fixtures.js';

describe('validateSpec on good input', () => {
  it('fills every default for a minimal cloud document', () => {
    const spec = validateSpec(awsDoc());
    expect(spec.kubernetes).toEqual({ version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' });
    expect(spec.network).toEqual({ ...DEFAULT_NETWORK });
    expect(spec.controlPlane).toEqual({ count: 1, type: DEFAULT_INSTANCE_TYPES.aws.controlPlane, diskGb: 50 });
    expect(spec.workers).toEqual({ count: 2, type: DEFAULT_INSTANCE_TYPES.aws.worker, diskGb: 50, min: 0 });
    expect(spec.ssh.user).toBe('ubuntu');
    expect(spec.provider).toEqual({ name: 'aws', region: 'eu-central-1' });
  });

  it('keeps given values over defaults', () => {
    const spec = validateSpec(
      patched(awsDoc(), {
        provider: { name: 'exoscale', zone: 'de-fra-1' },
        kubernetes: { version: '1.36.4', runtime: 'cri-o', cni: 'cilium' },
        controlPlane: { count: 3, type: 'standard.large' },
        network: { nodeCidr: '172.20.0.0/24', podCidr: '10.32.0.0/12', serviceCidr: '10.16.0.0/16' },
      }),
    );
    expect(spec.provider).toMatchObject({ name: 'exoscale', zone: 'de-fra-1' });
    expect(spec.kubernetes).toEqual({ version: '1.36.4', runtime: 'cri-o', cni: 'cilium' });
    expect(spec.controlPlane.type).toBe('standard.large');
    expect(spec.workers.type).toBe(DEFAULT_INSTANCE_TYPES.exoscale.worker);
    expect(spec.network.nodeCidr).toBe('172.20.0.0/24');
  });

  it('static: leaves nodeCidr unset and derives counts from the hosts', () => {
    const spec = validateSpec(
      patched(staticDoc(), {
        provider: {
          hosts: [
            { address: '192.0.2.10', role: 'control-plane' },
            { address: 'node-2.example.com', role: 'control-plane', privateAddress: '10.0.0.2' },
            { address: '192.0.2.12', role: 'control-plane', port: 2222, user: 'admin', name: 'third' },
            { address: '192.0.2.21', role: 'worker' },
          ],
          apiEndpoint: 'k8s-api.example.com:6443',
        },
      }),
    );
    expect(spec.network.nodeCidr).toBeUndefined();
    expect(spec.controlPlane.count).toBe(3);
    expect(spec.workers.count).toBe(1);
    expect(spec.controlPlane.type).toBeUndefined();
  });

  it('static: an explicit count that agrees with the hosts is fine', () => {
    expect(validateSpec(patched(staticDoc(), { controlPlane: { count: 1 }, workers: { count: 1 } })).workers.count).toBe(1);
  });

  it('accepts 0.0.0.0/0 and an image id next to build, with warnings', () => {
    const spec = validateSpec(patched(awsDoc(), { ssh: { adminCidrs: ['0.0.0.0/0'] }, image: { id: 'ami-0123456789abcdef0' } }));
    expect(specWarnings(spec).map((w) => `${w.path}: ${w.message}`)).toEqual([
      'ssh.adminCidrs: lets the whole internet reach SSH and the Kubernetes API',
      'image.build: is ignored: image.id is set, so that image is used',
    ]);
  });

  it('checkSpec finds nothing in a spec that validated', () => {
    expect(checkSpec(validateSpec(awsDoc()))).toEqual([]);
  });

  it('applyProviderDefaults does not touch static specs', () => {
    const spec = validateSpec(staticDoc());
    expect(applyProviderDefaults(spec)).toBe(spec);
  });
});
