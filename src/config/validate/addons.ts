/**
 * addons: each add-on's fields in the shape its tool accepts, the fields an enabled add-on cannot
 * do without, the add-ons it needs, a Traefik exposure the cluster can give, Fluent Bit options
 * that stay one option each in its configuration file, and no secret where the tool keeps its own.
 * The schema carries the patterns for editors; the words are here.
 */
import type { ValidationIssue } from '../../errors.js';
import { ADDON_NAMES, type AddonName } from '../../kube/addons/pins.js';
import { resolvedTraefikExpose } from '../addons.js';
import { cloudIntegrationOn } from '../cloud-integration.js';
import type { Problem } from '../field-checks.js';
import {
  CRON_SCHEDULE,
  DNS1123_SUBDOMAIN,
  EMAIL,
  GO_DURATION,
  HTTPS_URL,
  IDENTIFIER,
  OBJECT_PREFIX,
  PROMETHEUS_DURATION,
  S3_BUCKET,
} from '../patterns.js';
import type { ClusterSpec } from '../schema.js';
import { at } from './issues.js';

type Addons = ClusterSpec['addons'];
const P = (name: AddonName, field: string) => `addons.${name}.${field}`;

// Single values, shared with the wizard's prompts (wizard/init-wizard.ts).

export function addonDomainProblem(text: string): Problem | undefined {
  if (DNS1123_SUBDOMAIN.test(text)) return undefined;
  const lower = text.toLowerCase();
  return {
    message: 'must be a DNS name of lowercase letters, digits, "-" and ".": Ingress hosts are DNS-1123 subdomains',
    fix: DNS1123_SUBDOMAIN.test(lower) ? `write "${lower}"` : 'e.g. monitoring.example.com',
  };
}

export function s3BucketProblem(text: string): Problem | undefined {
  if (S3_BUCKET.test(text)) return undefined;
  return { message: 'is not an S3 bucket name: 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit', fix: 'e.g. my-cluster-backups' };
}

export function bucketRegionProblem(text: string): Problem | undefined {
  if (IDENTIFIER.test(text)) return undefined;
  return { message: 'may contain only letters, digits, ".", "_" and "-", starting with a letter or digit', fix: 'e.g. eu-central-1, or us-east-1 for MinIO' };
}

export function s3UrlProblem(text: string): Problem | undefined {
  if (HTTPS_URL.test(text)) return undefined;
  return {
    message: 'must be an https:// URL (host, optional port and path): the backups hold every Secret of the cluster, and http would send them in clear text',
    fix: 'e.g. https://minio.example.com:9000 or https://sos-ch-gva-2.exo.io',
  };
}

export function emailProblem(text: string): Problem | undefined {
  return EMAIL.test(text) ? undefined : { message: 'is not an e-mail address', fix: 'e.g. ops@example.com' };
}

/** Fluent Bit's own [OUTPUT] keys the tool writes (from output.name and for every record). */
const FLUENT_BIT_TOOL_KEYS = ['name', 'match', 'match_regex'];
const FLUENT_BIT_KEY = /^[A-Za-z][A-Za-z0-9_.]*$/;
const MAX_OPTION_LENGTH = 512;
/** Keys whose value is a credential (http_passwd, bearer_token, Splunk_Token, aws_secret_access_key, apikey, Cloud_Auth, license_key …). */
const SECRET_OPTION = /passw|token|secret|api_?key|auth|credential|license/i;
/** A reference to an environment variable of the Fluent Bit pod, which the configuration reader resolves (docs.fluentbit.io classic-mode/variables: "${MY_VARIABLE}"). */
const VARIABLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

export function fluentBitOptionKeyProblem(key: string): Problem | undefined {
  if (!FLUENT_BIT_KEY.test(key)) {
    return { message: 'is not a Fluent Bit option name: letters, digits, "_" and ".", starting with a letter', fix: 'use the key as the output plugin\'s documentation names it, e.g. Host' };
  }
  if (FLUENT_BIT_TOOL_KEYS.includes(key.toLowerCase())) {
    return { message: 'is written by the tool: Name comes from output.name, and every record is matched (Match *)', fix: 'remove it' };
  }
  return undefined;
}

