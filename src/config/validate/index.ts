/**
 * From a raw document to a ClusterSpec: the zod schema first (types, defaults, unknown keys), then
 * the checks that span fields (CIDRs, counts, hosts, versions). Every problem is collected so the
 * person fixes the file once, not once per run.
 */
import { ValidationError, type ValidationIssue } from '../../errors.js';
import { canonicalCidr, cidrContains, cidrsOverlap, cidrSize, formatIpv4, parseIpv4, type Cidr } from '../cidr.js';
import {
  checkCidrText,
  cidrProblem,
  controlPlaneCountProblem,
  dnsLabelProblem,
  endpointProblem,
  formatProblem,
  hostAddressProblem,
  ipv4Problem,
  kubernetesVersionProblem,
  linuxUserProblem,
  workerCountProblem,
  type Problem,
} from '../field-checks.js';
import { DISPLAY_NAME, HTTPS_URL, IDENTIFIER, IMAGE_ID, LOCAL_PATH, OBJECT_KEY } from '../patterns.js';
import {
  DEFAULT_INSTANCE_TYPES,
  DEFAULT_NETWORK,
  clusterSpecSchema,
  type ClusterSpec,
  type Cni,
  type StaticHost,
} from '../schema.js';
import { toValidationIssues, valueAt } from '../zod-issues.js';
import { exoscaleNodeCidrProblem } from '../exoscale-network.js';

/** Addresses of the node network that are not for nodes: AWS keeps 5 per subnet, the most of our clouds. */
export const NODE_CIDR_RESERVED = 5;
/** kube-controller-manager's default --node-cidr-mask-size for IPv4: every node gets a /24. */
export const NODE_POD_PREFIX = 24;
/** flannel gives hosts a /24 (SubnetLen) only when its Network is a /22 or larger. */
const FLANNEL_MAX_POD_PREFIX = 22;

export function validateSpec(raw: unknown): ClusterSpec {
  const parsed = clusterSpecSchema.safeParse(raw);
  if (parsed.success) {
    const spec = applyProviderDefaults(parsed.data);
    const issues = [...deriveStaticCounts(spec, raw), ...checkSpec(spec)];
    if (issues.length > 0) throw new ValidationError(issues);
    return spec;
  }
  const schemaIssues = toValidationIssues(clusterSpecSchema, raw, parsed.error.issues);
  const semantic = semanticIssuesDespite(raw, parsed.error.issues);
  const covered = (path: string) =>
    schemaIssues.some((issue) => path === issue.path || path.startsWith(`${issue.path}.`) || path.startsWith(`${issue.path}[`));
  throw new ValidationError([...schemaIssues, ...semantic.filter((issue) => !covered(issue.path))]);
}

/**
 * Cloud providers create the node network and pick instance types, so those get defaults here;
 * for static hosts the network is whatever the machines are on, so it stays unset unless given.
 */
export function applyProviderDefaults(spec: ClusterSpec): ClusterSpec {
  const provider = spec.provider.name;
  if (provider === 'static') return spec;
  const types = DEFAULT_INSTANCE_TYPES[provider];
  return {
    ...spec,
    network: { ...spec.network, nodeCidr: spec.network.nodeCidr ?? DEFAULT_NETWORK.nodeCidr },
    controlPlane: { ...spec.controlPlane, type: spec.controlPlane.type ?? types.controlPlane },
    workers: { ...spec.workers, type: spec.workers.type ?? types.worker },
  };
}

/**
 * For static clusters the host list decides the counts. A count the person wrote explicitly must
 * agree with it; otherwise the count is set from the hosts (mutates `spec`).
 */
