/**
 * The init wizard: fills the fields of a raw cluster document that flags, env and --config left
 * open, in the order a person thinks about a cluster (where, how big, which Kubernetes, which
 * networks, how to log in). It only fills a document; validation and writing happen in init.
 * Every `validate` reuses the spec's own checks, so the wizard cannot accept what init rejects.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cidrsOverlap, parseCidr } from '../config/cidr.js';
import {
  API_VERSION,
  CNIS,
  DEFAULT_INSTANCE_TYPES,
  DEFAULT_NETWORK,
  KIND,
  PROVIDERS,
  RUNTIMES,
  type ProviderName,
} from '../config/schema.js';
import { endpointProblem, formatProblem } from '../config/field-checks.js';
import { validators } from './validators.js';
import { discoverCredentials } from '../providers/credentials.js';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../kube/versions.js';
import { CREDENTIAL_QUESTIONS } from './credential-questions.js';
import { getPath, hasValue, setPath, type RawDoc } from './doc-path.js';
import { confirm, input, number, password, select, type Choice, type PromptContext } from './prompts.js';

export interface WizardContext extends PromptContext {
  env: NodeJS.ProcessEnv;
}

export interface InitWizardOptions {
  /** Ask for missing cloud credentials. Off for --dry-run, which needs none. @default true */
  askCredentials?: boolean;
}

export interface InitWizardResult {
  /** The raw cluster document: seed plus answers. */
  doc: RawDoc;
  /** Credentials typed into the wizard, by env var name. In memory only; never written. */
  credentials: Record<string, string>;
  /** Where credentials came from, for the summary ("EXOSCALE_API_KEY/…", "typed in the wizard"). */
  credentialsSource?: string;
}

export const EXOSCALE_ZONES = ['ch-gva-2', 'ch-dk-2', 'de-fra-1', 'de-muc-1', 'at-vie-1', 'at-vie-2', 'bg-sof-1'] as const;

const PROVIDER_CHOICES: Record<ProviderName, string> = {
  exoscale: 'Exoscale (EXOSCALE_API_KEY/EXOSCALE_API_SECRET)',
  openstack: 'OpenStack (OS_CLOUD or OS_AUTH_URL…)',
  aws: 'AWS (the AWS SDK credential chain)',
  static: 'Machines I already have (SSH)',
};

