/** The wizard's prompt validators: the message a person sees for each kind of mistake, and true for good input. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { validators } from '../../../src/wizard/validators.js';

describe('validators (prompt validate functions)', () => {
  it.each([
    ['name', 'my-cluster', true],
    ['name', 'My Cluster', 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit: use "my-cluster"'],
    ['cidr', '10.0.0.0/16', true],
    ['cidr', '10.0.0.1/16', 'has host bits set: use 10.0.0.0/16'],
    ['kubernetesVersion', DEFAULT_KUBERNETES_VERSION, true],
    ['kubernetesVersion', '1.29.0', 'is not a supported minor (supported: 1.35, 1.36, 1.37): use a release of 1.35, 1.36, 1.37, e.g. 1.37.1'],
    ['controlPlaneCount', '3', true],
    ['controlPlaneCount', '2', 'must be 1, 3 or 5: 2 etcd members need 2 for a quorum, so they survive no failure, the same as 1 member (an even count adds a machine but no safety): use 1, or 3 for high availability'],
    ['controlPlaneCount', 'three', 'must be a whole number: 1, 3 or 5'],
    ['workerCount', '0', true],
    ['workerCount', '-2', 'must be a whole number from 0 to 1000'],
    ['adminCidr', '203.0.113.0/24, 198.51.100.7/32', true],
    ['adminCidr', '203.0.113.7', '203.0.113.7 is an address, not a CIDR: add the prefix length, e.g. 203.0.113.7/32 for this one address'],
    ['hostAddress', 'node-1.example.com', true],
    ['hostAddress', '10.0.0.1; reboot', 'must be an IPv4 address or a DNS name: e.g. 192.0.2.10 or node-1.example.com'],
    ['blockDevice', 'nvme1n1', true],
    ['blockDevice', '/dev/sdb', true],
    ['blockDevice', 'sdb; reboot', 'must be a disk name under /dev: lowercase letters and digits, e.g. sdb, vdb or nvme1n1: e.g. sdb (lsblk on a worker lists the disks)'],
  ] as const)('%s(%j)', (name, input, expected) => {
    expect((validators[name] as (input: string) => true | string)(input)).toBe(expected);
  });
});
