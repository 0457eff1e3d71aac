import { clusterSpecSchema, type ClusterSpec } from '../../src/config/schema.js';

export function specFixture(overrides: { version?: string; cni?: 'calico' | 'flannel' | 'cilium'; podCidr?: string; runtime?: 'containerd' | 'cri-o' } = {}): ClusterSpec {
  return clusterSpecSchema.parse({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'demo',
    provider: { name: 'static', hosts: [] },
    kubernetes: { version: overrides.version ?? '1.36.2', cni: overrides.cni ?? 'calico', runtime: overrides.runtime ?? 'containerd' },
    network: { podCidr: overrides.podCidr ?? '10.244.0.0/16' },
  });
}
