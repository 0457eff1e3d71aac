import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderInitConfig, renderJoinConfig } from '../../../src/kube/kubeadm-config.js';
import { generateBootstrapToken, generateCertificateKey } from '../../../src/kube/join-material.js';
import { specFixture } from '../../helpers/spec-fixture.js';
import { cloudSpec } from '../../helpers/cloud-spec.js';

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
const token = generateBootstrapToken();
const certificateKey = generateCertificateKey();
const caCertHash = `sha256:${'ab'.repeat(32)}`;

function init(version: string, extra: Partial<Parameters<typeof renderInitConfig>[0]> = {}) {
  return docs(
    renderInitConfig({
      spec: specFixture({ version, podCidr: '10.250.0.0/16' }),
      node: { name: 'cp-1', privateIp: '10.0.0.5' },
      apiEndpoint: 'api.example.com:6443',
      certSans: ['203.0.113.10', '10.0.0.5', '10.0.0.6'],
      token,
      certificateKey,
      ...extra,
    }),
  );
}

describe('renderInitConfig', () => {
  it('leaves the control plane untainted when the cluster has no workers (nodeRegistration.taints: []), tainted otherwise', () => {
    expect(init('1.37.1', { untaintControlPlane: true })[0]!.nodeRegistration.taints).toEqual([]);
    expect(init('1.37.1')[0]!.nodeRegistration).not.toHaveProperty('taints');
    const join = (untaintControlPlane: boolean, controlPlane: boolean) =>
      docs(renderJoinConfig({ spec: specFixture({ version: '1.37.1' }), node: { name: 'n', privateIp: '10.0.0.7' }, apiEndpoint: 'api.example.com:6443', token, caCertHash, untaintControlPlane, ...(controlPlane ? { controlPlane: { certificateKey, advertiseAddress: '10.0.0.7' } } : {}) }))[0]!;
    expect(join(true, true).nodeRegistration.taints).toEqual([]);
    expect(join(true, false).nodeRegistration).not.toHaveProperty('taints');
  });

  it('emits v1beta4 from 1.31 with name/value extra args and timeouts', () => {
    const [initDoc, cluster, kubelet] = init('1.36.2');
    expect(initDoc).toMatchObject({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration', certificateKey });
    expect(initDoc!.bootstrapTokens).toEqual([expect.objectContaining({ token, ttl: '24h0m0s' })]);
    expect(initDoc!.localAPIEndpoint).toEqual({ advertiseAddress: '10.0.0.5', bindPort: 6443 });
    expect(initDoc!.nodeRegistration).toEqual({
      name: 'cp-1',
      criSocket: 'unix:///run/containerd/containerd.sock',
      kubeletExtraArgs: [{ name: 'node-ip', value: '10.0.0.5' }],
    });
    expect(initDoc!.timeouts).toBeDefined();
    expect(cluster).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      kubernetesVersion: 'v1.36.2',
      clusterName: 'demo',
      controlPlaneEndpoint: 'api.example.com:6443',
      networking: { podSubnet: '10.250.0.0/16', serviceSubnet: '10.96.0.0/12' },
    });
    expect(cluster!.apiServer.timeoutForControlPlane).toBeUndefined();
    expect(kubelet).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' });
  });

  it('emits v1beta3 below 1.31 with map extra args', () => {
    const [initDoc, cluster] = init('1.30.4');
    expect(initDoc!.apiVersion).toBe('kubeadm.k8s.io/v1beta3');
    expect(initDoc!.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '10.0.0.5' });
    expect(initDoc!.timeouts).toBeUndefined();
    expect(cluster!.apiVersion).toBe('kubeadm.k8s.io/v1beta3');
    expect(cluster!.apiServer.timeoutForControlPlane).toBe('4m0s');
  });

  it('always sets controlPlaneEndpoint, even for one control plane', () => {
    const [, cluster] = init('1.37.1', { apiEndpoint: '10.0.0.5:6443', certSans: [] });
    expect(cluster!.controlPlaneEndpoint).toBe('10.0.0.5:6443');
  });

  it('lists every SAN once: endpoint host, extras, loopback', () => {
    const [, cluster] = init('1.36.2');
    expect(cluster!.apiServer.certSANs).toEqual(['api.example.com', '203.0.113.10', '10.0.0.5', '10.0.0.6', '127.0.0.1', 'localhost']);
  });

  it('uses the CRI-O socket for cri-o', () => {
    const text = renderInitConfig({
      spec: specFixture({ runtime: 'cri-o' }),
      node: { name: 'cp-1', privateIp: '10.0.0.5' },
      apiEndpoint: '10.0.0.5:6443',
      certSans: [],
      token,
      certificateKey,
    });
    expect(docs(text)[0]!.nodeRegistration.criSocket).toBe('unix:///var/run/crio/crio.sock');
  });

  it('refuses malformed secrets, names and endpoints', () => {
    expect(() => init('1.36.2', { token: 'nope' })).toThrow(/bootstrap token/);
    expect(() => init('1.36.2', { certificateKey: 'abc' })).toThrow(/certificate key/);
    expect(() => init('1.36.2', { node: { name: 'CP_1', privateIp: '10.0.0.5' } })).toThrow(/node name/);
    expect(() => init('1.36.2', { apiEndpoint: 'no-port' })).toThrow(/API endpoint/);
  });
});

