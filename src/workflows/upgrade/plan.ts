/**
 * The version arithmetic of `upgrade`, free of I/O: which target, which hops, which worker
 * batches. Rules from docs/kubernetes-facts.md §2 (version skew policy, kubeadm upgrade procedure):
 * one minor at a time, control plane first, kubelets never newer than the API server and at most
 * three minors older, no downgrades.
 *
 * Intermediate hops (1.35.2 → 1.37.1 goes through 1.36) use the newest released patch of that
 * minor as of this release of k8s-bootstrap (KUBERNETES_PATCHES in kube/pins.ts, refreshed with
 * every release): a fixed table makes the plan the same on every run. The plan is saved in the state so that a
 * resumed run takes the same hops even if the table changes in between.
 */
import { UsageError } from '../../errors.js';
import { KUBERNETES_PATCHES } from '../../kube/pins.js';
import { SUPPORTED_MINORS, compareKubeVersions, formatKubeVersion, isSupportedMinor, minorOf, parseKubeVersion, type KubeVersion, type SupportedMinor } from '../../kube/versions.js';

/** Newest released patch per supported minor: the one table in kube/pins.ts. */
export const NEWEST_KNOWN_PATCH: Record<SupportedMinor, string> = KUBERNETES_PATCHES;

export interface NodeVersion {
  name: string;
  /** "v1.36.2" or "1.36.2". */
  version: string;
}

export interface SavedUpgradePlan {
  target: string;
  hops: string[];
}

export interface PlanHopsInput {
  /** The control plane's version (kubeadm-config / `kubeadm upgrade plan`). */
  cluster: string;
  kubelets: NodeVersion[];
  target: string;
  /** The plan of an earlier, unfinished run (state facts). */
  saved?: SavedUpgradePlan;
}

export interface HopPlan {
  from: string;
  target: string;
  /** Versions to apply in order; the last is the target. */
  hops: string[];
  /** An earlier run with this target is being continued. */
  resumed: boolean;
}

/** "--to v1.37.1" / "1.37.1" → "1.37.1"; anything else is a usage error naming --to. */
export function parseTargetVersion(text: string): string {
  const version = parseKubeVersion(text.trim());
  if (!version) {
    throw new UsageError('InvalidTargetVersion', `--to: "${text}" is not a Kubernetes version`, {
      hint: 'Use MAJOR.MINOR.PATCH with or without a leading v, e.g. --to 1.37.1 or --to v1.37.1.',
    });
  }
  return formatKubeVersion(version);
}

function parse(text: string, what: string): KubeVersion {
  const version = parseKubeVersion(text.trim());
  if (!version) throw new UsageError('UnreadableVersion', `Cannot read the ${what} version "${text}"`);
  return version;
}

const plain = (text: string) => text.trim().replace(/^v/, '');

export function planHops(input: PlanHopsInput): HopPlan {
  const target = parse(input.target, 'target');
  const cluster = parse(input.cluster, 'cluster');
  const targetText = formatKubeVersion(target);
  const targetMinor = minorOf(target);
  if (target.major !== 1 || !isSupportedMinor(targetMinor)) {
    throw new UsageError('UnsupportedTargetVersion', `--to ${targetText}: Kubernetes ${targetMinor} is not a minor this k8s-bootstrap supports`, {
      hint: `Supported minors: ${SUPPORTED_MINORS.join(', ')}.`,
    });
  }
  if (compareKubeVersions(target, cluster) < 0) {
    throw new UsageError('DowngradeRefused', `--to ${targetText} is older than the cluster's version ${formatKubeVersion(cluster)}: downgrades are not supported`, {
      hint: 'kubeadm upgrades only forward. Pick a newer version with --to.',
    });
  }
  for (const kubelet of input.kubelets) {
    const version = parseKubeVersion(plain(kubelet.version));
    if (version && compareKubeVersions(version, target) > 0) {
      throw new UsageError('KubeletNewerThanTarget', `Node ${kubelet.name} runs kubelet ${plain(kubelet.version)}, newer than --to ${targetText}`, {
        hint: 'A kubelet must never be newer than the API server (version skew policy). Pick a newer --to.',
      });
    }
  }
  const saved = input.saved && plain(input.saved.target) === targetText && input.saved.hops.length > 0 ? input.saved : undefined;
  const lagging = input.kubelets.filter((k) => plain(k.version) !== targetText);
  if (compareKubeVersions(target, cluster) === 0 && lagging.length === 0 && !saved) {
    throw new UsageError('AlreadyAtVersion', `The cluster and every node already run ${targetText}`, {
      hint: 'Nothing to upgrade. Pick a newer version with --to.',
    });
  }
  if (saved) return { from: formatKubeVersion(cluster), target: targetText, hops: saved.hops.map(plain), resumed: true };

  const hops: string[] = [];
  for (let minor = cluster.minor + 1; minor < target.minor; minor++) {
    const name = `1.${minor}`;
    if (!isSupportedMinor(name)) {
      throw new UsageError('UnsupportedHop', `Upgrading ${formatKubeVersion(cluster)} → ${targetText} goes through ${name}, which this k8s-bootstrap does not support`, {
        hint: `Supported minors: ${SUPPORTED_MINORS.join(', ')}. Upgrade with an older k8s-bootstrap release first.`,
      });
    }
    hops.push(NEWEST_KNOWN_PATCH[name]);
  }
  hops.push(targetText);

  // After the first apply, every kubelet must be at most 3 minors older than the API server.
  const firstHopMinor = parse(hops[0]!, 'hop').minor;
  for (const kubelet of input.kubelets) {
    const version = parseKubeVersion(plain(kubelet.version));
    if (version && firstHopMinor - version.minor > 3) {
      throw new UsageError('KubeletSkew', `Node ${kubelet.name} runs kubelet ${plain(kubelet.version)}, more than 3 minors older than ${hops[0]}`, {
        hint: 'Upgrade that node to the cluster version first (version skew policy: kubelets at most 3 minors behind the API server).',
      });
    }
  }
  return { from: formatKubeVersion(cluster), target: targetText, hops, resumed: false };
}

/** Workers in upgrade order, cut into batches of at most `maxUnavailable` (never more cordoned at once). */
export function planBatches<T>(workers: readonly T[], maxUnavailable: number): T[][] {
  if (!Number.isInteger(maxUnavailable) || maxUnavailable < 1) {
    throw new UsageError('InvalidMaxUnavailable', `--max-unavailable must be 1 or more (got ${maxUnavailable})`, {
      hint: 'Use --max-unavailable 1 (the default) to upgrade one worker at a time.',
    });
  }
  const batches: T[][] = [];
  for (let i = 0; i < workers.length; i += maxUnavailable) batches.push(workers.slice(i, i + maxUnavailable));
  return batches;
}

/** What `upgrade` without --to offers on a terminal: the newest patch of this minor and of the next. */
export function upgradeOffers(cluster: string): string[] {
  const current = parse(cluster, 'cluster');
  const offers: string[] = [];
  for (const minor of [minorOf(current), `${current.major}.${current.minor + 1}`]) {
    if (!isSupportedMinor(minor)) continue;
    const newest = NEWEST_KNOWN_PATCH[minor];
    if (compareKubeVersions(parse(newest, 'known'), current) > 0) offers.push(newest);
  }
  return offers;
}
