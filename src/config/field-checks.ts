/**
 * Checks of single values, shared by the spec's semantic checks (validate/), the wizard's prompt
 * validators (wizard/validators.ts) and the flag parsing: one wording for one mistake, wherever it
 * is made.
 * Each returns undefined when the value is fine, else what is wrong and how to fix it.
 */
import { canonicalCidr, parseCidr, parseIpv4, type Cidr } from './cidr.js';
import {
  DEFAULT_KUBERNETES_VERSION,
  SUPPORTED_MINORS,
  isSupportedMinor,
  minorOf,
  parseKubeVersion,
} from '../kube/versions.js';
import { BLOCK_DEVICE_NAME, DNS1123_LABEL, DNS_NAME, LINUX_USER, suggestDnsLabel } from './patterns.js';

export interface Problem {
  message: string;
  fix?: string;
}

export function dnsLabelProblem(text: string, example = 'my-cluster'): Problem | undefined {
  if (DNS1123_LABEL.test(text)) return undefined;
  const suggestion = suggestDnsLabel(text);
  const fix = suggestion && DNS1123_LABEL.test(suggestion) ? `use "${suggestion}"` : `e.g. "${example}"`;
  if (text.length > 63) return { message: 'must be at most 63 characters (a DNS-1123 label)', fix };
  return {
    message: 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit',
    fix,
  };
}

export type CidrCheck = { cidr: Cidr } | { problem: Problem };

export function checkCidrText(text: string, example = '10.244.0.0/16'): CidrCheck {
  const parsed = parseCidr(text);
  if (typeof parsed !== 'string') return { cidr: parsed };
  if (parsed === 'host-bits-set') {
    return { problem: { message: 'has host bits set', fix: `use ${canonicalCidr(text) ?? example}` } };
  }
  if (parseIpv4(text) !== undefined) {
    return { problem: { message: 'is an address, not a CIDR', fix: `add the prefix length, e.g. ${text}/32 for this one address` } };
  }
  return { problem: { message: 'is not an IPv4 CIDR', fix: `write ADDRESS/PREFIX, e.g. ${example}` } };
}

export function cidrProblem(text: string, example?: string): Problem | undefined {
  const result = checkCidrText(text, example);
  return 'problem' in result ? result.problem : undefined;
}

const SUPPORTED_TEXT = SUPPORTED_MINORS.join(', ');

export function kubernetesVersionProblem(text: string): Problem | undefined {
  if (/^v\d/.test(text) && parseKubeVersion(text)) {
    return { message: 'must not start with "v"', fix: `write ${text.slice(1)}` };
  }
  const version = parseKubeVersion(text);
  if (!version) {
    return { message: 'is not a Kubernetes version', fix: `write MAJOR.MINOR.PATCH of a supported minor (${SUPPORTED_TEXT}), e.g. ${DEFAULT_KUBERNETES_VERSION}` };
  }
  if (!isSupportedMinor(minorOf(version))) {
    return {
      message: `is not a supported minor (supported: ${SUPPORTED_TEXT})`,
      fix: `use a release of ${SUPPORTED_TEXT}, e.g. ${DEFAULT_KUBERNETES_VERSION}`,
    };
  }
  return undefined;
}

/** etcd needs a majority: an even member count adds a machine but not a tolerated failure. */
export function controlPlaneCountProblem(count: number): Problem | undefined {
  if (count === 1 || count === 3 || count === 5) return undefined;
  if (!Number.isInteger(count) || count < 1) {
    return { message: 'must be 1, 3 or 5: a cluster needs at least one control plane', fix: 'use 1, or 3 for high availability' };
  }
  if (count > 5) {
    return { message: 'must be 1, 3 or 5: more etcd members make every write slower without a practical gain', fix: 'use 5' };
  }
  // Even counts: n members need n/2 + 1 for a quorum, so they survive as many failures as n - 1 members do.
  const quorum = Math.floor(count / 2) + 1;
  const survives = count - quorum;
  const failures = survives === 0 ? 'no failure' : `${survives} failure${survives === 1 ? '' : 's'}`;
  return {
    message: `must be 1, 3 or 5: ${count} etcd members need ${quorum} for a quorum, so they survive ${failures}, the same as ${count - 1} member${count - 1 === 1 ? '' : 's'} (an even count adds a machine but no safety)`,
    fix: count === 2 ? 'use 1, or 3 for high availability' : `use ${count - 1} or ${count + 1}`,
  };
}

export function workerCountProblem(count: number): Problem | undefined {
  if (Number.isInteger(count) && count >= 0 && count <= 1000) return undefined;
  return { message: 'must be a whole number from 0 to 1000' };
}

export function linuxUserProblem(text: string): Problem | undefined {
  if (LINUX_USER.test(text)) return undefined;
  return {
    message: 'must be a Linux user name: lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters',
    fix: 'e.g. ubuntu',
  };
}

export function ipv4Problem(text: string): Problem | undefined {
  if (parseIpv4(text) !== undefined) return undefined;
  return { message: 'is not an IPv4 address', fix: 'write four numbers 0-255 separated by dots, e.g. 10.0.0.5' };
}

/** An address the operator connects to: IPv4 or a DNS name (digits-only names must be valid IPv4). */
export function hostAddressProblem(text: string): Problem | undefined {
  const looksNumeric = /^[\d.]+$/.test(text);
  if (looksNumeric ? parseIpv4(text) !== undefined : DNS_NAME.test(text)) return undefined;
  return { message: 'must be an IPv4 address or a DNS name', fix: 'e.g. 192.0.2.10 or node-1.example.com' };
}

/** "host:port" of an API endpoint. */
export function endpointProblem(text: string): Problem | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : 0;
  if (match && port >= 1 && port <= 65535 && !hostAddressProblem(match[1]!)) return undefined;
  return { message: 'must be HOST:PORT with an IPv4 address or DNS name', fix: 'e.g. api.example.com:6443' };
}

/** A disk's name under /dev (storage.rookCeph.device): the bare name, as Rook's storage.devices takes it. */
export function blockDeviceProblem(text: string): Problem | undefined {
  if (BLOCK_DEVICE_NAME.test(text)) return undefined;
  const bare = text.replace(/^\/dev\//, '');
  return {
    message: 'must be a disk name under /dev: lowercase letters and digits, e.g. sdb, vdb or nvme1n1',
    fix: bare !== text && BLOCK_DEVICE_NAME.test(bare) ? `write "${bare}" (without /dev/)` : 'e.g. sdb (lsblk on a worker lists the disks)',
  };
}

export function formatProblem(problem: Problem): string {
  return problem.fix ? `${problem.message}: ${problem.fix}` : problem.message;
}
