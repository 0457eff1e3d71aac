/**
 * The Kubernetes Secrets of the add-ons, rendered from the secret material the workflow holds
 * (generated passwords kept in secrets/addons/, Velero's S3 keys from the environment). Chart
 * values only ever name these Secrets (grafana.admin.existingSecret, credentials.existingSecret);
 * the Secrets themselves reach the cluster on stdin of `kubectl apply --server-side -f -`, never
 * in argv, a file on a node, Helm's release record or cluster.yaml.
 *
 * Each carries the content sha annotation of kube/cloud-integration.ts (CONTENT_SHA_ANNOTATION), so a later run tells a
 * changed Secret from an unchanged one without reading a value back, and restarts its readers.
 */
import { parse } from 'yaml';
import { InternalError } from '../../errors.js';
import { CONTENT_SHA_ANNOTATION, secretContentSha256, type Workload } from '../cloud-integration.js';
import { htpasswdLine } from './htpasswd.js';
import { goYaml } from './values.js';

export interface AddonSecret {
  namespace: string;
  name: string;
  /** The Secret as YAML with its content sha annotation: stdin only. */
  rendered: string;
  /**
   * The same Secret without the annotation (what `sha256` is the sha of): with
   * addonSecretWithSha(secret, oldSha) a caller can apply the new content under the old sha first,
   * restart the readers, then record the new sha (as SshNodeOps.applyCloudSecret does), so a run
   * cut short in between restarts them again.
   */
  content: string;
  /** sha256 of `content`, hex: the value of CONTENT_SHA_ANNOTATION. */
  sha256: string;
  /** Workloads that read the Secret only at start: restarted when it changes. */
  readers: Workload[];
}

/** The material the add-on Secrets are made of (the workflow reads or generates it). */
export interface AddonSecretMaterial {
  monitoring?: { basicAuthPassword: string; grafanaPassword: string; htpasswdSalt: string };
  velero?: { accessKeyId: string; secretAccessKey: string };
}

/** The user of the monitoring basic auth and of Grafana's admin. */
export const MONITORING_USER = 'admin';
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
export const MONITORING_BASIC_AUTH_SECRET = 'monitoring-basic-auth';
export const VELERO_S3_SECRET = 'velero-s3';

/** No control character, no empty value: a newline in a key would add lines to a credentials file. */
function secretText(value: string, what: string): string {
  if (value === '' || /[\u0000-\u001f\u007f]/.test(value)) throw new InternalError('AddonSecretInvalid', `the ${what} is empty or holds a control character`);
  return value;
}

const secretObject = (namespace: string, name: string, stringData: Record<string, string>, sha256?: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'k8s-bootstrap' }, ...(sha256 === undefined ? {} : { annotations: { [CONTENT_SHA_ANNOTATION]: sha256 } }) },
  type: 'Opaque',
  stringData,
});

function secretOf(namespace: string, name: string, stringData: Record<string, string>, readers: Workload[]): AddonSecret {
  const content = goYaml(secretObject(namespace, name, stringData));
  const sha256 = secretContentSha256(content);
  return { namespace, name, rendered: goYaml(secretObject(namespace, name, stringData, sha256)), content, sha256, readers };
}

/**
 * `secret` carrying `sha256` as its content annotation instead of its own (none: no annotation):
 * the step that restarts readers applies the new content under the old sha first. Use this, not
 * cloud-integration's withContentSha, whose plain YAML 1.2 output could turn a value such as `yes`
 * into a boolean for kubectl (goYaml).
 */
export function addonSecretWithSha(secret: AddonSecret, sha256: string | undefined): string {
  const parsed = parse(secret.content, { version: '1.1' }) as ReturnType<typeof secretObject>;
  return goYaml(secretObject(parsed.metadata.namespace, parsed.metadata.name, parsed.stringData, sha256));
}

/**
 * Grafana's admin (keys admin-user and admin-password: the chart's grafana.admin.userKey and
 * passwordKey). Grafana reads them at start; it applies the password to its database only when
 * it creates it, which is why the password is generated once and kept.
 */
export function grafanaAdminSecret(namespace: string, material: NonNullable<AddonSecretMaterial['monitoring']>, grafana: Workload): AddonSecret {
  return secretOf(namespace, GRAFANA_ADMIN_SECRET, { 'admin-user': MONITORING_USER, 'admin-password': secretText(material.grafanaPassword, 'Grafana admin password') }, [grafana]);
}

/**
 * The basic auth of the monitoring Ingresses: key `users`, htpasswd lines (Traefik's basicAuth
 * secret: "users" of "name:hashed-password", MD5/SHA1/BCrypt hashes; research-15 §4), with the
 * apr1 hash of a fixed salt so the content, and its sha, stay the same from run to run. Traefik
 * watches Secrets: no reader to restart.
 */
export function basicAuthSecret(namespace: string, material: NonNullable<AddonSecretMaterial['monitoring']>): AddonSecret {
  const line = htpasswdLine(MONITORING_USER, secretText(material.basicAuthPassword, 'monitoring basic-auth password'), material.htpasswdSalt);
  return secretOf(namespace, MONITORING_BASIC_AUTH_SECRET, { users: `${line}\n` }, []);
}

/**
 * Velero's S3 keys: key `cloud`, an AWS shared credentials file (the chart's credentials
 * documentation: "The key must be named `cloud`, and the value corresponds to the entire content
 * of your IAM credentials file"; velero-plugin-for-aws README: [default] with aws_access_key_id
 * and aws_secret_access_key). Read at start by the server and the node agent.
 */
export function veleroS3Secret(namespace: string, material: NonNullable<AddonSecretMaterial['velero']>, readers: Workload[]): AddonSecret {
  const id = secretText(material.accessKeyId, 'S3 access key id of Velero');
  const key = secretText(material.secretAccessKey, 'S3 secret access key of Velero');
  return secretOf(namespace, VELERO_S3_SECRET, { cloud: `[default]\naws_access_key_id=${id}\naws_secret_access_key=${key}\n` }, readers);
}

/** The key of a Secret in judgeAddon's `secretShas`: "namespace/name". */
export const secretKey = (secret: { namespace: string; name: string }): string => `${secret.namespace}/${secret.name}`;

/**
 * The Namespace of an add-on as a manifest, for `kubectl apply --server-side -f -` before its
 * Secrets (helm's --create-namespace comes later, and accepts a namespace that exists).
 */
export function namespaceManifest(namespace: string): string {
  return goYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
}
