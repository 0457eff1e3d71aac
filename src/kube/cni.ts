/**
 * CNI installation and upgrade. Versions come from kube/pins.ts. Every CNI's pool is the
 * cluster's podSubnet: Calico's Installation ipPools cidr, Flannel's net-conf Network, Cilium
 * through ipam.mode=kubernetes (it takes each node's podCIDR, which kube-controller-manager
 * carves out of podSubnet).
 *
 * What is installed is judged by the cluster, never by a file on a node (a reset node keeps its
 * files; a fresh cluster on it has no CNI): Calico's Installation reports the version its
 * operator runs (status.calicoVersion), Flannel's and Cilium's DaemonSets name theirs in the
 * image. A first install uses each project's install commands; an installed CNI is upgraded the
 * way its docs say:
 *  - Calico: `kubectl create` first (the CRDs are too large for client-side apply), upgrades with
 *    `kubectl apply --server-side --force-conflicts` (docs.tigera.io, "Upgrade Calico on
 *    Kubernetes", operator; the CRDs are v1_crd_projectcalico_org.yaml from 3.32 on);
 *  - Flannel: `kubectl apply` of our manifest (templates/cni/flannel.yaml);
 *  - Cilium: `cilium install`, then `cilium upgrade --version` (cilium-cli keeps the release's
 *    values: --reset-then-reuse-values is its default).
 *
 * Flannel: we ship our own manifest instead of the upstream URL plus an override, because
 * overriding the ConfigMap after applying upstream would first start flanneld with upstream's
 * 10.244.0.0/16, and a template makes the network explicit and reviewable.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec, Cni } from '../config/schema.js';
import { renderTemplate, templatePath } from '../tools/template.js';
import { KUBEADM_CONFIG_DIR } from './kubeadm-config.js';
import { ADMIN_KUBECONFIG, kubectl, type Argv } from './node-commands.js';
import { CALICO, CILIUM, FLANNEL } from './pins.js';

/** The versions this release installs (kube/pins.ts). */
export const CNI_VERSIONS = {
  calico: CALICO.version,
  flannel: FLANNEL.version,
  flannelCniPlugin: FLANNEL.cniPlugin,
  cilium: CILIUM.version,
  ciliumCli: CILIUM.cli,
} as const;

export const CALICO_MANIFESTS_URL = `https://raw.githubusercontent.com/projectcalico/calico/${CNI_VERSIONS.calico}/manifests`;

export interface CniFile {
  path: string;
  content: string;
  mode: number;
}

export interface CniCommand {
  description: string;
  argv: Argv;
  env?: Record<string, string>;
  /** A first install that an earlier attempt began: objects that exist already are fine, each one. */
  tolerateExisting?: boolean;
  timeoutMs: number;
}

export interface CniInstallPlan {
  cni: Cni;
  version: string;
  /** The pool the CNI will use; always equals spec.network.podCidr. */
  pool: string;
  /** Files to install (sudo, 0600) on the first control plane before the commands. */
  files: CniFile[];
  /** Scripts to run first (templates/scripts/<name>.sh with vars). */
  scripts: Array<{ name: string; vars: Record<string, string> }>;
  /** Asks the cluster what is installed: run it, then readInstalled() its stdout. */
  probe: Argv;
  /** Commands of a first install, on the first control plane, in order, with sudo. */
  install: CniCommand[];
  /** Commands that move an installed CNI to this version (or re-apply it). */
  upgrade: CniCommand[];
}

/** What the cluster runs: absent, or present at a version (undefined while the CNI has not said yet). */
export interface InstalledCni {
  present: boolean;
  version?: string;
}

const CNI_DIR = `${KUBEADM_CONFIG_DIR}/cni`;
const APPLY_TIMEOUT = 120_000;

function renderCni(file: string, values: Record<string, string>): string {
  return renderTemplate(readFileSync(templatePath('cni', file), 'utf8'), values, `cni/${file}`);
}

