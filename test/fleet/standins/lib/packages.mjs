// The package universe of a fleet node: base distro packages plus whatever the configured
// pkgs.k8s.io / CRI-O repositories offer after the last `apt-get update`.
import { fleetConfig } from './context.mjs';

export const K8S_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];

const BASE_PACKAGES = {
  containerd: '2.1.4-1',
  'containerd.io': '2.1.4-1',
  haproxy: '2.6.12-1+deb12u2',
  keepalived: '1:2.2.7-1+b2',
  'apt-transport-https': '2.6.1',
  'ca-certificates': '20230311',
  curl: '7.88.1-10+deb12u12',
  gpg: '2.2.40-1.1',
  gnupg: '2.2.40-1.1',
  socat: '1.7.4.4-2',
  conntrack: '1:1.4.7-1+b2',
  ebtables: '2.0.11-5',
  ethtool: '1:6.1-1',
  ipvsadm: '1:1.31-1+b1',
  jq: '1.6-2.1',
  'software-properties-common': '0.99.30-4.1',
};

export const k8sRepoUrl = (minor) => `https://pkgs.k8s.io/core:/stable:/v${minor}/deb`;
export const crioRepoUrl = (minor) => `https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v${minor}/deb`;

/** Every version apt can see for a package, newest first: [{version, origin}]. */
export function availableVersions(pkg, lists) {
  const catalogue = fleetConfig().catalogue ?? {};
  const out = [];
  if (BASE_PACKAGES[pkg]) out.push({ version: BASE_PACKAGES[pkg], origin: 'http://deb.debian.org/debian bookworm/main amd64' });
  const k8s = lists.kubernetes;
  if (k8s && catalogue[k8s]) {
    const origin = `${k8sRepoUrl(k8s)}  Packages`;
    if (pkg === 'kubelet' || pkg === 'kubeadm' || pkg === 'kubectl') {
      for (const patch of catalogue[k8s]) out.push({ version: `${patch}-1.1`, origin });
    }
    if (pkg === 'cri-tools') out.push({ version: `${k8s}.0-1.1`, origin });
    if (pkg === 'kubernetes-cni') out.push({ version: '1.7.1-1.1', origin });
  }
  if (lists.crio && pkg === 'cri-o') {
    for (const patch of [0, 1]) out.push({ version: `${lists.crio}.${patch}-1.1`, origin: `${crioRepoUrl(lists.crio)}  Packages` });
  }
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

export function knownPackage(pkg, lists) {
  return availableVersions(pkg, lists).length > 0;
}

/** Debian-ish version order, good enough for "1.36.10-1.1" > "1.36.9-1.1" and epochs. */
export function compareVersions(a, b) {
  const parts = (value) => {
    const [epoch, rest] = value.includes(':') ? value.split(/:(.*)/) : ['0', value];
    return [Number(epoch), ...rest.split(/[^0-9]+/).filter(Boolean).map(Number)];
  };
  const left = parts(a);
  const right = parts(b);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const diff = (left[index] ?? -1) - (right[index] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** apt's version pins: exact "1.36.2-1.1", glob "1.36.2-*" or "1.36.*". */
export function matchesPin(version, pin) {
  const regex = new RegExp(`^${pin.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(version);
}

/** Services a package brings, and whether its postinst starts them. */
export const PACKAGE_SERVICES = {
  kubelet: { service: 'kubelet', enable: true, start: true },
  containerd: { service: 'containerd', enable: true, start: true },
  'containerd.io': { service: 'containerd', enable: true, start: true },
  'cri-o': { service: 'crio', enable: false, start: false },
  haproxy: { service: 'haproxy', enable: true, start: true },
  keepalived: { service: 'keepalived', enable: true, start: false },
};

export function serviceInstalled(service, installed) {
  return Object.entries(PACKAGE_SERVICES).some(([pkg, info]) => info.service === service && installed[pkg]);
}
