/** The version table (src/kube/pins.ts) is consistent with itself, the supported minors and the test fleet. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CALICO, CILIUM, CLOUD_PINS, FLANNEL, KUBERNETES_PATCHES, DNS_CHECK_IMAGE, LOCAL_PATH, METALLB, SNAPSHOT_CONTROLLER } from '../../../src/kube/pins.js';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../../../src/kube/versions.js';
import { NEWEST_KNOWN_PATCH } from '../../../src/workflows/upgrade/plan.js';
import { DEFAULT_CATALOGUE } from '../../fleet/fleet.js';

describe('version pins', () => {
  it('has one newest patch per supported minor, and the default is the newest minor at it', () => {
    expect(Object.keys(KUBERNETES_PATCHES).sort()).toEqual([...SUPPORTED_MINORS].sort());
    for (const [minor, patch] of Object.entries(KUBERNETES_PATCHES)) expect(patch.startsWith(`${minor}.`), patch).toBe(true);
    expect(DEFAULT_KUBERNETES_VERSION).toBe(KUBERNETES_PATCHES[SUPPORTED_MINORS.at(-1)!]);
    expect(NEWEST_KNOWN_PATCH).toBe(KUBERNETES_PATCHES);
  });

  it('is offered by the test fleet, so the end-to-end tests install the pinned patches', () => {
    for (const [minor, patch] of Object.entries(KUBERNETES_PATCHES)) {
      expect(DEFAULT_CATALOGUE[minor], minor).toContain(patch);
      expect(DEFAULT_CATALOGUE[minor]!.at(-1), `${minor}: the pin is the newest patch`).toBe(patch);
    }
  });

  it('says for each CNI whether it was tested with every supported minor, or why not', () => {
    for (const pin of [CALICO, FLANNEL, CILIUM]) {
      const missing = SUPPORTED_MINORS.filter((minor) => !pin.testedKubernetes.includes(minor));
      if (missing.length > 0) expect(pin.untestedNote, `${pin.version}: untested on ${missing.join(', ')}`).toBeTruthy();
      expect(pin.source.length).toBeGreaterThan(10);
    }
    expect(CALICO.testedKubernetes).toEqual(expect.arrayContaining([...SUPPORTED_MINORS]));
  });

  it('pairs Flannel with the CNI plugin image of the same release, in the manifest we ship', () => {
    // Documentation/kube-flannel.yml at v0.28.9 uses flannel-cni-plugin v1.9.1-flannel3.
    const RELEASE_PLUGIN: Record<string, string> = { 'v0.28.9': 'v1.9.1-flannel3', 'v0.28.7': 'v1.9.1-flannel2' };
    expect(RELEASE_PLUGIN[FLANNEL.version]).toBe(FLANNEL.cniPlugin);
    const template = readFileSync(new URL('../../../templates/cni/flannel.yaml', import.meta.url), 'utf8');
    expect(template).toContain('flannel-cni-plugin:{{cniPluginVersion}}');
  });

  it('keeps the version formats each tool expects', () => {
    expect(CALICO.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(FLANNEL.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(CILIUM.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(CILIUM.cli).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(DNS_CHECK_IMAGE).toMatch(/^registry\.k8s\.io\/e2e-test-images\/agnhost:\d+\.\d+$/);
  });

  it('pins a CCM and CSI driver per cloud for every supported minor, within the version-skew policy or saying why not', () => {
    for (const [cloud, parts] of Object.entries(CLOUD_PINS)) {
      for (const [part, byMinor] of Object.entries(parts)) {
        expect(Object.keys(byMinor).sort(), `${cloud} ${part}`).toEqual([...SUPPORTED_MINORS].sort());
        for (const [minor, pin] of Object.entries(byMinor)) {
          const what = `${cloud} ${part} on ${minor}`;
          expect(pin.source.length, what).toBeGreaterThan(10);
          if (!pin.testedKubernetes.includes(minor)) expect(pin.untestedNote, `${what}: untested, so it must say why`).toBeTruthy();
          // Exoscale's image tags have no "v" (.goreleaser.yml); the others do.
          expect(pin.version, what).toMatch(cloud === 'exoscale' ? /^\d+\.\d+\.\d+$/ : /^v\d+\.\d+\.\d+$/);
          // A CCM is never newer than kube-apiserver and at most one minor older (version-skew policy);
          // the releases of OpenStack and AWS follow the Kubernetes minor. Exoscale has none for 1.35+.
          if (cloud !== 'exoscale' && (part === 'ccm' || cloud === 'openstack')) {
            const releaseMinor = Number(pin.version.split('.')[1]);
            const clusterMinor = Number(minor.split('.')[1]);
            expect(clusterMinor - releaseMinor, what).toBeGreaterThanOrEqual(0);
            expect(clusterMinor - releaseMinor, what).toBeLessThanOrEqual(1);
            if (clusterMinor === releaseMinor) expect(pin.testedKubernetes, what).toContain(minor);
          }
        }
      }
    }
    expect(CLOUD_PINS.exoscale.ccm['1.37'].untestedNote).toMatch(/No Exoscale release supports Kubernetes 1\.35/);
  });

  it('keeps the cloud manifests on the pins: placeholders where the pin goes, the pinned version where it is fixed', () => {
    const template = (path: string) => readFileSync(new URL(`../../../templates/cloud/${path}`, import.meta.url), 'utf8');
    for (const [path, image] of [
      ['exoscale/ccm.yaml', 'exoscale/cloud-controller-manager:{{version}}'],
      ['exoscale/csi.yaml', 'exoscale/csi-driver:{{version}}'],
      ['openstack/ccm.yaml', 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:{{version}}'],
      ['openstack/csi.yaml', 'registry.k8s.io/provider-os/cinder-csi-plugin:{{version}}'],
      ['aws/ccm.yaml', 'registry.k8s.io/provider-aws/cloud-controller-manager:{{version}}'],
      ['aws/csi.yaml', 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:{{version}}'],
      ['shared/snapshot-controller.yaml', 'registry.k8s.io/sig-storage/snapshot-controller:{{version}}'],
      ['static/local-path-storage.yaml', 'docker.io/rancher/local-path-provisioner:{{version}}'],
    ] as const) {
      expect(template(path), path).toContain(`image: ${image}`);
    }
    // The MetalLB manifest is upstream's, unchanged: its images are the pinned release.
    expect(template('static/metallb-native.yaml')).toContain(`image: quay.io/metallb/controller:${METALLB.version}`);
    expect(template('static/metallb-native.yaml')).toContain(`image: quay.io/metallb/speaker:${METALLB.version}`);
    expect(template('shared/snapshot-crds.yaml')).toContain('name: volumesnapshots.snapshot.storage.k8s.io');
    for (const pin of [SNAPSHOT_CONTROLLER, METALLB, LOCAL_PATH]) expect(pin.version).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});
