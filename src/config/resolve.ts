/**
 * The non-interactive path to a ClusterSpec: --config file, `init` flags and K8SB_* variables
 * merged into one raw document (flag > file > environment), which validateSpec then checks like
 * any other. Without prompts, findMissingValues names what is still needed and how to give it.
 */
import { UsageError } from '../errors.js';
import { ENV_VARS, envValue, type EnvVarName } from './env-vars.js';
import { API_VERSION, KIND, type StaticHostInput } from './schema.js';

/** The `init` options as commander hands them over (camelCase of the flag names). */
export interface InitFlags {
  name?: string;
  provider?: string;
  zone?: string;
  region?: string;
  controlPlanes?: number;
  workers?: number;
  controlPlaneType?: string;
  workerType?: string;
  kubernetesVersion?: string;
  runtime?: string;
  cni?: string;
  nodeCidr?: string;
  podCidr?: string;
  serviceCidr?: string;
  adminCidr?: string[];
  sshKey?: string;
  sshUser?: string;
  controlPlaneHost?: string[];
  workerHost?: string[];
  apiEndpoint?: string;
  virtualIp?: string;
  knownHosts?: string;
  imageId?: string;
}

type Doc = Record<string, unknown>;

function isMapping(value: unknown): value is Doc {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The mapping at `key`, created when absent (a non-mapping there is replaced; flags win). */
function section(doc: Doc, key: string): Doc {
  const current = doc[key];
  if (isMapping(current)) return current;
  const created: Doc = {};
  doc[key] = created;
  return created;
}

/** Sets `key` from the first defined of flag, existing value, env. */
function fill(target: Doc, key: string, flag: unknown, env?: string): void {
  if (flag !== undefined) target[key] = flag;
  else if (target[key] === undefined && env !== undefined) target[key] = env;
}

const REGION_PROVIDERS = ['aws', 'openstack'];

export function mergeSpecSources(input: { file?: unknown; flags: InitFlags; env: NodeJS.ProcessEnv }): Doc {
  const { flags, env } = input;
  const fromEnv = (name: EnvVarName) => envValue(env, name);
  if (input.file !== undefined && input.file !== null && !isMapping(input.file)) {
    throw new UsageError('InvalidConfig', 'The configuration file must be a YAML mapping (key: value) at the top level', {
      hint: 'start from "k8s-bootstrap config example"',
    });
  }
  const doc: Doc = isMapping(input.file) ? (structuredClone(input.file) as Doc) : {};
  doc.apiVersion ??= API_VERSION;
  doc.kind ??= KIND;
  fill(doc, 'name', flags.name, fromEnv('K8SB_NAME'));

  // Provider: switching it with --provider drops the file's settings of the other provider.
  const fileProvider = isMapping(doc.provider) ? doc.provider : undefined;
  const fileProviderName = typeof fileProvider?.name === 'string' ? fileProvider.name : undefined;
  if (flags.provider !== undefined && flags.provider !== fileProviderName) doc.provider = { name: flags.provider };
  else if (doc.provider === undefined && fromEnv('K8SB_PROVIDER') !== undefined) doc.provider = { name: fromEnv('K8SB_PROVIDER') };
  const providerName = isMapping(doc.provider) && typeof doc.provider.name === 'string' ? doc.provider.name : undefined;

  if (flags.zone !== undefined && providerName !== undefined && providerName !== 'exoscale') {
    throw new UsageError('FlagNotApplicable', `--zone applies to the exoscale provider only (provider is ${providerName})`, {
      hint: REGION_PROVIDERS.includes(providerName) ? 'use --region' : undefined,
    });
  }
  if (flags.region !== undefined && providerName !== undefined && !REGION_PROVIDERS.includes(providerName)) {
    throw new UsageError('FlagNotApplicable', `--region applies to the aws and openstack providers only (provider is ${providerName})`, {
      hint: providerName === 'exoscale' ? 'Exoscale has zones: use --zone' : undefined,
    });
  }
  const hostFlags = (flags.controlPlaneHost?.length ?? 0) + (flags.workerHost?.length ?? 0);
  if ((hostFlags > 0 || flags.apiEndpoint !== undefined || flags.virtualIp !== undefined) && providerName !== undefined && providerName !== 'static') {
    const flag = hostFlags > 0 ? (flags.controlPlaneHost?.length ? '--control-plane-host' : '--worker-host') : '--api-endpoint';
    throw new UsageError('FlagNotApplicable', `${flag} applies to the static provider only (provider is ${providerName})`);
  }

  if (flags.zone !== undefined || (providerName === 'exoscale' && fromEnv('K8SB_ZONE') !== undefined)) {
    fill(section(doc, 'provider'), 'zone', flags.zone, fromEnv('K8SB_ZONE'));
  }
  if (flags.region !== undefined || (providerName !== undefined && REGION_PROVIDERS.includes(providerName) && fromEnv('K8SB_REGION') !== undefined)) {
    fill(section(doc, 'provider'), 'region', flags.region, fromEnv('K8SB_REGION'));
  }
  if (hostFlags > 0) {
    const provider = section(doc, 'provider');
    const fileHosts = Array.isArray(provider.hosts) ? (provider.hosts as unknown[]) : [];
    const keep = (role: string) => fileHosts.filter((host) => isMapping(host) && host.role === role);
    const controlPlanes = flags.controlPlaneHost?.length
      ? flags.controlPlaneHost.map((text) => parseHostFlag(text, 'control-plane'))
      : keep('control-plane');
    const workers = flags.workerHost?.length ? flags.workerHost.map((text) => parseHostFlag(text, 'worker')) : keep('worker');
    const others = fileHosts.filter((host) => !isMapping(host) || (host.role !== 'control-plane' && host.role !== 'worker'));
    provider.hosts = [...controlPlanes, ...workers, ...others];
  }
  if (flags.apiEndpoint !== undefined) section(doc, 'provider').apiEndpoint = flags.apiEndpoint;
  if (flags.virtualIp !== undefined) section(doc, 'provider').virtualIp = flags.virtualIp;

  const kubernetes = section(doc, 'kubernetes');
  fill(kubernetes, 'version', flags.kubernetesVersion, fromEnv('K8SB_KUBERNETES_VERSION'));
  fill(kubernetes, 'runtime', flags.runtime);
  fill(kubernetes, 'cni', flags.cni);

  const network = section(doc, 'network');
  fill(network, 'nodeCidr', flags.nodeCidr);
  fill(network, 'podCidr', flags.podCidr);
  fill(network, 'serviceCidr', flags.serviceCidr);

  const controlPlane = section(doc, 'controlPlane');
  fill(controlPlane, 'count', flags.controlPlanes);
  fill(controlPlane, 'type', flags.controlPlaneType);
  const workers = section(doc, 'workers');
  fill(workers, 'count', flags.workers);
  fill(workers, 'type', flags.workerType);

  const ssh = section(doc, 'ssh');
  const envCidrs = fromEnv('K8SB_ADMIN_CIDRS')
    ?.split(',')
    .map((cidr) => cidr.trim())
    .filter((cidr) => cidr !== '');
  if (flags.adminCidr !== undefined && flags.adminCidr.length > 0) ssh.adminCidrs = [...flags.adminCidr];
  else if (ssh.adminCidrs === undefined && envCidrs !== undefined && envCidrs.length > 0) ssh.adminCidrs = envCidrs;
  fill(ssh, 'privateKey', flags.sshKey, fromEnv('K8SB_SSH_KEY'));
  fill(ssh, 'user', flags.sshUser);
  fill(ssh, 'knownHosts', flags.knownHosts);

  if (flags.imageId !== undefined) section(doc, 'image').id = flags.imageId;

  // Sections the merge created but left empty are noise in a written cluster.yaml.
  for (const key of ['kubernetes', 'network', 'controlPlane', 'workers', 'ssh']) {
    const value = doc[key];
    if (isMapping(value) && Object.keys(value).length === 0 && !(isMapping(input.file) && key in input.file)) delete doc[key];
  }
  return doc;
}

const HOST_KEYS = ['private', 'name', 'port', 'user'] as const;

/** `ADDRESS[,private=IP][,name=NAME][,port=N][,user=U]`, as --control-plane-host / --worker-host take it. */
export function parseHostFlag(text: string, role: 'control-plane' | 'worker'): StaticHostInput {
  const flag = role === 'control-plane' ? '--control-plane-host' : '--worker-host';
  const [addressPart, ...options] = text.split(',');
  const address = addressPart?.trim() ?? '';
  const usage = `${flag} takes ADDRESS[,private=IP][,name=NAME][,port=N][,user=U]`;
  if (address === '' || address.includes('=')) {
    throw new UsageError('InvalidHost', `${flag} "${text}": the address comes first`, { hint: usage });
  }
  const host: StaticHostInput = { address, role };
  const seen = new Set<string>();
  for (const option of options) {
    const match = /^\s*([a-z]+)=(.*)$/.exec(option);
    const key = match?.[1];
    const value = match?.[2]?.trim() ?? '';
    if (!match || !key || !(HOST_KEYS as readonly string[]).includes(key)) {
      throw new UsageError('InvalidHost', `${flag} "${text}": unknown option "${option.trim()}"; allowed: ${HOST_KEYS.join(', ')}`, { hint: usage });
    }
    if (seen.has(key)) throw new UsageError('InvalidHost', `${flag} "${text}": ${key}= is given twice`, { hint: usage });
    seen.add(key);
    if (value === '') throw new UsageError('InvalidHost', `${flag} "${text}": ${key}= needs a value`, { hint: usage });
    if (key === 'port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 1 && port <= 65535)) {
        throw new UsageError('InvalidHost', `${flag} "${text}": port must be a number from 1 to 65535, got "${value}"`, { hint: usage });
      }
      host.port = port;
    } else if (key === 'private') host.privateAddress = value;
    else if (key === 'name') host.name = value;
    else host.user = value;
  }
  return host;
}

