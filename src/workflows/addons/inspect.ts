/**
 * The read-only look at the add-ons shared by `addons list`, `addons diff` and the plan of
 * `addons apply`: the read-only SSH pool of status (pinned host keys only, no lock, nothing
 * written), Helm on the first control plane asked for its releases, and each add-on judged as
 * apply would judge it. Helm not installed yet (a cluster from before add-ons existed) reads as
 * "no release": everything enabled is to install.
 */
import type { Host } from '../../engine/host.js';
import { formatDuration } from '../../engine/timeouts.js';
import { ExternalToolError } from '../../errors.js';
import type { StepContext } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import { addonEnabled } from '../../config/addons.js';
import { ADDON_CHARTS, addonPin, type AddonName } from '../../kube/addons/pins.js';
import type { AddonChange, HelmRelease } from '../../kube/addons/helm-commands.js';
import type { AddonPlan } from '../../kube/addons/plan.js';
import { minorOfText } from '../../kube/versions.js';
import { AddonNodeOps, describeChanges, type AddonOps } from '../../nodes/addon-ops.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { firstControlPlane } from '../../nodes/topology.js';
import { checkPinned, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import { AddonMaterialSource } from './material.js';
import { plannedAddons } from './phases.js';

export type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

/** The Kubernetes version whose minor's pins the cluster's add-ons follow. */
export function clusterVersionOf(cluster: Pick<LoadedCluster, 'spec' | 'state'>): string {
  return cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version;
}

export interface ReadOnlyAddonOptions {
  /** The time limit of the look (--timeout); running out is a failure naming the node, not an interrupt. */
  timeoutMs: number;
  /** How long the first control plane may take to answer SSH. @default min(20 s, timeoutMs) */
  sshWaitMs?: number;
}

/**
 * Runs `body` with AddonNodeOps over the read-only pool of the cluster's first control plane,
 * within `timeoutMs` (Ctrl-C still interrupts).
 */
export async function withReadOnlyAddonOps<T>(host: Host, cluster: LoadedCluster, options: ReadOnlyAddonOptions, body: (ops: AddonOps, ctx: QuietCtx) => Promise<T>): Promise<T> {
  const topology = topologyOf(cluster);
  const first = firstControlPlane(topology);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([host.signal, timeout]);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: options.sshWaitMs ?? Math.min(20_000, options.timeoutMs), env: host.env });
  try {
    checkPinned(knownHosts, topology, first);
    const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: host.secrets });
    return await body(new AddonNodeOps({ spec: cluster.spec, topology, ops, secrets: host.secrets }), { signal, output: () => undefined });
  } catch (error) {
    if (timeout.aborted && !host.signal.aborted) {
      throw new ExternalToolError('AddonsQueryTimedOut', `Helm on ${first.name} could not be asked within ${formatDuration(options.timeoutMs)} (--timeout)`, {
        details: [error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)],
        hint: `Check that ${first.name} answers (k8s-bootstrap status), or raise --timeout.`,
        cause: error,
      });
    }
    throw error;
  } finally {
    await pool.closeAll();
  }
}

/** Helm's releases, or none when helm is not installed on the first control plane (yet). */
export async function releasesOrNone(ops: AddonOps, ctx: QuietCtx): Promise<{ helm?: string; releases: HelmRelease[] }> {
  const helm = await ops.helmInstalled(ctx);
  return helm ? { helm, releases: await ops.releases(ctx) } : { releases: [] };
}

export function releaseOf(releases: readonly HelmRelease[], name: AddonName): HelmRelease | undefined {
  const chart = ADDON_CHARTS[name];
  return releases.find((release) => release.name === name && release.namespace === chart.namespace);
}

/** One add-on in `addons diff` (and the plan of `addons apply`). */
export interface AddonDiffRow {
  name: AddonName;
  enabled: boolean;
  namespace: string;
  /** The chart version of the release helm has, or null. */
  installed: string | null;
  /** The chart version pinned for the cluster's minor, or null when there is none. */
  wanted: string | null;
  /** Helm's status of the release, or "not installed". */
  status: string;
  /** What apply would do; `disabled` for an add-on cluster.yaml turns off. */
  changes: Array<AddonChange | { kind: 'disabled'; installed: boolean }>;
  /** The changes as sentences (paths only, never values). */
  text: string[];
}

/** Every add-on in `names`, judged (enabled ones) or described (disabled ones: never uninstalled). */
export async function judgeAddons(options: {
  ops: AddonOps;
  spec: ClusterSpec;
  version: string;
  names: readonly AddonName[];
  material: AddonMaterialSource;
  releases: readonly HelmRelease[];
  ctx: QuietCtx;
}): Promise<{ rows: AddonDiffRow[]; plans: AddonPlan[] }> {
  const { ops, spec, version, names, releases, ctx } = options;
  const minor = minorOfText(version);
  const enabled = names.filter((name) => addonEnabled(spec, name));
  const plans = plannedAddons(spec, version, await options.material.forAddons(enabled), enabled);
  const rows: AddonDiffRow[] = [];
  for (const name of names) {
    const chart = ADDON_CHARTS[name];
    const release = releaseOf(releases, name);
    const plan = plans.find((p) => p.name === name);
    const base = {
      name,
      enabled: plan !== undefined,
      namespace: chart.namespace,
      installed: release?.chartVersion ?? null,
      wanted: addonPin(name, minor)?.version ?? null,
      status: release?.status ?? 'not installed',
    };
    if (!plan) {
      const text = release ? `disabled (left installed: helm uninstall ${name} -n ${chart.namespace} removes it)` : 'disabled';
      rows.push({ ...base, changes: [{ kind: 'disabled', installed: release !== undefined }], text: [text] });
      continue;
    }
    const changes = await ops.judge(plan, release, ctx);
    rows.push({ ...base, changes, text: describeChanges(changes, { minor }) });
  }
  return { rows, plans };
}

/** True when the row would change something on apply. */
export function rowChanges(row: AddonDiffRow): boolean {
  return row.changes.some((change) => change.kind !== 'unchanged' && change.kind !== 'disabled' && change.kind !== 'no-pin');
}

/** The diff as a person reads it: one block per add-on. */
export function formatDiff(rows: readonly AddonDiffRow[]): string {
  const width = Math.max(...rows.map((row) => row.name.length));
  return rows.map((row) => `  ${row.name.padEnd(width)}  ${row.text.join('; ')}`).join('\n');
}
