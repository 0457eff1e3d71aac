/**
 * Node-side commands of an upgrade that node-commands.ts does not have: the package steps of the
 * official kubeadm upgrade procedure (unhold, install a pinned version, hold), the kubelet restart,
 * and parsers for what `kubeadm upgrade plan`, `apt-cache madison` and `/readyz?verbose` print.
 * Argv arrays, run with `sudo -n` and quoted by the SSH layer.
 */
import type { Argv } from './node-commands.js';
import { assertVersion } from './validate-remote.js';

export type KubePackage = 'kubeadm' | 'kubelet' | 'kubectl';

/** The script that points apt at another minor (templates/scripts/switch-k8s-repo.sh). */
export const SWITCH_REPO_SCRIPT = 'switch-k8s-repo';

const plain = (version: string) => assertVersion(version).replace(/^v/, '');

/**
 * apt-get waits for the dpkg lock unattended-upgrades holds after boot (apt >= 2.0; without it
 * apt-get fails at once with "Could not get lock /var/lib/dpkg/lock-frontend").
 */
export const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];

export const aptMarkUnhold = (packages: KubePackage[]): Argv => ['apt-mark', 'unhold', ...packages];
export const aptMarkHold = (packages: KubePackage[]): Argv => ['apt-mark', 'hold', ...packages];

/**
 * `apt-get install -y --allow-change-held-packages pkg='1.Y.Z-*'…`. The packages are unheld first,
 * as the docs do; the flag covers a run stopped between unhold and install on another path.
 */
export function aptInstallPinned(packages: KubePackage[], version: string): Argv {
  const pin = `${plain(version)}-*`;
  return ['apt-get', ...APT_LOCK_WAIT, 'install', '-y', '--allow-change-held-packages', ...packages.map((pkg) => `${pkg}=${pin}`)];
}

/** CRI-O follows the Kubernetes minor; installing it again picks the newest of the switched repo. */
export const aptInstallCrio = (): Argv => ['apt-get', ...APT_LOCK_WAIT, 'install', '-y', 'cri-o'];

export const systemctlDaemonReload = (): Argv => ['systemctl', 'daemon-reload'];
export const systemctlRestart = (unit: 'kubelet' | 'crio'): Argv => ['systemctl', 'restart', unit];
export const aptCacheMadison = (pkg: KubePackage = 'kubeadm'): Argv => ['apt-cache', 'madison', pkg];

/** apt never prompts and never opens a dialog over SSH. */
export const APT_ENV: Record<string, string> = { DEBIAN_FRONTEND: 'noninteractive' };

/**
 * "[upgrade/versions] Cluster version: v1.36.2" from `kubeadm upgrade plan` → "1.36.2".
 * Sample (kubeadm 1.3x):
 *   [upgrade/versions] Cluster version: v1.36.2
 *   [upgrade/versions] kubeadm version: v1.37.1
 */
export function parseClusterVersion(planOutput: string): string | undefined {
  const match = /Cluster version:\s*v?(\d+\.\d+\.\d+)/.exec(planOutput);
  return match?.[1];
}

/**
 * Upstream versions `apt-cache madison kubeadm` offers, newest first. Sample line:
 *    kubeadm | 1.37.1-1.1 | https://pkgs.k8s.io/core:/stable:/v1.37/deb  Packages
 */
export function parseMadison(output: string): string[] {
  const versions = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /^\s*\S+\s*\|\s*(\d+\.\d+\.\d+)-\S*\s*\|/.exec(line);
    if (match) versions.add(match[1]!);
  }
  return [...versions].sort((a, b) => compareDotted(b, a));
}

/** `kubectl get --raw /readyz?verbose`: "[+]etcd ok" means etcd answers the API server. */
export function etcdIsHealthy(readyzOutput: string): boolean {
  const lines = readyzOutput.split('\n').map((line) => line.trim());
  return lines.includes('[+]etcd ok') && !lines.some((line) => line.startsWith('[-]etcd'));
}

function compareDotted(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (left[i] !== right[i]) return (left[i] ?? 0) - (right[i] ?? 0);
  return 0;
}
