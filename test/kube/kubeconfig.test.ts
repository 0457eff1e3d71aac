import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { kubeconfigServer, mergeKubeconfig, removeFromKubeconfig, rewriteAdminKubeconfig } from '../../src/kube/kubeconfig.js';

const adminConf = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0EtREFUQQ==
    server: https://10.0.0.5:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`;

const existing = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example.com:6443
contexts:
- name: other-admin@other
  context:
    cluster: other
    user: other-admin
current-context: other-admin@other
users:
- name: other-admin
  user:
    token: other-token
`;

describe('kubeconfig', () => {
  it('rewrites the server to the public endpoint and names everything after the cluster', () => {
    const result = parse(rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: '203.0.113.10:6443' }));
    expect(result.clusters).toEqual([{ name: 'demo', cluster: { 'certificate-authority-data': 'Q0EtREFUQQ==', server: 'https://203.0.113.10:6443' } }]);
    expect(result.users).toEqual([{ name: 'demo-admin', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }]);
    expect(result.contexts).toEqual([{ name: 'demo-admin@demo', context: { cluster: 'demo', user: 'demo-admin' } }]);
    expect(result['current-context']).toBe('demo-admin@demo');
  });

  it('merges into an existing config, keeping other contexts and the current one', () => {
    const ours = rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: '203.0.113.10:6443' });
    const merged = parse(mergeKubeconfig(existing, ours));
    expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(['other-admin@other', 'demo-admin@demo']);
    expect(merged.users.find((u: { name: string }) => u.name === 'other-admin').user.token).toBe('other-token');
    expect(merged['current-context']).toBe('other-admin@other');
    expect(parse(mergeKubeconfig(existing, ours, { setCurrentContext: true }))['current-context']).toBe('demo-admin@demo');
  });

  it('replaces only same-named entries on a second merge', () => {
    const first = mergeKubeconfig(existing, rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: '203.0.113.10:6443' }));
    const second = parse(mergeKubeconfig(first, rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: '198.51.100.7:6443' })));
    expect(second.clusters).toHaveLength(2);
    expect(second.clusters.find((c: { name: string }) => c.name === 'demo').cluster.server).toBe('https://198.51.100.7:6443');
    expect(second.clusters.find((c: { name: string }) => c.name === 'other').cluster.server).toBe('https://other.example.com:6443');
  });

  it('merges into nothing (no ~/.kube/config yet) and sets the current context', () => {
    const merged = parse(mergeKubeconfig(undefined, rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: 'api.example.com:6443' })));
    expect(merged['current-context']).toBe('demo-admin@demo');
    expect(kubeconfigServer(mergeKubeconfig('', rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: 'api.example.com:6443' })))).toBe('https://api.example.com:6443');
  });

  it('removes only the cluster entries', () => {
    const merged = mergeKubeconfig(existing, rewriteAdminKubeconfig(adminConf, { clusterName: 'demo', endpoint: '203.0.113.10:6443' }), { setCurrentContext: true });
    const removed = parse(removeFromKubeconfig(merged, 'demo'));
    expect(removed.clusters.map((c: { name: string }) => c.name)).toEqual(['other']);
    expect(removed.contexts.map((c: { name: string }) => c.name)).toEqual(['other-admin@other']);
    expect(removed['current-context']).toBeUndefined();
  });

  it('refuses an admin.conf without cluster or user', () => {
    expect(() => rewriteAdminKubeconfig('apiVersion: v1\nkind: Config\n', { clusterName: 'demo', endpoint: 'a:1' })).toThrow(expect.objectContaining({ code: 'InvalidKubeconfig' }));
  });
});
