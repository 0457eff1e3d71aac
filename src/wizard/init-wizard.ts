/**
 * The init wizard: fills the fields of a raw cluster document that flags, env and --config left
 * open, in the order a person thinks about a cluster (where, how big, which Kubernetes, which
 * networks, how to log in). It only fills a document; validation and writing happen in init.
 * Every `validate` reuses the spec's own checks, so the wizard cannot accept what init rejects.
 * The questions are steps of one list, so Esc can take the person back one question.
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
import { endpointProblem, formatProblem, hostAddressProblem, ipv4Problem, type Problem } from '../config/field-checks.js';
import { sshKeyFileProblem } from '../config/ssh-key-file.js';
import { EXOSCALE_ZONES } from '../config/known-values.js';
import { metallbAddressIssues } from '../config/validate/cloud-integration.js';
import { addonDomainProblem, bucketRegionProblem, s3BucketProblem, s3UrlProblem } from '../config/validate/addons.js';
import { readVeleroS3Credentials, VELERO_S3_VARIABLES } from '../config/addons.js';
import { FLUENT_BIT_OUTPUTS, type FluentBitOutputName } from '../config/schema.js';
import type { AddonName } from '../kube/addons/pins.js';
import { addonChoices, addonSelectionProblem, addonsDoc, FLUENT_BIT_ASKED_OPTIONS } from './addon-questions.js';
import { validators } from './validators.js';
import { awsProfiles, discoverCredentials, type AwsProfile } from '../providers/credentials.js';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../kube/versions.js';
import { KUBERNETES_PATCHES } from '../kube/pins.js';
import { STATIC_HA_PORT } from '../providers/static.js';
import { CREDENTIAL_QUESTIONS } from './credential-questions.js';
import { getPath, hasValue, setPath, type RawDoc } from './doc-path.js';
import * as prompts from './prompts.js';
import { BackRequested, type Choice, type PromptContext } from './prompts.js';
import { findPrivateKeys } from './ssh-keys.js';

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

/** The zone list lives with the other known values, which validation checks too. */
export { EXOSCALE_ZONES };

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
  const result: InitWizardResult = { doc, credentials: {} };
  const wizard = new Wizard({ ...ctx, allowBack: true }, result, options);
  if (ctx.canPrompt) wizard.note('Esc goes back to the previous question; Ctrl-C stops the wizard.');
  await wizard.run(wizard.steps());
  return result;
}

type Step = () => Promise<void>;
type CloudProvider = Exclude<ProviderName, 'static'>;
type StaticStorage = 'local-path' | 'rook-ceph' | 'none';

interface Snapshot {
  doc: RawDoc;
  credentials: Record<string, string>;
  credentialsSource?: string;
}

/** The questions, and the driver that runs them in order and steps back on Esc. */
class Wizard {
  /** Questions shown so far: a step that showed none is skipped on the way back. */
  private asked = 0;

  constructor(
    private readonly ctx: WizardContext & { allowBack: boolean },
    private readonly result: InitWizardResult,
    private readonly options: InitWizardOptions,
  ) {}

  private get doc(): RawDoc {
    return this.result.doc;
  }

  note(text: string): void {
    this.ctx.stderr.write(`${text}\n`);
  }

  // Every question goes through these, so the driver knows a step asked something.
  private input(question: prompts.InputQuestion) {
    this.asked += 1;
    return prompts.input(this.ctx, question);
  }
  private number(question: prompts.NumberQuestion) {
    this.asked += 1;
    return prompts.number(this.ctx, question);
  }
  private select<T>(question: prompts.SelectQuestion<T>) {
    this.asked += 1;
    return prompts.select<T>(this.ctx, question);
  }
  private confirm(question: prompts.ConfirmQuestion) {
    this.asked += 1;
    return prompts.confirm(this.ctx, question);
  }
  private password(question: prompts.PasswordQuestion) {
    this.asked += 1;
    return prompts.password(this.ctx, question);
  }
  private checkbox<T>(question: prompts.CheckboxQuestion<T>) {
    this.asked += 1;
    return prompts.checkbox<T>(this.ctx, question);
  }

