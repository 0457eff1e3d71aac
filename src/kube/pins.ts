/**
 * Every version this release of k8s-bootstrap installs, in one table, each with where it was
 * read. Bump them together (test/unit/kube/pins.test.ts keeps them consistent with each other, with
 * the supported minors and with the test fleet's catalogue).
 */
import type { SupportedMinor } from './versions.js';

/**
 * Newest released patch of each supported minor (kubernetes.io/releases, read 2026-12-01:
 * 1.35.9 on 2026-09-15, 1.36.4 on 2026-08-11, 1.37.1 on 2026-09-15). The default version and
 * the intermediate hops of an upgrade use them.
 */
export const KUBERNETES_PATCHES: Record<SupportedMinor, string> = {
  '1.35': '1.35.9',
  '1.36': '1.36.4',
  '1.37': '1.37.1',
};

export interface CniPin {
  version: string;
  /** Kubernetes minors the project says it tested this release with. */
  testedKubernetes: readonly string[];
  /** Why a supported minor is missing from testedKubernetes, when one is. */
  untestedNote?: string;
  source: string;
}

export const CALICO: CniPin = {
  version: 'v3.33.1',
  testedKubernetes: ['1.35', '1.36', '1.37'],
  source: 'docs.tigera.io, Calico 3.33 system requirements (Kubernetes 1.35–1.37); github.com/projectcalico/calico/releases/tag/v3.33.1',
};

export const FLANNEL: CniPin & { cniPlugin: string } = {
  version: 'v0.28.9',
  /** The flannel-cni-plugin image that flannel release's Documentation/kube-flannel.yml uses. */
  cniPlugin: 'v1.9.1-flannel3',
  testedKubernetes: [],
  untestedNote: 'Flannel publishes no per-Kubernetes test matrix; it relies only on stable APIs (Nodes, ConfigMaps).',
  source: 'github.com/flannel-io/flannel, tag v0.28.9 (2026-08-07), Documentation/kube-flannel.yml',
};

export const CILIUM: CniPin & { cli: string } = {
  version: '1.20.0',
  /** cilium-cli, downloaded with its published .sha256sum; it is always given --version (its own default chart is 1.19.5). */
  cli: 'v0.19.7',
  testedKubernetes: [],
  untestedNote:
    'The 1.20 compatibility page (docs.cilium.io, network/kubernetes/compatibility) could not be read; 1.19 lists 1.32–1.35. Cilium supports newer minors through Kubernetes API compatibility.',
  source: 'github.com/cilium/cilium/releases/tag/v1.20.0 (2026-07-29); cilium-cli stable.txt v0.19.7',
};

/**
 * The image of Verify's DNS lookup: the one the Kubernetes "Debugging DNS Resolution" page runs
 * `nslookup kubernetes.default` in (content/en/examples/admin/dns/dnsutils.yaml).
 */
export const DNS_CHECK_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.39';

/**
 * A release of a cloud or storage component (CCM, CSI driver, snapshot-controller, MetalLB,
 * local-path-provisioner): the image tag our templates/cloud manifests get.
 */
export interface ComponentPin {
  /** The image tag, exactly as the registry spells it (Exoscale's have no leading "v"). */
  version: string;
  /** Kubernetes minors the project says the release supports or was tested with. */
  testedKubernetes: readonly string[];
  /** Why a supported minor is missing from testedKubernetes, when one is; printed by the plan and the step. */
  untestedNote?: string;
  source: string;
}

export type CloudName = 'exoscale' | 'openstack' | 'aws';

const EXOSCALE_UNTESTED =
  'No Exoscale release supports Kubernetes 1.35 or newer yet: its policy is 0.y for 1.y, 1.y-1, 1.y-2 (0.34 → 1.32–1.34), and 0.35 is not released. Pinned to the newest release; untested on this minor.';

const exoscaleCcm: ComponentPin = {
  version: '0.34.0',
  testedKubernetes: ['1.32', '1.33', '1.34'],
  untestedNote: EXOSCALE_UNTESTED,
  source: 'github.com/exoscale/exoscale-cloud-controller-manager tag v0.34.0 (2025-11-06), README "Versioning and compatibility policy"; image exoscale/cloud-controller-manager:0.34.0 (.goreleaser.yml)',
};
const exoscaleCsi: ComponentPin = {
  version: '0.34.3',
  testedKubernetes: ['1.32', '1.33', '1.34'],
  untestedNote: EXOSCALE_UNTESTED,
  source: 'github.com/exoscale/exoscale-csi-driver tag v0.34.3 (2026-07-02), deployment/0.34.3; README compatibility policy (0.y ↔ 1.y)',
};

/** A release for the minor below: allowed for a CCM by the version-skew policy (at most one minor older than kube-apiserver). */
const oneMinorOlder = (project: string, release: string) =>
  `${project} has no release for Kubernetes 1.37 yet; ${release} (for 1.36) is one minor older, which the version-skew policy allows for a cloud-controller-manager. Untested on 1.37; the next upgrade moves it to the 1.37 release once pinned.`;