/** The wait after CRDs are applied (Calico's, and the cloud integration's). */
export const waitEstablished = (crd: string): CniCommand => ({
  description: `wait until the ${crd} CRD is Established`,
  argv: kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']),
  timeoutMs: 90_000,
});

export function cniInstallPlan(spec: ClusterSpec): CniInstallPlan {
  const cni = spec.kubernetes.cni;
  const pool = spec.network.podCidr;
  switch (cni) {
    case 'calico': {
      const installation = `${CNI_DIR}/calico-installation.yaml`;
      const crds = `${CALICO_MANIFESTS_URL}/v1_crd_projectcalico_org.yaml`;
      const operator = `${CALICO_MANIFESTS_URL}/tigera-operator.yaml`;
      const serverSide = (file: string) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
      return {
        cni,
        version: CNI_VERSIONS.calico,
        pool,
        files: [{ path: installation, content: renderCni('calico-installation.yaml', { podCidr: pool }), mode: 0o600 }],
        scripts: [],
        probe: kubectl(['get', 'installations.operator.tigera.io', 'default', '-o', 'json', '--ignore-not-found']),
        install: [
          { description: 'Calico CRDs', argv: kubectl(['create', '-f', crds]), tolerateExisting: true, timeoutMs: APPLY_TIMEOUT },
          { description: 'Tigera operator', argv: kubectl(['create', '-f', operator]), tolerateExisting: true, timeoutMs: APPLY_TIMEOUT },
          waitEstablished('installations.operator.tigera.io'),
          { description: 'Calico installation (pool = podSubnet)', argv: kubectl(['create', '-f', installation]), tolerateExisting: true, timeoutMs: APPLY_TIMEOUT },
        ],
        upgrade: [
          { description: `Calico CRDs ${CNI_VERSIONS.calico} (server-side apply)`, argv: serverSide(crds), timeoutMs: APPLY_TIMEOUT },
          { description: `Tigera operator for Calico ${CNI_VERSIONS.calico} (server-side apply)`, argv: serverSide(operator), timeoutMs: APPLY_TIMEOUT },
          waitEstablished('installations.operator.tigera.io'),
          { description: 'Calico installation (pool = podSubnet)', argv: serverSide(installation), timeoutMs: APPLY_TIMEOUT },
        ],
      };
    }
    case 'flannel': {
      const manifest = `${CNI_DIR}/flannel.yaml`;
      const apply: CniCommand = { description: 'Flannel (Network = podSubnet)', argv: kubectl(['apply', '-f', manifest]), timeoutMs: APPLY_TIMEOUT };
      return {
        cni,
        version: CNI_VERSIONS.flannel,
        pool,
        files: [
          {
            path: manifest,
            content: renderCni('flannel.yaml', { podCidr: pool, flannelVersion: CNI_VERSIONS.flannel, cniPluginVersion: CNI_VERSIONS.flannelCniPlugin }),
            mode: 0o600,
          },
        ],
        scripts: [],
        probe: kubectl(['-n', 'kube-flannel', 'get', 'daemonset', 'kube-flannel-ds', '-o', 'json', '--ignore-not-found']),
        install: [apply],
        upgrade: [apply],
      };
    }
    case 'cilium': {
      const env = { KUBECONFIG: ADMIN_KUBECONFIG };
      return {
        cni,
        version: CNI_VERSIONS.cilium,
        pool,
        files: [],
        scripts: [{ name: 'install-cilium-cli', vars: { ciliumCliVersion: CNI_VERSIONS.ciliumCli } }],
        probe: kubectl(['-n', 'kube-system', 'get', 'daemonset', 'cilium', '-o', 'json', '--ignore-not-found']),
        install: [
          {
            description: 'Cilium (ipam.mode=kubernetes: node podCIDRs from podSubnet)',
            argv: ['cilium', 'install', '--version', CNI_VERSIONS.cilium, '--set', 'ipam.mode=kubernetes'],
            env,
            timeoutMs: 600_000,
          },
        ],
        upgrade: [
          // The release keeps its values (ipam.mode=kubernetes); --version is explicit because the
          // CLI's own default chart may be older than what runs.
          { description: `cilium upgrade --version ${CNI_VERSIONS.cilium}`, argv: ['cilium', 'upgrade', '--version', CNI_VERSIONS.cilium], env, timeoutMs: 600_000 },
        ],
      };
    }
  }
}

