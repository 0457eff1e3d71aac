import { describe, expect, it } from 'vitest';
import * as commands from '../../../src/kube/node-commands.js';
import { parseKubeadmVersion, parseNodesJson } from '../../../src/kube/node-commands.js';

const node = (name: string, options: { ready?: 'True' | 'False'; cp?: boolean; unschedulable?: boolean; message?: string } = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    creationTimestamp: '2026-09-20T10:00:00Z',
    labels: { 'kubernetes.io/hostname': name, ...(options.cp ? { 'node-role.kubernetes.io/control-plane': '' } : {}) },
  },
  spec: { podCIDR: '10.244.1.0/24', ...(options.unschedulable ? { unschedulable: true } : {}) },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: options.ready ?? 'True', reason: 'KubeletReady', message: options.message ?? 'kubelet is posting ready status' },
    ],
    nodeInfo: { kubeletVersion: 'v1.36.2', containerRuntimeVersion: 'containerd://2.1.4' },
    addresses: [
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'Hostname', address: name },
    ],
  },
});

describe('node command builders', () => {
  it('use the protocol forms', () => {
    expect(commands.kubeadmInit('/etc/kubernetes/k8sb/kubeadm-init.yaml')).toEqual(['kubeadm', 'init', '--config', '/etc/kubernetes/k8sb/kubeadm-init.yaml', '--upload-certs']);
    expect(commands.kubeadmJoin('/etc/kubernetes/k8sb/kubeadm-join.yaml')).toEqual(['kubeadm', 'join', '--config', '/etc/kubernetes/k8sb/kubeadm-join.yaml']);
    expect(commands.tokenCreatePrintJoin()).toEqual(['kubeadm', 'token', 'create', '--ttl', '24h0m0s', '--print-join-command']);
    expect(commands.uploadCerts('/etc/kubernetes/k8sb/upload-certs.yaml')).toEqual(['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', '/etc/kubernetes/k8sb/upload-certs.yaml', '--skip-certificate-key-print']);
    expect(commands.upgradeApply('1.37.1')).toEqual(['kubeadm', 'upgrade', 'apply', 'v1.37.1', '--yes']);
    expect(commands.upgradePlan('v1.37.1')).toEqual(['kubeadm', 'upgrade', 'plan', 'v1.37.1']);
    expect(commands.upgradeNode()).toEqual(['kubeadm', 'upgrade', 'node']);
    expect(commands.reset()).toEqual(['kubeadm', 'reset', '-f']);
    expect(commands.drain('worker-1', 300)).toEqual([
      'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'drain', 'worker-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=300s',
    ]);
    expect(commands.readyzVerbose()).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', '--raw', '/readyz?verbose']);
  });

  it('always pass the admin kubeconfig to kubectl', () => {
    for (const argv of [commands.getNodesJson(), commands.cordon('a'), commands.uncordon('a'), commands.deleteNode('a'), commands.kubectl(['version'])]) {
      expect(argv.slice(0, 3)).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf']);
    }
  });

  it('refuse values that are not node names, versions or paths', () => {
    expect(() => commands.drain('Worker_1', 300)).toThrow(expect.objectContaining({ code: 'InvalidRemoteValue' }));
    expect(() => commands.deleteNode('a;rm -rf /')).toThrow(/node name/);
    expect(() => commands.upgradeApply('latest')).toThrow(/version/);
    expect(() => commands.kubeadmInit('/etc/../x y')).toThrow(/path/);
    expect(() => commands.uploadCerts('/etc/k8sb;id')).toThrow(/path/);
  });
});

describe('parseNodesJson', () => {
  it('reads names, roles, readiness, versions, addresses', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [node('cp-1', { cp: true }), node('worker-1', { ready: 'False', unschedulable: true, message: 'container runtime network not ready: NetworkReady=false' })],
    });
    expect(parseNodesJson(text)).toEqual([
      { name: 'cp-1', roles: ['control-plane'], ready: true, unschedulable: false, kubeletVersion: 'v1.36.2', internalIp: '10.0.0.5', createdAt: '2026-09-20T10:00:00Z', readyMessage: 'kubelet is posting ready status' },
      {
        name: 'worker-1', roles: [], ready: false, unschedulable: true, kubeletVersion: 'v1.36.2', internalIp: '10.0.0.5', createdAt: '2026-09-20T10:00:00Z',
        readyMessage: 'container runtime network not ready: NetworkReady=false',
      },
    ]);
  });

  it('treats a node without a Ready condition as not ready', () => {
    const bare = { metadata: { name: 'fresh' } };
    expect(parseNodesJson(JSON.stringify({ items: [bare] }))[0]).toMatchObject({ name: 'fresh', ready: false, kubeletVersion: '' });
  });

  it.each([
    ['not JSON', 'The connection to the server localhost:8080 was refused - did you specify the right host or port?'],
    ['the wrong shape', JSON.stringify({ kind: 'Status', message: 'Unauthorized' })],
    ['items without names', JSON.stringify({ items: [{ metadata: {} }] })],
  ])('refuses %s and shows the output', (_what, text) => {
    let error: unknown;
    try {
      parseNodesJson(text);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'UnexpectedKubectlOutput' });
    expect((error as { details: string[] }).details.join('\n')).toContain(text.slice(0, 30));
  });

  it('parses kubeadm version -o short', () => {
    expect(parseKubeadmVersion('v1.36.2\n')).toBe('1.36.2');
    expect(() => parseKubeadmVersion('command not found')).toThrow(expect.objectContaining({ code: 'UnexpectedKubeadmOutput' }));
  });
});

describe('parsePids (pgrep -x kubeadm)', () => {
  it('reads one pid per line when pgrep found some', () => {
    expect(commands.runningKubeadm()).toEqual(['pgrep', '-x', 'kubeadm']);
    expect(commands.parsePids(0, '4242\n977\n')).toEqual([4242, 977]);
  });

  it('is empty when none runs (exit 1) or the answer is not pgrep\'s (no procps, a wrapper)', () => {
    expect(commands.parsePids(1, '')).toEqual([]);
    expect(commands.parsePids(1, 'sudo: pgrep: command not found\n')).toEqual([]);
    expect(commands.parsePids(0, 'kubeadm is running\n')).toEqual([]);
  });
});
