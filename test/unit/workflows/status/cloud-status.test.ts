/** status reports each part of the cloud integration and storage: the version it runs, whether it is available, the default StorageClass. */
import { describe, expect, it } from 'vitest';
import { cloudStatus, formatCloudStatus, type KubectlReader } from '../../../../src/workflows/status/cloud-status.js';
import { collectStatus, formatStatus } from '../../../../src/workflows/status/index.js';
import { loadCluster, topologyOf } from '../../../../src/workflows/run/load-cluster.js';
import type { NodeStatus } from '../../../../src/nodes/node-ops.js';
import type { ClusterNode } from '../../../../src/nodes/topology.js';
import { createContext } from '../../../../src/cli/main.js';
import { clusterRefOf } from '../../../../src/cli/host.js';
import { cloudSpec } from '../../../helpers/cloud-spec.js';
import { makeCluster } from '../../../helpers/cluster-fixture.js';
import { fakeIo } from '../../../helpers/fake-io.js';

const via: ClusterNode = { name: 'cp-1', role: 'control-plane', host: 'h', port: 22, privateIp: '10.0.0.1' };
const quiet = { signal: new AbortController().signal, output: () => undefined };
const workload = (container: string, image: string, available: boolean) =>
  JSON.stringify({ kind: 'Deployment', spec: { template: { spec: { containers: [{ name: container, image }] } } }, status: { conditions: [{ type: 'Available', status: available ? 'True' : 'False' }] } });
const daemonSet = (container: string, image: string, ready: number, desired: number) =>
  JSON.stringify({ kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: container, image }] } } }, status: { desiredNumberScheduled: desired, numberReady: ready } });
const classes = (defaults: string[]) => JSON.stringify({ items: defaults.map((name) => ({ metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'p' })) });

/** Answers like a cluster from a table of "command contains" → stdout (undefined: the command failed). */
const reader = (table: Array<[string, string | undefined]>): KubectlReader => async (_node, argv) => {
  const entry = table.find(([key]) => argv.join(' ').includes(key));
  return entry ? entry[1] : '';
};