/** Reads the probe's output: the object the CNI installs, and the version it reports. */
export function readInstalled(cni: Cni, probeOutput: string): InstalledCni {
  const text = probeOutput.trim();
  if (text === '') return { present: false };
  let object: { kind?: string; items?: unknown[]; status?: { calicoVersion?: string }; spec?: { template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } } } };
  try {
    object = JSON.parse(text);
  } catch {
    throw new ExternalToolError('UnexpectedKubectlOutput', `kubectl printed something that is not the ${cni} object as JSON`, { details: text.split('\n').slice(0, 10) });
  }
  if (object.kind === 'List' && (object.items ?? []).length === 0) return { present: false };
  if (cni === 'calico') return { present: true, version: object.status?.calicoVersion || undefined };
  const containers = object.spec?.template?.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === (cni === 'flannel' ? 'kube-flannel' : 'cilium-agent')) ?? containers[0])?.image ?? '';
  const tag = /:v?(\d+\.\d+\.\d+)(?:@sha256:[0-9a-f]+)?$/.exec(image)?.[1];
  if (!tag) return { present: true };
  return { present: true, version: cni === 'cilium' ? tag : `v${tag}` };
}

/**
 * A first install's `kubectl create` that an earlier attempt already began: fine when every
 * error line is an AlreadyExists of one object (kubectl prints one per object it did not create),
 * never when any other error is among them.
 */
export function onlyAlreadyExists(stderr: string): boolean {
  const errors = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Warning:'));
  return errors.length > 0 && errors.every((line) => /^Error from server \(AlreadyExists\): /.test(line));
}

/** `cilium install` over an existing release (Helm v3: "re-use", Helm v4: "reuse"). */
export function isExistingReleaseError(output: string): boolean {
  return /cannot re-?use a name that is still in use/.test(output);
}

/**
 * The pod pool a manifest configures: Calico Installation ipPools cidr(s) or Flannel's
 * net-conf Network. Throws when the manifest configures none.
 */
export function cniPoolOf(manifest: string): string[] {
  const pools: string[] = [];
  for (const document of parseAllDocuments(manifest)) {
    const doc = document.toJS() as Record<string, any> | null;
    if (!doc) continue;
    if (doc.kind === 'Installation' && String(doc.apiVersion).startsWith('operator.tigera.io/')) {
      for (const pool of doc.spec?.calicoNetwork?.ipPools ?? []) pools.push(String(pool.cidr));
    }
    if (doc.kind === 'ConfigMap' && doc.metadata?.name === 'kube-flannel-cfg' && doc.data?.['net-conf.json']) {
      pools.push(String(JSON.parse(doc.data['net-conf.json']).Network));
    }
  }
  if (pools.length === 0) throw new ExternalToolError('NoCniPool', 'The manifest configures no Calico ipPool and no Flannel Network.');
  return pools;
}

/** The pool a plan will give pods, read back from what it would send (files and commands). */
export function planPool(plan: CniInstallPlan, podSubnet: string): string[] {
  if (plan.cni === 'cilium') {
    const args = plan.install.flatMap((command) => command.argv);
    const sets = args.filter((_, i) => args[i - 1] === '--set');
    if (sets.includes('ipam.mode=kubernetes')) return [podSubnet];
    const list = sets.find((s) => s.startsWith('ipam.operator.clusterPoolIPv4PodCIDRList='));
    // Cilium's own default cluster pool is 10.0.0.0/8, independent of kubeadm.
    return [list ? list.split('=')[1]!.replace(/[{}]/g, '') : '10.0.0.0/8'];
  }
  return plan.files.flatMap((file) => cniPoolOf(file.content));
}