  private snapshot(): Snapshot {
    return { doc: structuredClone(this.doc), credentials: { ...this.result.credentials }, credentialsSource: this.result.credentialsSource };
  }

  private restore(snapshot: Snapshot): void {
    for (const key of Object.keys(this.doc)) delete this.doc[key];
    Object.assign(this.doc, structuredClone(snapshot.doc));
    this.result.credentials = { ...snapshot.credentials };
    this.result.credentialsSource = snapshot.credentialsSource;
  }

  /**
   * Runs the steps in order. Esc (BackRequested) undoes the open step and runs the last step that
   * asked something again. Nested (a step's own questions), Esc at its first question leaves it.
   */
  async run(steps: Step[], nested = false): Promise<void> {
    const history: { index: number; before: Snapshot }[] = [];
    let index = 0;
    while (index < steps.length) {
      const before = this.snapshot();
      const askedBefore = this.asked;
      try {
        await steps[index]!();
        if (this.asked > askedBefore) history.push({ index, before });
        index += 1;
      } catch (error) {
        if (!(error instanceof BackRequested)) throw error;
        this.restore(before);
        const previous = history.pop();
        if (previous) {
          this.restore(previous.before);
          index = previous.index;
        } else if (nested) {
          throw error;
        } else {
          this.note('This is the first question.');
        }
      }
    }
  }

  /** The static host list as last answered, kept across Esc (the doc's copy is rolled back). */
  private hostsGiven: RawDoc[] = [];

  private get provider(): ProviderName {
    return getPath(this.doc, 'provider.name') as ProviderName;
  }

  private get isStatic(): boolean {
    return this.provider === 'static';
  }