function deriveStaticCounts(spec: ClusterSpec, raw: unknown): ValidationIssue[] {
  if (spec.provider.name !== 'static') return [];
  const hosts = spec.provider.hosts;
  const issues: ValidationIssue[] = [];
  const groups = [
    { key: 'controlPlane', role: 'control-plane', group: spec.controlPlane },
    { key: 'workers', role: 'worker', group: spec.workers },
  ] as const;
  for (const { key, role, group } of groups) {
    const listed = hosts.filter((host) => host.role === role).length;
    const explicit = valueAt(raw, [key, 'count']);
    if (typeof explicit === 'number' && explicit !== listed && hosts.length > 0) {
      issues.push({
        path: `${key}.count`,
        message: `does not match provider.hosts, which lists ${listed} ${role} host${listed === 1 ? '' : 's'}`,
        value: explicit,
        fix: `for static clusters the count follows the host list: remove ${key}.count or list ${explicit} ${role} hosts`,
      });
    }
    group.count = listed;
  }
  return issues;
}

/**
 * When the schema fails, the checks across fields would still find more problems. Drop the values
 * the schema refused, let defaults stand in, and run them anyway; give up quietly if that fails.
 */
function semanticIssuesDespite(raw: unknown, issues: readonly { code: string; path: PropertyKey[]; keys?: string[] }[]): ValidationIssue[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  let copy: unknown;
  try {
    copy = structuredClone(raw);
  } catch {
    return [];
  }
  for (const issue of issues) {
    const paths = issue.code === 'unrecognized_keys' ? (issue.keys ?? []).map((key) => [...issue.path, key]) : [issue.path];
    for (const path of paths) {
      const last = path[path.length - 1];
      if (path.length === 0 || typeof last === 'number') return [];
      const parent = valueAt(copy, path.slice(0, -1));
      if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) return [];
      delete (parent as Record<string, unknown>)[last as string];
    }
  }
  const retry = clusterSpecSchema.safeParse(copy);
  if (!retry.success) return [];
  const spec = applyProviderDefaults(retry.data);
  return [...deriveStaticCounts(spec, copy), ...checkSpec(spec)];
}

// ---------------------------------------------------------------------------------------------
// Semantic checks

export function checkSpec(spec: ClusterSpec): ValidationIssue[] {
  return [
    ...at('name', spec.name, dnsLabelProblem(spec.name)),
    ...at('kubernetes.version', spec.kubernetes.version, kubernetesVersionProblem(spec.kubernetes.version)),
    ...checkCounts(spec),
    ...checkNetwork(spec),
    ...checkSsh(spec),
    ...checkProvider(spec),
    ...checkMachines(spec),
    ...checkFirewall(spec),
    ...checkTerraform(spec),
  ];
}

/** Problems worth saying that do not stop a run. */
export function specWarnings(spec: ClusterSpec): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  if (spec.ssh.adminCidrs.includes('0.0.0.0/0')) {
    warnings.push({
      path: 'ssh.adminCidrs',
      message: 'lets the whole internet reach SSH and the Kubernetes API',
      value: '0.0.0.0/0',
      fix: 'limit it to your own addresses, e.g. 203.0.113.7/32',
    });
  }
  const firewall = spec.firewall;
  if (spec.provider.name === 'static' && (firewall.allowAllBetweenNodes !== undefined || firewall.nodePortCidrs !== undefined)) {
    warnings.push({ path: 'firewall', message: 'is ignored: static hosts keep whatever firewall they have' });
  }
  if (spec.image.id !== undefined && spec.image.build && spec.provider.name !== 'static') {
    warnings.push({ path: 'image.build', message: 'is ignored: image.id is set, so that image is used' });
  }
  return warnings;
}

function at(path: string, value: unknown, problem: Problem | undefined): ValidationIssue[] {
  if (!problem) return [];
  return [{ path, message: problem.message, value, ...(problem.fix ? { fix: problem.fix } : {}) }];
}

function matches(path: string, value: string | undefined, pattern: RegExp, message: string, fix?: string): ValidationIssue[] {
  if (value === undefined || pattern.test(value)) return [];
  return [{ path, message, value, ...(fix ? { fix } : {}) }];
}

const IDENTIFIER_MESSAGE = 'may contain only letters, digits, ".", "_" and "-", starting with a letter or digit';
const DISPLAY_MESSAGE = 'may contain only letters, digits, spaces and . _ : ( ) + / -, starting with a letter or digit';
const PATH_MESSAGE = 'must be a file path without control characters (newlines, tabs)';

