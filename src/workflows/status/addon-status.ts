/**
 * status's view of the add-ons, kept cheap: one `helm list` on the control plane that answered,
 * one line per add-on (enabled, the chart version and status helm reports, the version pinned for
 * the cluster's minor). Health of their pods is `addons list`'s job. Helm not installed, or not
 * answering: no add-on section (status never fails for it).
 */
import type { ClusterSpec } from '../../config/schema.js';
import { addonEnabled } from '../../config/addons.js';
import type { StepContext } from '../../engine/step.js';
import { helmList, parseHelmList } from '../../kube/addons/helm-commands.js';
import { ADDON_CHARTS, ADDON_NAMES, addonPin } from '../../kube/addons/pins.js';
import { minorOfText } from '../../kube/versions.js';
import type { ClusterNode } from '../../nodes/topology.js';
import type { KubectlReader } from './cloud-status.js';
import type { StatusAddon } from './report.js';

export async function addonStatus(spec: ClusterSpec, version: string, via: ClusterNode, read: KubectlReader, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<StatusAddon[] | undefined> {
  const out = await read(via, helmList(), ctx);
  if (out === undefined) return undefined;
  let releases;
  try {
    releases = parseHelmList(out);
  } catch {
    return undefined;
  }
  const minor = minorOfText(version);
  const rows: StatusAddon[] = [];
  for (const name of ADDON_NAMES) {
    const release = releases.find((r) => r.name === name && r.namespace === ADDON_CHARTS[name].namespace);
    const enabled = addonEnabled(spec, name);
    if (!enabled && !release) continue;
    rows.push({ name, enabled, installed: release?.chartVersion ?? null, wanted: addonPin(name, minor)?.version ?? null, status: release?.status ?? 'not installed' });
  }
  return rows;
}

export function formatAddonStatus(addons: readonly StatusAddon[]): string[] {
  if (addons.length === 0) return [];
  const width = Math.max(...addons.map((a) => a.name.length));
  const lines = ['Add-ons (helm list; k8s-bootstrap addons list shows their health):'];
  for (const a of addons) {
    const version = a.installed ?? '-';
    const note = !a.enabled ? ' (disabled in cluster.yaml, left installed)' : a.installed !== null && a.wanted !== null && a.installed !== a.wanted ? ` (this release pins ${a.wanted}: run addons apply)` : '';
    lines.push(`  ${a.name.padEnd(width)}   ${version}   ${a.status}${note}`);
  }
  return lines;
}
