/** Rook-Ceph on static hosts (src/kube/cloud-integration.ts): the install plan, Ceph's health and the worker disk check. */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cloudIntegrationPlan, expectedDefaultClass, readCephClusterDrift, readCephHealth, readCephPoolDrift, readRookDisk, rookDiskProbe, type CloudStepPlan } from '../../../src/kube/cloud-integration.js';
import { isRetryableCloudError } from '../../../src/workflows/init/phases.js';
import { ExternalToolError } from '../../../src/errors.js';
import { ROOK } from '../../../src/kube/pins.js';
import { cloudSpec } from '../../helpers/cloud-spec.js';

const docsOf = (step: CloudStepPlan): any[] => step.files.flatMap((file) => parseAllDocuments(file.content).map((d) => d.toJS() as Record<string, any>)).filter(Boolean);
const hosts = (workers: number) => [
  { address: '192.0.2.10', role: 'control-plane' },
  ...Array.from({ length: workers }, (_, i) => ({ address: `192.0.2.${21 + i}`, role: 'worker', name: `w${i + 1}` })),
];
const rookSpec = (workers: number, version?: string) =>
  cloudSpec('static', { provider: { name: 'static', hosts: hosts(workers) }, storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } } }, version);

describe('Rook-Ceph install plan', () => {
  it('installs CRDs, common, ceph-csi-operator (Established), the operator (Available), then our CephCluster, pool and default class', () => {
    const plan = cloudIntegrationPlan(rookSpec(3, '1.36.4'));
    expect(plan.map((s) => s.stepId)).toEqual(['static:rook-ceph']);
    const step = plan[0]!;
    expect(step).toMatchObject({ version: ROOK.version, probe: { workload: { namespace: 'rook-ceph', name: 'rook-ceph-operator', container: 'rook-ceph-operator' } } });
    expect(step.warning).toBeUndefined();
    const commands = step.install.map((c) => c.argv.slice(3).join(' '));
    expect(commands).toEqual([
      'apply --server-side --force-conflicts -f /etc/kubernetes/k8sb/cloud/rook-crds.yaml',
      'apply --server-side --force-conflicts -f /etc/kubernetes/k8sb/cloud/rook-common.yaml',
      'apply --server-side --force-conflicts -f /etc/kubernetes/k8sb/cloud/rook-csi-operator.yaml',
      'wait --for=condition=Established crd/cephclusters.ceph.rook.io --timeout=60s',
      'wait --for=condition=Established crd/cephblockpools.ceph.rook.io --timeout=60s',
      'wait --for=condition=Established crd/drivers.csi.ceph.io --timeout=60s',
      'wait --for=condition=Established crd/operatorconfigs.csi.ceph.io --timeout=60s',
      'apply -f /etc/kubernetes/k8sb/cloud/rook-operator.yaml',
      '-n rook-ceph wait --for=condition=Available deployment/rook-ceph-operator --timeout=300s',
      'apply -f /etc/kubernetes/k8sb/cloud/rook-cluster.yaml',
      'apply -f /etc/kubernetes/k8sb/cloud/rook-storageclass.yaml',
    ]);
    const docs = docsOf(step);
    const operator = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'rook-ceph-operator');
    expect(operator.spec.template.spec.containers[0].image).toBe(`docker.io/rook/ceph:${ROOK.version}`);
    const cluster = docs.find((d) => d.kind === 'CephCluster');
    expect(cluster).toMatchObject({
      metadata: { name: 'rook-ceph', namespace: 'rook-ceph' },
      spec: {
        cephVersion: { image: ROOK.cephImage },
        mon: { count: 3, allowMultiplePerNode: false },
        mgr: { count: 2 },
        storage: { useAllNodes: false, useAllDevices: false, nodes: ['w1', 'w2', 'w3'].map((name) => ({ name, devices: [{ name: 'sdb' }] })) },
      },
    });
    expect(docs.find((d) => d.kind === 'CephBlockPool')).toMatchObject({ metadata: { name: 'replicapool', namespace: 'rook-ceph' }, spec: { failureDomain: 'host', replicated: { size: 3, requireSafeReplicaSize: true } } });
    // The upstream example's class, marked default.
    expect(docs.find((d) => d.kind === 'StorageClass')).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'rook-ceph-block', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rook-ceph.rbd.csi.ceph.com',
      parameters: {
        clusterID: 'rook-ceph',
        pool: 'replicapool',
        imageFormat: '2',
        imageFeatures: 'layering',
        'csi.storage.k8s.io/provisioner-secret-name': 'rook-csi-rbd-provisioner',
        'csi.storage.k8s.io/provisioner-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/controller-expand-secret-name': 'rook-csi-rbd-provisioner',
        'csi.storage.k8s.io/controller-expand-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/controller-publish-secret-name': 'rook-csi-rbd-provisioner',
        'csi.storage.k8s.io/controller-publish-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/node-stage-secret-name': 'rook-csi-rbd-node',
        'csi.storage.k8s.io/node-stage-secret-namespace': 'rook-ceph',
        'csi.storage.k8s.io/fstype': 'ext4',
      },
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });
    expect(expectedDefaultClass(rookSpec(3))).toEqual({ name: 'rook-ceph-block', provisioner: 'rook-ceph.rbd.csi.ceph.com' });
  });

  it('keeps fewer copies and daemons with fewer workers (size 1 needs requireSafeReplicaSize false), and warns on 1.37', () => {
    const docs = (workers: number) => docsOf(cloudIntegrationPlan(rookSpec(workers, '1.36.4'))[0]!);
    expect(docs(2).find((d) => d.kind === 'CephBlockPool').spec.replicated).toEqual({ size: 2, requireSafeReplicaSize: true });
    expect(docs(2).find((d) => d.kind === 'CephCluster').spec).toMatchObject({ mon: { count: 1 }, mgr: { count: 2 } });
    expect(docs(1).find((d) => d.kind === 'CephBlockPool').spec.replicated).toEqual({ size: 1, requireSafeReplicaSize: false });
    // As cluster-test.yaml: Ceph's default pool size follows, else TOO_FEW_OSDS keeps it HEALTH_WARN.
    expect(docs(2).find((d) => d.kind === 'CephCluster').spec.cephConfig).toEqual({ global: { osd_pool_default_size: '2' } });
    expect(docs(1).find((d) => d.kind === 'CephCluster').spec.cephConfig).toEqual({ global: { osd_pool_default_size: '1', mon_warn_on_pool_no_redundancy: 'false' } });
    expect(docs(3).find((d) => d.kind === 'CephCluster').spec.cephConfig).toEqual({});
    expect(docs(5).find((d) => d.kind === 'CephBlockPool').spec.replicated.size).toBe(3);
    expect(cloudIntegrationPlan(rookSpec(3, '1.37.1'))[0]!.warning).toMatch(/v1\.31 through v1\.36/);
  });

  it('is healthy only at HEALTH_OK on the first install; later HEALTH_WARN passes with Ceph\'s details as the warning', () => {
    const warn = JSON.stringify({ status: { ceph: { health: 'HEALTH_WARN', details: { TOO_FEW_OSDS: { message: 'OSD count 2 < osd_pool_default_size 3', severity: 'HEALTH_WARN' } } } } });
    expect(readCephHealth(JSON.stringify({ status: { phase: 'Ready', ceph: { health: 'HEALTH_OK' } } }))).toEqual({});
    expect(readCephHealth(warn)).toEqual({ problem: 'HEALTH_WARN: TOO_FEW_OSDS: OSD count 2 < osd_pool_default_size 3' });
    expect(readCephHealth(warn, false)).toEqual({ warning: 'Ceph reports HEALTH_WARN: TOO_FEW_OSDS: OSD count 2 < osd_pool_default_size 3' });
    expect(readCephHealth(JSON.stringify({ status: { ceph: { health: 'HEALTH_ERR' } } }), false)).toEqual({ problem: 'HEALTH_ERR' });
    expect(readCephHealth(JSON.stringify({ status: { phase: 'Progressing', message: 'Configuring Ceph Mons' } }), false)).toEqual({ problem: 'no health yet (phase Progressing: Configuring Ceph Mons)' });
    expect(readCephHealth('')).toEqual({ problem: 'CephCluster rook-ceph does not exist' });
  });

  it('unhealthy after the wait is final (not retried), and the hint names Ceph\'s health checks', () => {
    const step = cloudIntegrationPlan(rookSpec(3))[0]!;
    expect(step.health!.hint).toContain("kubectl -n rook-ceph get cephcluster rook-ceph -o jsonpath='{.status.ceph.details}'");
    expect(isRetryableCloudError(new ExternalToolError('CloudComponentUnhealthy', 'Rook-Ceph is not healthy after 1200s: HEALTH_WARN'))).toBe(false);
    expect(isRetryableCloudError(new ExternalToolError('CloudIntegrationInstallFailed', 'apply failed'))).toBe(true);
  });

  it('waits for the operator (the CSI driver workloads come asynchronously from ceph-csi-operator)', () => {
    expect(cloudIntegrationPlan(rookSpec(3))[0]!.workloads).toEqual([{ namespace: 'rook-ceph', kind: 'deployment', name: 'rook-ceph-operator', container: 'rook-ceph-operator' }]);
  });

  it('is done only when the live CephCluster lists these workers with the device and the mon count, and both pools have the size', () => {
    const step = cloudIntegrationPlan(rookSpec(3))[0]!;
    expect(step.matches!.map((m) => m.argv.slice(3).join(' '))).toEqual(['-n rook-ceph get cephcluster rook-ceph -o json --ignore-not-found', '-n rook-ceph get cephblockpool -o json']);
    const cluster = (nodes: Array<{ name: string; devices: Array<{ name: string }> }>, count: number) => JSON.stringify({ spec: { mon: { count }, storage: { nodes } } });
    const on = (names: string[], device = 'sdb') => names.map((name) => ({ name, devices: [{ name: device }] }));
    const [clusterCheck, poolCheck] = step.matches!;
    expect(clusterCheck!.read(cluster(on(['w3', 'w1', 'w2']), 3))).toBeUndefined();
    expect(clusterCheck!.read(cluster(on(['w1', 'w2']), 3))).toBe('CephCluster rook-ceph differs from cluster.yaml: its storage.nodes are w1:sdb, w2:sdb, not w1:sdb, w2:sdb, w3:sdb');
    expect(clusterCheck!.read(cluster(on(['w1', 'w2', 'w3'], 'sdc'), 1))).toBe(
      'CephCluster rook-ceph differs from cluster.yaml: its storage.nodes are w1:sdc, w2:sdc, w3:sdc, not w1:sdb, w2:sdb, w3:sdb; its mon count is 1, not 3',
    );
    expect(clusterCheck!.read('')).toBe('CephCluster rook-ceph does not exist');
    expect(readCephClusterDrift(cluster(on(['w1']), 1), ['w1'], 'sdb', 1)).toBeUndefined();
    const pools = (sizes: Record<string, number>) => JSON.stringify({ items: Object.entries(sizes).map(([name, size]) => ({ metadata: { name }, spec: { replicated: { size } } })) });
    expect(poolCheck!.read(pools({ replicapool: 3, 'builtin-mgr': 3 }))).toBeUndefined();
    expect(poolCheck!.read(pools({ replicapool: 2 }))).toBe('CephBlockPool replicapool has size 2, not 3; CephBlockPool builtin-mgr does not exist');
    expect(readCephPoolDrift(pools({ replicapool: 1, 'builtin-mgr': 1 }), 1)).toBeUndefined();
  });

  it('declares Ceph\'s .mgr pool (builtin-mgr) with the pool size, as cluster-test.yaml does', () => {
    const pool = (workers: number) => docsOf(cloudIntegrationPlan(rookSpec(workers))[0]!).find((d) => d.kind === 'CephBlockPool' && d.metadata.name === 'builtin-mgr');
    expect(pool(3)).toEqual({ apiVersion: 'ceph.rook.io/v1', kind: 'CephBlockPool', metadata: { name: 'builtin-mgr', namespace: 'rook-ceph' }, spec: { name: '.mgr', replicated: { size: 3, requireSafeReplicaSize: true } } });
    expect(pool(1).spec.replicated).toEqual({ size: 1, requireSafeReplicaSize: false });
  });
});

