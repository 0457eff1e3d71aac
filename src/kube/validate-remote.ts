/**
 * Strict checks for values that end up on a node's command line or in its files. Quoting already
 * makes them harmless to the shell; these checks make them *meaningful* (a node name kubeadm will
 * accept, a version apt can pin) and fail before any SSH connection with a UsageError that says
 * which value is wrong.
 */
import { UsageError } from '../errors.js';
import { isIP } from 'node:net';

/** DNS-1123 subdomain, as Kubernetes requires for Node names (lowercase, ≤253). */
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^v?\d{1,2}\.\d{1,3}\.\d{1,3}$/;
/** Absolute path of plain segments: no '..', no spaces, no shell-significant characters. */
const REMOTE_PATH = /^(\/[A-Za-z0-9._@+-]+)+\/?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

/** The UsageError every check here throws: which value, why, and how to write it. */
export function rejectRemoteValue(what: string, value: unknown, fix: string): never {
  throw new UsageError('InvalidRemoteValue', `${what}: ${JSON.stringify(value)} is not valid. ${fix}`, { hint: fix });
}

export function assertNodeName(name: string, field = 'node name'): string {
  if (!NODE_NAME.test(name) || name.split('.').some((label) => label.length > 63)) {
    rejectRemoteValue(field, name, 'Use lowercase letters, digits and "-" (DNS-1123), starting and ending with a letter or digit, e.g. worker-1.');
  }
  return name;
}

/** "1.36.2" or "v1.36.2". */
export function assertVersion(version: string, field = 'Kubernetes version'): string {
  if (!VERSION.test(version)) rejectRemoteValue(field, version, 'Use MAJOR.MINOR.PATCH, e.g. 1.36.2.');
  return version;
}

export function assertRemotePath(path: string, field = 'remote path'): string {
  if (!REMOTE_PATH.test(path) || path.split('/').some((segment) => segment === '..' || segment === '.')) {
    rejectRemoteValue(field, path, 'Use an absolute path of letters, digits, ".", "_", "-", e.g. /etc/kubernetes/k8sb/init.yaml.');
  }
  return path;
}

export function assertIp(ip: string, field = 'IP address'): string {
  if (isIP(ip) === 0) rejectRemoteValue(field, ip, 'Use an IPv4 or IPv6 address.');
  return ip;
}

/** An IP or a DNS name (for endpoints and SANs). */
export function assertHost(host: string, field = 'host'): string {
  if (isIP(host) === 0 && !HOSTNAME.test(host)) rejectRemoteValue(field, host, 'Use an IP address or a DNS name.');
  return host;
}

/** Durations such as 300s for kubectl --timeout. */
export function assertTimeoutSeconds(seconds: number, field = 'timeout'): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) rejectRemoteValue(field, seconds, 'Use a whole number of seconds between 1 and 86400.');
  return seconds;
}
