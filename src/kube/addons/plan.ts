/**
 * The add-ons of a spec as install plans, pure: for each enabled add-on, in apply order, the
 * chart and the version pinned for the Kubernetes minor (pins.ts), the values sent to Helm (ours
 * from templates/addons/, then cluster.yaml's `values` merged over them), the Secrets applied
 * before the chart, the manifests applied after it, and what its health is read from. The
 * workflow (nodes/addon-ops.ts) asks Helm what runs and judges the plan against it
 * (helm-commands.ts: judgeAddon).
 */
import type { ClusterSpec } from '../../config/schema.js';
import { enabledAddonNames, resolvedTraefikExpose, type TraefikExposure } from '../../config/addons.js';
import { InternalError } from '../../errors.js';
import type { Workload } from '../cloud-integration.js';
import { ADDON_CHARTS, ADDON_NAMES, addonPin, type AddonName } from './pins.js';
import { ourAddonValues } from './chart-values.js';
import { afterManifests, type AfterManifest } from './manifests.js';
import {
  basicAuthSecret,
  grafanaAdminSecret,
  GRAFANA_ADMIN_SECRET,
  veleroS3Secret,
  VELERO_S3_SECRET,
  type AddonSecret,
  type AddonSecretMaterial,
} from './secrets.js';
import { deepMerge, normaliseValues, sha256Hex, valuesToYaml, type Values } from './values.js';

export type { AddonSecret, AddonSecretMaterial } from './secrets.js';

export interface AddonPlan {
  name: AddonName;
  title: string;
  /** The Helm release: the add-on's name. */
  release: string;
  namespace: string;
  chart: string;
  repo: string;
  /** undefined: no pin for this minor (upgrade leaves the add-on where it is and says so). */
  version?: string;
  appVersion?: string;
  /** Said by the plan and the step: an untested minor, an exposure that will not work here. */
  warning?: string;
  /** The values, JSON-normalised: deep-equal to `helm get values -o json` after an apply. */
  values: Record<string, unknown>;
  /** `values` as YAML, keys sorted: what `--values -` reads on stdin. */
  valuesYaml: string;
  valuesSha256: string;
  /** Applied before helm (stdin only). Velero's is absent when its S3 keys were not given. */
  secrets: AddonSecret[];
  /**
   * Secrets the chart's values name, which must exist before helm runs: when one of them is not
   * in `secrets` (Velero without its S3 keys in the environment), the one in the cluster is kept,
   * and a first install cannot go on.
   */
  referencedSecrets: Array<{ namespace: string; name: string }>;
  /** Applied with kubectl server-side apply after helm (issuers, middleware, ingresses). */
  after: AfterManifest[];
  /** The add-on's pods, for health and failure reports (`kubectl get pods -n NS -l LABELS`). */
  selectors: { namespace: string; labels: string }[];
  /** Deployments/DaemonSets whose readiness is the add-on's health. */
  workloads: Workload[];
  helmTimeoutS: number;
  /**
   * The chart keeps CRDs in its crds/ folder, which Helm installs on the first install and never
   * upgrades (helm.sh/docs/chart_best_practices/custom_resource_definitions: "There is no support
   * at this time for upgrading or deleting CRDs using Helm"): before an upgrade to another chart
   * version, apply `helm show crds` (helmShowCrds) with kubectl server-side apply, as the Traefik
   * chart's README asks and kube-prometheus-stack's UPGRADE.md does for each major.
   */
  crdsBeforeUpgrade: boolean;
  /** Traefik only: how it is reached, `auto` resolved. */
  exposure?: TraefikExposure;
  /**
   * sha256 over everything the apply sends (values, Secrets' content shas, after-manifests): the
   * hash part of the step's checkpoint inputs.
   */
  contentSha256: string;
}

interface AddonFacts {
  /** Label selectors of the add-on's pods (release `name` in its namespace). */
  selectors: string[];
  workloads: (namespace: string, exposure: TraefikExposure) => Workload[];
  /** Helm's --timeout: pulls of large images, and hooks (cert-manager's startupapicheck Job). */
  helmTimeoutS: number;
  /** CRDs in the chart's crds/ folder (not upgraded by helm upgrade). */
  crdsFolder?: boolean;
}

const deployment = (namespace: string, name: string, container: string): Workload => ({ namespace, kind: 'deployment', name, container });
const daemonset = (namespace: string, name: string, container: string): Workload => ({ namespace, kind: 'daemonset', name, container });

