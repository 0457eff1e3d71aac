/**
 * cloudIntegration, storage and loadBalancer: the default StorageClass must be one the cluster
 * can actually provision (the CSI on a cloud; local-path or Rook-Ceph on static hosts), Rook-Ceph
 * needs its disk, and MetalLB's addresses must be well-formed IPv4 that no node, virtual IP, pod or
 * Service already uses.
 */
import type { ValidationIssue } from '../../errors.js';
import { parseCidr, parseIpv4, formatIpv4, type Cidr } from '../cidr.js';
import { blockDeviceProblem, checkCidrText } from '../field-checks.js';
import { at } from './issues.js';
import type { ClusterSpec } from '../schema.js';

/** An inclusive range of IPv4 addresses as unsigned 32-bit integers. */
interface AddressRange {
  text: string;
  first: number;
  last: number;
}

const STATIC_CLASSES = 'local-path, rook-ceph or none';

export function checkCloudIntegration(spec: ClusterSpec): ValidationIssue[] {
  return [...checkCredentialSource(spec), ...checkStorage(spec), ...checkLoadBalancer(spec)];
}

/**
 * cloudIntegration.credentials: environment is a key the user made (exoscale, openstack). AWS has
 * no key to give: the CCM and EBS CSI take their rights from the nodes' instance profiles, which
 * the module creates (templates/terraform/aws/iam.tf). Static clusters reset the field.
 */
function checkCredentialSource(spec: ClusterSpec): ValidationIssue[] {
  if (spec.provider.name !== 'aws' || spec.cloudIntegration.credentials !== 'environment') return [];
  return [
    {
      path: 'cloudIntegration.credentials',
      message: 'is environment, but on aws the CCM and EBS CSI get their rights from the nodes\' IAM instance profiles, which the Terraform module creates: there is no API key to pass them',
      value: 'environment',
      fix: 'set cloudIntegration.credentials: terraform (or leave it out)',
    },
  ];
}

function checkStorage(spec: ClusterSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const choice = spec.storage.defaultClass;
  const provider = spec.provider.name;
  if (provider === 'static' && choice === 'cloud') {
    issues.push({
      path: 'storage.defaultClass',
      message: 'is cloud, but static hosts have no cloud CSI driver to provision volumes',
      value: choice,
      fix: `choose ${STATIC_CLASSES} (or auto: local-path)`,
    });
  }
  if (provider !== 'static' && choice === 'cloud' && !spec.cloudIntegration.csi) {
    issues.push({
      path: 'storage.defaultClass',
      message: 'is cloud, but cloudIntegration.csi is false: without the CSI driver nothing provisions the volumes',
      value: choice,
      fix: 'set cloudIntegration.csi: true, or storage.defaultClass: none',
    });
  }
  if (provider !== 'static' && (choice === 'local-path' || choice === 'rook-ceph')) {
    issues.push({
      path: 'storage.defaultClass',
      message: `is ${choice}, which the tool installs on static hosts only; ${provider} volumes come from its CSI driver`,
      value: choice,
      fix: 'choose cloud (or auto), or none',
    });
  }
  const device = spec.storage.rookCeph?.device;
  if (choice === 'rook-ceph' && device === undefined) {
    issues.push({
      path: 'storage.rookCeph.device',
      message: 'is required when storage.defaultClass is rook-ceph: Ceph needs a free disk on every worker',
      fix: 'set storage.rookCeph.device to the disk\'s name under /dev, e.g. sdb (lsblk on a worker lists them)',
    });
  }
  if (device !== undefined) issues.push(...at('storage.rookCeph.device', device, blockDeviceProblem(device)));
  // The CephCluster names workers only (storage.nodes): with none, no OSD and no volume.
  if (provider === 'static' && choice === 'rook-ceph' && !spec.provider.hosts.some((host) => host.role === 'worker')) {
    issues.push({
      path: 'storage.defaultClass',
      message: 'is rook-ceph, which needs a worker host: Ceph keeps its data on a disk of each worker, and there is none',
      value: choice,
      fix: 'add a worker host (--worker-host), or choose storage.defaultClass: local-path or none',
    });
  }
  return issues;
}

