/**
 * Reading a kubeconfig the tool did not just build (admin.conf from a node, the cluster folder's
 * kubeconfig before it is merged) into the four values the tool keeps: server, CA, client
 * certificate and key. A kubeconfig can make kubectl run programs (exec, auth-provider), read
 * files on this machine (tokenFile, client-key, certificate-authority), skip TLS checks or use
 * a proxy; whatever a node wrote is data, so anything outside this allow-list is refused, never
 * dropped silently. kubeadm's admin.conf has nothing else.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { parse } from 'yaml';
import { BootstrapError, ExternalToolError } from '../errors.js';
import { caCertHash } from './join-material.js';

export interface KubeconfigParts {
  /** The file's https server URL, as written there. */
  server: string;
  /** base64 of one PEM CA certificate, as in the file. */
  caData: string;
  /** base64 of one PEM client certificate, issued by that CA. */
  certData: string;
  /** base64 of the PEM private key of that certificate (a secret). */
  keyData: string;
}

export interface ReadKubeconfigOptions {
  /** Names the file in messages: "admin.conf on cp-1", or a path. */
  source: string;
  /** host:port values the server may have; undefined: any https://HOST:PORT. */
  allowedServers?: string[];
  /** "sha256:<hex>" of the CA's SubjectPublicKeyInfo (kubeadm's discovery hash), when known. */
  caCertHash?: string;
  /** What the person can do about a refused file: the error's hint. */
  fix: string;
}

/** Codes of a refused kubeconfig: retrying reads the same file again, so steps do not retry them. */
export const KUBECONFIG_REFUSALS = new Set(['UnsafeKubeconfig', 'InvalidKubeconfig', 'KubeconfigCaMismatch', 'KubeconfigServerMismatch']);

export function isKubeconfigRefusal(error: unknown): boolean {
  return error instanceof BootstrapError && KUBECONFIG_REFUSALS.has(error.code);
}

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences']);
const LISTS = [
  { list: 'clusters', body: 'cluster', allowed: new Set(['server', 'certificate-authority-data']), required: true },
  { list: 'users', body: 'user', allowed: new Set(['client-certificate-data', 'client-key-data']), required: true },
  // A default namespace (kubectl config set-context --namespace) only picks where kubectl looks.
  { list: 'contexts', body: 'context', allowed: new Set(['cluster', 'user', 'namespace']), required: false },
] as const;

/** Why a field is refused, by its name: what kubectl would do with it. */
const MEANING: Record<string, string> = {
  exec: 'a credential plugin would run on this machine',
  'auth-provider': 'an auth-provider plugin would run on this machine and supply the credentials',
  token: 'a bearer token would be sent instead of the admin client certificate',
  tokenFile: 'kubectl would read a token from a file on this machine',
  username: 'basic-auth credentials, which kubeadm never writes',
  password: 'basic-auth credentials, which kubeadm never writes',
  'client-certificate': 'kubectl would read a certificate from a file on this machine',
  'client-key': 'kubectl would read a private key from a file on this machine',
  'certificate-authority': 'kubectl would trust a CA file on this machine',
  'insecure-skip-tls-verify': "kubectl would not check the API server's certificate",
  'proxy-url': 'kubectl would send its requests and credentials through a proxy the file chose',
  'tls-server-name': "kubectl would check the API server's certificate against another name",
  extensions: 'extension data, which kubeadm never writes',
  as: 'kubectl would impersonate another user',
  'as-uid': 'kubectl would impersonate another user',
  'as-groups': 'kubectl would impersonate other groups',
  'as-user-extra': 'kubectl would impersonate another user',
};
const NOT_KUBEADM = 'not part of what kubeadm writes';

/** Fields whose value helps to see what happened and is never a secret: shown in the error. */
const SHOWN: Record<string, (value: unknown) => unknown> = {
  exec: (value) => (value as { command?: unknown } | null)?.command,
  'auth-provider': (value) => (value as { name?: unknown } | null)?.name,
  tokenFile: (value) => value,
  'client-certificate': (value) => value,
  'client-key': (value) => value,
  'certificate-authority': (value) => value,
  'insecure-skip-tls-verify': (value) => value,
  'proxy-url': (value) => value,
  'tls-server-name': (value) => value,
  server: (value) => value,
};

interface Finding {
  path: string;
  field: string;
  value: unknown;
}

