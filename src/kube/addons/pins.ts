/**
 * The add-on set, versioned like kops channels: for every add-on the Helm chart, its repository,
 * its namespace and the chart version pinned for each supported Kubernetes minor (a minor missing
 * from `versions` has no version yet: upgrade says so and leaves the add-on where it is). Each
 * pin says where it was read. Bump them with the Kubernetes pins (kube/pins.ts);
 * test/unit/kube/addons/pins.test.ts keeps them consistent with the supported minors and the test
 * fleet's chart repository (test/fleet/canned/helm-charts.json).
 */
import type { SupportedMinor } from '../versions.js';
import { isSupportedMinor } from '../versions.js';

export const ADDON_NAMES = ['metrics-server', 'traefik', 'cert-manager', 'kube-prometheus-stack', 'fluent-bit', 'velero'] as const;
export type AddonName = (typeof ADDON_NAMES)[number];

/** On unless cluster.yaml turns them off; the others only when turned on. */
export const DEFAULT_ON: readonly AddonName[] = ['metrics-server', 'traefik', 'cert-manager'];

export interface ChartPin {
  /** The chart version, as the repository's index spells it. */
  version: string;
  /** The chart's appVersion: the version of what runs. */
  appVersion: string;
  source: string;
  /** Why this minor is not among the project's tested ones, when it is not. */
  untestedNote?: string;
}

export interface AddonChart {
  name: AddonName;
  /** "Traefik ingress controller": what the plan and list call it. */
  title: string;
  chart: string;
  /** The chart repository (`helm --repo`). */
  repo: string;
  namespace: string;
  versions: Partial<Record<SupportedMinor, ChartPin>>;
}

/**
 * Helm itself, run on the first control plane. The sha256 of each tarball is pinned here and
 * checked by templates/scripts/install-helm.sh before anything is installed.
 */
export const HELM = {
  version: 'v4.2.4',
  major: 4 as 3 | 4,
  sha256: {
    amd64: 'c306b46f719b0a4da32d0f78ee21bf90ce8d602f15b22ab753f0674d1670a7f3',
    arm64: '564de2191b881e9f71b5606b25345821ea1682f06ab90499d3ab22b530176da1',
  },
  source: 'github.com/helm/helm/releases/tag/v4.2.4 (2026-08-13): get.helm.sh/helm-v4.2.4-linux-{amd64,arm64}.tar.gz and their sha256 as the release notes list them; signed by key 208D D36E D5BB 3745 A167 43A4 C7C6 FBB5 B91C 1155',
} as const;

const all = (pin: ChartPin): Record<SupportedMinor, ChartPin> => ({ '1.35': pin, '1.36': pin, '1.37': pin });

/** A release with no per-Kubernetes matrix: the chart's own floor is the only statement. */
const floorOnly = (what: string) => `${what}; no per-Kubernetes-minor test matrix is published.`;