/** "A-B" or a CIDR as an address range; a problem text when it is neither. */
function parseRange(text: string): AddressRange | { message: string; fix: string } {
  const dash = text.split('-');
  if (dash.length === 2) {
    const first = parseIpv4(dash[0]!);
    const last = parseIpv4(dash[1]!);
    if (first === undefined || last === undefined) {
      return { message: 'is not an IPv4 range', fix: 'write FIRST-LAST, e.g. 10.0.0.200-10.0.0.220, or a CIDR such as 10.0.0.224/28' };
    }
    if (first > last) return { message: 'ends before it starts', fix: `write ${formatIpv4(last)}-${formatIpv4(first)}` };
    return { text, first, last };
  }
  const cidr = checkCidrText(text, '10.0.0.224/28');
  if ('problem' in cidr) {
    return { message: cidr.problem.message, fix: cidr.problem.fix ?? 'write FIRST-LAST or a CIDR, e.g. 10.0.0.200-10.0.0.220' };
  }
  return { text, first: cidr.cidr.base, last: cidr.cidr.base + 2 ** (32 - cidr.cidr.prefix) - 1 };
}

function cidrRange(cidr: Cidr): AddressRange {
  return { text: cidr.text, first: cidr.base, last: cidr.base + 2 ** (32 - cidr.prefix) - 1 };
}

const overlaps = (a: AddressRange, b: AddressRange) => a.first <= b.last && b.first <= a.last;
const contains = (range: AddressRange, address: number) => range.first <= address && address <= range.last;

function checkLoadBalancer(spec: ClusterSpec): ValidationIssue[] {
  const metallb = spec.loadBalancer.metallb;
  if (!metallb) return [];
  const provider = spec.provider;
  if (provider.name !== 'static') {
    return [
      {
        path: 'loadBalancer.metallb',
        message: `is for static hosts only: on ${provider.name} LoadBalancer Services come from the cloud controller manager (cloudIntegration.ccm)`,
        fix: 'remove loadBalancer',
      },
    ];
  }
  // kubeadm labels control planes node.kubernetes.io/exclude-from-external-load-balancers, and
  // MetalLB's L2 speaker announces from no such node (metallb speaker/layer2_controller.go): with
  // control planes only, the addresses would be assigned but never answer.
  if (!provider.hosts.some((host) => host.role === 'worker')) {
    return [
      {
        path: 'loadBalancer.metallb',
        message: 'needs a worker host: MetalLB announces addresses from workers only (kubeadm marks control planes exclude-from-external-load-balancers)',
        fix: 'add a worker host (--worker-host), or remove loadBalancer',
      },
    ];
  }
  return metallbAddressIssues(metallb.addresses, {
    hosts: provider.hosts,
    virtualIp: provider.virtualIp,
    podCidr: spec.network.podCidr,
    serviceCidr: spec.network.serviceCidr,
  });
}

/** What the addresses of a static cluster must stay clear of; the wizard asks before a spec exists. */
export interface MetallbContext {
  hosts: readonly { address: string; privateAddress?: string | undefined }[];
  virtualIp?: string | undefined;
  podCidr?: string | undefined;
  serviceCidr?: string | undefined;
}

/**
 * Each entry well-formed, and clear of the pod and Service ranges, the hosts' own addresses and
 * the virtual IP (MetalLB would hand them to a Service), and of the entries before it.
 */