/**
 * A value stays one value in Fluent Bit's classic configuration: a new line would start another
 * key or a [SECTION], "@" starts @INCLUDE/@SET commands, and the chart passes config.outputs through
 * Helm's tpl (fluent/helm-charts charts/fluent-bit/templates/configmap.yaml: tpl .Values.config.outputs),
 * so "{{" would run as a template.
 */
export function fluentBitOptionValueProblem(key: string, value: string): Problem | undefined {
  if (/[\r\n]/.test(value)) return { message: 'contains a line break, which would start another key or section of Fluent Bit\'s configuration', fix: 'write it on one line' };
  if (/[[\]@]/.test(value)) return { message: 'contains "[", "]" or "@", which Fluent Bit\'s configuration reads as a section or a command', fix: 'remove those characters' };
  if (value.includes('{{') || value.includes('}}')) return { message: 'contains "{{" or "}}", which Helm would run as a template (the chart renders its outputs with tpl)', fix: 'remove them' };
  if (value.length > MAX_OPTION_LENGTH) return { message: `is ${value.length} characters long; at most ${MAX_OPTION_LENGTH} are allowed` };
  if (SECRET_OPTION.test(key) && value !== '' && !VARIABLE_REFERENCE.test(value)) {
    return {
      message: 'holds a credential, and cluster.yaml is no place for one',
      fix: `write \${${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}} instead and set that variable from a Secret through addons.fluent-bit.values.env (valueFrom.secretKeyRef)`,
    };
  }
  return undefined;
}

export function checkAddons(spec: ClusterSpec): ValidationIssue[] {
  const addons = spec.addons;
  return [...checkFields(addons), ...checkRequired(addons), ...checkFluentBitOutput(addons), ...checkTraefikExposure(spec), ...checkToolValues(addons)];
}

function checkFields(addons: Addons): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (path: string, value: string | undefined, problem: (text: string) => Problem | undefined) => {
    if (value !== undefined) issues.push(...at(path, value, problem(value)));
  };
  const shape = (pattern: RegExp, message: string, fix: string) => (text: string) => (pattern.test(text) ? undefined : { message, fix });
  const certManager = addons['cert-manager'];
  check(P('cert-manager', 'acmeEmail'), certManager.acmeEmail, emailProblem);
  check(P('cert-manager', 'acmeServer'), certManager.acmeServer, shape(HTTPS_URL, 'must be an https:// URL of an ACME directory', 'e.g. https://acme-staging-v02.api.letsencrypt.org/directory, or leave it out for Let\'s Encrypt production'));
  const monitoring = addons['kube-prometheus-stack'];
  check(P('kube-prometheus-stack', 'domain'), monitoring.domain, addonDomainProblem);
  check(P('kube-prometheus-stack', 'retention'), monitoring.retention, shape(PROMETHEUS_DURATION, 'is not a Prometheus duration', 'e.g. 15d, 4w or 1y: numbers with y, w, d, h, m, s or ms, largest unit first'));
  const velero = addons.velero;
  check(P('velero', 'bucket'), velero.bucket, s3BucketProblem);
  check(P('velero', 'region'), velero.region, bucketRegionProblem);
  check(P('velero', 's3Url'), velero.s3Url, s3UrlProblem);
  check(P('velero', 'prefix'), velero.prefix, shape(OBJECT_PREFIX, 'is not a folder name inside a bucket: parts of letters, digits, ".", "_" and "-" separated by "/", without a leading or trailing "/"', 'e.g. backups/prod'));
  check(P('velero', 'schedule'), velero.schedule, shape(CRON_SCHEDULE, 'is not a cron schedule of five fields (minute hour day-of-month month day-of-week)', 'e.g. "0 3 * * *" for 03:00 every day'));
  check(P('velero', 'ttl'), velero.ttl, shape(GO_DURATION, 'is not a duration in hours, minutes and seconds', 'e.g. 720h (30 days) or 168h (a week)'));
  return issues;
}

