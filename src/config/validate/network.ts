/**
 * The cluster's address ranges: each of network.nodeCidr, podCidr and serviceCidr well-formed,
 * none overlapping another, each large enough for the node count, the CNI and the cloud; and the
 * firewall's CIDR lists.
 */
import type { ValidationIssue } from '../../errors.js';
import { canonicalCidr, cidrsOverlap, cidrSize, formatIpv4, type Cidr } from '../cidr.js';
import { checkCidrText, cidrProblem } from '../field-checks.js';
import { exoscaleNodeCidrProblem } from '../exoscale-network.js';
import { DEFAULT_NETWORK, type ClusterSpec, type Cni } from '../schema.js';
import { nodeCounts } from './counts.js';
import { at } from './issues.js';

/** Addresses of the node network that are not for nodes: AWS keeps 5 per subnet, the most of our clouds. */
export const NODE_CIDR_RESERVED = 5;
/** kube-controller-manager's default --node-cidr-mask-size for IPv4: every node gets a /24. */
export const NODE_POD_PREFIX = 24;
/** flannel gives hosts a /24 (SubnetLen) only when its Network is a /22 or larger. */
const FLANNEL_MAX_POD_PREFIX = 22;

export const NETWORK_FIELDS = ['nodeCidr', 'podCidr', 'serviceCidr'] as const;
type NetworkField = (typeof NETWORK_FIELDS)[number];

/** The CIDR with a new prefix, at the same start address: a concrete fix to suggest. */
function resized(cidr: Cidr, prefix: number): string {
  return canonicalCidr(`${formatIpv4(cidr.base)}/${prefix}`) ?? `${formatIpv4(cidr.base)}/${prefix}`;
}

/**
 * What reads each node's pod range, per CNI: the reason a /24 per node is needed. (Calico's /26
 * IPAM blocks fit whenever the /24s do.) No CNI here conflicts with either runtime: CRI-O ships its
 * own bridge config disabled, and every CNI's pool is set to network.podCidr, so the CNI checks are
 * all about CIDR sizes.
 */
const POD_RANGE_READER: Record<Cni, string> = {
  calico: 'kube-controller-manager assigns each node a /24 from it',
  flannel: 'flannel uses the /24 kube-controller-manager assigns to each node',
  cilium: 'cilium (ipam: kubernetes) uses the /24 kube-controller-manager assigns to each node',
};

export function checkNetwork(spec: ClusterSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const valid = new Map<NetworkField, Cidr>();
  for (const field of NETWORK_FIELDS) {
    const text = spec.network[field];
    if (text === undefined) continue;
    const result = checkCidrText(text, DEFAULT_NETWORK[field]);
    if ('problem' in result) issues.push(...at(`network.${field}`, text, result.problem));
    else valid.set(field, result.cidr);
  }

  for (let i = 0; i < NETWORK_FIELDS.length; i++) {
    for (let j = i + 1; j < NETWORK_FIELDS.length; j++) {
      const a = valid.get(NETWORK_FIELDS[i]!);
      const b = valid.get(NETWORK_FIELDS[j]!);
      if (a && b && cidrsOverlap(a, b)) {
        issues.push({
          path: `network.${NETWORK_FIELDS[i]}`,
          message: `overlaps network.${NETWORK_FIELDS[j]} (${b.text})`,
          value: a.text,
          fix: `choose ranges that do not overlap, e.g. nodes ${DEFAULT_NETWORK.nodeCidr}, pods ${DEFAULT_NETWORK.podCidr}, services ${DEFAULT_NETWORK.serviceCidr}`,
        });
      }
    }
  }

  const counts = nodeCounts(spec);
  const nodes = Math.max(1, counts.controlPlanes + counts.workers);
  const node = valid.get('nodeCidr');
  if (node && spec.provider.name !== 'static') {
    const needed = nodes + NODE_CIDR_RESERVED;
    if (cidrSize(node) < needed) {
      const prefix = 32 - Math.ceil(Math.log2(needed));
      issues.push({
        path: 'network.nodeCidr',
        message: `is too small: ${nodes} nodes and ${NODE_CIDR_RESERVED} reserved addresses need ${needed}, a /${node.prefix} has ${cidrSize(node)}`,
        value: node.text,
        fix: `use a /${prefix} or larger, e.g. ${resized(node, prefix)}`,
      });
    }
    if (spec.provider.name === 'aws' && (node.prefix < 16 || node.prefix > 28)) {
      issues.push({
        path: 'network.nodeCidr',
        message: 'must be between a /16 and a /28: AWS VPCs and subnets allow no other sizes',
        value: node.text,
        fix: `e.g. ${DEFAULT_NETWORK.nodeCidr}`,
      });
    }
    // Exoscale gives every node a static lease outside the dynamic DHCP range (exoscale-network.ts).
    if (spec.provider.name === 'exoscale') issues.push(...at('network.nodeCidr', node.text, exoscaleNodeCidrProblem(node, counts.workers)));
  }

  const pod = valid.get('podCidr');
  if (pod) {
    const maxPrefix = NODE_POD_PREFIX - Math.ceil(Math.log2(nodes));
    if (pod.prefix > maxPrefix) {
      issues.push({
        path: 'network.podCidr',
        message: `is too small for ${nodes} node${nodes === 1 ? '' : 's'}: ${POD_RANGE_READER[spec.kubernetes.cni]}`,
        value: pod.text,
        fix: `use a /${maxPrefix} or larger, e.g. ${resized(pod, maxPrefix)}`,
      });
    } else if (pod.prefix < NODE_POD_PREFIX - 16) {
      issues.push({
        path: 'network.podCidr',
        message: 'is too large: kube-controller-manager splits it into at most 65536 node ranges of /24 (a /8)',
        value: pod.text,
        fix: `use a /8 or smaller, e.g. ${DEFAULT_NETWORK.podCidr}`,
      });
    } else if (spec.kubernetes.cni === 'flannel' && pod.prefix > FLANNEL_MAX_POD_PREFIX) {
      // flannel's SubnetLen is 24 only for networks of /22 or larger; below that it is prefix+2,
      // which disagrees with the /24 kube-controller-manager assigns to each node.
      issues.push({
        path: 'network.podCidr',
        message: `is too small for flannel: from a network smaller than a /${FLANNEL_MAX_POD_PREFIX} flannel cuts per-host subnets smaller than the /24 each node is assigned`,
        value: pod.text,
        fix: `use a /${FLANNEL_MAX_POD_PREFIX} or larger, e.g. ${resized(pod, FLANNEL_MAX_POD_PREFIX)}`,
      });
    }
  }

  const service = valid.get('serviceCidr');
  if (service && service.prefix < 12) {
    issues.push({
      path: 'network.serviceCidr',
      message: 'is too large: kube-apiserver accepts at most 20 host bits (a /12)',
      value: service.text,
      fix: `use a /12 to /24, e.g. ${DEFAULT_NETWORK.serviceCidr}`,
    });
  } else if (service && service.prefix > 24) {
    issues.push({
      path: 'network.serviceCidr',
      message: 'is too small: services need at least a /24',
      value: service.text,
      fix: `use a /12 to /24, e.g. ${DEFAULT_NETWORK.serviceCidr}`,
    });
  }
  return issues;
}

/** The security-group knobs every cloud module shares (templates/terraform/shared). */
export function checkFirewall(spec: ClusterSpec): ValidationIssue[] {
  return (spec.firewall.nodePortCidrs ?? []).flatMap((text, i) => at(`firewall.nodePortCidrs[${i}]`, text, cidrProblem(text, '198.51.100.0/24')));
}
