/**
 * `status` as one function: the folder's view and the API's, within one time limit. Read-only:
 * takes no lock. Healthy means every node Ready and the API reachable; the result says so and
 * the CLI turns "not healthy" into exit 1.
 */
import { noteTo, type Host, type ResultBase } from '../../engine/host.js';
import { inertStrings } from '../../engine/inert-text.js';
import type { SshPool } from '../../tools/ssh/pool.js';
import { DEFAULTS } from '../defaults.js';
import { loadCluster, openReadOnlyPool, topologyOf } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { collectStatus, formatStatus, sshNodeLister, type NodeLister } from './index.js';
import type { StatusReport } from './report.js';

/** The cloud parts status found not available, and a missing default StorageClass. */
function unhealthyCloudParts(report: StatusReport): string[] {
  const cloud = report.cloud;
  if (!cloud) return [];
  const parts = cloud.parts.filter((p) => p.available !== true).map((p) => p.component);
  if (cloud.defaultStorageClass && cloud.defaultStorageClass.present !== true) parts.push(`default StorageClass ${cloud.defaultStorageClass.expected}`);
  return parts;
}

/** A control plane that does not answer SSH within this long is skipped for the next one. */
const SSH_WAIT_MS = 20_000;

export interface StatusOptions extends ClusterRef {
  /** The whole command's time limit. */
  timeoutMs?: number;
}

export interface StatusResult extends ResultBase, Omit<StatusReport, 'cluster'> {}

export async function clusterStatus(host: Host, options: StatusOptions): Promise<StatusResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.status.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  const signal = AbortSignal.any([host.signal, AbortSignal.timeout(timeoutMs)]);
  const cluster = await loadCluster(host, options);
  const topology = topologyOf(cluster);

  let pool: SshPool | undefined;
  let lister: NodeLister;
  try {
    const opened = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: Math.min(SSH_WAIT_MS, timeoutMs), env: host.env });
    pool = opened.pool;
    lister = sshNodeLister(opened.pool, opened.knownHosts, topology, deadline);
  } catch (error) {
    // No key, unprotected key: the API cannot be asked, but the folder's view is still worth showing.
    lister = { getNodes: () => Promise.reject(error) };
  }
  try {
    // Node names, messages and errors come from the nodes: the data stays as it is (a JSON host
    // escapes it); the sentences for a person are made of inert text.
    const report = await collectStatus(cluster, { topology, lister, signal, deadline });
    const shown = inertStrings(report);
    if (!shown.api.reachable) noteTo(host, `The API could not be asked: ${shown.api.error}`, 'warning');
    else if (shown.nodes.some((n) => n.ready !== true)) noteTo(host, `Not every node is Ready: ${shown.nodes.filter((n) => n.ready !== true).map((n) => n.name).join(', ')}`, 'warning');
    else if (!shown.healthy) noteTo(host, `Not every part of the cloud integration and storage is healthy: ${unhealthyCloudParts(shown).join(', ')}`, 'warning');
    return { ...report, summary: [formatStatus(shown)] };
  } finally {
    await pool?.closeAll();
  }
}