/**
 * Names and labels as each chart at its pin renders them for release = add-on name (the charts'
 * _helpers.tpl: fullname is the release name when it contains the chart name).
 */
const FACTS: Record<AddonName, AddonFacts> = {
  // charts/metrics-server @3.13.1: Deployment metrics-server, container metrics-server; selector name + instance.
  'metrics-server': {
    selectors: ['app.kubernetes.io/instance=metrics-server'],
    workloads: (ns) => [deployment(ns, 'metrics-server', 'metrics-server')],
    helmTimeoutS: 300,
  },
  // traefik @v41.3.0: Deployment or DaemonSet traefik (deployment.kind), container traefik; the
  // instance label is <release>-<namespace> (_helpers.tpl traefik.instance-name).
  traefik: {
    selectors: ['app.kubernetes.io/instance=traefik-traefik'],
    workloads: (ns, exposure) => [exposure === 'hostport' ? daemonset(ns, 'traefik', 'traefik') : deployment(ns, 'traefik', 'traefik')],
    // Helm 4's watcher (kstatus) counts a LoadBalancer Service as ready once it has a cluster IP,
    // not an external address (only --wait=legacy waits for that); the pods' readiness bounds it.
    helmTimeoutS: 600,
    // traefik/crds/ (README @v41.3.0: "you MUST upgrade CRDs before running helm upgrade").
    crdsFolder: true,
  },
  // cert-manager @v1.21.1: Deployments cert-manager, cert-manager-cainjector, cert-manager-webhook;
  // containers <chart>-controller, -cainjector, -webhook.
  'cert-manager': {
    selectors: ['app.kubernetes.io/instance=cert-manager'],
    workloads: (ns) => [
      deployment(ns, 'cert-manager', 'cert-manager-controller'),
      deployment(ns, 'cert-manager-cainjector', 'cert-manager-cainjector'),
      deployment(ns, 'cert-manager-webhook', 'cert-manager-webhook'),
    ],
    helmTimeoutS: 600,
  },
  // kube-prometheus-stack @88.5.3 (fullname kube-prometheus-stack): the operator, Grafana,
  // kube-state-metrics, node-exporter carry instance=<release>; the Prometheus and Alertmanager
  // StatefulSets are made by the operator (managed-by=prometheus-operator).
  'kube-prometheus-stack': {
    selectors: ['app.kubernetes.io/instance=kube-prometheus-stack', 'app.kubernetes.io/managed-by=prometheus-operator'],
    workloads: (ns) => [
      deployment(ns, 'kube-prometheus-stack-operator', 'kube-prometheus-stack'),
      deployment(ns, 'kube-prometheus-stack-grafana', 'grafana'),
      deployment(ns, 'kube-prometheus-stack-kube-state-metrics', 'kube-state-metrics'),
      daemonset(ns, 'kube-prometheus-stack-prometheus-node-exporter', 'node-exporter'),
    ],
    helmTimeoutS: 900,
    // The crds subchart's crds/ folder (charts/crds/crds/ @88.5.3; UPGRADE.md: apply them
    // server-side for every major). cert-manager's CRDs are templates (crds.enabled) and Velero's
    // are upgraded by its own Job (upgradeCRDs): Helm moves those.
    crdsFolder: true,
  },
  // fluent-bit @0.58.1: DaemonSet fluent-bit (kind: DaemonSet), container fluent-bit.
  'fluent-bit': {
    selectors: ['app.kubernetes.io/instance=fluent-bit'],
    workloads: (ns) => [daemonset(ns, 'fluent-bit', 'fluent-bit')],
    helmTimeoutS: 300,
  },
  // velero @12.1.0: Deployment velero (container velero), DaemonSet node-agent (container node-agent).
  velero: {
    selectors: ['app.kubernetes.io/instance=velero'],
    workloads: (ns) => [deployment(ns, 'velero', 'velero'), daemonset(ns, 'node-agent', 'node-agent')],
    helmTimeoutS: 600,
  },
};

/** The enabled add-ons, in apply order. */
export function enabledAddons(spec: ClusterSpec): AddonName[] {
  return enabledAddonNames(spec);
}

