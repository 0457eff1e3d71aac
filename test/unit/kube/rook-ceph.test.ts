/** Rook-Ceph on static hosts (src/kube/cloud-integration.ts): the install plan, Ceph's health and the worker disk check. */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cloudIntegrationPlan, expectedDefaultClass, readCephHealth, readRookDisk, rookDiskProbe, type CloudStepPlan } from '../../../src/kube/cloud-integration.js';
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

  it('is healthy only at HEALTH_OK, and says what Ceph reports otherwise', () => {
    expect(readCephHealth(JSON.stringify({ status: { phase: 'Ready', ceph: { health: 'HEALTH_OK' } } }))).toBeUndefined();
    expect(readCephHealth(JSON.stringify({ status: { ceph: { health: 'HEALTH_WARN', details: { TOO_FEW_OSDS: { message: 'OSD count 2 < osd_pool_default_size 3', severity: 'HEALTH_WARN' } } } } }))).toBe(
      'HEALTH_WARN: TOO_FEW_OSDS: OSD count 2 < osd_pool_default_size 3',
    );
    expect(readCephHealth(JSON.stringify({ status: { phase: 'Progressing', message: 'Configuring Ceph Mons' } }))).toBe('no health yet (phase Progressing: Configuring Ceph Mons)');
    expect(readCephHealth('')).toBe('CephCluster rook-ceph does not exist');
  });
});

describe('the disk check on a worker', () => {
  it('asks lsblk for the disk and reads real lsblk answers', () => {
    expect(rookDiskProbe('sdb')).toEqual(['lsblk', '-J', '-o', 'NAME,FSTYPE,TYPE', '/dev/sdb']);
    expect(readRookDisk('sdb', 0, '{"blockdevices":[{"name":"sdb","fstype":null,"type":"disk"}]}', '')).toEqual({ free: true });
    expect(readRookDisk('sdb', 0, '{"blockdevices":[{"name":"sdb","fstype":"ceph_bluestore","type":"disk"}]}', '')).toEqual({ free: true, ceph: true });
    expect(readRookDisk('sdb', 0, '{"blockdevices":[{"name":"sdb","fstype":"ext4","type":"disk"}]}', '')).toEqual({ free: false, problem: '/dev/sdb holds a ext4 filesystem' });
    expect(readRookDisk('sdb', 0, '{"blockdevices":[{"name":"sdb","fstype":null,"type":"disk","children":[{"name":"sdb1","fstype":"xfs","type":"part"}]}]}', '')).toEqual({
      free: false,
      problem: '/dev/sdb has 1 partition or volume (sdb1 xfs)',
    });
    expect(readRookDisk('sdc', 32, '', 'lsblk: /dev/sdc: not a block device\n')).toEqual({ free: false, problem: '/dev/sdc is not a disk on this node (lsblk: /dev/sdc: not a block device)' });
  });
});