const METRICS_SERVER: ChartPin = {
  version: '3.13.1',
  appVersion: '0.8.1',
  source: 'github.com/kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1 (2026-06-11), charts/metrics-server/{Chart,values}.yaml; README compatibility matrix: 0.8.x serves metrics.k8s.io/v1beta1 on Kubernetes 1.31+ (3.14.0/0.9.0 of 2026-08-19 is known only from a changelog copy, its values unread)',
};
const TRAEFIK: ChartPin = {
  version: '41.3.0',
  appVersion: 'v3.7.11',
  source: `github.com/traefik/traefik-helm-chart tag v41.3.0 (2026-08-21), traefik/{Chart,values}.yaml: ${floorOnly('kubeVersion >=1.25.0-0')}`,
};
const CERT_MANAGER: ChartPin = {
  version: 'v1.21.1',
  appVersion: 'v1.21.1',
  source: 'github.com/cert-manager/cert-manager tag v1.21.1 (2026-07-29), deploy/charts/cert-manager; cert-manager.io/docs/releases: 1.21 supported and tested on Kubernetes 1.33 → 1.36',
};
const KUBE_PROMETHEUS_STACK: ChartPin = {
  version: '88.5.3',
  appVersion: 'v0.93.1',
  source: `github.com/prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (2026-08-21), charts/kube-prometheus-stack/{Chart,values}.yaml (prometheus-operator v0.93.1): ${floorOnly('kubeVersion >=1.25.0-0')}`,
};
const FLUENT_BIT: ChartPin = {
  version: '0.58.1',
  appVersion: '5.1.1',
  source: `github.com/fluent/helm-charts tag fluent-bit-0.58.1 (2026-08-17), charts/fluent-bit/{Chart,values}.yaml: ${floorOnly('no kubeVersion constraint')}`,
};
const VELERO: ChartPin = {
  version: '12.1.0',
  appVersion: '1.18.1',
  source: 'github.com/vmware-tanzu/helm-charts tag velero-12.1.0 (2026-06-25), charts/velero/{Chart,values}.yaml (kubeVersion >=1.16.0-0); plugin velero/velero-plugin-for-aws:v1.14.4, the pair for Velero 1.18 (velero-io/velero discussion #10563)',
  untestedNote: "Velero's compatibility matrix could be read only up to Velero 1.17 (tested on Kubernetes 1.31-1.34); the 1.18 row was not retrieved.",
};

/** The image of the Velero plugin that talks to S3-compatible stores (an init container of the chart). */
export const VELERO_AWS_PLUGIN_IMAGE = 'velero/velero-plugin-for-aws:v1.14.4';

export const ADDON_CHARTS: Record<AddonName, AddonChart> = {
  'metrics-server': {
    name: 'metrics-server',
    title: 'metrics-server',
    chart: 'metrics-server',
    repo: 'https://kubernetes-sigs.github.io/metrics-server/',
    namespace: 'kube-system',
    versions: all(METRICS_SERVER),
  },
  traefik: {
    name: 'traefik',
    title: 'Traefik ingress controller',
    chart: 'traefik',
    repo: 'https://traefik.github.io/charts',
    namespace: 'traefik',
    versions: all(TRAEFIK),
  },
  'cert-manager': {
    name: 'cert-manager',
    title: 'cert-manager',
    chart: 'cert-manager',
    repo: 'https://charts.jetstack.io',
    namespace: 'cert-manager',
    versions: {
      '1.35': CERT_MANAGER,
      '1.36': CERT_MANAGER,
      // No cert-manager release lists 1.37 yet (1.22 is planned for ~November 2026).
      '1.37': { ...CERT_MANAGER, untestedNote: 'No cert-manager release supports Kubernetes 1.37 yet: 1.21 is supported and tested on 1.33 → 1.36 (cert-manager.io/docs/releases); 1.22 is not released. Pinned to 1.21; untested on this minor.' },
    },
  },
  'kube-prometheus-stack': {
    name: 'kube-prometheus-stack',
    title: 'kube-prometheus-stack (Prometheus, Alertmanager, Grafana)',
    chart: 'kube-prometheus-stack',
    repo: 'https://prometheus-community.github.io/helm-charts',
    namespace: 'monitoring',
    versions: all(KUBE_PROMETHEUS_STACK),
  },
  'fluent-bit': {
    name: 'fluent-bit',
    title: 'Fluent Bit log shipping',
    chart: 'fluent-bit',
    repo: 'https://fluent.github.io/helm-charts',
    namespace: 'logging',
    versions: all(FLUENT_BIT),
  },
  velero: {
    name: 'velero',
    title: 'Velero backups',
    chart: 'velero',
    repo: 'https://vmware-tanzu.github.io/helm-charts',
    namespace: 'velero',
    versions: all(VELERO),
  },
};

/** The pin of an add-on for a Kubernetes minor ("1.36"), or undefined when it has none (yet). */
export function addonPin(name: AddonName, minor: string): ChartPin | undefined {
  return isSupportedMinor(minor) ? ADDON_CHARTS[name].versions[minor] : undefined;
}

export function isAddonName(text: string): text is AddonName {
  return (ADDON_NAMES as readonly string[]).includes(text);
}
