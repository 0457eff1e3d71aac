/**
 * The `init` flags that fill ClusterSpec fields, one row each: flag, field, environment variable,
 * help. The row drives everything written about that value: init's commander options
 * (cli/commands/init.ts), the merge of file, flags and environment (resolve.ts), the flag and
 * field columns of ENV_VARS (env-vars.ts) and the "missing value: pass --x or set K8SB_X" message.
 */
import { CNIS, PROVIDERS, RUNTIMES, type ProviderName } from './schema.js';

export interface InitField {
  flag: `--${string}`;
  /** Dotted path in the ClusterSpec document. */
  field: string;
  /** The variable that fills the field when neither the file nor a flag does. */
  env?: { name: `K8SB_${string}`; description: string };
  valueName: string;
  help: string;
  /** How the flag's text becomes a value: list is repeatable (its variable is comma-separated). */
  kind: 'text' | 'integer' | 'choice' | 'list';
  choices?: readonly string[];
  /** The flag is refused, and the variable ignored, when the provider is another one. */
  providers?: readonly ProviderName[];
  /** The hint when the flag is given with a provider it does not apply to. */
  wrongProviderHint?: Partial<Record<ProviderName, string>>;
  /** provider.hosts entries of this role, each parsed by parseHostFlag; the file's others stay. */
  hostRole?: 'control-plane' | 'worker';
}

const STATIC_HOST = 'static: ADDRESS[,private=IP][,name=NAME][,port=N]';
/** Sizes and machine types are the clouds' own: static clusters take both from their hosts. */
const CLOUDS: readonly ProviderName[] = PROVIDERS.filter((name) => name !== 'static');

