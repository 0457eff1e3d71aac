/**
 * CNI installation. Versions are pinned here and only here. Every CNI's pool is the cluster's
 * podSubnet: Calico's Installation ipPools cidr, Flannel's net-conf Network, Cilium through
 * ipam.mode=kubernetes (it takes each node's podCIDR, which kube-controller-manager carves out of
 * podSubnet).
 *
 * Flannel: we ship our own manifest (templates/cni/flannel.yaml) instead of the upstream URL plus
 * an override, because overriding the ConfigMap after applying upstream would first start flanneld
 * with upstream's 10.244.0.0/16, and a template makes the network explicit and reviewable.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec, Cni } from '../spec/schema.js';
import { renderTemplate, templatePath } from '../tools/template.js';
import { KUBEADM_CONFIG_DIR } from './kubeadm-config.js';
import { ADMIN_KUBECONFIG, createManifest, applyManifest, type Argv } from './node-commands.js';

export const CNI_VERSIONS = {
  calico: 'v3.31.3',
  flannel: 'v0.28.7',
  /** Image of the flannel CNI binary installer that flannel release uses. */
  flannelCniPlugin: 'v1.8.0-flannel1',
  cilium: '1.19.1',
  ciliumCli: 'v0.19.0',
} as const;

export const CALICO_MANIFESTS_URL = `https://raw.githubusercontent.com/projectcalico/calico/${CNI_VERSIONS.calico}/manifests`;

/** Written on the first control plane after a successful install; the "already done?" check. */
export const CNI_MARKER_PATH = '/etc/k8s-bootstrap/cni';

export interface CniFile {
  path: string;
  content: string;
  mode: number;
}

export interface CniCommand {
  description: string;
  argv: Argv;
  env?: Record<string, string>;
  /** `kubectl create` of something that exists already is fine on a re-run. */
  okIfAlreadyExists?: boolean;
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
  /** Commands to run on the first control plane, in order, with sudo. */
  commands: CniCommand[];
  /** installFile this last (0644): content identifies what was installed. */
  marker: CniFile;
}

const CNI_DIR = `${KUBEADM_CONFIG_DIR}/cni`;

function renderCni(file: string, values: Record<string, string>): string {
  return renderTemplate(readFileSync(templatePath('cni', file), 'utf8'), values, `cni/${file}`);
}

export function cniInstallPlan(spec: ClusterSpec): CniInstallPlan {
  const cni = spec.kubernetes.cni;
  const pool = spec.network.podCidr;
  const marker = (version: string): CniFile => ({ path: CNI_MARKER_PATH, content: `cni=${cni} version=${version} pool=${pool}\n`, mode: 0o644 });
  switch (cni) {
    case 'calico': {
      const installation = `${CNI_DIR}/calico-installation.yaml`;
      return {
        cni,
        version: CNI_VERSIONS.calico,
        pool,
        files: [{ path: installation, content: renderCni('calico-installation.yaml', { podCidr: pool }), mode: 0o600 }],
        scripts: [],
        // `create`, not `apply`: the CRDs are too large for client-side apply's annotation.
        commands: [
          { description: 'Calico CRDs', argv: createManifest(`${CALICO_MANIFESTS_URL}/operator-crds.yaml`), okIfAlreadyExists: true, timeoutMs: 120_000 },
          { description: 'Tigera operator', argv: createManifest(`${CALICO_MANIFESTS_URL}/tigera-operator.yaml`), okIfAlreadyExists: true, timeoutMs: 120_000 },
          { description: 'Calico installation (pool = podSubnet)', argv: createManifest(installation), okIfAlreadyExists: true, timeoutMs: 120_000 },
        ],
        marker: marker(CNI_VERSIONS.calico),
      };
    }
    case 'flannel': {
      const manifest = `${CNI_DIR}/flannel.yaml`;
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
        commands: [{ description: 'Flannel (Network = podSubnet)', argv: applyManifest(manifest), timeoutMs: 120_000 }],
        marker: marker(CNI_VERSIONS.flannel),
      };
    }
    case 'cilium':
      return {
        cni,
        version: CNI_VERSIONS.cilium,
        pool,
        files: [],
        scripts: [{ name: 'install-cilium-cli', vars: { ciliumCliVersion: CNI_VERSIONS.ciliumCli } }],
        commands: [
          {
            description: 'Cilium (ipam.mode=kubernetes: node podCIDRs from podSubnet)',
            argv: ['cilium', 'install', '--version', CNI_VERSIONS.cilium, '--set', 'ipam.mode=kubernetes'],
            env: { KUBECONFIG: ADMIN_KUBECONFIG },
            timeoutMs: 600_000,
          },
        ],
        marker: marker(CNI_VERSIONS.cilium),
      };
  }
}

/** `kubectl create` reports existing objects like this; on a re-run that is success. */
export function isAlreadyExistsOutput(stderr: string): boolean {
  return /AlreadyExists|already exists/.test(stderr);
}

/** Parses a marker written by a previous install; undefined when absent or unreadable. */
export function parseCniMarker(text: string): { cni: string; version: string; pool: string } | undefined {
  const fields = Object.fromEntries(text.trim().split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]));
  return fields.cni && fields.version && fields.pool ? { cni: fields.cni, version: fields.version, pool: fields.pool } : undefined;
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
    const args = plan.commands.flatMap((command) => command.argv);
    const sets = args.filter((_, i) => args[i - 1] === '--set');
    if (sets.includes('ipam.mode=kubernetes')) return [podSubnet];
    const list = sets.find((s) => s.startsWith('ipam.operator.clusterPoolIPv4PodCIDRList='));
    // Cilium's own default cluster pool is 10.0.0.0/8, independent of kubeadm.
    return [list ? list.split('=')[1]!.replace(/[{}]/g, '') : '10.0.0.0/8'];
  }
  return plan.files.flatMap((file) => cniPoolOf(file.content));
}
