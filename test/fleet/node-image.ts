/**
 * What a fleet node holds before the installer arrives, like a stock cloud image of its
 * distribution: /etc/os-release, the base packages, and optionally software that is already
 * there (Docker CE from Docker's repository, set up the way Docker's older install docs did).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distroOf, dockerRepoPackages, dockerRepoUrl, type Distro } from './standins/lib/distros.mjs';
import { DOCKER_STOCK_CONFIG } from './standins/lib/containerd.mjs';
import { addonImagesOf } from './standins/lib/kubeadm-images.mjs';
import type { FleetNodeSpec } from './fleet-types.js';

const CANNED = fileURLToPath(new URL('./canned', import.meta.url));

export interface NodeImage {
  distro: Distro;
  /** Files by their path on the node. */
  files: Record<string, string>;
  /** The initial node-state.json. */
  state: Record<string, unknown>;
}

function osRelease(distro: Distro): string {
  const name = distro.id === 'ubuntu' ? 'Ubuntu' : 'Debian GNU/Linux';
  return [
    `PRETTY_NAME="${distro.pretty}"`,
    `NAME="${name}"`,
    `VERSION_ID="${distro.versionId}"`,
    `VERSION_CODENAME=${distro.codename}`,
    `ID=${distro.id}`,
    ...(distro.id === 'ubuntu' ? ['ID_LIKE=debian', `UBUNTU_CODENAME=${distro.codename}`] : []),
    '',
  ].join('\n');
}

export function nodeImage(spec: FleetNodeSpec, releaseKey: string): NodeImage {
  const distro = distroOf(spec.distro);
  const installed: Record<string, string> = { 'ca-certificates': '20230311', curl: '7.88.1-10+deb12u12', gpg: '2.2.40-1.1' };
  const services: Record<string, { enabled: boolean; running: boolean }> = {};
  const files: Record<string, string> = { '/etc/os-release': osRelease(distro) };
  const docker = dockerRepoPackages(distro);
  for (const pkg of spec.preinstalled ?? []) {
    const version = distro.packages[pkg] ?? docker[pkg]?.at(-1);
    if (!version) throw new Error(`fleet: ${distro.name} has no package ${pkg} to preinstall`);
    installed[pkg] = version;
  }
  if (installed['docker-ce']) {
    installed['containerd.io'] ??= docker['containerd.io']!.at(-1)!;
    installed['docker-ce-cli'] ??= docker['docker-ce-cli']!.at(-1)!;
    // Docker's older install docs: a one-line docker.list and the armored key as docker.asc.
    files['/etc/apt/sources.list.d/docker.list'] = `deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] ${dockerRepoUrl(distro)} ${distro.codename} stable\n`;
    files['/etc/apt/keyrings/docker.asc'] = releaseKey;
    services.docker = { enabled: true, running: true };
  }
  if (installed['docker.io']) {
    installed.containerd ??= distro.packages.containerd!;
    services.docker = { enabled: true, running: true };
  }
  if (installed['containerd.io']) files['/etc/containerd/config.toml'] = DOCKER_STOCK_CONFIG;
  else if (installed.containerd && distro.containerdConfig) files['/etc/containerd/config.toml'] = distro.containerdConfig;
  const held: string[] = [];
  const extra: Record<string, unknown> = {};
  if (spec.image) Object.assign(extra, preparedImage(spec.image.kubernetes, distro, installed, services, files, held));
  if (installed['containerd.io'] || installed.containerd) services.containerd = { enabled: true, running: true };
  return {
    distro,
    files,
    state: {
      distro: { name: distro.name, id: distro.id, codename: distro.codename, pretty: distro.pretty },
      packages: { installed, held },
      services,
      ...extra,
    },
  };
}

/** What templates/scripts/prepare-node.sh leaves on a node (containerd from the archive's 2.x). */
function preparedImage(version: string, distro: Distro, installed: Record<string, string>, services: Record<string, { enabled: boolean; running: boolean }>, files: Record<string, string>, held: string[]) {
  const minor = version.split('.').slice(0, 2).join('.');
  const containerd = distro.packages.containerd!;
  if (!/^2\.2\./.test(containerd)) throw new Error(`fleet: a prepared image needs a distribution whose archive has containerd 2.2 (${distro.name} has ${containerd})`);
  Object.assign(installed, { containerd, runc: distro.packages.runc!, kubelet: `${version}-1.1`, kubeadm: `${version}-1.1`, kubectl: `${version}-1.1`, 'cri-tools': `${minor}.0-1.1`, 'kubernetes-cni': '1.7.1-1.1' });
  held.push('kubelet', 'kubeadm', 'kubectl');
  services.kubelet = { enabled: true, running: true };
  files['/etc/apt/sources.list.d/kubernetes.list'] = `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /\n`;
  // The fleet gpg's dearmored form of the canned key (what `gpg --dearmor` wrote at image build).
  files['/etc/apt/keyrings/kubernetes-apt-keyring.gpg'] = 'K8SB-FLEET-KEY prepared-image\n';
  files['/etc/modules-load.d/k8s.conf'] = 'overlay\nbr_netfilter\n';
  files['/etc/sysctl.d/k8s.conf'] = 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n';
  // What the script writes for containerd 2.2 (fleet-realism.test.ts proves a run on the image changes nothing).
  const pause = addonImagesOf(Number(minor.split('.')[1])).pause;
  files['/etc/containerd/config.toml'] = readFileSync(join(CANNED, 'prepared-containerd-2.2-config.toml'), 'utf8').replace('@PAUSE@', pause);
  files['/etc/k8s-bootstrap/prepared'] = `version=${version} runtime=containerd\n`;
  return {
    apt: { lists: { kubernetes: minor, crio: null, docker: false }, updatedAt: new Date().toISOString() },
    modules: ['overlay', 'br_netfilter'],
    sysctl: { 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' },
    swapOff: true,
    kubelet: { runningVersion: `${version}-1.1`, startedAt: new Date().toISOString() },
  };
}
