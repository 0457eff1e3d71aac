/**
 * What an apply would change, judged from what Helm and the cluster say: the release (helm list),
 * its user-supplied values (helm get values) and the content sha annotations of the add-on's
 * Secrets. Only names and dotted paths come out of here, never a value: `addons diff` prints them.
 */
import type { HelmRelease } from './helm-commands.js';
import type { AddonPlan } from './plan.js';
import { secretKey } from './secrets.js';

export type AddonChange =
  | { kind: 'install'; to: string }
  | { kind: 'upgrade'; from: string; to: string }
  | { kind: 'values'; paths: string[] }
  | { kind: 'secret'; names: string[] }
  | { kind: 'repair'; status: string }
  | { kind: 'unchanged' }
  | { kind: 'no-pin'; installed?: string };

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => jsonEqual(a[key], b[key]));
  }
  return false;
}

/** A key appended to a dotted path: `a.b` for word-like keys, `a["traefik.ingress.kubernetes.io/x"]` for others. */
const join = (path: string, key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`);

/**
 * The dotted paths where `a` and `b` differ (JSON-equality): objects compared key by key, arrays
 * and scalars as a whole (Helm replaces a list, it never merges one). Sorted; `(root)` when the
 * two differ at the top and are not both objects. Values are never part of the answer.
 */
export function changedPaths(a: unknown, b: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (isPlainObject(x) && isPlainObject(y)) {
      for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        // A key set to undefined is no key (JSON has none); Helm never reports one.
        if (x[key] === undefined && y[key] === undefined) continue;
        walk(x[key], y[key], join(path, key));
      }
      return;
    }
    if (!jsonEqual(x, y)) out.push(path === '' ? '(root)' : path);
  };
  walk(a, b, '');
  return out;
}

/**
 * What applying `plan` would do to the cluster, in the order an apply does it. `release`: the
 * release of that name in the plan's namespace, if any; `liveValues`: its `helm get values`;
 * `secretShas`: the content sha of each of the plan's Secrets in the cluster, by
 * secretKey() ("namespace/name"; undefined: missing or never annotated).
 *
 * - no pin for the minor: `no-pin` only (the add-on stays where it is);
 * - no release: `install`;
 * - a release not `deployed` (failed, pending-*): `repair` first, then whatever else differs;
 * - another chart version: `upgrade`; values that differ: `values` with their paths; a Secret
 *   whose sha differs: `secret`; nothing: `unchanged`.
 */
export function judgeAddon(
  plan: AddonPlan,
  release: HelmRelease | undefined,
  liveValues: Record<string, unknown> | undefined,
  secretShas: Record<string, string | undefined>,
): AddonChange[] {
  if (plan.version === undefined) return [release ? { kind: 'no-pin', installed: release.chartVersion } : { kind: 'no-pin' }];
  if (release === undefined) return [{ kind: 'install', to: plan.version }];
  const changes: AddonChange[] = [];
  if (release.status !== 'deployed') changes.push({ kind: 'repair', status: release.status || 'unknown' });
  if (release.chart !== plan.chart || release.chartVersion !== plan.version) {
    changes.push({ kind: 'upgrade', from: release.chart === plan.chart ? release.chartVersion : `${release.chart} ${release.chartVersion}`.trim(), to: plan.version });
  }
  const paths = changedPaths(liveValues ?? {}, plan.values);
  if (paths.length > 0) changes.push({ kind: 'values', paths });
  const secrets = plan.secrets.filter((secret) => secretShas[secretKey(secret)] !== secret.sha256).map((secret) => secret.name);
  if (secrets.length > 0) changes.push({ kind: 'secret', names: secrets });
  return changes.length > 0 ? changes : [{ kind: 'unchanged' }];
}

/** One line of `addons diff` for a change: names and paths only. */
export function describeChange(change: AddonChange): string {
  switch (change.kind) {
    case 'install':
      return `install ${change.to}`;
    case 'upgrade':
      return `upgrade ${change.from} → ${change.to}`;
    case 'values':
      return `values change: ${change.paths.join(', ')}`;
    case 'secret':
      return `secret change: ${change.names.join(', ')}`;
    case 'repair':
      return `repair (${change.status})`;
    case 'unchanged':
      return 'unchanged';
    case 'no-pin':
      return change.installed ? `no version pinned for this Kubernetes minor: ${change.installed} stays` : 'no version pinned for this Kubernetes minor';
  }
}