export interface MissingValue {
  field: string;
  flag: string;
  env?: string;
}

const CLOUD_PROVIDERS = ['exoscale', 'openstack', 'aws'];

function envFor(field: string): string | undefined {
  return Object.entries(ENV_VARS).find(([, info]) => 'field' in info && info.field === field)?.[0];
}

/** What a run without prompts still lacks; empty when the document can go to validateSpec. */
export function findMissingValues(raw: Record<string, unknown>): MissingValue[] {
  const missing: MissingValue[] = [];
  const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  if (blank(raw.name)) missing.push({ field: 'name', flag: '--name', env: envFor('name') });
  const provider = isMapping(raw.provider) ? raw.provider : undefined;
  const providerName = typeof provider?.name === 'string' ? provider.name : undefined;
  if (blank(providerName)) missing.push({ field: 'provider', flag: '--provider', env: envFor('provider.name') });
  if (providerName === 'static') {
    const hosts = Array.isArray(provider?.hosts) ? provider.hosts : [];
    if (!hosts.some((host) => isMapping(host) && host.role === 'control-plane')) {
      missing.push({ field: 'provider.hosts (a control-plane host)', flag: '--control-plane-host' });
    }
  } else if (providerName !== undefined && CLOUD_PROVIDERS.includes(providerName)) {
    const ssh = isMapping(raw.ssh) ? raw.ssh : undefined;
    const cidrs = ssh?.adminCidrs;
    if (!Array.isArray(cidrs) || cidrs.length === 0) missing.push({ field: 'ssh.adminCidrs', flag: '--admin-cidr', env: envFor('ssh.adminCidrs') });
  }
  return missing;
}

export class MissingValuesError extends UsageError {
  readonly missing: MissingValue[];
  constructor(missing: MissingValue[]) {
    const lines = missing.map((m) => `  - ${m.field}: pass ${m.flag}${m.env ? ` or set ${m.env}` : ''}`);
    super('MissingValues', `Missing values (running without prompts):\n${lines.join('\n')}`, {
      hint: 'give them as flags, environment variables or in --config; or run on a terminal without --yes to be asked',
    });
    this.missing = missing;
  }
}