/** The kubeconfig's server, CA and client credentials, or an error naming what is wrong. */
export function readUntrustedKubeconfig(text: string, options: ReadKubeconfigOptions): KubeconfigParts {
  const config = load(text, options);
  const findings = unexpectedFields(config, options);
  if (findings.length > 0) {
    throw new ExternalToolError('UnsafeKubeconfig', `${options.source} carries ${findings.map(describe).join('; ')}; refusing it`, {
      hint: `Nothing was written. ${options.fix}`,
    });
  }
  const cluster = body(config, 'clusters', 'cluster');
  const user = body(config, 'users', 'user');
  if (!cluster || !user) throw invalid(options, 'has no cluster or no user entry');
  const server = checkServer(cluster.server, options);
  const ca = checkCa(cluster['certificate-authority-data'], options);
  checkClient(user['client-certificate-data'], user['client-key-data'], ca, options);
  return {
    server,
    caData: cluster['certificate-authority-data'] as string,
    certData: user['client-certificate-data'] as string,
    keyData: user['client-key-data'] as string,
  };
}

function load(text: string, options: ReadKubeconfigOptions): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw invalid(options, `is not valid YAML (${firstLine((error as Error).message)})`);
  }
  if (!isObject(value)) throw invalid(options, 'is not a kubeconfig mapping');
  return value;
}

function unexpectedFields(config: Record<string, unknown>, options: ReadKubeconfigOptions): Finding[] {
  const found: Finding[] = [];
  const add = (path: string, field: string, value: unknown) => found.push({ path, field, value });
  for (const [key, value] of Object.entries(config)) {
    if (!TOP_LEVEL.has(key)) add(key, key, value);
  }
  // kubeadm writes `preferences: {}`; kubectl would apply anything in it.
  if (config.preferences !== undefined && config.preferences !== null) {
    if (!isObject(config.preferences)) add('preferences', 'preferences', config.preferences);
    else for (const [key, value] of Object.entries(config.preferences)) add(`preferences.${key}`, key, value);
  }
  for (const { list, body: bodyKey, allowed, required } of LISTS) {
    const entries = config[list];
    if (entries === undefined || entries === null) {
      if (required) throw invalid(options, 'has no cluster or no user entry');
      continue;
    }
    if (!Array.isArray(entries)) throw invalid(options, `has ${list} that is not a list`);
    entries.slice(1).forEach((entry, offset) => add(`${list}[${offset + 1}]`, `more-than-one:${list}`, entry));
    const first = entries[0] as unknown;
    if (first === undefined) continue;
    if (!isObject(first)) throw invalid(options, `has ${list}[0] that is not a mapping`);
    for (const [key, value] of Object.entries(first)) {
      if (key !== 'name' && key !== bodyKey) add(`${list}[0].${key}`, key, value);
    }
    const content = first[bodyKey];
    if (content === undefined || content === null) continue;
    if (!isObject(content)) throw invalid(options, `has ${list}[0].${bodyKey} that is not a mapping`);
    for (const [key, value] of Object.entries(content)) {
      if (!allowed.has(key)) add(`${list}[0].${bodyKey}.${key}`, key, value);
    }
  }
  return found;
}

function describe(finding: Finding): string {
  const shownValue = SHOWN[finding.field]?.(finding.value);
  const value = shownValue === undefined || shownValue === null ? '' : ` (${shown(shownValue)})`;
  const meaning = finding.field.startsWith('more-than-one:')
    ? `a second ${finding.field.slice('more-than-one:'.length).replace(/s$/, '')} entry, where kubeadm writes one`
    : (MEANING[finding.field] ?? NOT_KUBEADM);
  return `${finding.path}${value}: ${meaning}`;
}

function body(config: Record<string, unknown>, list: string, key: string): Record<string, unknown> | undefined {
  const entries = config[list];
  const first = Array.isArray(entries) ? (entries[0] as unknown) : undefined;
  const content = isObject(first) ? first[key] : undefined;
  return isObject(content) ? content : undefined;
}