describe('the disk check on a worker', () => {
  it('asks lsblk for the disk and reads real lsblk answers', () => {
    expect(rookDiskProbe('sdb')).toEqual(['lsblk', '-J', '-b', '-o', 'NAME,FSTYPE,TYPE,PTTYPE,SIZE,RO,MOUNTPOINT', '/dev/sdb']);
    // util-linux 2.38.1's layout for `lsblk -J -b -o NAME,FSTYPE,TYPE,PTTYPE,SIZE,RO,MOUNTPOINT /dev/vda`.
    const lsblk = (row: Record<string, unknown>) =>
      `{\n   "blockdevices": [\n      {\n${Object.entries({ name: 'sdb', fstype: null, type: 'disk', pttype: null, size: 10737418240, ro: false, mountpoint: null, ...row }).map(([k, v]) => `         "${k}": ${JSON.stringify(v)}`).join(',\n')}\n      }\n   ]\n}\n`;
    expect(readRookDisk('sdb', 0, lsblk({}), '')).toEqual({ free: true });
    expect(readRookDisk('sdb', 0, lsblk({ fstype: 'ceph_bluestore' }), '')).toEqual({ free: true, ceph: true });
    expect(readRookDisk('sdb', 0, lsblk({ fstype: 'ext4' }), '')).toEqual({ free: false, problem: '/dev/sdb holds a ext4 filesystem' });
    expect(readRookDisk('sdb', 0, lsblk({ pttype: 'gpt' }), '')).toEqual({ free: false, problem: '/dev/sdb has a gpt partition table' });
    expect(readRookDisk('vda', 0, lsblk({ name: 'vda', mountpoint: '/' }), '')).toEqual({ free: false, problem: '/dev/vda is mounted on /' });
    expect(readRookDisk('sdb', 0, lsblk({ ro: true }), '')).toEqual({ free: false, problem: '/dev/sdb is read-only' });
    expect(readRookDisk('sdb', 0, lsblk({ size: 4 * 1024 ** 3 }), '')).toEqual({ free: false, problem: '/dev/sdb has 4.0 GiB, less than the 5 GiB Ceph\'s OSD needs' });
    expect(readRookDisk('sdb', 0, lsblk({ size: 5 * 1024 ** 3 }), '')).toEqual({ free: true });
    expect(readRookDisk('sr0', 0, lsblk({ name: 'sr0', type: 'rom' }), '')).toEqual({ free: false, problem: '/dev/sr0 is a rom, not a whole disk' });
    expect(readRookDisk('sdb1', 0, lsblk({ name: 'sdb1', type: 'part', pttype: 'gpt' }), '')).toEqual({ free: false, problem: '/dev/sdb1 is a partition, not a whole disk' });
    expect(readRookDisk('sdb', 0, '{"blockdevices":[{"name":"sdb","fstype":null,"type":"disk","pttype":null,"size":10737418240,"ro":false,"mountpoint":null,"children":[{"name":"sdb1","fstype":"xfs","type":"part","pttype":null,"size":1073741824,"ro":false,"mountpoint":null}]}]}', '')).toEqual({
      free: false,
      problem: '/dev/sdb has 1 partition or volume (sdb1 xfs)',
    });
    expect(readRookDisk('sdc', 32, '', 'lsblk: /dev/sdc: not a block device\n')).toEqual({ free: false, problem: '/dev/sdc is not a disk on this node (lsblk: /dev/sdc: not a block device)' });
  });
});