export function metallbAddressIssues(addresses: readonly string[], context: MetallbContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const taken: [string, AddressRange][] = [];
  for (const field of ['podCidr', 'serviceCidr'] as const) {
    const text = context[field];
    const cidr = text === undefined ? undefined : parseCidr(text);
    if (cidr !== undefined && typeof cidr !== 'string') taken.push([`network.${field} (${cidr.text})`, cidrRange(cidr)]);
  }
  const single = (what: string, text: string | undefined) => {
    const address = text === undefined ? undefined : parseIpv4(text);
    if (address !== undefined) taken.push([`${what} (${text})`, { text: text!, first: address, last: address }]);
  };
  context.hosts.forEach((host, i) => {
    single(`provider.hosts[${i}].address`, host.address);
    single(`provider.hosts[${i}].privateAddress`, host.privateAddress);
  });
  single('provider.virtualIp', context.virtualIp);

  const parsed: [number, AddressRange][] = [];
  addresses.forEach((text, i) => {
    const path = `loadBalancer.metallb.addresses[${i}]`;
    const range = parseRange(text);
    if (!('first' in range)) {
      issues.push({ path, message: range.message, value: text, fix: range.fix });
      return;
    }
    for (const [what, other] of taken) {
      if (overlaps(range, other)) {
        issues.push({ path, message: `overlaps ${what}: MetalLB would hand that address to a Service`, value: text, fix: 'choose free addresses on the hosts\' network, outside the pod and Service ranges' });
      }
    }
    const earlier = parsed.find(([, other]) => overlaps(range, other));
    if (earlier) {
      issues.push({ path, message: `overlaps loadBalancer.metallb.addresses[${earlier[0]}] (${earlier[1].text})`, value: text, fix: 'list each address once' });
    }
    parsed.push([i, range]);
  });
  return issues;
}

/**
 * MetalLB's L2 mode answers ARP for the addresses from a node, so they must be on the nodes'
 * network (metallb.io concepts/layer2); when network.nodeCidr is given, say so if they are not.
 */
export function loadBalancerWarnings(spec: ClusterSpec): ValidationIssue[] {
  const metallb = spec.loadBalancer.metallb;
  const nodeCidr = spec.network.nodeCidr === undefined ? undefined : parseCidr(spec.network.nodeCidr);
  if (!metallb || spec.provider.name !== 'static' || nodeCidr === undefined || typeof nodeCidr === 'string') return [];
  const node = cidrRange(nodeCidr);
  return metallb.addresses.flatMap((text, i) => {
    const range = parseRange(text);
    if (!('first' in range) || (contains(node, range.first) && contains(node, range.last))) return [];
    return [
      {
        path: `loadBalancer.metallb.addresses[${i}]`,
        message: `is not inside network.nodeCidr (${nodeCidr.text}): in L2 mode MetalLB answers ARP on the nodes' network only, so other networks need a route to it`,
        value: text,
      },
    ];
  });
}

export function storageWarnings(spec: ClusterSpec): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  const choice = spec.storage.defaultClass;
  if (spec.storage.rookCeph && choice !== 'rook-ceph') {
    warnings.push({ path: 'storage.rookCeph', message: `is ignored: storage.defaultClass is ${choice}, not rook-ceph` });
  }
  if (choice === 'rook-ceph' && spec.provider.name === 'static') {
    const workers = spec.provider.hosts.filter((host) => host.role === 'worker').length;
    // Rook's cluster.yaml "Requires at least three worker nodes" (quickstart.md); with fewer, the
    // pool keeps fewer copies (one per worker: failureDomain host) and fewer mons run.
    if (workers < 3) {
      warnings.push({
        path: 'storage.defaultClass',
        message: `is rook-ceph with ${workers} worker${workers === 1 ? '' : 's'}: Rook's example cluster needs at least three; volumes get ${Math.max(1, workers)} cop${Math.max(1, workers) === 1 ? 'y' : 'ies'} and ${workers >= 3 ? 3 : 1} mon, so ${workers <= 1 ? 'losing the worker or its disk loses the data' : 'losing the worker that holds the single mon stops Ceph'}`,
        value: 'rook-ceph',
      });
    }
  }
  return warnings;
}
