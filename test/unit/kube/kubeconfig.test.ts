import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { kubeconfigNames, kubeconfigServer, mergeKubeconfig, readUntrustedKubeconfig, removeFromKubeconfig, rewriteAdminKubeconfig } from '../../../src/kube/kubeconfig.js';
import { adminConf, b64, sharedKubePki } from '../../fixtures/kube-pki.js';

const pki = sharedKubePki();
const admin = adminConf(pki, { server: '10.0.0.5:6443' });
const rewrite = (endpoint: string) => rewriteAdminKubeconfig(admin, { clusterName: 'demo', endpoint, node: 'cp-1', allowedServers: ['10.0.0.5:6443'] });
const partsOf = (text: string) => readUntrustedKubeconfig(text, { source: 'test', fix: '' });
const merge = (existing: string | undefined, endpoint: string, setCurrentContext = false) =>
  mergeKubeconfig(existing, partsOf(rewrite(endpoint)), { names: kubeconfigNames('demo'), owned: [], file: 'config', standalone: 'kc', setCurrentContext });

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
    const result = parse(rewrite('203.0.113.10:6443'));
    expect(result.clusters).toEqual([{ name: 'demo', cluster: { 'certificate-authority-data': b64(pki.caCert), server: 'https://203.0.113.10:6443' } }]);
    expect(result.users).toEqual([{ name: 'demo-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }]);
    expect(result.contexts).toEqual([{ name: 'demo-admin@demo', context: { cluster: 'demo', user: 'demo-admin' } }]);
    expect(result['current-context']).toBe('demo-admin@demo');
  });

  it('merges into an existing config, keeping other contexts and the current one', () => {
    const merged = parse(merge(existing, '203.0.113.10:6443').text);
    expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(['other-admin@other', 'demo-admin@demo']);
    expect(merged.users.find((u: { name: string }) => u.name === 'other-admin').user.token).toBe('other-token');
    expect(merged['current-context']).toBe('other-admin@other');
    expect(parse(merge(existing, '203.0.113.10:6443', true).text)['current-context']).toBe('demo-admin@demo');
  });

  it('replaces its own entries on a second merge and leaves the others', () => {
    const first = merge(existing, '203.0.113.10:6443');
    const second = mergeKubeconfig(first.text, partsOf(rewrite('198.51.100.7:6443')), { names: kubeconfigNames('demo'), owned: [first.entries], file: 'config', standalone: 'kc' });
    const result = parse(second.text);
    expect(result.clusters).toHaveLength(2);
    expect(result.clusters.find((c: { name: string }) => c.name === 'demo').cluster.server).toBe('https://198.51.100.7:6443');
    expect(result.clusters.find((c: { name: string }) => c.name === 'other').cluster.server).toBe('https://other.example.com:6443');
  });

  it('merges into nothing (no ~/.kube/config yet) and sets the current context', () => {
    const merged = merge(undefined, 'api.example.com:6443');
    expect(parse(merged.text)['current-context']).toBe('demo-admin@demo');
    expect(kubeconfigServer(merge('', 'api.example.com:6443').text)).toBe('https://api.example.com:6443');
  });

  it('removes only the cluster entries', () => {
    const merged = merge(existing, '203.0.113.10:6443', true);
    const removed = removeFromKubeconfig(merged.text, [merged.entries], 'config');
    const result = parse(removed.text);
    expect(removed.removed).toEqual(['cluster "demo"', 'user "demo-admin"', 'context "demo-admin@demo"']);
    expect(result.clusters.map((c: { name: string }) => c.name)).toEqual(['other']);
    expect(result.contexts.map((c: { name: string }) => c.name)).toEqual(['other-admin@other']);
    expect(result['current-context']).toBeUndefined();
  });

  it('refuses an admin.conf without cluster or user', () => {
    expect(() => rewriteAdminKubeconfig('apiVersion: v1\nkind: Config\n', { clusterName: 'demo', endpoint: 'a:1', node: 'cp-1', allowedServers: [] })).toThrow(
      expect.objectContaining({ code: 'InvalidKubeconfig' }),
    );
  });
});
