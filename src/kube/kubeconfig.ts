/**
 * The operator's kubeconfig, rebuilt (never copied) from admin.conf of the first control plane:
 * only its CA and admin client certificate and key are taken, checked by the allow-list
 * (kubeconfig-allowlist.ts); the server is the public API endpoint the tool planned, and every
 * name is made cluster-specific so it can sit next to other clusters in ~/.kube/config
 * (kubeconfig-entries.ts merges it there).
 */
import { X509Certificate } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { ExternalToolError } from '../errors.js';
import { readUntrustedKubeconfig, type KubeconfigParts } from './kubeconfig-allowlist.js';
import type { KubeconfigNames } from './kubeconfig-entries.js';

export type { KubeconfigParts } from './kubeconfig-allowlist.js';
export { isKubeconfigRefusal, readUntrustedKubeconfig } from './kubeconfig-allowlist.js';
export { mergeKubeconfig, mergedEntriesOf, removeFromKubeconfig, type KubeconfigNames, type MergedEntries } from './kubeconfig-entries.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface Kubeconfig {
  clusters?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

/** `<name>`, `<name>-admin`, `<name>-admin@<name>`. */
export function kubeconfigNames(clusterName: string): KubeconfigNames {
  return { cluster: clusterName, user: `${clusterName}-admin`, context: `${clusterName}-admin@${clusterName}` };
}

function load(text: string | undefined, what: string): Kubeconfig {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new ExternalToolError('InvalidKubeconfig', `${what} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ExternalToolError('InvalidKubeconfig', `${what} is not a kubeconfig mapping.`);
  return value as Kubeconfig;
}

export interface AdminConfOptions {
  clusterName: string;
  /** host:port written as the server. */
  endpoint: string;
  /** The node admin.conf came from, for messages. */
  node: string;
  /** host:port values kubeadm may have written as admin.conf's server. */
  allowedServers: string[];
  /** The cluster CA's "sha256:<hex>" (secrets/join.json), when known. */
  caCertHash?: string;
}

/** `https://<endpoint>` (the endpoint is HOST:PORT, or already a URL). */
export function serverUrl(endpoint: string): string {
  return endpoint.startsWith('https://') ? endpoint : `https://${endpoint}`;
}

/**
 * admin.conf → the cluster's kubeconfig: server `https://<endpoint>`, names per kubeconfigNames,
 * current-context set, the CA and client credentials of admin.conf and nothing else of it. An
 * admin.conf with anything more (exec, proxy-url, …) is refused. The result is a secret: 0600.
 */
export function rewriteAdminKubeconfig(adminConf: string, options: AdminConfOptions): string {
  const parts = readAdminKubeconfig(adminConf, options);
  return buildKubeconfig({ ...parts, server: serverUrl(options.endpoint) }, kubeconfigNames(options.clusterName));
}

/** admin.conf's allow-listed parts (its own server included), or the refusal naming the node. */
export function readAdminKubeconfig(adminConf: string, options: Pick<AdminConfOptions, 'node' | 'allowedServers' | 'caCertHash'>): KubeconfigParts {
  return readUntrustedKubeconfig(adminConf, {
    source: `admin.conf on ${options.node}`,
    allowedServers: options.allowedServers,
    caCertHash: options.caCertHash,
    fix: `The existing kubeconfig is kept. kubeadm writes only server, certificate-authority-data, client-certificate-data and client-key-data into /etc/kubernetes/admin.conf: if nobody changed it on ${options.node} on purpose, treat ${options.node} as compromised.`,
  });
}

/** The cluster's kubeconfig from its parts alone. */
export function buildKubeconfig(parts: KubeconfigParts, names: KubeconfigNames): string {
  const result = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: names.cluster, cluster: { 'certificate-authority-data': parts.caData, server: parts.server } }],
    users: [{ name: names.user, user: { 'client-certificate-data': parts.certData, 'client-key-data': parts.keyData } }],
    contexts: [{ name: names.context, context: { cluster: names.cluster, user: names.user } }],
    'current-context': names.context,
    preferences: {},
  };
  return stringify(result, { lineWidth: 0 });
}

/** The server URL of the kubeconfig's current (or only) cluster. */
export function kubeconfigServer(text: string): string | undefined {
  const config = load(text, 'kubeconfig');
  const context = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0];
  const clusterName = (context?.context as { cluster?: string } | undefined)?.cluster;
  const cluster = config.clusters?.find((c) => c.name === clusterName) ?? config.clusters?.[0];
  return (cluster?.cluster as { server?: string } | undefined)?.server;
}

/** The operator's kubeconfig is refreshed (and status warns) when its client certificate has less left than this. */
export const KUBECONFIG_RENEW_BEFORE_MS = 30 * 24 * 3_600_000;

/** The client certificate of a kubeconfig's first user: its base64 data and when it expires. */
export function clientCertificateOf(text: string): { data: string; notAfter: Date } | undefined {
  let config: Kubeconfig;
  try {
    config = load(text, 'kubeconfig');
  } catch {
    return undefined;
  }
  const users = config.users as Named[] | undefined;
  const user = users?.[0]?.user as Record<string, unknown> | undefined;
  const data = user?.['client-certificate-data'];
  if (typeof data !== 'string') return undefined;
  try {
    const certificate = new X509Certificate(Buffer.from(data, 'base64'));
    return { data, notAfter: new Date(certificate.validTo) };
  } catch {
    return undefined;
  }
}