  steps(): Step[] {
    return [
      // 1. Where the nodes come from.
      async () => {
        if (hasValue(this.doc, 'provider.name')) return;
        setPath(this.doc, 'provider.name', await this.select<ProviderName>({
          message: 'Where should the nodes come from?',
          flag: '--provider',
          choices: PROVIDERS.map((value) => ({ value, name: PROVIDER_CHOICES[value] })),
        }));
      },
      // 2. Credentials: from the environment when there, else typed (masked) and kept in memory.
      () => this.askCredentials(),
      // 3. Zone or region.
      async () => {
        if (this.provider !== 'exoscale' || hasValue(this.doc, 'provider.zone')) return;
        setPath(this.doc, 'provider.zone', await this.select({
          message: 'Exoscale zone',
          flag: '--zone',
          choices: EXOSCALE_ZONES.map((value) => ({ value })),
          default: 'ch-gva-2',
        }));
      },
      async () => {
        if ((this.provider !== 'aws' && this.provider !== 'openstack') || hasValue(this.doc, 'provider.region')) return;
        setPath(this.doc, 'provider.region', await this.input({
          message: this.provider === 'aws' ? 'AWS region' : 'OpenStack region',
          flag: '--region',
          default: this.provider === 'aws' ? 'eu-central-1' : (this.ctx.env.OS_REGION_NAME ?? 'RegionOne'),
          validate: (value) => (value.trim() ? true : 'Enter a region'),
        }));
      },
      // 4. Name.
      async () => {
        if (hasValue(this.doc, 'name')) return;
        setPath(this.doc, 'name', await this.input({ message: 'Cluster name', flag: '--name', default: 'demo', validate: validators.name }));
      },
      // 5. Topology and sizes (static: the host list is the topology).
      () => this.askStaticHosts(),
      () => this.askStaticEndpoint(),
      async () => {
        if (this.isStatic || hasValue(this.doc, 'controlPlane.count')) return;
        setPath(this.doc, 'controlPlane.count', await this.select({
          message: 'Control plane',
          flag: '--control-planes',
          choices: [
            { value: 1, name: 'Single control plane (1 node)' },
            { value: 3, name: 'Highly available (3 nodes, survives 1 failure)' },
            { value: 5, name: 'Highly available (5 nodes, survives 2 failures)' },
          ],
          default: 1,
        }));
      },
      async () => {
        if (this.isStatic || hasValue(this.doc, 'workers.count')) return;
        // The spec's own bounds (config/field-checks.ts workerCountProblem), said in its words.
        setPath(this.doc, 'workers.count', await this.number({ message: 'Workers', flag: '--workers', default: 2, min: 0, max: MAX_WORKERS, validate: validators.workerCount }));
      },
      async () => {
        if (this.isStatic || hasValue(this.doc, 'controlPlane.type')) return;
        setPath(this.doc, 'controlPlane.type', await this.input({
          message: 'Control-plane instance type',
          flag: '--control-plane-type',
          default: DEFAULT_INSTANCE_TYPES[this.provider as CloudProvider].controlPlane,
        }));
      },
      async () => {
        if (this.isStatic || hasValue(this.doc, 'workers.type') || !(Number(getPath(this.doc, 'workers.count')) > 0)) return;
        setPath(this.doc, 'workers.type', await this.input({ message: 'Worker instance type', flag: '--worker-type', default: DEFAULT_INSTANCE_TYPES[this.provider as CloudProvider].worker }));
      },
      // 6. Kubernetes.
      () => this.askKubernetesVersion(),
      async () => {
        if (hasValue(this.doc, 'kubernetes.runtime')) return;
        setPath(this.doc, 'kubernetes.runtime', await this.select({
          message: 'Container runtime',
          flag: '--runtime',
          choices: RUNTIMES.map((value) => ({ value })),
          default: 'containerd',
        }));
      },
      async () => {
        if (hasValue(this.doc, 'kubernetes.cni')) return;
        setPath(this.doc, 'kubernetes.cni', await this.select({
          message: 'Pod network (CNI)',
          flag: '--cni',
          choices: CNIS.map((value) => ({ value })),
          default: 'calico',
        }));
      },
      // 7. Networks, each checked against the ones already chosen while typed.
      async () => {
        if (this.isStatic || hasValue(this.doc, 'network.nodeCidr')) return;
        setPath(this.doc, 'network.nodeCidr', await this.input({
          message: 'Node network CIDR',
          flag: '--node-cidr',
          default: DEFAULT_NETWORK.nodeCidr,
          validate: cidrValidator(this.doc, []),
        }));
      },
      async () => {
        if (hasValue(this.doc, 'network.podCidr')) return;
        setPath(this.doc, 'network.podCidr', await this.input({
          message: 'Pod network CIDR',
          flag: '--pod-cidr',
          default: DEFAULT_NETWORK.podCidr,
          validate: cidrValidator(this.doc, [['network.nodeCidr', 'node']]),
        }));
      },
      async () => {
        if (hasValue(this.doc, 'network.serviceCidr')) return;
        setPath(this.doc, 'network.serviceCidr', await this.input({
          message: 'Service network CIDR',
          flag: '--service-cidr',
          default: DEFAULT_NETWORK.serviceCidr,
          validate: cidrValidator(this.doc, [['network.nodeCidr', 'node'], ['network.podCidr', 'pod']]),
        }));
      },
      // 8. Access: who may reach SSH and the API, and with which key.
      async () => {
        if (this.isStatic || hasValue(this.doc, 'ssh.adminCidrs')) return;
        const text = await this.input({
          message: 'Admin CIDRs allowed to reach SSH and the API (comma-separated, e.g. 203.0.113.7/32)',
          flag: '--admin-cidr',
          validate: validators.adminCidr,
        });
        setPath(this.doc, 'ssh.adminCidrs', splitList(text));
      },
      async () => {
        if (hasValue(this.doc, 'ssh.user')) return;
        // Cloud nodes boot the image this tool builds from Ubuntu, whose user is "ubuntu" (Packer's
        // ssh_username in templates/packer/*.pkr.hcl, the spec's default): nothing to ask. Only
        // machines of the person's own, or an image of theirs (image.id), have a user we cannot know.
        const imageId = getPath(this.doc, 'image.id');
        if (!this.isStatic && imageId === undefined) return;
        setPath(this.doc, 'ssh.user', await this.input({
          message: this.isStatic ? 'SSH user on the hosts (passwordless sudo)' : `SSH user of image ${String(imageId)} (passwordless sudo)`,
          flag: '--ssh-user',
          default: 'ubuntu',
          validate: validators.linuxUser,
        }));
      },
      () => this.askSshKey(),
      // 9. What the cluster gets besides nodes: the cloud's controllers, or storage and MetalLB on static hosts.
      () => this.askCloudIntegration(),
      () => this.askStaticStorage(),
      () => this.askMetallb(),
      // 10. Add-ons: the default set ticked; the optional ones ask only what they cannot do without.
      () => this.askAddons(),
    ];
  }