interface NodeCounts {
  controlPlanes: number;
  workers: number;
}

/** For static clusters the host list is the truth, even when counts were not derived yet. */
export function nodeCounts(spec: ClusterSpec): NodeCounts {
  if (spec.provider.name === 'static') {
    const hosts = spec.provider.hosts;
    return {
      controlPlanes: hosts.filter((h) => h.role === 'control-plane').length,
      workers: hosts.filter((h) => h.role === 'worker').length,
    };
  }
  return { controlPlanes: spec.controlPlane.count, workers: spec.workers.count };
}

function checkCounts(spec: ClusterSpec): ValidationIssue[] {
  const counts = nodeCounts(spec);
  if (spec.provider.name === 'static') {
    if (counts.controlPlanes === 0) return []; // reported as "no control-plane host"
    const problem = controlPlaneCountProblem(counts.controlPlanes);
    if (!problem) return [];
    return [
      {
        path: 'provider.hosts',
        message: `lists ${counts.controlPlanes} control-plane hosts; their number ${problem.message}`,
        value: counts.controlPlanes,
        fix: 'list 1, 3 or 5 control-plane hosts',
      },
    ];
  }
  return [
    ...at('controlPlane.count', spec.controlPlane.count, controlPlaneCountProblem(spec.controlPlane.count)),
    ...at('workers.count', spec.workers.count, workerCountProblem(spec.workers.count)),
  ];
}

const NETWORK_FIELDS = ['nodeCidr', 'podCidr', 'serviceCidr'] as const;
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