function checkRequired(addons: Addons): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const monitoring = addons['kube-prometheus-stack'];
  if (monitoring.enabled) {
    if (monitoring.domain === undefined) {
      issues.push({
        path: P('kube-prometheus-stack', 'domain'),
        message: 'is required when kube-prometheus-stack is enabled: Grafana, Prometheus and Alertmanager are served at grafana.<domain>, prometheus.<domain> and alertmanager.<domain>',
        fix: 'set it, e.g. monitoring.example.com, and point *.monitoring.example.com at Traefik',
      });
    }
    for (const needed of ['traefik', 'cert-manager'] as const) {
      if (addons[needed].enabled) continue;
      const why = needed === 'traefik' ? 'its Ingresses use the traefik IngressClass and a Traefik Middleware for basic auth' : 'its Ingresses get their certificates from a cert-manager ClusterIssuer';
      issues.push({
        path: P('kube-prometheus-stack', 'enabled'),
        message: `needs ${needed} (${why}), and addons.${needed}.enabled is false`,
        fix: `set addons.${needed}.enabled: true, or turn kube-prometheus-stack off`,
      });
    }
  }
  const velero = addons.velero;
  if (velero.enabled) {
    if (velero.bucket === undefined) issues.push({ path: P('velero', 'bucket'), message: 'is required when velero is enabled: it names the bucket the backups go to', fix: 'set it, e.g. my-cluster-backups' });
    if (velero.region === undefined) issues.push({ path: P('velero', 'region'), message: 'is required when velero is enabled: the bucket\'s region', fix: 'set it, e.g. eu-central-1 (MinIO: us-east-1 unless configured otherwise)' });
  }
  const logging = addons['fluent-bit'];
  if (logging.enabled && logging.output === undefined) {
    issues.push({
      path: P('fluent-bit', 'output'),
      message: 'is required when fluent-bit is enabled: it names where the logs go',
      fix: 'set it, e.g. output: { name: loki, options: { host: loki.example.com, port: 3100 } }',
    });
  }
  return issues;
}

function checkFluentBitOutput(addons: Addons): ValidationIssue[] {
  const options = addons['fluent-bit'].output?.options ?? {};
  return Object.entries(options).flatMap(([key, value]) => {
    const path = `${P('fluent-bit', 'output.options')}.${key}`;
    const keyProblem = fluentBitOptionKeyProblem(key);
    if (keyProblem) return at(path, undefined, keyProblem);
    const problem = fluentBitOptionValueProblem(key, value);
    // A credential is never echoed back.
    return at(path, problem && SECRET_OPTION.test(key) ? undefined : value.length > 200 ? undefined : value, problem);
  });
}

function checkTraefikExposure(spec: ClusterSpec): ValidationIssue[] {
  const traefik = spec.addons.traefik;
  if (!traefik.enabled || traefik.expose !== 'loadbalancer') return [];
  const path = P('traefik', 'expose');
  if (spec.provider.name === 'static' && spec.loadBalancer.metallb === undefined) {
    return [{ path, message: 'is loadbalancer, but nothing gives LoadBalancer Services an address on static hosts without MetalLB: the Service would stay pending', value: 'loadbalancer', fix: 'set loadBalancer.metallb.addresses, or expose: hostport (auto chooses it)' }];
  }
  if (spec.provider.name !== 'static' && !cloudIntegrationOn(spec).ccm) {
    return [{ path, message: 'is loadbalancer, but cloudIntegration.ccm is false: without the cloud controller manager LoadBalancer Services get no address', value: 'loadbalancer', fix: 'set cloudIntegration.ccm: true, or expose: nodeport (auto chooses it)' }];
  }
  return [];
}

interface ToolValue {
  path: string;
  message: string;
  fix: string;
}

