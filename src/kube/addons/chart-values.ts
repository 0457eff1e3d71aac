/**
 * Our Helm values of each add-on for a spec: templates/addons/<name>/values.yaml (plus the
 * exposure overlay of Traefik) with the spec's settings filled in, before cluster.yaml's own
 * `values` are merged over them (plan.ts). Nothing secret is ever in here: the charts are pointed
 * at Secrets by name (secrets.ts).
 */
import { InternalError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import { resolvedTraefikExpose, type TraefikExposure } from '../../config/addons.js';
import { VELERO_AWS_PLUGIN_IMAGE, type AddonName } from './pins.js';
import { deepMerge, readAddonValues, type Values } from './values.js';
import { GRAFANA_ADMIN_SECRET, VELERO_S3_SECRET } from './secrets.js';

/** The UIs of kube-prometheus-stack behind Ingresses: host prefix, Service and port of the chart at 88.5.3. */
export const MONITORING_UIS = [
  // grafana subchart 12.11.1: Service <release>-grafana, service.port 80.
  { name: 'grafana', service: 'kube-prometheus-stack-grafana', port: 80 },
  // kube-prometheus-stack values.yaml @88.5.3: prometheus.service.port 9090, alertmanager.service.port 9093;
  // Services <fullname>-prometheus and <fullname>-alertmanager (templates/{prometheus,alertmanager}/service.yaml).
  { name: 'prometheus', service: 'kube-prometheus-stack-prometheus', port: 9090 },
  { name: 'alertmanager', service: 'kube-prometheus-stack-alertmanager', port: 9093 },
] as const;

export const monitoringHost = (ui: (typeof MONITORING_UIS)[number]['name'], domain: string): string => `${ui}.${domain}`;

/** The fluent-bit output plugins' option keys: Fluent Bit's classic-mode keys. */
const FLUENT_BIT_OPTION_KEY = /^[A-Za-z][A-Za-z0-9_.]*$/;

/**
 * The `[OUTPUT]` section of fluent-bit's classic configuration for addons.fluent-bit.output:
 * Name, `Match *` (every input: the chart's kube.* container logs and host.* kubelet journal),
 * then the options in the order cluster.yaml gives them.
 *
 * The spec's validation already refuses unsafe text (config/validate/addons.ts); checked again
 * here because the text becomes configuration: a newline would add settings or sections, `[`/`]`
 * a section header, `@` a directive (@INCLUDE, @SET), and `{{`/`}}` a Helm template, since the
 * chart passes config.outputs through `tpl` (templates/configmap.yaml @0.58.1).
 */
export function fluentBitOutputs(output: { name: string; options: Record<string, string> }): string {
  const unsafe = (text: string) => text.length > 512 || /[\u0000-\u001f\u007f[\]@]/.test(text) || text.includes('{{') || text.includes('}}');
  if (!/^[a-z][a-z0-9_]*$/.test(output.name)) throw new InternalError('FluentBitOutputInvalid', 'the fluent-bit output name is not a plugin name');
  const lines = ['[OUTPUT]', `    Name ${output.name}`, '    Match *'];
  for (const [key, value] of Object.entries(output.options)) {
    if (!FLUENT_BIT_OPTION_KEY.test(key) || /^(name|match|match_regex)$/i.test(key) || unsafe(value) || value.trim() === '') {
      throw new InternalError('FluentBitOutputInvalid', `the fluent-bit output option ${JSON.stringify(key)} is not a safe KEY value pair`);
    }
    lines.push(`    ${key} ${value.trim()}`);
  }
  return `${lines.join('\n')}\n`;
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new InternalError('AddonSettingMissing', `${what} is not set (the spec's validation should have refused it)`);
  return value;
};

/** The ClusterIssuer the monitoring Ingresses take their certificates from. */
export function monitoringIssuer(spec: ClusterSpec): 'letsencrypt' | 'selfsigned' {
  const certManager = spec.addons['cert-manager'];
  return certManager.enabled && certManager.acmeEmail !== undefined ? 'letsencrypt' : 'selfsigned';
}

function traefikValues(exposure: TraefikExposure): Values {
  return deepMerge(readAddonValues('traefik', 'values.yaml'), readAddonValues('traefik', `expose-${exposure}.yaml`));
}

function kubePrometheusStackValues(spec: ClusterSpec): Values {
  const settings = spec.addons['kube-prometheus-stack'];
  const domain = need(settings.domain, 'addons.kube-prometheus-stack.domain');
  const values = readAddonValues('kube-prometheus-stack', 'values.yaml', {
    retention: settings.retention,
    prometheusUrl: `https://${monitoringHost('prometheus', domain)}/`,
    alertmanagerUrl: `https://${monitoringHost('alertmanager', domain)}/`,
  });
  // The Secret name lives in secrets.ts; the file must say the same.
  if ((values.grafana as { admin?: { existingSecret?: unknown } } | undefined)?.admin?.existingSecret !== GRAFANA_ADMIN_SECRET) {
    throw new InternalError('AddonValuesOutOfStep', `templates/addons/kube-prometheus-stack/values.yaml must name the Secret ${GRAFANA_ADMIN_SECRET}`);
  }
  return values;
}

function veleroValues(spec: ClusterSpec): Values {
  const settings = spec.addons.velero;
  const values = readAddonValues('velero', 'values.yaml', {
    awsPluginImage: VELERO_AWS_PLUGIN_IMAGE,
    bucket: need(settings.bucket, 'addons.velero.bucket'),
    region: need(settings.region, 'addons.velero.region'),
    schedule: settings.schedule,
    ttl: settings.ttl,
  });
  const location = (values.configuration as { backupStorageLocation: Array<Record<string, unknown> & { config: Record<string, string> }> }).backupStorageLocation[0]!;
  // velero-plugin-for-aws README (BackupStorageLocation config): s3Url for a store other than
  // AWS, and s3ForcePathStyle "true" for MinIO-like stores that serve buckets as paths. The
  // chart quotes every config value (templates/backupstoragelocation.yaml): a string here.
  if (settings.prefix !== undefined) location.prefix = settings.prefix;
  if (settings.s3Url !== undefined) Object.assign(location.config, { s3Url: settings.s3Url, s3ForcePathStyle: 'true' });
  if ((values.credentials as { existingSecret?: unknown }).existingSecret !== VELERO_S3_SECRET) {
    throw new InternalError('AddonValuesOutOfStep', `templates/addons/velero/values.yaml must name the Secret ${VELERO_S3_SECRET}`);
  }
  return values;
}

/** Our values of `name` for `spec`, before cluster.yaml's `values` (plain JSON data). */
export function ourAddonValues(name: AddonName, spec: ClusterSpec): Values {
  switch (name) {
    case 'metrics-server':
      return readAddonValues('metrics-server', 'values.yaml');
    case 'traefik':
      return traefikValues(resolvedTraefikExpose(spec));
    case 'cert-manager':
      return readAddonValues('cert-manager', 'values.yaml');
    case 'kube-prometheus-stack':
      return kubePrometheusStackValues(spec);
    case 'fluent-bit':
      return readAddonValues('fluent-bit', 'values.yaml', { outputs: fluentBitOutputs(need(spec.addons['fluent-bit'].output, 'addons.fluent-bit.output')) });
    case 'velero':
      return veleroValues(spec);
  }
}
