/**
 * Example cluster.yaml per provider (`config example`). Addresses come from the documentation
 * ranges (RFC 5737), so an example copied as-is never points at someone's real machines.
 */
import type { ClusterSpec, ClusterSpecInput, ProviderName } from './schema.js';
import { API_VERSION, KIND } from './schema.js';
import { validateSpec } from './validate/index.js';

const ADMIN_EXAMPLE = ['203.0.113.0/24'];

function providerPart(provider: ProviderName): Pick<ClusterSpecInput, 'provider' | 'ssh' | 'network' | 'controlPlane' | 'workers' | 'loadBalancer' | 'storage'> {
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
        // No privateKey: the ssh-agent is used. A key file that may not exist here would make the
        // example fail its own `config validate`; add ssh.privateKey to use one.
        ssh: { user: 'ubuntu' },
        // Free addresses of the hosts' network for LoadBalancer Services (MetalLB L2).
        loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.220'] } },
        storage: { defaultClass: 'local-path' },
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