/** In --help order; the merge goes through them in this order too (provider before what depends on it). */
export const INIT_FIELDS = [
  { flag: '--name', field: 'name', env: { name: 'K8SB_NAME', description: 'Cluster name (DNS-1123 label).' }, valueName: '<name>', help: 'cluster name', kind: 'text' },
  {
    flag: '--provider',
    field: 'provider.name',
    env: { name: 'K8SB_PROVIDER', description: 'Provider: exoscale, openstack, aws or static.' },
    valueName: '<provider>',
    help: 'where the nodes come from',
    kind: 'choice',
    choices: PROVIDERS,
  },
  {
    flag: '--zone',
    field: 'provider.zone',
    env: { name: 'K8SB_ZONE', description: 'Exoscale zone; ignored for other providers.' },
    valueName: '<zone>',
    help: 'Exoscale zone',
    kind: 'text',
    providers: ['exoscale'],
    wrongProviderHint: { aws: 'use --region', openstack: 'use --region' },
  },
  {
    flag: '--region',
    field: 'provider.region',
    env: { name: 'K8SB_REGION', description: 'AWS or OpenStack region; ignored for other providers.' },
    valueName: '<region>',
    help: 'AWS or OpenStack region',
    kind: 'text',
    providers: ['aws', 'openstack'],
    wrongProviderHint: { exoscale: 'Exoscale has zones: use --zone' },
  },
  { flag: '--control-planes', field: 'controlPlane.count', valueName: '<n>', help: 'control planes: 1, 3 or 5', kind: 'integer', providers: CLOUDS, wrongProviderHint: { static: 'static clusters take their size from the host list: use --control-plane-host and --worker-host' } },
  { flag: '--workers', field: 'workers.count', valueName: '<n>', help: 'workers', kind: 'integer', providers: CLOUDS, wrongProviderHint: { static: 'static clusters take their size from the host list: use --control-plane-host and --worker-host' } },
  { flag: '--control-plane-type', field: 'controlPlane.type', valueName: '<type>', help: 'control-plane instance type', kind: 'text', providers: CLOUDS },
  { flag: '--worker-type', field: 'workers.type', valueName: '<type>', help: 'worker instance type', kind: 'text', providers: CLOUDS },
  {
    flag: '--kubernetes-version',
    field: 'kubernetes.version',
    env: { name: 'K8SB_KUBERNETES_VERSION', description: 'Kubernetes version, e.g. 1.37.1.' },
    valueName: '<version>',
    help: 'Kubernetes version, e.g. 1.37.1',
    kind: 'text',
  },
  { flag: '--runtime', field: 'kubernetes.runtime', valueName: '<runtime>', help: 'container runtime', kind: 'choice', choices: RUNTIMES },
  { flag: '--cni', field: 'kubernetes.cni', valueName: '<cni>', help: 'pod network', kind: 'choice', choices: CNIS },
  { flag: '--node-cidr', field: 'network.nodeCidr', valueName: '<cidr>', help: 'node network', kind: 'text' },
  { flag: '--pod-cidr', field: 'network.podCidr', valueName: '<cidr>', help: 'pod network (kubeadm podSubnet = CNI pool)', kind: 'text' },
  { flag: '--service-cidr', field: 'network.serviceCidr', valueName: '<cidr>', help: 'service network', kind: 'text' },
  {
    flag: '--admin-cidr',
    field: 'ssh.adminCidrs',
    env: { name: 'K8SB_ADMIN_CIDRS', description: 'Comma-separated CIDRs allowed to reach SSH and the API.' },
    valueName: '<cidr>',
    help: 'CIDR allowed to reach SSH and the API',
    kind: 'list',
  },
  {
    flag: '--ssh-key',
    field: 'ssh.privateKey',
    env: { name: 'K8SB_SSH_KEY', description: 'Path of the SSH private key file.' },
    valueName: '<file>',
    help: 'private key file',
    kind: 'text',
  },
  { flag: '--ssh-user', field: 'ssh.user', valueName: '<user>', help: 'SSH user on the nodes', kind: 'text' },
  { flag: '--known-hosts', field: 'ssh.knownHosts', valueName: '<file>', help: 'pinned host keys, OpenSSH known_hosts format', kind: 'text' },
  { flag: '--control-plane-host', field: 'provider.hosts', valueName: '<spec>', help: STATIC_HOST, kind: 'list', providers: ['static'], hostRole: 'control-plane' },
  { flag: '--worker-host', field: 'provider.hosts', valueName: '<spec>', help: STATIC_HOST, kind: 'list', providers: ['static'], hostRole: 'worker' },
  {
    flag: '--api-endpoint',
    field: 'provider.apiEndpoint',
    valueName: '<host:port>',
    help: 'static: external load balancer or DNS name for the API',
    kind: 'text',
    providers: ['static'],
  },
  {
    flag: '--virtual-ip',
    field: 'provider.virtualIp',
    valueName: '<ip>',
    help: 'static HA: free node-network address that keepalived holds for the API (haproxy on :8443)',
    kind: 'text',
    providers: ['static'],
  },
  { flag: '--image-id', field: 'image.id', valueName: '<id>', help: 'use this node image instead of building one', kind: 'text' },
] as const satisfies readonly InitField[];

export type InitFieldRow = (typeof INIT_FIELDS)[number];

type CamelCase<Text extends string> = Text extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : Text;
/** --control-plane-host -> controlPlaneHost, the key commander gives the flag's value. */
export type InitFieldKey<Row extends InitFieldRow = InitFieldRow> = Row['flag'] extends `--${infer Name}` ? CamelCase<Name> : never;

/** What the flag's value is once read: a list is every occurrence, [] when absent. */
export type InitFieldValue<Row extends InitFieldRow> = Row extends { kind: 'list' }
  ? string[]
  : Row extends { kind: 'integer' }
    ? number | undefined
    : Row extends { kind: 'choice'; choices: readonly (infer Choice)[] }
      ? Choice | undefined
      : string | undefined;

/** The spec-filling part of init's options, as mergeSpecSources takes them (any of them may be left out). */
export type InitSpecFlags = { readonly [Row in InitFieldRow as InitFieldKey<Row>]?: InitFieldValue<Row> };

/** The options key of a row, as commander derives it from the flag. */
export function initFieldKey<Row extends InitFieldRow>(row: Row): InitFieldKey<Row> {
  return row.flag.slice(2).replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase()) as InitFieldKey<Row>;
}

/** The row of the flag with this options key. */
export function initField(key: InitFieldKey): InitFieldRow {
  const row = INIT_FIELDS.find((candidate) => initFieldKey(candidate) === key);
  if (!row) throw new Error(`no init field for ${key}`);
  return row;
}