export async function runInitWizard(ctx: WizardContext, seed: RawDoc, options: InitWizardOptions = {}): Promise<InitWizardResult> {
  const doc: RawDoc = structuredClone(seed);
  doc.apiVersion ??= API_VERSION;
  doc.kind ??= KIND;
  const note = (text: string) => ctx.stderr.write(`${text}\n`);

  // 1. Where the nodes come from.
  if (!hasValue(doc, 'provider.name')) {
    const provider = await select<ProviderName>(ctx, {
      message: 'Where should the nodes come from?',
      flag: '--provider',
      choices: PROVIDERS.map((value) => ({ value, name: PROVIDER_CHOICES[value] })),
    });
    setPath(doc, 'provider.name', provider);
  }
  const provider = getPath(doc, 'provider.name') as ProviderName;
  const isStatic = provider === 'static';

  // 2. Credentials: from the environment when there, else typed (masked) and kept in memory.
  const result: InitWizardResult = { doc, credentials: {} };
  if (!isStatic) {
    const found = discoverCredentials(provider, ctx.env);
    if (found.ok) {
      result.credentialsSource = found.source;
      note(`Credentials: found in ${found.source}.`);
    } else if (options.askCredentials === false) {
      note('Credentials: not needed for --dry-run.');
    } else {
      note(`Credentials: none found in the environment. They are used for this run only and never saved.`);
      for (const question of CREDENTIAL_QUESTIONS[provider]) {
        if (ctx.env[question.env]) continue;
        const ask = question.secret ? password : input;
        result.credentials[question.env] = await ask(ctx, {
          message: question.message,
          flag: question.env,
          ...(question.secret ? {} : { default: question.default }),
          validate: (value: string) => (value.trim() === '' ? `${question.env} cannot be empty` : true),
        });
      }
      result.credentialsSource = 'typed in the wizard (not saved)';
    }
  }

  // 3. Zone or region.
  if (provider === 'exoscale' && !hasValue(doc, 'provider.zone')) {
    setPath(doc, 'provider.zone', await select(ctx, {
      message: 'Exoscale zone',
      flag: '--zone',
      choices: EXOSCALE_ZONES.map((value) => ({ value })),
      default: 'ch-gva-2',
    }));
  }
  if ((provider === 'aws' || provider === 'openstack') && !hasValue(doc, 'provider.region')) {
    setPath(doc, 'provider.region', await input(ctx, {
      message: provider === 'aws' ? 'AWS region' : 'OpenStack region',
      flag: '--region',
      default: provider === 'aws' ? 'eu-central-1' : (ctx.env.OS_REGION_NAME ?? 'RegionOne'),
      validate: (value) => (value.trim() ? true : 'Enter a region'),
    }));
  }

  // 4. Name.
  if (!hasValue(doc, 'name')) {
    setPath(doc, 'name', await input(ctx, { message: 'Cluster name', flag: '--name', default: 'demo', validate: validators.name }));
  }

  // 5. Topology and sizes (static: the host list is the topology).
  if (isStatic) {
    await askStaticHosts(ctx, doc);
  } else {
    if (!hasValue(doc, 'controlPlane.count')) {
      setPath(doc, 'controlPlane.count', await select(ctx, {
        message: 'Control plane',
        flag: '--control-planes',
        choices: [
          { value: 1, name: 'Single control plane (1 node)' },
          { value: 3, name: 'Highly available (3 nodes, survives 1 failure)' },
          { value: 5, name: 'Highly available (5 nodes, survives 2 failures)' },
        ],
        default: 1,
      }));
    }
    if (!hasValue(doc, 'workers.count')) {
      setPath(doc, 'workers.count', await number(ctx, {
        message: 'Workers',
        flag: '--workers',
        default: 2,
        min: 0,
        validate: validators.workerCount,
      }));
    }
    const types = DEFAULT_INSTANCE_TYPES[provider];
    if (!hasValue(doc, 'controlPlane.type')) {
      setPath(doc, 'controlPlane.type', await input(ctx, {
        message: 'Control-plane instance type',
        flag: '--control-plane-type',
        default: types.controlPlane,
      }));
    }
    if (!hasValue(doc, 'workers.type') && Number(getPath(doc, 'workers.count')) > 0) {
      setPath(doc, 'workers.type', await input(ctx, { message: 'Worker instance type', flag: '--worker-type', default: types.worker }));
    }
  }

  // 6. Kubernetes.
  if (!hasValue(doc, 'kubernetes.version')) {
    let version = await select(ctx, {
      message: 'Kubernetes version',
      flag: '--kubernetes-version',
      choices: versionChoices(),
      default: DEFAULT_KUBERNETES_VERSION,
    });
    if (version === OTHER) {
      version = await input(ctx, { message: 'Kubernetes version (MAJOR.MINOR.PATCH)', flag: '--kubernetes-version', validate: validators.kubernetesVersion });
    }
    setPath(doc, 'kubernetes.version', version);
  }
  if (!hasValue(doc, 'kubernetes.runtime')) {
    setPath(doc, 'kubernetes.runtime', await select(ctx, {
      message: 'Container runtime',
      flag: '--runtime',
      choices: RUNTIMES.map((value) => ({ value })),
      default: 'containerd',
    }));
  }
  if (!hasValue(doc, 'kubernetes.cni')) {
    setPath(doc, 'kubernetes.cni', await select(ctx, {
      message: 'Pod network (CNI)',
      flag: '--cni',
      choices: CNIS.map((value) => ({ value })),
      default: 'calico',
    }));
  }

  // 7. Networks, each checked against the ones already chosen while typed.
  if (!isStatic && !hasValue(doc, 'network.nodeCidr')) {
    setPath(doc, 'network.nodeCidr', await input(ctx, {
      message: 'Node network CIDR',
      flag: '--node-cidr',
      default: DEFAULT_NETWORK.nodeCidr,
      validate: cidrValidator(doc, []),
    }));
  }
  if (!hasValue(doc, 'network.podCidr')) {
    setPath(doc, 'network.podCidr', await input(ctx, {
      message: 'Pod network CIDR',
      flag: '--pod-cidr',
      default: DEFAULT_NETWORK.podCidr,
      validate: cidrValidator(doc, [['network.nodeCidr', 'node']]),
    }));
  }
  if (!hasValue(doc, 'network.serviceCidr')) {
    setPath(doc, 'network.serviceCidr', await input(ctx, {
      message: 'Service network CIDR',
      flag: '--service-cidr',
      default: DEFAULT_NETWORK.serviceCidr,
      validate: cidrValidator(doc, [['network.nodeCidr', 'node'], ['network.podCidr', 'pod']]),
    }));
  }

  // 8. Access: who may reach SSH and the API, and with which key.
  if (!isStatic && !hasValue(doc, 'ssh.adminCidrs')) {
    const text = await input(ctx, {
      message: 'Admin CIDRs allowed to reach SSH and the API (comma-separated, e.g. 203.0.113.7/32)',
      flag: '--admin-cidr',
      validate: validators.adminCidr,
    });
    setPath(doc, 'ssh.adminCidrs', splitList(text));
  }
  if (!hasValue(doc, 'ssh.user')) {
    setPath(doc, 'ssh.user', await input(ctx, { message: 'SSH user on the nodes (passwordless sudo)', flag: '--ssh-user', default: 'ubuntu' }));
  }
  if (!hasValue(doc, 'ssh.privateKey')) {
    const key = await askSshKey(ctx);
    if (key) setPath(doc, 'ssh.privateKey', key);
  }

  return result;
}

