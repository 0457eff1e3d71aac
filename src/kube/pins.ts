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