/** https://HOST:PORT and nothing else; one of allowedServers when given. */
function checkServer(server: unknown, options: ReadKubeconfigOptions): string {
  if (typeof server !== 'string' || server === '') throw invalid(options, 'has no clusters[0].cluster.server');
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  const plain = url && url.protocol === 'https:' && !url.username && !url.password && (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash;
  if (!url || !plain) {
    throw new ExternalToolError('KubeconfigServerMismatch', `${options.source} has clusters[0].cluster.server ${shown(server)}, which is not an https://HOST:PORT URL; refusing it`, {
      hint: `Nothing was written. ${options.fix}`,
    });
  }
  if (options.allowedServers) {
    const found = hostPort(url.hostname, url.port || '443');
    const allowed = options.allowedServers.map(endpointHostPort);
    if (!allowed.includes(found)) {
      throw new ExternalToolError(
        'KubeconfigServerMismatch',
        `${options.source} has clusters[0].cluster.server ${shown(server)}, not this cluster's API endpoint (${[...new Set(allowed)].join(' or ')}); refusing it`,
        { hint: `Nothing was written. kubeadm writes controlPlaneEndpoint there (else the advertise address). ${options.fix}` },
      );
    }
  }
  return server;
}

function hostPort(host: string, port: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

function endpointHostPort(endpoint: string): string {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  return match ? hostPort(match[1] ?? match[2]!, String(Number(match[3]))) : endpoint.toLowerCase();
}

/** One PEM CA certificate (kubectl would trust every certificate of a bundle), matching the pinned hash. */
function checkCa(data: unknown, options: ReadKubeconfigOptions): X509Certificate {
  const field = 'clusters[0].cluster.certificate-authority-data';
  const pem = singlePem(decodeBase64(data, field, options), /^CERTIFICATE$/);
  if (!pem) throw invalid(options, `has ${field} that is not exactly one PEM certificate`);
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(pem);
  } catch (error) {
    throw invalid(options, `has ${field} that does not parse as an X.509 certificate (${firstLine((error as Error).message)})`);
  }
  if (!ca.ca) throw invalid(options, `has ${field} that is not a CA certificate (${shown(ca.subject.replace(/\n/g, ', '))} has no basicConstraints CA:TRUE)`);
  if (options.caCertHash) {
    const hash = caCertHash(pem);
    if (hash !== options.caCertHash.toLowerCase()) {
      throw new ExternalToolError('KubeconfigCaMismatch', `${options.source} has a CA certificate with public-key hash ${hash}, not this cluster's CA (${options.caCertHash}, recorded in secrets/join.json); refusing it`, {
        hint: `Nothing was written. The file does not belong to the cluster this folder created. ${options.fix}`,
      });
    }
  }
  return ca;
}

/** The client certificate is issued by the CA and the key is its PEM private key. No key bytes in any message. */
function checkClient(certData: unknown, keyData: unknown, ca: X509Certificate, options: ReadKubeconfigOptions): void {
  const certField = 'users[0].user.client-certificate-data';
  const keyField = 'users[0].user.client-key-data';
  const certPem = singlePem(decodeBase64(certData, certField, options), /^CERTIFICATE$/);
  if (!certPem) throw invalid(options, `has ${certField} that is not exactly one PEM certificate`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (error) {
    throw invalid(options, `has ${certField} that does not parse as an X.509 certificate (${firstLine((error as Error).message)})`);
  }
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey)) {
    throw invalid(options, `has a client certificate (${shown(certificate.subject.replace(/\n/g, ', '))}) that the CA in the same file did not issue`);
  }
  const keyPem = singlePem(decodeBase64(keyData, keyField, options), /^(RSA |EC )?PRIVATE KEY$/);
  if (!keyPem) throw invalid(options, `has ${keyField} that is not one unencrypted PEM private key`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw invalid(options, `has ${keyField} that does not parse as a private key`);
  }
  if (!certificate.checkPrivateKey(key)) throw invalid(options, `has ${keyField} that is not the key of the client certificate`);
}

function decodeBase64(data: unknown, field: string, options: ReadKubeconfigOptions): Buffer {
  if (typeof data !== 'string' || data === '') throw invalid(options, `has no ${field}`);
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid(options, `has ${field} that is not base64`);
  return Buffer.from(data, 'base64');
}

/** The one PEM block of `bytes` when its label matches and nothing else is there but whitespace. */
function singlePem(bytes: Buffer, label: RegExp): string | undefined {
  const text = bytes.toString('latin1');
  const match = /^\s*(-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \2-----)\s*$/.exec(text);
  return match && label.test(match[2]!) ? `${match[1]}\n` : undefined;
}

function invalid(options: ReadKubeconfigOptions, what: string): ExternalToolError {
  return new ExternalToolError('InvalidKubeconfig', `${options.source} ${what}; refusing it`, { hint: `Nothing was written. ${options.fix}` });
}

/** A value from the file, quoted, cut short and with control characters escaped. */
export function shown(value: unknown): string {
  const cut = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);
  // JSON escapes C0 controls, quotes and backslashes; C1 controls and line separators are added.
  const json = typeof value === 'string' ? JSON.stringify(cut(value)) : cut(JSON.stringify(value) ?? String(value));
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