const OTHER = 'other';

function versionChoices(): Choice<string>[] {
  const defaultMinor = DEFAULT_KUBERNETES_VERSION.split('.').slice(0, 2).join('.');
  const choices: Choice<string>[] = [...SUPPORTED_MINORS].reverse().map((minor) => {
    const value = minor === defaultMinor ? DEFAULT_KUBERNETES_VERSION : `${minor}.0`;
    return { value, name: minor === defaultMinor ? `${value} (recommended)` : value };
  });
  choices.push({ value: OTHER, name: 'Another version…' });
  return choices;
}

/** A CIDR validator that also refuses overlap with the networks already chosen. */
function cidrValidator(doc: RawDoc, others: [path: string, label: string][]) {
  return (value: string): true | string => {
    const verdict = validators.cidr(value);
    if (verdict !== true) return verdict;
    const mine = parseCidr(value.trim());
    if (typeof mine === 'string') return `"${value}" is not a valid CIDR`;
    for (const [path, label] of others) {
      const other = getPath(doc, path);
      if (typeof other !== 'string') continue;
      const theirs = parseCidr(other);
      if (typeof theirs !== 'string' && cidrsOverlap(mine, theirs)) {
        return `${value} overlaps the ${label} network ${other}; choose a range outside it`;
      }
    }
    return true;
  };
}

async function askStaticHosts(ctx: WizardContext, doc: RawDoc): Promise<void> {
  if (!hasValue(doc, 'provider.hosts')) {
    const hosts: RawDoc[] = [];
    ctx.stderr.write('Hosts: add each machine with its role (the first control plane runs kubeadm init).\n');
    for (;;) {
      const address = await input(ctx, {
        message: `Host ${hosts.length + 1} address (IP or DNS name)`,
        flag: '--control-plane-host / --worker-host',
        validate: (value) => {
          const verdict = validators.hostAddress(value);
          if (verdict !== true) return verdict;
          return hosts.some((h) => h.address === value.trim()) ? `${value} is already in the list` : true;
        },
      });
      const hasControlPlane = hosts.some((h) => h.role === 'control-plane');
      const role: string = await select(ctx, {
        message: `Role of ${address.trim()}`,
        choices: [{ value: 'control-plane', name: 'control plane' }, { value: 'worker', name: 'worker' }],
        default: hasControlPlane ? 'worker' : 'control-plane',
      });
      hosts.push({ address: address.trim(), role });
      const hasOne = hosts.some((h) => h.role === 'control-plane');
      if (!hasOne) {
        ctx.stderr.write('A cluster needs at least one control-plane host; add one.\n');
        continue;
      }
      const more = await confirm(ctx, { message: 'Add another host?', default: false, fallback: false });
      if (!more) break;
    }
    setPath(doc, 'provider.hosts', hosts);
  }
  const hosts = (getPath(doc, 'provider.hosts') as RawDoc[]) ?? [];
  const controlPlanes = hosts.filter((h) => h.role === 'control-plane').length;
  // Counts follow the host list for static clusters; the spec checks they agree.
  setPath(doc, 'controlPlane.count', controlPlanes);
  setPath(doc, 'workers.count', hosts.length - controlPlanes);
  if (!hasValue(doc, 'provider.apiEndpoint') && controlPlanes > 0) {
    const endpoint = await input(ctx, {
      message:
        controlPlanes > 1
          ? 'API endpoint of an external load balancer (host:port; empty: keepalived + haproxy on the control planes)'
          : 'API endpoint (host:port of a load balancer or DNS name; empty: the control plane itself)',
      flag: '--api-endpoint',
      default: '',
      validate: (value) => {
        if (value.trim() === '') return true;
        const problem = endpointProblem(value.trim());
        return problem ? formatProblem(problem) : true;
      },
    });
    if (endpoint.trim()) setPath(doc, 'provider.apiEndpoint', endpoint.trim());
  }
}

const GENERATE = '';

async function askSshKey(ctx: WizardContext): Promise<string | undefined> {
  const home = ctx.env.HOME || homedir();
  const usual = join(home, '.ssh', 'id_ed25519');
  const choices: Choice<string>[] = [];
  if (existsSync(usual)) choices.push({ value: usual, name: `Use ${usual}` });
  choices.push({ value: GENERATE, name: 'Generate a new key pair in the cluster folder (secrets/, 0600)' });
  choices.push({ value: OTHER, name: 'Another private key file…' });
  const picked = await select(ctx, { message: 'SSH key', flag: '--ssh-key', choices, default: choices[0]!.value });
  if (picked === GENERATE) return undefined;
  if (picked !== OTHER) return picked;
  return input(ctx, {
    message: 'Private key file',
    flag: '--ssh-key',
    validate: (value) => (existsSync(expandHome(value.trim(), home)) ? true : `No file at ${value}`),
  }).then((value) => expandHome(value.trim(), home));
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

function splitList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}