function traefikWarnings(spec: ClusterSpec, exposure: TraefikExposure): string[] {
  const warnings: string[] = [];
  if (exposure === 'loadbalancer' && spec.provider.name === 'exoscale') {
    warnings.push("Exoscale's cloud controller manager gives LoadBalancer Services an address only for instance pools, which this tool does not create: the Service stays pending and Helm's wait fails. Use addons.traefik.expose: hostport (the auto choice) or nodeport.");
  }
  if (exposure === 'hostport' && spec.kubernetes.cni === 'cilium') {
    warnings.push('Cilium serves hostPort only with its kube-proxy replacement or the portmap CNI chained (docs.cilium.io/en/stable/installation/cni-chaining-portmap); k8s-bootstrap installs it with neither, so ports 80/443 of the workers may not answer. Use addons.traefik.expose: nodeport, or loadbalancer where LoadBalancer Services get an address.');
  }
  return warnings;
}

function secretsOf(name: AddonName, namespace: string, material: AddonSecretMaterial, workloads: Workload[]): AddonSecret[] {
  if (name === 'kube-prometheus-stack') {
    if (!material.monitoring) throw new InternalError('AddonSecretMaterialMissing', 'kube-prometheus-stack needs its monitoring secrets (state/addon-secrets.ts) to be planned');
    const grafana = workloads.find((workload) => workload.name === 'kube-prometheus-stack-grafana')!;
    return [grafanaAdminSecret(namespace, material.monitoring, grafana), basicAuthSecret(namespace, material.monitoring)];
  }
  if (name === 'velero' && material.velero) return [veleroS3Secret(namespace, material.velero, workloads)];
  return [];
}

function referencedSecretsOf(name: AddonName, namespace: string): Array<{ namespace: string; name: string }> {
  if (name === 'kube-prometheus-stack') return [{ namespace, name: GRAFANA_ADMIN_SECRET }];
  if (name === 'velero') return [{ namespace, name: VELERO_S3_SECRET }];
  return [];
}

/** The plan of one add-on (enabled or not: the caller decides) at the pins of `minor` ("1.36"). */
export function addonPlan(name: AddonName, spec: ClusterSpec, minor: string, material: AddonSecretMaterial): AddonPlan {
  const chart = ADDON_CHARTS[name];
  const pin = addonPin(name, minor);
  const exposure = name === 'traefik' ? resolvedTraefikExpose(spec) : undefined;
  const facts = FACTS[name];
  const workloads = facts.workloads(chart.namespace, exposure ?? 'loadbalancer');
  const values = normaliseValues(deepMerge(ourAddonValues(name, spec), spec.addons[name].values as Values));
  const valuesYaml = valuesToYaml(values);
  const valuesSha256 = sha256Hex(valuesYaml);
  const secrets = secretsOf(name, chart.namespace, material, workloads);
  const after = afterManifests(name, spec);
  const warnings = [...(pin?.untestedNote ? [pin.untestedNote] : []), ...(exposure ? traefikWarnings(spec, exposure) : [])];
  const contentSha256 = sha256Hex(JSON.stringify({ values: valuesSha256, secrets: secrets.map((secret) => [secret.namespace, secret.name, secret.sha256]), after: after.map((item) => sha256Hex(item.manifest)) }));
  return {
    name,
    title: chart.title,
    release: name,
    namespace: chart.namespace,
    chart: chart.chart,
    repo: chart.repo,
    ...(pin ? { version: pin.version, appVersion: pin.appVersion } : {}),
    ...(warnings.length > 0 ? { warning: warnings.join(' ') } : {}),
    values,
    valuesYaml,
    valuesSha256,
    secrets,
    referencedSecrets: referencedSecretsOf(name, chart.namespace),
    after,
    selectors: facts.selectors.map((labels) => ({ namespace: chart.namespace, labels })),
    workloads,
    helmTimeoutS: facts.helmTimeoutS,
    crdsBeforeUpgrade: facts.crdsFolder === true,
    ...(exposure ? { exposure } : {}),
    contentSha256,
  };
}

/**
 * The plans of the enabled add-ons (only those of `only`, when given), in apply order, at the
 * pins of `minor` ("1.36").
 */
export function addonPlans(spec: ClusterSpec, minor: string, material: AddonSecretMaterial, only?: AddonName[]): AddonPlan[] {
  const enabled = new Set(enabledAddons(spec));
  return ADDON_NAMES.filter((name) => enabled.has(name) && (only === undefined || only.includes(name))).map((name) => addonPlan(name, spec, minor, material));
}
