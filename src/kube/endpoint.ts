/**
 * "host:port" endpoints (the API endpoint of the spec, kubeadm's controlPlaneEndpoint), parsed
 * into their parts and checked like every value that reaches a node (validate-remote.ts).
 */
import { assertHost, rejectRemoteValue } from './validate-remote.js';

/** "host:port"; IPv6 as "[::1]:6443". Returns the parts. */
export function parseEndpoint(endpoint: string, field = 'API endpoint'): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port < 1 || port > 65535) rejectRemoteValue(field, endpoint, 'Use HOST:PORT, e.g. 10.0.0.10:6443 or api.example.com:6443.');
  assertHost(host, field);
  return { host, port };
}
