// The package universe of a fleet node: its distribution's archive, plus whatever the configured
// pkgs.k8s.io / CRI-O / Docker repositories offer after the last `apt-get update`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fleetConfig, nodeState } from './context.mjs';
import { distroOf, dockerRepoPackages, dockerRepoUrl } from './distros.mjs';

export const K8S_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];

/** Packages every supported release's archive has, at the versions of Debian 12 (close enough for the tools that only install them). */
const COMMON_PACKAGES = {
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

export function nodeDistro(state = nodeState()) {
  return distroOf(state.distro?.name);
}

/** Every version apt can see for a package, newest first: [{version, origin}]. */
export function availableVersions(pkg, lists, state = nodeState()) {
  const catalogue = fleetConfig().catalogue ?? {};
  const distro = nodeDistro(state);
  const out = [];
  const archive = distro.packages[pkg] ?? COMMON_PACKAGES[pkg];
  if (archive) out.push({ version: archive, origin: distro.archive });
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
  if (lists.docker) {
    for (const version of dockerRepoPackages(distro)[pkg] ?? []) out.push({ version, origin: `${dockerRepoUrl(distro)} ${distro.codename}/stable amd64 Packages` });
  }
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

export function knownPackage(pkg, lists, state) {
  return availableVersions(pkg, lists, state).length > 0;
}

/** Debian-ish version order, good enough for "1.36.10-1.1" > "1.36.9-1.1", epochs and "~". */
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
  'docker-ce': { service: 'docker', enable: true, start: true },
  'docker.io': { service: 'docker', enable: true, start: true },
};

export function serviceInstalled(service, installed) {
  return Object.entries(PACKAGE_SERVICES).some(([pkg, info]) => info.service === service && installed[pkg]);
}

// ---------------------------------------------------------------- sources

const LISTS_DIR = '/etc/apt/sources.list.d';

/** One-line `deb [signed-by=…] URL SUITE COMPONENTS` entries and deb822 `.sources` stanzas. */
export function readSources() {
  const entries = [];
  if (!existsSync(LISTS_DIR)) return entries;
  for (const file of readdirSync(LISTS_DIR).sort()) {
    const path = `${LISTS_DIR}/${file}`;
    const text = readFileSync(path, 'utf8');
    if (file.endsWith('.list')) {
      for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line.startsWith('deb ')) continue;
        const signedBy = /signed-by=([^\s\]]+)/.exec(line)?.[1];
        const rest = line.replace(/^deb\s+(\[[^\]]*\]\s+)?/, '').split(/\s+/);
        entries.push({ file: path, url: rest[0] ?? '', suite: rest[1] ?? '', signedBy });
      }
    } else if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = Object.fromEntries(stanza.split('\n').map((line) => /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim())).filter(Boolean).map((m) => [m[1].toLowerCase(), m[2].trim()]));
        if (!fields.uris || fields.enabled === 'no') continue;
        for (const url of fields.uris.split(/\s+/)) for (const suite of (fields.suites ?? '').split(/\s+/)) entries.push({ file: path, url, suite, signedBy: fields['signed-by'] });
      }
    }
  }
  return entries.map((entry) => ({ ...entry, url: entry.url.replace(/\/$/, '') }));
}

/** apt reads every source before any command: two entries for one repository with different keys stop it. */
export function sourcesConflict(entries = readSources()) {
  const seen = new Map();
  for (const entry of entries) {
    const key = `${entry.url}/ ${entry.suite}`;
    const other = seen.get(key);
    if (other !== undefined && other !== (entry.signedBy ?? '')) {
      return `E: Conflicting values set for option Signed-By regarding source ${entry.url}/ ${entry.suite}: ${other} != ${entry.signedBy ?? ''}\nE: The list of sources could not be read.`;
    }
    seen.set(key, entry.signedBy ?? '');
  }
  return null;
}

/** A keyring apt accepts: a key dearmored by the fleet's gpg, or an armored key in a *.asc file. */
export function validKeyring(path) {
  if (!path || !existsSync(path)) return false;
  const text = readFileSync(path);
  if (text.includes('K8SB-FLEET-KEY')) return true;
  return path.endsWith('.asc') && text.toString('utf8').includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') && text.toString('utf8').includes('K8SBFLEET');
}

/** What a source is: { kind: kubernetes|crio|docker|other, minor? }. */
export function classifySource(entry, distro) {
  const k8s = /^https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v(\d+\.\d+)\/deb$/.exec(entry.url);
  if (k8s) return { kind: 'kubernetes', minor: k8s[1] };
  const crio = /^https:\/\/download\.opensuse\.org\/repositories\/isv:\/cri-o:\/stable:\/v(\d+\.\d+)\/deb$/.exec(entry.url);
  if (crio) return { kind: 'crio', minor: crio[1] };
  if (entry.url === dockerRepoUrl(distro)) return { kind: 'docker', suiteOk: entry.suite === distro.codename };
  return { kind: 'other' };
}