const openstack = (version: string, minor: string, note?: string): ComponentPin => ({
  version,
  testedKubernetes: note ? [] : [minor],
  ...(note ? { untestedNote: note } : {}),
  source: `github.com/kubernetes/cloud-provider-openstack tag ${version} (v1.36.0 2026-05-13, v1.35.0 2026-01-23); "use the corresponding version" (docs/cinder-csi-plugin/using-cinder-csi-plugin.md, Kubernetes Compatibility)`,
});
const awsCcm = (version: string, minor: string, note?: string): ComponentPin => ({
  version,
  testedKubernetes: note ? [] : [minor],
  ...(note ? { untestedNote: note } : {}),
  source: `github.com/kubernetes/cloud-provider-aws tag ${version} (v1.36.1 2026-07-15, v1.35.2 2026-05-12); docs/README.md: compatibility only with the corresponding Kubernetes version`,
});
const ebsCsi: ComponentPin = {
  version: 'v1.64.0',
  testedKubernetes: ['1.35', '1.36', '1.37'],
  source: 'github.com/kubernetes-sigs/aws-ebs-csi-driver v1.64.0 / chart 2.64.0 (2026-08-18), branch release-1.64 deploy/kubernetes/base; README: "compatible with all Kubernetes versions supported by the Kubernetes project"',
};

/**
 * The CCM and CSI driver of each cloud, per supported minor. A cloud whose project makes one
 * release per Kubernetes minor (OpenStack, AWS) gets that minor's release; a minor without one
 * yet gets the release one minor older (the version-skew policy's limit for a CCM). Upgrades
 * move both to the new minor's pins at every hop. Read 2026-12 from the repos (research-14).
 */
export const CLOUD_PINS: Record<CloudName, { ccm: Record<SupportedMinor, ComponentPin>; csi: Record<SupportedMinor, ComponentPin> }> = {
  exoscale: {
    ccm: { '1.35': exoscaleCcm, '1.36': exoscaleCcm, '1.37': exoscaleCcm },
    csi: { '1.35': exoscaleCsi, '1.36': exoscaleCsi, '1.37': exoscaleCsi },
  },
  openstack: {
    ccm: { '1.35': openstack('v1.35.0', '1.35'), '1.36': openstack('v1.36.0', '1.36'), '1.37': openstack('v1.36.0', '1.37', oneMinorOlder('cloud-provider-openstack', 'v1.36.0')) },
    csi: { '1.35': openstack('v1.35.0', '1.35'), '1.36': openstack('v1.36.0', '1.36'), '1.37': openstack('v1.36.0', '1.37', oneMinorOlder('cloud-provider-openstack (Cinder CSI)', 'v1.36.0')) },
  },
  aws: {
    ccm: { '1.35': awsCcm('v1.35.2', '1.35'), '1.36': awsCcm('v1.36.1', '1.36'), '1.37': awsCcm('v1.36.1', '1.37', oneMinorOlder('cloud-provider-aws', 'v1.36.1')) },
    csi: { '1.35': ebsCsi, '1.36': ebsCsi, '1.37': ebsCsi },
  },
};

/** external-snapshotter: the snapshot CRDs of the tag and its snapshot-controller image. */
export const SNAPSHOT_CONTROLLER: ComponentPin = {
  version: 'v8.6.0',
  testedKubernetes: ['1.35', '1.36', '1.37'],
  source: 'github.com/kubernetes-csi/external-snapshotter tag v8.6.0 (2026-05-28, k8s deps v1.36.1; README: Kubernetes 1.20+); its manifest still names :v8.5.0, so the image is pinned here',
};

export const METALLB: ComponentPin = {
  version: 'v0.16.1',
  testedKubernetes: [],
  untestedNote: 'MetalLB publishes no per-Kubernetes matrix: it "aims to keep compatibility with the supported versions of Kubernetes" (website/content/concepts/maturity.md).',
  source: 'github.com/metallb/metallb tag v0.16.1 (2026-05-27), config/manifests/metallb-native.yaml',
};

export const LOCAL_PATH: ComponentPin = {
  version: 'v0.0.37',
  testedKubernetes: [],
  untestedNote: 'local-path-provisioner states only "Kubernetes v1.12+" (README).',
  source: 'github.com/rancher/local-path-provisioner tag v0.0.37 (2026-08-05), deploy/local-path-storage.yaml',
};

/**
 * Rook (operator, CRDs, ceph-csi-operator) and the Ceph release its example cluster runs. Rook
 * v1.20.6 (tag 2026-08-20) "supports Kubernetes v1.31 through v1.36" (Documentation/Getting-Started/
 * quickstart.md, also on master at 2026-08-21); deploy/examples/images.txt at the tag lists
 * docker.io/rook/ceph:v1.20.6, quay.io/ceph/ceph:v20.2.4 and quay.io/cephcsi/ceph-csi-operator:v1.0.4.
 */
export const ROOK: ComponentPin & { cephImage: string } = {
  version: 'v1.20.6',
  cephImage: 'quay.io/ceph/ceph:v20.2.4',
  testedKubernetes: ['1.31', '1.32', '1.33', '1.34', '1.35', '1.36'],
  untestedNote: 'Rook v1.20 supports Kubernetes v1.31 through v1.36 (quickstart.md); no Rook release names 1.37 yet.',
  source: 'github.com/rook/rook tag v1.20.6 (2026-08-20), deploy/examples/{crds,common,csi-operator,operator,cluster}.yaml and csi/rbd/storageclass.yaml; images.txt',
};
