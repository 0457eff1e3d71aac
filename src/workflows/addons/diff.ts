/**
 * `addons diff [NAME…]`: what `addons apply` would change, per add-on, judged by Helm exactly as
 * apply judges it (release status and chart version, the user values deep-compared, the Secrets'
 * content shas). Values are never shown, only the dotted paths that differ. Read-only: no lock,
 * nothing written (a generated password that does not exist yet stays in memory).
 */
import type { Host, ResultBase } from '../../engine/host.js';
import { inertStrings } from '../../engine/inert-text.js';
import { DEFAULTS } from '../defaults.js';
import { loadCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { minorOfText } from '../../kube/versions.js';
import { clusterVersionOf, formatDiff, judgeAddons, releasesOrNone, rowChanges, withReadOnlyAddonOps, type AddonDiffRow } from './inspect.js';
import { AddonMaterialSource } from './material.js';
import { namedAddons } from './targets.js';

export interface AddonsDiffOptions extends ClusterRef {
  /** Only these add-ons; default all six. */
  names?: string[];
  timeoutMs?: number;
}

export interface AddonsDiffResult extends ResultBase {
  minor: string;
  addons: AddonDiffRow[];
  /** How many add-ons apply would change. */
  wouldChange: number;
}

export async function addonsDiff(host: Host, options: AddonsDiffOptions): Promise<AddonsDiffResult> {
  const names = namedAddons(options.names);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.status.timeoutMs;
  const cluster = await loadCluster(host, options);
  const version = clusterVersionOf(cluster);
  const material = new AddonMaterialSource({ dir: cluster.dir, env: host.env, secrets: host.secrets, save: false });
  const rows = await withReadOnlyAddonOps(host, cluster, { timeoutMs }, async (ops, ctx) => {
    const { releases } = await releasesOrNone(ops, ctx);
    return (await judgeAddons({ ops, spec: cluster.spec, version, names, material, releases, ctx })).rows;
  });
  const changes = rows.filter(rowChanges).length;
  const shown = inertStrings(rows);
  return {
    cluster: cluster.spec.name,
    minor: minorOfText(version),
    addons: rows,
    wouldChange: changes,
    summary: [`Add-ons of ${cluster.spec.name} (Kubernetes ${minorOfText(version)}):\n${formatDiff(shown)}`, changes === 0 ? 'Nothing to apply.' : `${changes} add-on${changes === 1 ? '' : 's'} would change: k8s-bootstrap addons apply applies ${changes === 1 ? 'it' : 'them'}.`],
  };
}
