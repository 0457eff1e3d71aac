/**
 * The operator's kubeconfig: admin.conf from the first control plane with the server rewritten
 * to the public API endpoint and every name made cluster-specific, so it can sit next to other
 * clusters in ~/.kube/config without clobbering them.
 */
import { X509Certificate } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { ExternalToolError } from '../errors.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

export interface KubeconfigNames {
  cluster: string;
  user: string;
  context: string;
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
    throw new ExternalToolError('InvalidKubeconfig', `${what} is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ExternalToolError('InvalidKubeconfig', `${what} is not a kubeconfig mapping.`);
  return value as Kubeconfig;
}

/**
 * admin.conf → the cluster's kubeconfig: server `https://<endpoint>`, names per kubeconfigNames,
 * current-context set. Credentials are carried over unchanged (the result is a secret: 0600).
 */
export function rewriteAdminKubeconfig(adminConf: string, options: { clusterName: string; endpoint: string }): string {
  const config = load(adminConf, 'admin.conf');
  const cluster = config.clusters?.[0];
  const user = config.users?.[0];
  if (!cluster || typeof cluster.cluster !== 'object' || !user || typeof user.user !== 'object') {
    throw new ExternalToolError('InvalidKubeconfig', 'admin.conf has no cluster or no user entry.');
  }
  const names = kubeconfigNames(options.clusterName);
  const server = options.endpoint.startsWith('https://') ? options.endpoint : `https://${options.endpoint}`;
  const result: Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: names.cluster, cluster: { ...(cluster.cluster as object), server } }],
    users: [{ name: names.user, user: user.user }],
    contexts: [{ name: names.context, context: { cluster: names.cluster, user: names.user } }],
    'current-context': names.context,
    preferences: {},
  };
  return stringify(result, { lineWidth: 0 });
}

function upsert(existing: Named[] | undefined, incoming: Named[] | undefined): Named[] {
  const result = [...(existing ?? [])];
  for (const entry of incoming ?? []) {
    const index = result.findIndex((item) => item.name === entry.name);
    if (index >= 0) result[index] = entry;
    else result.push(entry);
  }
  return result;
}

/**
 * Adds the entries of `incoming` to `existing` (e.g. ~/.kube/config). Entries with the same name
 * are replaced; everything else in `existing` stays as it was. current-context is switched only
 * when asked, or when `existing` had none.
 */
export function mergeKubeconfig(existing: string | undefined, incoming: string, options: { setCurrentContext?: boolean } = {}): string {
  const base = load(existing, 'the existing kubeconfig');
  const add = load(incoming, 'the new kubeconfig');
  const merged: Kubeconfig = {
    ...base,
    apiVersion: base.apiVersion ?? 'v1',
    kind: base.kind ?? 'Config',
    clusters: upsert(base.clusters, add.clusters),
    users: upsert(base.users, add.users),
    contexts: upsert(base.contexts, add.contexts),
  };
  if (options.setCurrentContext || !base['current-context']) merged['current-context'] = add['current-context'] ?? base['current-context'];
  return stringify(merged, { lineWidth: 0 });
}

/** Removes the cluster's three entries (names per kubeconfigNames); other entries are kept. */
export function removeFromKubeconfig(existing: string, clusterName: string): string {
  const config = load(existing, 'the existing kubeconfig');
  const names = kubeconfigNames(clusterName);
  const result: Kubeconfig = {
    ...config,
    clusters: (config.clusters ?? []).filter((entry) => entry.name !== names.cluster),
    users: (config.users ?? []).filter((entry) => entry.name !== names.user),
    contexts: (config.contexts ?? []).filter((entry) => entry.name !== names.context),
  };
  if (result['current-context'] === names.context) delete result['current-context'];
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
  const user = config.users?.[0]?.user as Record<string, unknown> | undefined;
  const data = user?.['client-certificate-data'];
  if (typeof data !== 'string') return undefined;
  try {
    const certificate = new X509Certificate(Buffer.from(data, 'base64'));
    return { data, notAfter: new Date(certificate.validTo) };
  } catch {
    return undefined;
  }
}
