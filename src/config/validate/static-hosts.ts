/**
 * The static provider's host list: each host's address, name and user well-formed, no machine,
 * node name or node address listed twice, every node address inside the node network and outside
 * the pod and service ranges, and one API endpoint (a virtual IP or a load balancer) when there
 * are several control planes.
 */
import type { ValidationIssue } from '../../errors.js';
import { cidrContains, parseIpv4, type Cidr } from '../cidr.js';
import { checkCidrText, dnsLabelProblem, endpointProblem, hostAddressProblem, ipv4Problem, linuxUserProblem } from '../field-checks.js';
import { defaultNodeName } from '../node-names.js';
import type { ClusterSpec, StaticHost } from '../schema.js';
import { at } from './issues.js';
import { NETWORK_FIELDS } from './network.js';

type StaticProvider = Extract<ClusterSpec['provider'], { name: 'static' }>;

/** `cp-1`, `worker-2` for unnamed hosts, as every later step names them (config/node-names.ts). */
function effectiveName(host: StaticHost, hosts: StaticHost[]): string {
  if (host.name !== undefined) return host.name;
  return defaultNodeName(host.role, hosts.filter((h) => h.role === host.role).indexOf(host) + 1);
}

export function checkStatic(spec: ClusterSpec, provider: StaticProvider): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const hosts = provider.hosts;
  if (!hosts.some((host) => host.role === 'control-plane')) {
    issues.push({
      path: 'provider.hosts',
      message: hosts.length === 0 ? 'is empty: a static cluster needs its machines listed' : 'has no control-plane host',
      fix: 'add a host with "role: control-plane", or pass --control-plane-host ADDRESS',
    });
  }

  const networks: [string, Cidr][] = [];
  for (const field of NETWORK_FIELDS) {
    const text = spec.network[field];
    const result = text === undefined ? undefined : checkCidrText(text);
    if (result && 'cidr' in result) networks.push([`network.${field}`, result.cidr]);
  }

  const seenEndpoints = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const seenPrivate = new Map<string, number>();
  hosts.forEach((host, i) => {
    const base = `provider.hosts[${i}]`;
    issues.push(...at(`${base}.address`, host.address, hostAddressProblem(host.address)));
    if (host.privateAddress !== undefined) issues.push(...at(`${base}.privateAddress`, host.privateAddress, ipv4Problem(host.privateAddress)));
    if (host.name !== undefined) issues.push(...at(`${base}.name`, host.name, dnsLabelProblem(host.name, 'worker-1')));
    if (host.user !== undefined) issues.push(...at(`${base}.user`, host.user, linuxUserProblem(host.user)));

    const endpoint = `${host.address}:${host.port}`;
    const firstEndpoint = seenEndpoints.get(endpoint);
    if (firstEndpoint === undefined) seenEndpoints.set(endpoint, i);
    else {
      issues.push({
        path: `${base}.address`,
        message: `duplicates provider.hosts[${firstEndpoint}] (${endpoint})`,
        value: host.address,
        fix: 'list each machine once',
      });
    }
    const name = effectiveName(host, hosts);
    const firstName = seenNames.get(name);
    if (firstName === undefined) seenNames.set(name, i);
    else {
      issues.push({
        path: `${base}.name`,
        message: `duplicates the node name of provider.hosts[${firstName}] (${name})`,
        value: name,
        fix: 'give every host a distinct name',
      });
    }
    if (host.privateAddress !== undefined) {
      const firstPrivate = seenPrivate.get(host.privateAddress);
      if (firstPrivate === undefined) seenPrivate.set(host.privateAddress, i);
      else {
        issues.push({
          path: `${base}.privateAddress`,
          message: `duplicates provider.hosts[${firstPrivate}].privateAddress`,
          value: host.privateAddress,
          fix: 'every node needs its own address on the node network',
        });
      }
    }

    // The node-network address (kubelet node-ip) must sit in the node network and outside the
    // pod and service ranges, or routing on the nodes breaks.
    const nodeIpField = host.privateAddress !== undefined ? 'privateAddress' : 'address';
    const nodeIpText = host.privateAddress ?? host.address;
    const nodeIp = parseIpv4(nodeIpText);
    if (nodeIp === undefined) return;
    for (const [field, cidr] of networks) {
      const inside = cidrContains(cidr, nodeIp);
      if (field === 'network.nodeCidr' && !inside) {
        issues.push({
          path: `${base}.${nodeIpField}`,
          message: `is outside network.nodeCidr (${cidr.text})`,
          value: nodeIpText,
          fix: 'correct the address, or set network.nodeCidr to the network the hosts are on',
        });
      } else if (field !== 'network.nodeCidr' && inside) {
        issues.push({
          path: `${base}.${nodeIpField}`,
          message: `is inside ${field} (${cidr.text}); node and ${field === 'network.podCidr' ? 'pod' : 'service'} addresses would clash`,
          value: nodeIpText,
          fix: `choose a ${field} that does not contain the hosts`,
        });
      }
    }
  });

  if (provider.apiEndpoint !== undefined) issues.push(...at('provider.apiEndpoint', provider.apiEndpoint, endpointProblem(provider.apiEndpoint)));
  const controlPlanes = hosts.filter((host) => host.role === 'control-plane').length;
  if (controlPlanes > 1 && provider.apiEndpoint === undefined && provider.virtualIp === undefined) {
    issues.push({
      path: 'provider.virtualIp',
      message: `is needed: ${controlPlanes} control planes need one API endpoint that survives the loss of any of them`,
      fix: 'set provider.virtualIp (--virtual-ip) to a free address on the node network for keepalived + haproxy, or provider.apiEndpoint (--api-endpoint) to an external load balancer',
    });
  }
  if (provider.virtualIp !== undefined) {
    const problem = ipv4Problem(provider.virtualIp);
    issues.push(...at('provider.virtualIp', provider.virtualIp, problem));
    const node = networks.find(([field]) => field === 'network.nodeCidr')?.[1];
    const vip = parseIpv4(provider.virtualIp);
    if (!problem && node && vip !== undefined && !cidrContains(node, vip)) {
      issues.push({
        path: 'provider.virtualIp',
        message: `is outside network.nodeCidr (${node.text})`,
        value: provider.virtualIp,
        fix: 'pick a free address on the node network',
      });
    }
    const taken = hosts.findIndex((host) => (host.privateAddress ?? host.address) === provider.virtualIp);
    if (taken >= 0) {
      issues.push({
        path: 'provider.virtualIp',
        message: `is the address of provider.hosts[${taken}]`,
        value: provider.virtualIp,
        fix: 'pick an address no machine uses',
      });
    }
  }
  return issues;
}