/** Chart values the tool sets itself because they carry a secret it makes or takes from the environment. */
const TOOL_VALUES: Partial<Record<AddonName, ToolValue[]>> = {
  // The Grafana chart's admin credentials: adminPassword, or admin.existingSecret/userKey/passwordKey
  // (grafana/helm-charts charts/grafana/values.yaml; a subchart under grafana: in kube-prometheus-stack).
  'kube-prometheus-stack': [
    { path: 'grafana.adminPassword', message: 'is set by the tool: it generates the Grafana admin password and keeps it in the Secret monitoring/grafana-admin and in secrets/addons/ of the cluster folder', fix: 'remove it' },
    { path: 'grafana.admin', message: 'is set by the tool: Grafana reads its admin from the Secret monitoring/grafana-admin, which the tool generates', fix: 'remove it' },
  ],
  // The Velero chart's credentials.secretContents/existingSecret (vmware-tanzu/helm-charts charts/velero/values.yaml).
  velero: [
    { path: 'credentials.secretContents', message: 'would store the S3 keys in cluster.yaml', fix: 'remove it and set K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY instead: the tool puts them into the Secret velero/velero-s3' },
    { path: 'credentials.existingSecret', message: 'is set by the tool: Velero reads its S3 keys from the Secret velero/velero-s3, which the tool writes from K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY', fix: 'remove it' },
  ],
};

function hasPath(values: Record<string, unknown>, dotted: string): boolean {
  let node: unknown = values;
  for (const key of dotted.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function checkToolValues(addons: Addons): ValidationIssue[] {
  return ADDON_NAMES.flatMap((name) =>
    (TOOL_VALUES[name] ?? [])
      .filter((entry) => hasPath(addons[name].values, entry.path))
      .map((entry) => ({ path: `${P(name, 'values')}.${entry.path}`, message: entry.message, fix: entry.fix })),
  );
}

/** Keys of values that look like a credential (adminPassword, bearerToken, secretAccessKey, apiKey …). */
const SECRET_VALUE_KEY = /(password|passwd|token|secretaccesskey|secretkey|apikey|apisecret)$/;

/** Dotted paths of non-empty strings under a secret-looking key. */
function secretLookingPaths(value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (typeof child === 'string' && child !== '' && SECRET_VALUE_KEY.test(key.toLowerCase().replace(/[-_]/g, ''))) out.push(childPath);
    else secretLookingPaths(child, childPath, out);
  }
}

export function addonWarnings(spec: ClusterSpec): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  const addons = spec.addons;
  const traefik = addons.traefik;
  if (traefik.enabled && traefik.expose === 'loadbalancer' && spec.provider.name === 'exoscale' && cloudIntegrationOn(spec).ccm) {
    warnings.push({
      path: P('traefik', 'expose'),
      message: 'is loadbalancer, but on exoscale the cloud controller manager gives LoadBalancer Services a load balancer only for nodes in instance pools, and these nodes are single instances: the Service stays pending (auto chooses nodeport there: NodePorts 30080/30443)',
      value: 'loadbalancer',
    });
  }
  const certManager = addons['cert-manager'];
  if (certManager.enabled && certManager.acmeEmail !== undefined) {
    if (!traefik.enabled) {
      warnings.push({ path: P('cert-manager', 'acmeEmail'), message: 'is set, but the letsencrypt ClusterIssuer answers HTTP-01 challenges through Traefik, and addons.traefik.enabled is false' });
    } else if (resolvedTraefikExpose(spec) === 'nodeport') {
      // Let's Encrypt connects to port 80 for HTTP-01 (letsencrypt.org/docs/challenge-types).
      warnings.push({ path: P('cert-manager', 'acmeEmail'), message: 'is set, but Let\'s Encrypt checks HTTP-01 challenges on port 80, and with addons.traefik.expose nodeport Traefik listens on a NodePort: certificates are issued only if something forwards port 80 to it' });
    }
  }
  for (const name of ADDON_NAMES) {
    const paths: string[] = [];
    secretLookingPaths(addons[name].values, P(name, 'values'), paths);
    for (const path of paths) {
      warnings.push({ path, message: 'looks like a credential: cluster.yaml (and the copy in state.json) would hold it in clear text; let the chart read it from an existing Secret instead' });
    }
  }
  return warnings;
}
