/**
 * From a raw document to a ClusterSpec: the zod schema first (types, defaults, unknown keys), then
 * the checks that span fields. Every problem is collected so the person fixes the file once, not
 * once per run. Fields static hosts do not use are reset first (static-fields.ts). The checks of the counts, the address ranges and the static host list have files
 * of their own (counts.ts, network.ts, static-hosts.ts, cloud-integration.ts, addons.ts); the rest (name, version, SSH, machines,
 * Terraform backend, the clouds' fields) are here.
 */
import { ValidationError, type ValidationIssue } from '../../errors.js';
import { applyProviderDefaults } from '../defaults.js';
import { cidrProblem, dnsLabelProblem, hostAddressProblem, ipv4Problem, kubernetesVersionProblem, linuxUserProblem } from '../field-checks.js';
import { DISPLAY_NAME, HTTPS_URL, IDENTIFIER, IMAGE_ID, LOCAL_PATH, OBJECT_KEY } from '../patterns.js';
import { clusterSpecSchema, type ClusterSpec } from '../schema.js';
import { toValidationIssues, valueAt } from '../zod-issues.js';
import { resetStaticIgnored } from '../static-fields.js';
import { addonWarnings, checkAddons } from './addons.js';
import { checkBackup } from './backup.js';
import { checkCloudIntegration, loadBalancerWarnings, storageWarnings } from './cloud-integration.js';
import { checkCounts } from './counts.js';
import { at, matches } from './issues.js';
import { checkFirewall, checkNetwork } from './network.js';
import { knownValueWarnings } from './known-values.js';
import { localFileIssues } from './local-files.js';
import { checkStatic } from './static-hosts.js';

export interface ValidateOptions {
  /**
   * Also check the files on this machine the spec names (ssh.privateKey: exists, readable, 0600).
   * For what a person is about to run (init, its dry run, config validate); a recorded spec or
   * an example is not about this machine.
   */
  localFiles?: boolean;
  /** Where SSH_AUTH_SOCK is read for the localFiles check. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * The spec of a cluster that exists (its cluster.yaml, its recorded spec): 2 or 4 control
   * planes are what remove-control-plane leaves until add-control-plane restores an odd count,
   * and the day-2 commands must still load it. A new cluster (init) keeps the 1/3/5 rule.
   */
  existingCluster?: boolean;
}

export function validateSpec(raw: unknown, options: ValidateOptions = {}): ClusterSpec {
  const parsed = clusterSpecSchema.safeParse(raw);
  const files = (privateKey: unknown, provider: unknown) => (options.localFiles ? localFileIssues(privateKey, provider, options.env ?? process.env) : []);
  if (parsed.success) {
    const spec = resetStaticIgnored(applyProviderDefaults(parsed.data));
    const issues = checkSpec(spec, { existingCluster: options.existingCluster === true });
    // A path the pattern check refused is not looked up.
    if (!issues.some((issue) => issue.path === 'ssh.privateKey')) issues.push(...files(spec.ssh.privateKey, spec.provider.name));
    if (issues.length > 0) throw new ValidationError(issues);
    return spec;
  }
  const schemaIssues = toValidationIssues(clusterSpecSchema, raw, parsed.error.issues);
  const semantic = semanticIssuesDespite(raw, parsed.error.issues);
  const covered = (path: string) =>
    schemaIssues.some((issue) => path === issue.path || path.startsWith(`${issue.path}.`) || path.startsWith(`${issue.path}[`));
  const found = [...schemaIssues, ...semantic.filter((issue) => !covered(issue.path))];
  const keyIssues = found.some((issue) => issue.path === 'ssh.privateKey' || issue.path === 'ssh') ? [] : files(valueAt(raw, ['ssh', 'privateKey']), valueAt(raw, ['provider', 'name']));
  throw new ValidationError([...found, ...keyIssues]);
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
  return checkSpec(resetStaticIgnored(applyProviderDefaults(retry.data)));
}

export function checkSpec(spec: ClusterSpec, options: { existingCluster?: boolean } = {}): ValidationIssue[] {
  return [
    ...at('name', spec.name, dnsLabelProblem(spec.name)),
    ...at('kubernetes.version', spec.kubernetes.version, kubernetesVersionProblem(spec.kubernetes.version)),
    ...checkCounts(spec, options),
    ...checkNetwork(spec),
    ...checkSsh(spec),
    ...checkProvider(spec),
    ...checkMachines(spec),
    ...checkFirewall(spec),
    ...checkTerraform(spec),
    ...checkCloudIntegration(spec),
    ...checkAddons(spec),
    ...checkBackup(spec),
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
  warnings.push(...knownValueWarnings(spec), ...storageWarnings(spec), ...loadBalancerWarnings(spec), ...addonWarnings(spec));
  return warnings;
}

const IDENTIFIER_MESSAGE = 'may contain only letters, digits, ".", "_" and "-", starting with a letter or digit';
const DISPLAY_MESSAGE = 'may contain only letters, digits, spaces and . _ : ( ) + / -, starting with a letter or digit';
const PATH_MESSAGE = 'must be a file path without control characters (newlines, tabs)';

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
