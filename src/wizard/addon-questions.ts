/**
 * What the wizard asks about add-ons: one list to tick (the default set ticked), then only the
 * fields an optional add-on cannot do without. Everything else (values, ACME, retention, the
 * Traefik exposure, more Fluent Bit options) stays in cluster.yaml, where the config reference
 * documents it.
 */
import { ADDON_NAMES, DEFAULT_ON, type AddonName } from '../kube/addons/pins.js';
import type { FluentBitOutputName } from '../config/schema.js';
import type { CheckboxChoice } from './prompts.js';

const ADDON_LABELS: Record<AddonName, string> = {
  'metrics-server': 'metrics-server: resource metrics (kubectl top, autoscaling)',
  traefik: 'traefik: ingress controller, the default IngressClass',
  'cert-manager': 'cert-manager: certificates (self-signed; ACME with an e-mail)',
  'kube-prometheus-stack': 'kube-prometheus-stack: Prometheus, Grafana (asks a domain)',
  'fluent-bit': 'fluent-bit: ships container logs (asks where to)',
  velero: 'velero: backups to an S3 bucket (asks the bucket)',
};

export function addonChoices(): CheckboxChoice<AddonName>[] {
  return ADDON_NAMES.map((name) => ({ value: name, name: ADDON_LABELS[name], checked: DEFAULT_ON.includes(name) }));
}

/** The checkbox's own check: kube-prometheus-stack's Ingresses need Traefik and cert-manager (validate/addons.ts says the same of a file). */
export function addonSelectionProblem(chosen: readonly AddonName[]): true | string {
  if (!chosen.includes('kube-prometheus-stack')) return true;
  const missing = (['traefik', 'cert-manager'] as const).filter((name) => !chosen.includes(name));
  return missing.length === 0 ? true : `kube-prometheus-stack needs ${missing.join(' and ')} for its Ingresses: tick ${missing.length === 1 ? 'it' : 'them'} too, or untick kube-prometheus-stack`;
}

/**
 * The output options the wizard asks per Fluent Bit output, spelled as each plugin's page of
 * docs.fluentbit.io/manual/pipeline/outputs names them (es, opensearch, forward: Host; loki,
 * http, splunk: host; s3: bucket and region). stdout and null need none.
 */
export const FLUENT_BIT_ASKED_OPTIONS: Record<FluentBitOutputName, { key: string; kind: 'host' | 'bucket' | 'region' }[]> = {
  es: [{ key: 'Host', kind: 'host' }],
  opensearch: [{ key: 'Host', kind: 'host' }],
  forward: [{ key: 'Host', kind: 'host' }],
  loki: [{ key: 'host', kind: 'host' }],
  http: [{ key: 'host', kind: 'host' }],
  splunk: [{ key: 'host', kind: 'host' }],
  s3: [
    { key: 'bucket', kind: 'bucket' },
    { key: 'region', kind: 'region' },
  ],
  stdout: [],
  null: [],
};

/**
 * The addons section for cluster.yaml: only what differs from the defaults (an add-on of the
 * default set left ticked writes nothing), plus the fields asked for the optional ones.
 */
export function addonsDoc(chosen: readonly AddonName[], fields: Partial<Record<AddonName, Record<string, unknown>>>): Record<string, unknown> | undefined {
  const doc: Record<string, unknown> = {};
  for (const name of ADDON_NAMES) {
    const on = chosen.includes(name);
    if (on === DEFAULT_ON.includes(name) && !fields[name]) continue;
    doc[name] = { enabled: on, ...(on ? fields[name] : {}) };
  }
  return Object.keys(doc).length > 0 ? doc : undefined;
}
