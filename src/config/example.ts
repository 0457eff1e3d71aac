/**
 * Example cluster.yaml per provider (`config example`). Addresses come from the documentation
 * ranges (RFC 5737), so an example copied as-is never points at someone's real machines.
 */
import type { ClusterSpec, ClusterSpecInput, ProviderName } from './schema.js';
import { API_VERSION, KIND } from './schema.js';
import { validateSpec } from './validate/index.js';

const ADMIN_EXAMPLE = ['203.0.113.0/24'];

function providerPart(provider: ProviderName): Pick<ClusterSpecInput, 'provider' | 'ssh' | 'network' | 'controlPlane' | 'workers'> {
  switch (provider) {
    case 'exoscale':
      return { provider: { name: 'exoscale', zone: 'ch-gva-2' }, ssh: { adminCidrs: ADMIN_EXAMPLE } };
    case 'openstack':
      return { provider: { name: 'openstack', region: 'RegionOne', cloud: 'mycloud' }, ssh: { adminCidrs: ADMIN_EXAMPLE } };
    case 'aws':
      return { provider: { name: 'aws', region: 'eu-central-1' }, ssh: { adminCidrs: ADMIN_EXAMPLE } };
    case 'static':
      return {
        provider: {
          name: 'static',
          hosts: [
            { address: '192.0.2.10', role: 'control-plane', name: 'cp-1' },
            { address: '192.0.2.21', role: 'worker', name: 'worker-1' },
            { address: '192.0.2.22', role: 'worker', name: 'worker-2' },
          ],
        },
        network: { nodeCidr: '192.0.2.0/24' },
        ssh: { user: 'ubuntu', privateKey: '~/.ssh/id_ed25519' },
      };
  }
}

export function exampleSpec(provider: ProviderName): ClusterSpec {
  const part = providerPart(provider);
  return validateSpec({
    apiVersion: API_VERSION,
    kind: KIND,
    name: 'demo',
    ...part,
    kubernetes: { runtime: 'containerd', cni: 'calico' },
    network: { ...part.network },
  });
}