describe('cloudStatus', () => {
  it('reports each part with the version it runs and whether it is available; all available and the default class present is healthy', async () => {
    const read = reader([
      ['get daemonset aws-cloud-controller-manager', daemonSet('aws-cloud-controller-manager', 'registry.k8s.io/provider-aws/cloud-controller-manager:v1.36.1', 1, 1)],
      ['get deployment ebs-csi-controller', workload('ebs-plugin', 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0', true)],
      ['get daemonset ebs-csi-node', daemonSet('ebs-plugin', 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0', 2, 2)],
      ['get deployment snapshot-controller', workload('snapshot-controller', 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0', true)],
      ['get storageclass', classes(['ebs-gp3'])],
    ]);
    const cloud = await cloudStatus(cloudSpec('aws'), '1.37.1', via, read, quiet);
    expect(cloud).toEqual({
      parts: [
        { part: 'ccm', component: 'AWS cloud controller manager', workload: 'kube-system/daemonset/aws-cloud-controller-manager', pinned: 'v1.36.1', running: 'v1.36.1', present: true, available: true, desired: 1, ready: 1 },
        { part: 'snapshots', component: 'snapshot-controller', workload: 'kube-system/deployment/snapshot-controller', pinned: 'v8.6.0', running: 'v8.6.0', present: true, available: true },
        { part: 'csi', component: 'AWS CSI driver', workload: 'kube-system/deployment/ebs-csi-controller', pinned: 'v1.64.0', running: 'v1.64.0', present: true, available: true },
        { part: 'csi', component: 'AWS CSI driver (ebs-csi-node)', workload: 'kube-system/daemonset/ebs-csi-node', pinned: 'v1.64.0', running: 'v1.64.0', present: true, available: true, desired: 2, ready: 2 },
      ],
      defaultStorageClass: { expected: 'ebs-gp3', defaults: ['ebs-gp3'], present: true },
      healthy: true,
    });
  });

  it('is unhealthy with a part not available, missing, or a wrong default class, and says so for a person', async () => {
    const read = reader([
      ['get deployment exoscale-cloud-controller-manager', workload('exoscale-cloud-controller-manager', 'exoscale/cloud-controller-manager:0.33.0', false)],
      ['get deployment exoscale-csi-controller', ''],
      ['get deployment snapshot-controller', undefined],
      ['get storageclass', classes(['standard', 'exoscale-sbs'])],
    ]);
    const cloud = (await cloudStatus(cloudSpec('exoscale'), '1.37.1', via, read, quiet))!;
    expect(cloud.healthy).toBe(false);
    // The CSI node plugin's probe answers '' like any command not in the table: not installed.
    expect(cloud.parts.map((p) => [p.workload, p.present, p.available])).toEqual([
      ['kube-system/deployment/exoscale-cloud-controller-manager', true, false],
      ['kube-system/deployment/snapshot-controller', null, null],
      ['kube-system/deployment/exoscale-csi-controller', false, false],
      ['kube-system/daemonset/exoscale-csi-node', false, false],
    ]);
    expect(cloud.defaultStorageClass).toEqual({ expected: 'exoscale-sbs', defaults: ['standard', 'exoscale-sbs'], present: false });
    const text = formatCloudStatus(cloud).join('\n');
    expect(text).toMatch(/Exoscale cloud controller manager\s+0\.33\.0\s+not available \(this release pins 0\.34\.0: run upgrade or init to move it\)/);
    expect(text).toMatch(/Exoscale CSI driver\s+-\s+not installed/);
    expect(text).toMatch(/snapshot-controller\s+-\s+unknown/);
    expect(text).toMatch(/default StorageClass exoscale-sbs\s+missing \(default: standard, exoscale-sbs\)/);
  });

  it('reports the node DaemonSets (CSI node plugin, MetalLB speaker) with desired and ready pods; one not ready makes it unhealthy', async () => {
    const read = reader([
      ['get daemonset openstack-cloud-controller-manager', daemonSet('openstack-cloud-controller-manager', 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.36.0', 1, 1)],
      ['get deployment csi-cinder-controllerplugin', workload('cinder-csi-plugin', 'registry.k8s.io/provider-os/cinder-csi-plugin:v1.36.0', true)],
      ['get daemonset csi-cinder-nodeplugin', daemonSet('cinder-csi-plugin', 'registry.k8s.io/provider-os/cinder-csi-plugin:v1.36.0', 1, 2)],
      ['get deployment snapshot-controller', workload('snapshot-controller', 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0', true)],
      ['get storageclass', classes(['csi-cinder-sc-delete'])],
    ]);
    const cloud = (await cloudStatus(cloudSpec('openstack'), '1.37.1', via, read, quiet))!;
    expect(cloud.parts.find((p) => p.workload === 'kube-system/daemonset/csi-cinder-nodeplugin')).toEqual({
      part: 'csi', component: 'OpenStack CSI driver (csi-cinder-nodeplugin)', workload: 'kube-system/daemonset/csi-cinder-nodeplugin', pinned: 'v1.36.0', running: 'v1.36.0', present: true, available: false, desired: 2, ready: 1,
    });
    expect(cloud.healthy).toBe(false);
    expect(formatCloudStatus(cloud).join('\n')).toMatch(/OpenStack CSI driver \(csi-cinder-nodeplugin\)\s+v1\.36\.0\s+not available \(1\/2 pods ready\)/);

    const metallb = await cloudStatus(cloudSpec('static', { loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0.220'] } }, storage: { defaultClass: 'none' } }), '1.37.1', via, reader([
      ['get deployment controller', workload('controller', 'quay.io/metallb/controller:v0.16.1', true)],
      ['get daemonset speaker', daemonSet('speaker', 'quay.io/metallb/speaker:v0.16.1', 2, 2)],
    ]), quiet);
    expect(metallb?.parts.map((p) => [p.component, p.workload, p.available, p.desired, p.ready])).toEqual([
      ['MetalLB', 'metallb-system/deployment/controller', true, undefined, undefined],
      ['MetalLB (speaker)', 'metallb-system/daemonset/speaker', true, 2, 2],
    ]);
    expect(metallb?.healthy).toBe(true);
  });

  it('has nothing to report when the spec asks for nothing', async () => {
    expect(await cloudStatus(cloudSpec('aws', { cloudIntegration: { ccm: false, csi: false } }), '1.37.1', via, reader([]), quiet)).toBeUndefined();
  });
});

describe('status with the cloud parts', () => {
  it('puts them in the report and its text, and a missing default StorageClass makes the cluster unhealthy', async () => {
    const fixture = await makeCluster();
    const ctx = createContext(fakeIo({ cwd: fixture.cwd }), { yes: false, output: 'plain', verbose: false, color: false }, new AbortController().signal);
    const cluster = await loadCluster(ctx, clusterRefOf(ctx));
    const topology = topologyOf(cluster);
    const nodes: NodeStatus[] = ['cp-1', 'worker-1'].map((name) => ({ name, roles: [], ready: true, unschedulable: false, kubeletVersion: 'v1.36.2' }));
    const run = (answers: Array<[string, string | undefined]>) =>
      collectStatus(cluster, { topology, lister: { getNodes: async () => nodes, kubectl: reader(answers) }, signal: new AbortController().signal, deadline: Date.now() + 60_000 });
    const local = workload('local-path-provisioner', 'docker.io/rancher/local-path-provisioner:v0.0.37', true);
    const good = await run([['local-path-provisioner', local], ['get storageclass', JSON.stringify({ items: [{ metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path' }] })]]);
    expect(good.healthy).toBe(true);
    expect(good.cloud?.parts.map((p) => p.component)).toEqual(['local-path-provisioner']);
    expect(formatStatus(good)).toMatch(/Cloud integration and storage:\n  local-path-provisioner\s+v0\.0\.37\s+available\n  default StorageClass local-path\s+present/);
    const bad = await run([['local-path-provisioner', local], ['get storageclass', '{"items":[]}']]);
    expect(bad.healthy).toBe(false);
    expect(bad.cloud?.defaultStorageClass).toEqual({ expected: 'local-path', defaults: [], present: false });
  });
});