  /**
   * One list of the add-ons, then the fields of each optional one ticked: the monitoring domain,
   * Velero's bucket, Fluent Bit's output. The rest stays in cluster.yaml's addons section. Esc at
   * the first of those fields goes back to the list.
   */
  private async askAddons(): Promise<void> {
    if (hasValue(this.doc, 'addons')) return;
    for (;;) {
      const before = this.snapshot();
      const chosen = await this.checkbox<AddonName>({ message: 'Add-ons', choices: addonChoices(), validate: addonSelectionProblem });
      const addons = addonsDoc(chosen, {});
      if (addons) setPath(this.doc, 'addons', addons);
      try {
        await this.run(this.addonFieldSteps(chosen), true);
      } catch (error) {
        if (!(error instanceof BackRequested)) throw error;
        this.restore(before);
        continue; // back from the first field: the list again
      }
      if (chosen.includes('velero')) this.note(veleroKeysNote(this.ctx.env));
      return;
    }
  }

  private addonFieldSteps(chosen: readonly AddonName[]): Step[] {
    const steps: Step[] = [];
    const ask = (path: string, message: string, check: (text: string) => Problem | undefined, fallback?: string, optional = false) => async () => {
      const answer = (await this.input({
        message,
        ...(fallback !== undefined ? { default: fallback } : {}),
        validate: (value) => {
          const text = value.trim();
          if (text === '') return optional ? true : 'Enter a value';
          const problem = check(text);
          return problem ? formatProblem(problem) : true;
        },
      })).trim();
      if (answer !== '') setPath(this.doc, path, answer);
    };
    if (chosen.includes('kube-prometheus-stack')) {
      steps.push(ask('addons.kube-prometheus-stack.domain', 'Monitoring domain (grafana.<domain>, prometheus.<domain>, alertmanager.<domain>; point them at Traefik)', addonDomainProblem));
    }
    if (chosen.includes('velero')) {
      const provider = getPath(this.doc, 'provider') as RawDoc | undefined;
      // Exoscale's object storage (SOS) answers at sos-<zone>.exo.io, its region being the zone.
      const zone = this.provider === 'exoscale' ? String(provider?.zone ?? 'ch-gva-2') : undefined;
      const region = zone ?? (this.provider === 'aws' ? String(provider?.region ?? 'eu-central-1') : 'us-east-1');
      steps.push(ask('addons.velero.bucket', 'Velero bucket (S3-compatible, for the backups)', s3BucketProblem));
      steps.push(ask('addons.velero.region', 'Region of the bucket', bucketRegionProblem, region));
      steps.push(ask('addons.velero.s3Url', 'S3 endpoint of the bucket (https://host[:port], e.g. MinIO; empty: AWS S3)', s3UrlProblem, zone ? `https://sos-${zone}.exo.io` : '', true));
    }
    if (chosen.includes('fluent-bit')) {
      steps.push(async () => {
        const name = await this.select<FluentBitOutputName>({
          message: 'Where should Fluent Bit ship the logs? (output plugin)',
          choices: FLUENT_BIT_OUTPUTS.map((value) => ({ value })),
          default: 'loki',
        });
        setPath(this.doc, 'addons.fluent-bit.output', { name, options: {} });
      });
      steps.push(() => this.askFluentBitOptions());
    }
    return steps;
  }

