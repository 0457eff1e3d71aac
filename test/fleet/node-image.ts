/**
 * What a fleet node holds before the installer arrives, like a stock cloud image of its
 * distribution: /etc/os-release, the base packages, and optionally software that is already
 * there (Docker CE from Docker's repository, set up the way Docker's older install docs did).
 */
import { distroOf, dockerRepoPackages, dockerRepoUrl, type Distro } from './standins/lib/distros.mjs';
import { DOCKER_STOCK_CONFIG } from './standins/lib/containerd.mjs';
import type { FleetNodeSpec } from './fleet-types.js';

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
  if (installed['containerd.io'] || installed.containerd) services.containerd = { enabled: true, running: true };
  return {
    distro,
    files,
    state: {
      distro: { name: distro.name, id: distro.id, codename: distro.codename, pretty: distro.pretty },
      packages: { installed, held: [] },
      services,
    },
  };
}
