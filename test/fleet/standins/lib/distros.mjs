// What a stock cloud image of each supported distribution offers an installer: /etc/os-release,
// the containerd its archive carries (and the config.toml that package ships), the Docker
// repository's packages for its codename, and the relations between them that make apt remove
// things (containerd.io Conflicts/Replaces containerd and runc; docker-ce Depends on
// containerd.io; docker.io Depends on the distribution's containerd).
// Versions: Debian from `apt-cache show` on bookworm/trixie; Ubuntu 22.04 as the Ubuntu fleet of
// the issue measured it (containerd 1.7 in the archive), 24.04 as the kube-reality review found
// noble-updates (containerd 2.2.1); Docker's containerd.io versions follow its
// `X.Y.Z-N~<distro>.<version>~<codename>` pattern.

export const DISTROS = {
  'ubuntu-22.04': {
    id: 'ubuntu', versionId: '22.04', codename: 'jammy', pretty: 'Ubuntu 22.04.5 LTS',
    archive: 'http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 Packages',
    packages: { containerd: '1.7.28-0ubuntu1~22.04.1', runc: '1.3.3-0ubuntu1~22.04.1', 'docker.io': '28.2.2-0ubuntu1~22.04.1', haproxy: '2.4.24-0ubuntu0.22.04.2', keepalived: '1:2.2.4-0.2build1' },
  },
  'ubuntu-24.04': {
    id: 'ubuntu', versionId: '24.04', codename: 'noble', pretty: 'Ubuntu 24.04.3 LTS',
    archive: 'http://archive.ubuntu.com/ubuntu noble-updates/main amd64 Packages',
    packages: { containerd: '2.2.1-0ubuntu1~24.04.3', runc: '1.3.3-0ubuntu1~24.04.3', 'docker.io': '28.2.2-0ubuntu1~24.04.1', haproxy: '2.8.16-0ubuntu0.24.04.1', keepalived: '1:2.2.8-1build2' },
  },
  'debian-12': {
    id: 'debian', versionId: '12', codename: 'bookworm', pretty: 'Debian GNU/Linux 12 (bookworm)',
    archive: 'http://deb.debian.org/debian bookworm/main amd64 Packages',
    packages: { containerd: '1.6.20~ds1-1+deb12u3', runc: '1.1.5+ds1-1+deb12u1', 'docker.io': '20.10.24+dfsg1-1+deb12u1+b6', haproxy: '2.6.12-1+deb12u2', keepalived: '1:2.2.7-1+b2' },
    // Debian's package ships this config.toml (debian/config.toml): the CNI plugins in /usr/lib/cni.
    containerdConfig: 'version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "/usr/lib/cni"\n      conf_dir = "/etc/cni/net.d"\n  [plugins."io.containerd.internal.v1.opt"]\n    path = "/var/lib/containerd/opt"\n',
  },
  'debian-13': {
    id: 'debian', versionId: '13', codename: 'trixie', pretty: 'Debian GNU/Linux 13 (trixie)',
    archive: 'http://deb.debian.org/debian trixie/main amd64 Packages',
    packages: { containerd: '1.7.24~ds1-6+deb13u1', runc: '1.1.15+ds1-2+b4', 'docker.io': '26.1.5+dfsg1-9+deb13u1+b1', haproxy: '3.0.11-1', keepalived: '1:2.3.3-1' },
    containerdConfig: 'version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "/usr/lib/cni"\n      conf_dir = "/etc/cni/net.d"\n  [plugins."io.containerd.internal.v1.opt"]\n    path = "/var/lib/containerd/opt"\n',
  },
};

export const DEFAULT_DISTRO = 'ubuntu-24.04';

export function distroOf(name) {
  const distro = DISTROS[name ?? DEFAULT_DISTRO];
  if (!distro) throw new Error(`fleet: unknown distro ${name}; known: ${Object.keys(DISTROS).join(', ')}`);
  return { name: name ?? DEFAULT_DISTRO, ...distro };
}

/** Docker's repository for a distribution (download.docker.com/linux/<id> <codename> stable). */
export function dockerRepoPackages(distro) {
  const suffix = `~${distro.id}.${distro.versionId}~${distro.codename}`;
  return {
    'containerd.io': [`1.7.28-1${suffix}`, `2.2.1-1${suffix}`],
    'docker-ce': [`5:28.5.2-1${suffix}`],
    'docker-ce-cli': [`5:28.5.2-1${suffix}`],
  };
}

export const dockerRepoUrl = (distro) => `https://download.docker.com/linux/${distro.id}`;

/**
 * Package relations apt acts on. A versioned dependency (docker.io on "containerd (>= 1.4~)") is
 * not satisfied by containerd.io's unversioned "Provides: containerd".
 */
export const RELATIONS = {
  'containerd.io': { conflicts: ['containerd', 'runc'], provides: ['containerd', 'runc'] },
  containerd: { depends: ['runc'] },
  'docker-ce': { depends: ['containerd.io', 'docker-ce-cli'], conflicts: ['docker.io'] },
  'docker.io': { depends: ['containerd', 'runc'], versionedDepends: ['containerd'], conflicts: ['docker-ce', 'docker-ce-cli'] },
  'cri-o': {},
  // pkgs.k8s.io's kubeadm (kubernetes/release packages: Depends kubelet, kubectl, kubernetes-cni, cri-tools).
  kubeadm: { depends: ['cri-tools', 'kubernetes-cni'] },
};