  /** The options the chosen output cannot do without (addon-questions.ts); more go in cluster.yaml. */
  private async askFluentBitOptions(): Promise<void> {
    const name = getPath(this.doc, 'addons.fluent-bit.output.name') as FluentBitOutputName;
    const checks: Record<'host' | 'bucket' | 'region', (text: string) => Problem | undefined> = { host: hostAddressProblem, bucket: s3BucketProblem, region: bucketRegionProblem };
    await this.run(
      FLUENT_BIT_ASKED_OPTIONS[name].map((option) => async () => {
        const value = (await this.input({
          message: `${name} ${option.key}`,
          validate: (text) => {
            if (text.trim() === '') return `Enter the ${option.key}`;
            const problem = checks[option.kind](text.trim());
            return problem ? formatProblem(problem) : true;
          },
        })).trim();
        setPath(this.doc, `addons.fluent-bit.output.options.${option.key}`, value);
      }),
      true,
    );
  }

  /** One yes for both: the CCM and the CSI come and go together here; cluster.yaml can split them. */
  private async askCloudIntegration(): Promise<void> {
    if (this.isStatic || hasValue(this.doc, 'cloudIntegration')) return;
    if (this.provider === 'exoscale') {
      // exoscale-cloud-controller-manager docs/service-loadbalancer.md: only instance-pool members get an NLB.
      this.note('Exoscale: the cloud controller manager gives LoadBalancer Services a load balancer only for nodes in instance pools; these workers are single instances, so use NodePort or an ingress on their public IPs.');
    }
    const on = await this.confirm({
      message: "LoadBalancer Services and volumes through the cloud's CCM and CSI?",
      default: true,
      fallback: true,
    });
    setPath(this.doc, 'cloudIntegration', { ccm: on, csi: on });
  }

