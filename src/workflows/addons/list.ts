/**
 * `addons list`: every add-on of the set with what cluster.yaml says (enabled), what Helm has
 * (installed chart version, status, appVersion: exactly as `helm list` reports them), what this
 * release pins for the cluster's minor (wanted), and the health of its pods. Read-only like
 * status: no lock, nothing written, pinned host keys only. Healthy = every enabled add-on
 * installed and ready; the CLI turns "not healthy" into exit 1.
 */
import { noteTo, type Host, type ResultBase } from '../../engine/host.js';
import { inertStrings } from '../../engine/inert-text.js';
import { addonEnabled } from '../../config/addons.js';
import { ADDON_CHARTS, ADDON_NAMES, addonPin, type AddonName } from '../../kube/addons/pins.js';
import { minorOfText } from '../../kube/versions.js';
import { DEFAULTS } from '../defaults.js';
import { loadCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { clusterVersionOf, releaseOf, releasesOrNone, withReadOnlyAddonOps } from './inspect.js';
import { PLACEHOLDER_MATERIAL } from './material.js';
import { plannedAddons } from './phases.js';

export interface AddonsListOptions extends ClusterRef {
  /** The whole command's time limit. */
  timeoutMs?: number;
}

export interface AddonRow {
  name: AddonName;
  enabled: boolean;
  /** The chart version helm has installed (any status), or null. */
  installed: string | null;
  /** The chart version this release pins for the cluster's Kubernetes minor, or null. */
  wanted: string | null;
  /** Helm's status (deployed, failed, pending-upgrade, …) or "not installed". */
  status: string;
  /** "ready", "not ready: <pods>", "not installed" or "disabled". */
  health: string;
  namespace: string;
  /** The release's app_version as helm reports it, or null when not installed. */
  appVersion: string | null;
}

export interface AddonsListResult extends ResultBase {
  /** The Kubernetes minor the wanted versions are for. */
  minor: string;
  /** The helm version on the first control plane, or null when it is not installed. */
  helm: string | null;
  addons: AddonRow[];
  /** Every enabled add-on installed, deployed and ready. */
  healthy: boolean;
}

export async function addonsList(host: Host, options: AddonsListOptions): Promise<AddonsListResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.status.timeoutMs;
  const cluster = await loadCluster(host, options);
  const { spec } = cluster;
  const version = clusterVersionOf(cluster);
  const minor = minorOfText(version);
  const { helm, addons } = await withReadOnlyAddonOps(host, cluster, { timeoutMs }, async (ops, ctx) => {
    const { helm, releases } = await releasesOrNone(ops, ctx);
    // Pods are found by the plans' selectors; no Secret is rendered for a list.
    const plans = plannedAddons(spec, version, PLACEHOLDER_MATERIAL);
    const rows: AddonRow[] = [];
    for (const name of ADDON_NAMES) {
      const release = releaseOf(releases, name);
      const enabled = addonEnabled(spec, name);
      const plan = plans.find((p) => p.name === name);
      let health: string;
      if (!release) health = enabled ? 'not installed' : 'disabled';
      else if (!enabled || !plan) health = 'disabled';
      else {
        const pods = await ops.health(plan, ctx);
        health = release.status !== 'deployed' ? `not ready: release ${release.status}` : pods.ready ? 'ready' : `not ready: ${pods.notReady.join('; ')}`;
      }
      rows.push({
        name,
        enabled,
        installed: release?.chartVersion ?? null,
        wanted: addonPin(name, minor)?.version ?? null,
        status: release?.status ?? 'not installed',
        health,
        namespace: release?.namespace ?? ADDON_CHARTS[name].namespace,
        appVersion: release?.appVersion ?? null,
      });
    }
    return { helm, addons: rows };
  });
  const healthy = addons.every((row) => !row.enabled || row.health === 'ready');
  const shown = inertStrings(addons);
  const unhealthy = shown.filter((row) => row.enabled && row.health !== 'ready');
  if (unhealthy.length > 0) noteTo(host, `Not every enabled add-on is ready: ${unhealthy.map((row) => `${row.name} (${row.health})`).join(', ')}`, 'warning');
  return { cluster: spec.name, minor, helm: helm ?? null, addons, healthy, summary: [formatList(shown, minor, helm)] };
}

export function formatList(rows: readonly AddonRow[], minor: string, helm: string | undefined): string {
  const header = ['NAME', 'ENABLED', 'INSTALLED', 'WANTED', 'STATUS', 'HEALTH'];
  const cells = rows.map((r) => [r.name, r.enabled ? 'yes' : 'no', r.installed ?? '-', r.wanted ?? '-', r.status, r.health]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const lines = [header, ...cells].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   '));
  const notes = [`Versions wanted for Kubernetes ${minor}; helm ${helm ?? 'not installed yet'} on the first control plane.`];
  const outdated = rows.filter((r) => r.enabled && r.installed !== null && r.wanted !== null && r.installed !== r.wanted);
  if (outdated.length > 0) notes.push(`Run k8s-bootstrap addons apply to move ${outdated.map((r) => r.name).join(', ')} to the wanted version.`);
  const leftInstalled = rows.filter((r) => !r.enabled && r.installed !== null);
  for (const row of leftInstalled) notes.push(`${row.name} is disabled in cluster.yaml but installed: the tool leaves it (helm uninstall ${row.name} -n ${row.namespace} removes it).`);
  return [...lines, '', ...notes].join('\n');
}