describe('renderJoinConfig', () => {
  const base = { node: { name: 'worker-1', privateIp: '10.0.0.7' }, apiEndpoint: '10.0.0.100:8443', token, caCertHash };

  it('builds a v1beta4 worker join with discovery and timeouts', () => {
    const [join] = docs(renderJoinConfig({ spec: specFixture({ version: '1.36.2' }), ...base }));
    expect(join).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { token, apiServerEndpoint: '10.0.0.100:8443', caCertHashes: [caCertHash] } },
      nodeRegistration: { name: 'worker-1', kubeletExtraArgs: [{ name: 'node-ip', value: '10.0.0.7' }] },
      timeouts: { discovery: '5m0s' },
    });
    expect(join!.controlPlane).toBeUndefined();
    expect(join!.discovery.timeout).toBeUndefined();
  });

  it('adds controlPlane with the certificate key for control-plane joins', () => {
    const [join] = docs(
      renderJoinConfig({ spec: specFixture({ version: '1.37.1' }), ...base, controlPlane: { certificateKey, advertiseAddress: '10.0.0.7' } }),
    );
    expect(join!.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '10.0.0.7', bindPort: 6443 }, certificateKey });
  });

  it('uses discovery.timeout in v1beta3', () => {
    const [join] = docs(renderJoinConfig({ spec: specFixture({ version: '1.29.9' }), ...base }));
    expect(join!.apiVersion).toBe('kubeadm.k8s.io/v1beta3');
    expect(join!.discovery.timeout).toBe('5m0s');
    expect(join!.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '10.0.0.7' });
  });

  it('refuses a malformed CA hash', () => {
    expect(() => renderJoinConfig({ spec: specFixture(), ...base, caCertHash: 'sha256:xyz' })).toThrow(/CA cert hash/);
  });
});

describe('kubelet flags of the cloud integration', () => {
  const joinDoc = (spec: ReturnType<typeof cloudSpec>, node: { name: string; privateIp: string; providerId?: string }, controlPlane = false) =>
    docs(renderJoinConfig({ spec, node, apiEndpoint: 'api.example.com:6443', token, caCertHash, ...(controlPlane ? { controlPlane: { certificateKey, advertiseAddress: node.privateIp } } : {}) }))[0]!;
  const initDoc = (spec: ReturnType<typeof cloudSpec>, node: { name: string; privateIp: string; providerId?: string }) =>
    docs(renderInitConfig({ spec, node, apiEndpoint: 'api.example.com:6443', certSans: [], token, certificateKey }));

  it('sets cloud-provider external (and the provider ID when known) on every node when the CCM runs, v1beta4 list form', () => {
    const spec = cloudSpec('aws', {}, '1.37.1');
    const node = { name: 'cp-1', privateIp: '10.0.0.5', providerId: 'aws:///eu-central-1a/i-0123456789abcdef0' };
    const [init, cluster] = initDoc(spec, node);
    expect(init!.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'node-ip', value: '10.0.0.5' },
      { name: 'cloud-provider', value: 'external' },
      { name: 'provider-id', value: 'aws:///eu-central-1a/i-0123456789abcdef0' },
    ]);
    // Nothing on kube-apiserver or kube-controller-manager (running-cloud-controller.md: they MUST NOT).
    expect(JSON.stringify(cluster)).not.toContain('cloud-provider');
    expect(joinDoc(spec, { name: 'w-1', privateIp: '10.0.0.9' }).nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'node-ip', value: '10.0.0.9' },
      { name: 'cloud-provider', value: 'external' },
    ]);
    expect(joinDoc(spec, { ...node, name: 'cp-2' }, true).nodeRegistration.kubeletExtraArgs).toContainEqual({ name: 'provider-id', value: node.providerId });
  });

  it('uses the map form below 1.31, and sets nothing without the CCM (ccm false, static)', () => {
    const old = { ...cloudSpec('openstack'), kubernetes: { ...cloudSpec('openstack').kubernetes, version: '1.30.4' } };
    expect(joinDoc(old, { name: 'w-1', privateIp: '10.0.0.9' }).nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '10.0.0.9', 'cloud-provider': 'external' });
    const off = cloudSpec('aws', { cloudIntegration: { ccm: false } });
    expect(initDoc(off, { name: 'cp-1', privateIp: '10.0.0.5', providerId: 'aws:///a/i-1' })[0]!.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '10.0.0.5' }]);
    expect(joinDoc(cloudSpec('static'), { name: 'w-1', privateIp: '10.0.0.9' }).nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '10.0.0.9' }]);
  });

  it('refuses a provider ID that is not <cloud>://<id>', () => {
    expect(() => joinDoc(cloudSpec('aws'), { name: 'w-1', privateIp: '10.0.0.9', providerId: 'i-1\nfoo: bar' })).toThrow(/provider ID of w-1/);
  });
});
