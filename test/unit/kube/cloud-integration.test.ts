/** The cloud integration's install plan (src/kube/cloud-integration.ts) per provider and spec. */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  cloudIntegrationPlan,
  cloudUpgradePlan,
  CSI_DRIVERS,
  expectedDefaultClass,
  OPENSTACK_CLOUD_CONFIG,
  EXOSCALE_CCM_SECRET,
  EXOSCALE_CSI_SECRET,
  readNodeCloudState,
  readStorageClasses,
  readWorkload,
  type CloudStepPlan,
} from '../../../src/kube/cloud-integration.js';
import { CLOUD_PINS, LOCAL_PATH, METALLB, SNAPSHOT_CONTROLLER } from '../../../src/kube/pins.js';
import { cloudSpec } from '../../helpers/cloud-spec.js';

const docsOf = (step: CloudStepPlan) => step.files.flatMap((file) => parseAllDocuments(file.content).map((d) => d.toJS() as Record<string, any>)).filter(Boolean);
const images = (step: CloudStepPlan) =>
  docsOf(step)
    .filter((d) => d.kind === 'Deployment' || d.kind === 'DaemonSet')
    .flatMap((d) => d.spec.template.spec.containers.map((c: { image: string }) => c.image));

describe('cloudIntegrationPlan', () => {
  it('installs CCM, snapshot CRDs, CSI and the default StorageClass on each cloud, in that order, at the pins of the minor', () => {
    const expected = {
      exoscale: ['exoscale/cloud-controller-manager:0.34.0', 'exoscale/csi-driver:0.34.3'],
      openstack: ['registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.36.0', 'registry.k8s.io/provider-os/cinder-csi-plugin:v1.36.0'],
      aws: ['registry.k8s.io/provider-aws/cloud-controller-manager:v1.36.1', 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0'],
    } as const;
    for (const cloud of ['exoscale', 'openstack', 'aws'] as const) {
      const plan = cloudIntegrationPlan(cloudSpec(cloud));
      expect(plan.map((s) => s.stepId), cloud).toEqual(['cloud:ccm', 'cloud:snapshots', 'cloud:csi', 'cloud:storage-class']);
      const [ccm, snapshots, csi, sc] = plan;
      expect(images(ccm!)).toContain(expected[cloud][0]);
      expect(images(csi!)).toContain(expected[cloud][1]);
      expect(ccm!.title).toContain(CLOUD_PINS[cloud].ccm['1.37'].version);
      // One CSIDriver of the cloud's name, the provisioner of the class that is the default.
      expect(docsOf(csi!).filter((d) => d.kind === 'CSIDriver').map((d) => d.metadata.name)).toEqual([CSI_DRIVERS[cloud]]);
      const classes = docsOf(sc!).filter((d) => d.kind === 'StorageClass');
      expect(classes).toHaveLength(1);
      expect(classes[0]).toMatchObject({ provisioner: CSI_DRIVERS[cloud], allowVolumeExpansion: true, metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
      expect(images(snapshots!)).toEqual([`registry.k8s.io/sig-storage/snapshot-controller:${SNAPSHOT_CONTROLLER.version}`]);
      expect(docsOf(snapshots!).filter((d) => d.kind === 'CustomResourceDefinition').map((d) => d.metadata.name)).toEqual(
        expect.arrayContaining(['volumesnapshots.snapshot.storage.k8s.io', 'volumesnapshotclasses.snapshot.storage.k8s.io', 'volumesnapshotcontents.snapshot.storage.k8s.io']),
      );
      expect(docsOf(snapshots!).find((d) => d.kind === 'VolumeSnapshotClass')?.driver).toBe(CSI_DRIVERS[cloud]);
      // Never a second snapshot-controller, nothing pulled as :latest.
      expect(plan.flatMap(images).filter((i) => i.includes('snapshot-controller'))).toHaveLength(1);
      expect(plan.flatMap(images).some((i) => i.endsWith(':latest') || !i.includes(':'))).toBe(false);
    }
  });

  it('follows the minor: OpenStack and AWS get the release of each minor, 1.37 the one of 1.36 with a warning', () => {
    const at = (version: string) => cloudIntegrationPlan(cloudSpec('aws', {}, version));
    expect(images(at('1.35.9')[0]!)).toEqual(['registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2']);
    expect(at('1.36.4')[0]!.warning).toBeUndefined();
    expect(at('1.37.1')[0]!.warning).toMatch(/no release for Kubernetes 1\.37.*one minor older/);
    expect(images(cloudIntegrationPlan(cloudSpec('openstack', {}, '1.35.9'))[2]!)).toContain('registry.k8s.io/provider-os/cinder-csi-plugin:v1.35.0');
    expect(cloudIntegrationPlan(cloudSpec('exoscale', {}, '1.35.9'))[0]!.warning).toMatch(/No Exoscale release supports Kubernetes 1\.35/);
  });

  it('leaves out what cluster.yaml turns off: no CCM, no CSI, or a cloud class that is not the default', () => {
    expect(cloudIntegrationPlan(cloudSpec('aws', { cloudIntegration: { ccm: false } })).map((s) => s.kind)).toEqual(['snapshots', 'csi', 'storage-class']);
    expect(cloudIntegrationPlan(cloudSpec('aws', { cloudIntegration: { csi: false, ccm: true } })).map((s) => s.kind)).toEqual(['ccm']);
    const sc = cloudIntegrationPlan(cloudSpec('exoscale', { storage: { defaultClass: 'none' } })).at(-1)!;
    expect(docsOf(sc)[0]!.metadata.annotations['storageclass.kubernetes.io/is-default-class']).toBe('false');
    expect(expectedDefaultClass(cloudSpec('exoscale', { storage: { defaultClass: 'none' } }))).toBeUndefined();
    expect(expectedDefaultClass(cloudSpec('openstack'))).toEqual({ name: 'csi-cinder-sc-delete', provisioner: 'cinder.csi.openstack.org' });
  });

  it('gives static hosts local-path as the default class, and MetalLB with the pool of cluster.yaml', () => {
    expect(cloudIntegrationPlan(cloudSpec('static')).map((s) => s.stepId)).toEqual(['static:local-path']);
    const plan = cloudIntegrationPlan(cloudSpec('static', { loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0.220', '10.0.1.0/28'] } } }));
    expect(plan.map((s) => s.stepId)).toEqual(['static:metallb', 'static:local-path']);
    const [metallb, localPath] = plan;
    expect(images(metallb!)).toContain(`quay.io/metallb/controller:${METALLB.version}`);
    const pool = docsOf(metallb!).find((d) => d.kind === 'IPAddressPool');
    expect(pool).toMatchObject({ apiVersion: 'metallb.io/v1beta1', metadata: { name: 'k8s-bootstrap', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.200-10.0.0.220', '10.0.1.0/28'] } });
    expect(docsOf(metallb!).find((d) => d.kind === 'L2Advertisement')).toMatchObject({ metadata: { name: 'k8s-bootstrap' }, spec: { ipAddressPools: ['k8s-bootstrap'] } });
    // The pool is applied every run (it follows cluster.yaml), after the webhook's controller is Available.
    expect(metallb!.always.map((c) => c.argv.join(' '))).toEqual([expect.stringContaining('wait --for=condition=Available deployment/controller'), expect.stringContaining('apply -f /etc/kubernetes/k8sb/cloud/metallb-pool.yaml')]);
    expect(images(localPath!)).toContain(`docker.io/rancher/local-path-provisioner:${LOCAL_PATH.version}`);
    expect(docsOf(localPath!).find((d) => d.kind === 'StorageClass')).toMatchObject({ metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' });
    expect(cloudIntegrationPlan(cloudSpec('static', { storage: { defaultClass: 'none' } }))).toEqual([]);
  });

  it('never puts a credential in a file or an argv: Secrets are separate manifests, for stdin', () => {
    const credentials = { exoscale: { apiKey: 'EXOkey123', apiSecret: 's3cr3t-exo' }, openstack: { authUrl: 'https://keystone.example:5000/v3', region: 'RegionOne', applicationCredentialId: 'appid42', applicationCredentialSecret: 'appsecret42' } };
    for (const cloud of ['exoscale', 'openstack', 'aws'] as const) {
      const plan = cloudIntegrationPlan(cloudSpec(cloud));
      const everything = JSON.stringify(plan.map((s) => ({ ...s, secrets: undefined })));
      for (const value of ['EXOkey123', 's3cr3t-exo', 'appid42', 'appsecret42']) expect(everything).not.toContain(value);
    }
    const exo = cloudIntegrationPlan(cloudSpec('exoscale'));
    // Each with the workloads that read it (restarted when its content changes).
    expect(exo[0]!.secrets).toEqual([{ ...EXOSCALE_CCM_SECRET, readers: [expect.objectContaining({ kind: 'deployment', name: 'exoscale-cloud-controller-manager' })] }]);
    expect(exo[2]!.secrets).toEqual([{ ...EXOSCALE_CSI_SECRET, readers: [expect.objectContaining({ name: 'exoscale-csi-controller' }), expect.objectContaining({ kind: 'daemonset', name: 'exoscale-csi-node' })] }]);
    expect(parseAllDocuments(EXOSCALE_CCM_SECRET.render(credentials))[0]!.toJS()).toMatchObject({ kind: 'Secret', metadata: { name: 'exoscale-credentials', namespace: 'kube-system' }, stringData: { 'api-key': 'EXOkey123', 'api-secret': 's3cr3t-exo' } });
    expect(parseAllDocuments(EXOSCALE_CSI_SECRET.render(credentials))[0]!.toJS()).toMatchObject({ stringData: { EXOSCALE_API_KEY: 'EXOkey123', EXOSCALE_API_SECRET: 's3cr3t-exo' } });
    const conf = (parseAllDocuments(OPENSTACK_CLOUD_CONFIG.render(credentials))[0]!.toJS() as any).stringData['cloud.conf'];
    expect(conf).toBe('[Global]\nauth-url=https://keystone.example:5000/v3\napplication-credential-id=appid42\napplication-credential-secret=appsecret42\nregion=RegionOne\n');
    // With the module's network outputs: where LoadBalancer Services go.
    const withLb = { openstack: { ...credentials.openstack!, floatingNetworkId: 'ext-net-1', subnetId: 'subnet-7' } };
    const lbConf = (parseAllDocuments(OPENSTACK_CLOUD_CONFIG.render(withLb))[0]!.toJS() as any).stringData['cloud.conf'];
    expect(lbConf).toBe('[Global]\nauth-url=https://keystone.example:5000/v3\napplication-credential-id=appid42\napplication-credential-secret=appsecret42\nregion=RegionOne\n\n[LoadBalancer]\nfloating-network-id=ext-net-1\nsubnet-id=subnet-7\n');
    // A newline in a value would add a line to cloud.conf: refused.
    expect(() => OPENSTACK_CLOUD_CONFIG.render({ openstack: { ...credentials.openstack, region: 'RegionOne\n[Global]' } })).toThrow(/control character/);
    expect(() => EXOSCALE_CCM_SECRET.render({})).toThrow(/missing/);
    expect(cloudIntegrationPlan(cloudSpec('aws')).every((s) => s.secrets.length === 0)).toBe(true);
  });

  it('moves only the CCM and CSI at an upgrade hop, to the pins of the new minor', () => {
    const spec = cloudSpec('openstack', {}, '1.35.9');
    const hop = cloudUpgradePlan(spec, '1.36.4');
    expect(hop.map((s) => s.kind)).toEqual(['ccm', 'csi']);
    expect(hop.map((s) => s.version)).toEqual(['v1.36.0', 'v1.36.0']);
  });
});

describe('reading what the cluster runs', () => {
  const workload = { namespace: 'kube-system', kind: 'deployment' as const, name: 'ebs-csi-controller', container: 'ebs-plugin' };
  it('reads the image tag of the named container and whether the workload is available', () => {
    expect(readWorkload(workload, '')).toEqual({ present: false });
    const deployment = {
      kind: 'Deployment',
      spec: { template: { spec: { containers: [{ name: 'csi-provisioner', image: 'x/csi-provisioner:v6.3.0' }, { name: 'ebs-plugin', image: 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.63.1' }] } } },
      status: { conditions: [{ type: 'Available', status: 'True' }] },
    };
    expect(readWorkload(workload, JSON.stringify(deployment))).toEqual({ present: true, version: 'v1.63.1', available: true });
    const ds = { kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'c', image: 'exoscale/cloud-controller-manager:0.34.0' }] } } }, status: { desiredNumberScheduled: 2, numberReady: 1 } };
    expect(readWorkload({ ...workload, kind: 'daemonset', container: 'c' }, JSON.stringify(ds))).toEqual({ present: true, version: '0.34.0', available: false, desired: 2, ready: 1 });
  });

  it('reads the default StorageClass and the nodes the CCM has not initialised yet', () => {
    const classes = { items: [{ metadata: { name: 'a', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'p' }, { metadata: { name: 'b' }, provisioner: 'q' }] };
    expect(readStorageClasses(JSON.stringify(classes))).toEqual([{ name: 'a', provisioner: 'p', isDefault: true }, { name: 'b', provisioner: 'q', isDefault: false }]);
    const nodes = { items: [{ metadata: { name: 'cp-1' }, spec: { providerID: 'aws:///eu-central-1a/i-0abc' } }, { metadata: { name: 'w-1' }, spec: { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] } }] };
    expect(readNodeCloudState(JSON.stringify(nodes))).toEqual([{ name: 'cp-1', providerId: 'aws:///eu-central-1a/i-0abc', uninitialized: false }, { name: 'w-1', uninitialized: true }]);
  });
});