  private async askStaticStorage(): Promise<void> {
    if (!this.isStatic || hasValue(this.doc, 'storage.defaultClass')) return;
    for (;;) {
      const choice = await this.select<StaticStorage>({
        message: 'Default StorageClass',
        choices: [
          { value: 'local-path', name: 'local-path: a folder on the node (the data is lost with the node)' },
          { value: 'rook-ceph', name: 'rook-ceph: Ceph on a spare disk of every worker (replicated; the disk is erased)' },
          { value: 'none', name: 'none: no default StorageClass' },
        ],
        default: 'local-path',
      });
      if (choice === 'rook-ceph' && !hasValue(this.doc, 'storage.rookCeph.device')) {
        try {
          const device = await this.input({
            message: 'Disk for Ceph on every worker (name under /dev, e.g. sdb; its contents are erased)',
            validate: (value) => validators.blockDevice(value),
          });
          setPath(this.doc, 'storage.rookCeph.device', device.trim().replace(/^\/dev\//, ''));
        } catch (error) {
          if (!(error instanceof BackRequested)) throw error;
          continue; // back from the disk: the class again
        }
      }
      setPath(this.doc, 'storage.defaultClass', choice);
      return;
    }
  }

  private async askMetallb(): Promise<void> {
    if (!this.isStatic || hasValue(this.doc, 'loadBalancer')) return;
    const text = await this.input({
      message: "MetalLB addresses for LoadBalancer Services (ranges A-B or CIDRs on the hosts' network, comma-separated; empty: no MetalLB)",
      default: '',
      validate: (value) => {
        const addresses = splitList(value);
        if (addresses.length === 0) return true;
        const issue = metallbAddressIssues(addresses, {
          hosts: ((getPath(this.doc, 'provider.hosts') as RawDoc[] | undefined) ?? []).map((h) => ({ address: String(h.address), privateAddress: h.privateAddress as string | undefined })),
          virtualIp: getPath(this.doc, 'provider.virtualIp') as string | undefined,
          podCidr: (getPath(this.doc, 'network.podCidr') as string | undefined) ?? DEFAULT_NETWORK.podCidr,
          serviceCidr: (getPath(this.doc, 'network.serviceCidr') as string | undefined) ?? DEFAULT_NETWORK.serviceCidr,
        })[0];
        return issue ? `${String(issue.value)} ${issue.message}${issue.fix ? `: ${issue.fix}` : ''}` : true;
      },
    });
    const addresses = splitList(text);
    if (addresses.length > 0) setPath(this.doc, 'loadBalancer.metallb.addresses', addresses);
  }

  private async askCredentials(): Promise<void> {
    if (this.isStatic) return;
    const provider = this.provider as CloudProvider;
    const found = discoverCredentials(provider, this.ctx.env);
    if (this.options.askCredentials === false) {
      if (found.ok) this.result.credentialsSource = found.source;
      this.note(found.ok ? `Credentials: found in ${found.source}.` : 'Credentials: not needed for --dry-run.');
      return;
    }
    // A shared-file profile the SDK would pick only by default: let the person pick the profile.
    const profiles = provider === 'aws' && !this.ctx.env.AWS_PROFILE && (!found.ok || found.profile !== undefined) ? awsProfiles(this.ctx.env) : [];
    if (found.ok && profiles.length === 0) {
      this.result.credentialsSource = found.source;
      this.note(`Credentials: found in ${found.source}.`);
      return;
    }
    if (provider !== 'aws') this.note('Credentials: none found in the environment. They are used for this run only and never saved.');
    for (;;) {
      if (provider === 'aws') {
        const picked = await this.askAwsProfile(profiles);
        if (picked !== undefined) {
          this.result.credentials = { AWS_PROFILE: picked };
          this.result.credentialsSource = discoverCredentials('aws', { ...this.ctx.env, AWS_PROFILE: picked }).source;
          return;
        }
      }
      try {
        await this.askTypedCredentials(provider);
        this.result.credentialsSource = 'typed in the wizard (not saved)';
        return;
      } catch (error) {
        // Back from the first typed value: for AWS the profile-or-key choice again, else the step before.
        if (!(error instanceof BackRequested) || provider !== 'aws') throw error;
      }
    }
  }

  /** The profile to use (AWS_PROFILE), or undefined for an access key typed here. */
  private async askAwsProfile(profiles: AwsProfile[]): Promise<string | undefined> {
    const TYPED = '';
    const choices: Choice<string>[] = profiles.map((profile) => ({ value: profile.name, name: `Named profile ${profile.name} (AWS_PROFILE=${profile.name}, ${profile.file})` }));
    if (choices.length === 0) choices.push({ value: '-', name: 'Named profile (AWS_PROFILE)', disabled: 'none in ~/.aws/credentials or ~/.aws/config' });
    choices.push({ value: TYPED, name: 'Access key typed here (used for this run only, never saved)' });
    const picked = await this.select({ message: 'AWS credentials', flag: 'AWS_PROFILE or AWS_ACCESS_KEY_ID', choices, default: choices.find((c) => !c.disabled)!.value });
    return picked === TYPED ? undefined : picked;
  }

  /** The provider's variables that the environment lacks, one question each (secrets masked). */
  private async askTypedCredentials(provider: CloudProvider): Promise<void> {
    this.result.credentials = {};
    const questions = CREDENTIAL_QUESTIONS[provider].filter((question) => !this.ctx.env[question.env]);
    await this.run(
      questions.map((question) => async () => {
        const ask = question.secret ? this.password.bind(this) : this.input.bind(this);
        const value = await ask({
          message: question.message,
          flag: question.env,
          ...(question.secret ? {} : { default: question.default }),
          validate: (text: string) => (text.trim() === '' && !question.optional ? `${question.env} cannot be empty` : true),
        });
        if (value.trim() !== '') this.result.credentials[question.env] = value.trim();
      }),
      true,
    );
  }

  /** Each host's address and role; Esc steps back through the list, host by host. */
  private async askStaticHosts(): Promise<void> {
    if (!this.isStatic || hasValue(this.doc, 'provider.hosts')) return;
    // Back into the list from a later question: the hosts given stay, the last one is asked again.
    const hosts: RawDoc[] = this.hostsGiven.slice(0, -1);
    this.note(hosts.length === 0 ? 'Hosts: add each machine with its role (the first control plane runs kubeadm init).' : `Hosts: ${hosts.map((h) => h.address).join(', ')} kept; the last host again.`);
    let address: string | undefined;
    for (;;) {
      try {
        if (address === undefined) {
          address = (await this.input({
            message: `Host ${hosts.length + 1} address (IP or DNS name)`,
            flag: '--control-plane-host / --worker-host',
            validate: (value) => {
              const verdict = validators.hostAddress(value);
              if (verdict !== true) return verdict;
              return hosts.some((h) => h.address === value.trim()) ? `${value} is already in the list` : true;
            },
          })).trim();
        }
        const hasControlPlane = hosts.some((h) => h.role === 'control-plane');
        const role: string = await this.select({
          message: `Role of ${address}`,
          choices: [{ value: 'control-plane', name: 'control plane' }, { value: 'worker', name: 'worker' }],
          default: hasControlPlane ? 'worker' : 'control-plane',
        });
        hosts.push({ address, role });
        address = undefined;
        if (!hosts.some((h) => h.role === 'control-plane')) {
          this.note('A cluster needs at least one control-plane host; add one.');
          continue;
        }
        const more = await this.confirm({ message: 'Add another host?', default: false, fallback: false });
        if (!more) break;
      } catch (error) {
        if (!(error instanceof BackRequested)) throw error;
        // Back from a role: its address again. Back from an address or "another?": the last host again.
        if (address !== undefined) address = undefined;
        else if (hosts.length > 0) hosts.pop();
        else throw error;
      }
    }
    this.hostsGiven = hosts.map((host) => ({ ...host }));
    setPath(this.doc, 'provider.hosts', hosts);
  }

  private async askStaticEndpoint(): Promise<void> {
    if (!this.isStatic) return;
    const hosts = (getPath(this.doc, 'provider.hosts') as RawDoc[]) ?? [];
    const controlPlanes = hosts.filter((h) => h.role === 'control-plane').length;
    // Counts follow the host list for static clusters (validation takes them from it).
    setPath(this.doc, 'controlPlane.count', controlPlanes);
    setPath(this.doc, 'workers.count', hosts.length - controlPlanes);
    if (hasValue(this.doc, 'provider.apiEndpoint') || hasValue(this.doc, 'provider.virtualIp') || controlPlanes === 0) return;
    const endpoint = (await this.input({
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
    })).trim();
    if (endpoint) {
      setPath(this.doc, 'provider.apiEndpoint', endpoint);
      return;
    }
    if (controlPlanes < 2) return;
    // HA without a load balancer: keepalived needs a free address (the spec refuses HA without one).
    const vip = await this.input({
      message: `Virtual IP for the API (a free address on the hosts' network; haproxy serves it on :${STATIC_HA_PORT})`,
      flag: '--virtual-ip',
      validate: (value) => {
        const problem = ipv4Problem(value.trim());
        if (problem) return formatProblem(problem);
        return hosts.some((h) => (h.privateAddress ?? h.address) === value.trim()) ? `${value.trim()} is the address of a host; pick an address no machine uses` : true;
      },
    });
    setPath(this.doc, 'provider.virtualIp', vip.trim());
  }

  private async askKubernetesVersion(): Promise<void> {
    if (hasValue(this.doc, 'kubernetes.version')) return;
    for (;;) {
      const version = await this.select({ message: 'Kubernetes version', flag: '--kubernetes-version', choices: versionChoices(), default: DEFAULT_KUBERNETES_VERSION });
      try {
        setPath(this.doc, 'kubernetes.version', version !== OTHER ? version : await this.input({
          message: 'Kubernetes version (MAJOR.MINOR.PATCH)',
          flag: '--kubernetes-version',
          validate: validators.kubernetesVersion,
        }));
        return;
      } catch (error) {
        if (!(error instanceof BackRequested)) throw error; // back from the typed version: the list again
      }
    }
  }

  /**
   * Static hosts are the person's own: only a key they already authorised can log in, so the
   * choices are the ssh-agent and the keys in ~/.ssh; a generated key could never be authorised.
   * Cloud nodes get the key through Terraform, so a generated key works there and needs a .pub.
   * A chosen file is checked at once, with the rule the run uses (config/ssh-key-file.ts).
   */
  private async askSshKey(): Promise<void> {
    if (hasValue(this.doc, 'ssh.privateKey')) return;
    const home = this.ctx.env.HOME || homedir();
    const agent = Boolean(this.ctx.env.SSH_AUTH_SOCK);
    const choices: Choice<string>[] = [];
    if (this.isStatic && agent) choices.push({ value: AGENT, name: `The ssh-agent (SSH_AUTH_SOCK=${this.ctx.env.SSH_AUTH_SOCK})` });
    // Cloud nodes are given the public half, so only keys with a .pub beside them are offered there.
    const keys = findPrivateKeys(home).filter((key) => this.isStatic || existsSync(`${key}.pub`));
    for (const key of keys) choices.push({ value: key, name: `Use ${key}` });
    if (!this.isStatic) choices.push({ value: GENERATE, name: 'Generate a new key pair in the cluster folder (secrets/, 0600)' });
    choices.push({ value: OTHER, name: 'Another private key file…' });
    if (this.isStatic && !agent) this.note('SSH key: no ssh-agent (SSH_AUTH_SOCK is not set); choose a key the hosts already accept.');
    for (;;) {
      const picked = await this.select({ message: 'SSH key', flag: '--ssh-key', choices, default: choices[0]!.value });
      if (picked === AGENT || picked === GENERATE) return;
      let path = picked;
      if (picked === OTHER) {
        try {
          path = expandHome((await this.input({ message: 'Private key file', flag: '--ssh-key', validate: (value) => this.keyFileProblem(expandHome(value.trim(), home)) ?? true })).trim(), home);
        } catch (error) {
          if (!(error instanceof BackRequested)) throw error;
          continue; // back from the file name: the list again
        }
      }
      const problem = this.keyFileProblem(path);
      if (problem === undefined) {
        setPath(this.doc, 'ssh.privateKey', path);
        return;
      }
      this.note(problem);
    }
  }

  /** Why `path` cannot be this cluster's key; undefined when it can. */
  private keyFileProblem(path: string): string | undefined {
    if (path === '') return 'Enter the path of a private key file';
    const problem = sshKeyFileProblem(path);
    if (problem) return problem;
    // Cloud nodes are given the public half (workflows/run/ssh-key.ts reads KEY.pub).
    if (!this.isStatic && !existsSync(`${path}.pub`)) return `${path}.pub does not exist: create it with ssh-keygen -y -f ${path} > ${path}.pub`;
    return undefined;
  }
}

/** Where Velero's S3 keys will come from: found now, or the variables to set before the run. */
function veleroKeysNote(env: NodeJS.ProcessEnv): string {
  const found = readVeleroS3Credentials(env);
  if (found) return `Velero: S3 keys found in ${found.source}; they go only into the cluster (Secret velero/velero-s3).`;
  const [own] = VELERO_S3_VARIABLES;
  return `Velero: set ${own.accessKeyId} and ${own.secretAccessKey} before the run; they go only into the cluster (Secret velero/velero-s3).`;
}

const OTHER = 'other';
const GENERATE = 'generate';
const AGENT = 'agent';
/** config/field-checks.ts workerCountProblem allows 0..1000. */
const MAX_WORKERS = 1000;

/** The newest patch of each supported minor (kube/pins.ts), newest minor first. */
function versionChoices(): Choice<string>[] {
  const choices: Choice<string>[] = [...SUPPORTED_MINORS].reverse().map((minor) => {
    const value = KUBERNETES_PATCHES[minor];
    return { value, name: value === DEFAULT_KUBERNETES_VERSION ? `${value} (recommended)` : value };
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

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

function splitList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}
