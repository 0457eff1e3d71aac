/** Specs of each provider with cloud integration and storage settings, for the cloud-integration tests. */
import { clusterSpecSchema, type ClusterSpec } from '../../src/config/schema.js';

type Provider = 'exoscale' | 'openstack' | 'aws' | 'static';

export function cloudSpec(provider: Provider, extra: Record<string, unknown> = {}, version = '1.37.1'): ClusterSpec {
  return clusterSpecSchema.parse({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'demo',
    provider: provider === 'static' ? { name: 'static', hosts: [] } : { name: provider },
    kubernetes: { version, cni: 'calico', runtime: 'containerd' },
    network: { podCidr: '10.244.0.0/16' },
    ...extra,
  });
}