function checkNetwork(spec: ClusterSpec): ValidationIssue[] {
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

function checkSsh(spec: ClusterSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [
    ...at('ssh.user', spec.ssh.user, linuxUserProblem(spec.ssh.user)),
    ...matches('ssh.privateKey', spec.ssh.privateKey, LOCAL_PATH, PATH_MESSAGE),
    ...matches('ssh.knownHosts', spec.ssh.knownHosts, LOCAL_PATH, PATH_MESSAGE),
  ];
  spec.ssh.adminCidrs.forEach((text, i) => issues.push(...at(`ssh.adminCidrs[${i}]`, text, cidrProblem(text, '203.0.113.0/24'))));
  if (spec.provider.name !== 'static' && spec.ssh.adminCidrs.length === 0) {
    issues.push({
      path: 'ssh.adminCidrs',
      message: `is empty: ${spec.provider.name} needs the CIDRs allowed to reach SSH and the Kubernetes API`,
      fix: 'pass --admin-cidr <your-ip>/32 (repeatable) or set K8SB_ADMIN_CIDRS',
    });
  }
  const bastion = spec.ssh.bastion;
  if (bastion) {
    issues.push(...at('ssh.bastion.host', bastion.host, hostAddressProblem(bastion.host)));
    if (bastion.user !== undefined) issues.push(...at('ssh.bastion.user', bastion.user, linuxUserProblem(bastion.user)));
  }
  return issues;
}

function checkMachines(spec: ClusterSpec): ValidationIssue[] {
  return [
    ...matches('controlPlane.type', spec.controlPlane.type, IDENTIFIER, IDENTIFIER_MESSAGE),
    ...matches('workers.type', spec.workers.type, IDENTIFIER, IDENTIFIER_MESSAGE),
    ...matches('image.id', spec.image.id, IMAGE_ID, 'may contain only letters, digits and . _ : / -, starting with a letter or digit'),
  ];
}

function checkTerraform(spec: ClusterSpec): ValidationIssue[] {
  const backend = spec.terraform.backend;
  if (!backend) return [];
  return [
    ...matches('terraform.backend.bucket', backend.bucket, IDENTIFIER, IDENTIFIER_MESSAGE),
    ...matches('terraform.backend.key', backend.key, OBJECT_KEY, 'may contain only letters, digits and . _ / -'),
    ...matches('terraform.backend.region', backend.region, IDENTIFIER, IDENTIFIER_MESSAGE),
    ...matches('terraform.backend.endpoint', backend.endpoint, HTTPS_URL, 'must be an https:// URL (the state holds every resource; http would send it in clear text)', 'e.g. https://sos-ch-gva-2.exo.io'),
  ];
}

function checkProvider(spec: ClusterSpec): ValidationIssue[] {
  const provider = spec.provider;
  switch (provider.name) {
    case 'exoscale':
      return [
        ...matches('provider.zone', provider.zone, IDENTIFIER, IDENTIFIER_MESSAGE, 'e.g. ch-gva-2'),
        ...matches('provider.baseTemplate', provider.baseTemplate, DISPLAY_NAME, DISPLAY_MESSAGE),
      ];
    case 'openstack':
      return [
        ...matches('provider.region', provider.region, IDENTIFIER, IDENTIFIER_MESSAGE, 'e.g. RegionOne'),
        ...matches('provider.cloud', provider.cloud, IDENTIFIER, IDENTIFIER_MESSAGE),
        ...matches('provider.externalNetwork', provider.externalNetwork, DISPLAY_NAME, DISPLAY_MESSAGE),
        ...matches('provider.baseImage', provider.baseImage, DISPLAY_NAME, DISPLAY_MESSAGE),
        ...(provider.imageBuild?.networks ?? []).flatMap((id, i) =>
          matches(`provider.imageBuild.networks[${i}]`, id, UUID, 'must be a network UUID (openstack network list -c ID)', 'e.g. 6a2b1c0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'),
        ),
        ...(provider.imageBuild?.securityGroups ?? []).flatMap((name, i) =>
          matches(`provider.imageBuild.securityGroups[${i}]`, name, DISPLAY_NAME, DISPLAY_MESSAGE),
        ),
        ...checkOpenstackNetwork(provider),
      ];
    case 'aws':
      return [
        ...matches('provider.region', provider.region, IDENTIFIER, IDENTIFIER_MESSAGE, 'e.g. eu-central-1'),
        ...(provider.availabilityZones ?? []).flatMap((zone, i) =>
          matches(`provider.availabilityZones[${i}]`, zone, IDENTIFIER, IDENTIFIER_MESSAGE, 'e.g. eu-central-1a'),
        ),
        ...checkAwsImageBuild(provider.imageBuild),
      ];
    case 'static':
      return checkStatic(spec, provider);
  }
}

/** EC2 resource ids: the prefix and 8 or 17 hex digits. */
const AWS_SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const AWS_VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type AwsImageBuild = Extract<ClusterSpec['provider'], { name: 'aws' }>['imageBuild'];

/** Packer needs a subnet to launch into a VPC; a VPC alone says nothing (packer-plugin-amazon: vpc_id "Requires subnet_id"). */
function checkAwsImageBuild(build: AwsImageBuild): ValidationIssue[] {
  if (!build) return [];
  const issues = [
    ...matches('provider.imageBuild.subnetId', build.subnetId, AWS_SUBNET_ID, 'must be a subnet id', 'e.g. subnet-0123456789abcdef0 (aws ec2 describe-subnets)'),
    ...matches('provider.imageBuild.vpcId', build.vpcId, AWS_VPC_ID, 'must be a VPC id', 'e.g. vpc-0123456789abcdef0'),
  ];
  if (build.vpcId !== undefined && build.subnetId === undefined) {
    issues.push({
      path: 'provider.imageBuild.vpcId',
      message: 'needs provider.imageBuild.subnetId: Packer launches the build instance into a subnet, not a VPC',
      value: build.vpcId,
      fix: 'add provider.imageBuild.subnetId (a subnet of that VPC), or remove vpcId',
    });
  }
  return issues;
}

type OpenstackProvider = Extract<ClusterSpec['provider'], { name: 'openstack' }>;

/** Neutron's max_dns_nameservers default (openstack/neutron neutron/conf/common.py). */
const MAX_DNS_NAMESERVERS = 5;

/** The API load balancer and the node subnet (templates/terraform/openstack). */
function checkOpenstackNetwork(provider: OpenstackProvider): ValidationIssue[] {
  const issues = [...matches('provider.lbProvider', provider.lbProvider, IDENTIFIER, IDENTIFIER_MESSAGE, 'e.g. amphora or ovn (openstack loadbalancer provider list)')];
  // openstack/ovn-octavia-provider common/constants.py SUPPORTED_HEALTH_MONITOR_TYPES: TCP, UDP-CONNECT.
  if (provider.lbProvider?.toLowerCase() === 'ovn' && provider.apiMonitorType === 'HTTPS') {
    issues.push({
      path: 'provider.apiMonitorType',
      message: 'cannot be HTTPS with provider.lbProvider ovn: the OVN Octavia provider has only TCP and UDP-CONNECT health monitors',
      value: provider.apiMonitorType,
      fix: 'set provider.apiMonitorType: TCP, or remove it (TCP is chosen on OVN)',
    });
  }
  const servers = provider.dnsNameservers ?? [];
  servers.forEach((server, i) => issues.push(...at(`provider.dnsNameservers[${i}]`, server, ipv4Problem(server))));
  if (servers.length > MAX_DNS_NAMESERVERS) {
    issues.push({
      path: 'provider.dnsNameservers',
      message: `lists ${servers.length} servers; Neutron takes at most ${MAX_DNS_NAMESERVERS} per subnet`,
      value: servers,
      fix: `keep ${MAX_DNS_NAMESERVERS} or fewer`,
    });
  }
  return issues;
}

/** The security-group knobs every cloud module shares (templates/terraform/shared). */
function checkFirewall(spec: ClusterSpec): ValidationIssue[] {
  return (spec.firewall.nodePortCidrs ?? []).flatMap((text, i) => at(`firewall.nodePortCidrs[${i}]`, text, cidrProblem(text, '198.51.100.0/24')));
}

type StaticProvider = Extract<ClusterSpec['provider'], { name: 'static' }>;

/** `cp-1`, `worker-2` for unnamed hosts, as the workflows name them (workflows/node-names.ts). */
function effectiveName(host: StaticHost, hosts: StaticHost[]): string {
  if (host.name !== undefined) return host.name;
  const index = hosts.filter((h) => h.role === host.role).indexOf(host) + 1;
  return `${host.role === 'control-plane' ? 'cp' : 'worker'}-${index}`;
}

function checkStatic(spec: ClusterSpec, provider: StaticProvider): ValidationIssue[] {
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

// ---------------------------------------------------------------------------------------------
// Prompt validators: inquirer's `validate` contract (true, or the message to show).

type Validator = (input: string) => true | string;

const asText = (problem: Problem | undefined): true | string => (problem ? formatProblem(problem) : true);

function wholeNumber(input: string): number | undefined {
  return /^\s*\d+\s*$/.test(input) ? Number(input) : undefined;
}

export const validators = {
  name: (input: string) => asText(dnsLabelProblem(input.trim())),
  cidr: (input: string) => asText(cidrProblem(input.trim())),
  kubernetesVersion: (input: string) => asText(kubernetesVersionProblem(input.trim())),
  controlPlaneCount: (input: string | number) => {
    const count = typeof input === 'number' ? input : wholeNumber(input);
    return count === undefined ? 'must be a whole number: 1, 3 or 5' : asText(controlPlaneCountProblem(count));
  },
  workerCount: (input: string | number) => {
    const count = typeof input === 'number' ? input : wholeNumber(input);
    return count === undefined ? 'must be a whole number from 0 to 1000' : asText(workerCountProblem(count));
  },
  /** One CIDR, or several separated by commas. */
  adminCidr: (input: string) => {
    const parts = input.split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (parts.length === 0) return 'give at least one CIDR, e.g. 203.0.113.7/32';
    for (const part of parts) {
      const problem = cidrProblem(part, '203.0.113.0/24');
      if (problem) return `${part} ${formatProblem(problem)}`;
    }
    return true;
  },
  hostAddress: (input: string) => asText(hostAddressProblem(input.trim())),
} satisfies Record<string, Validator | ((input: string | number) => true | string)>;
