/**
 * `k8s-bootstrap status`: nodes, versions, readiness and the state folder's view; `--output json`
 * prints the same as one JSON document. Exit 1 when a node is not Ready or the API cannot be
 * asked. Read-only: takes no lock, and --timeout bounds the whole command.
 */
import { inertStrings, toSafeJson } from '../../engine/inert-text.js';
import { parseDuration } from '../../engine/timeouts.js';
import { loadCluster, openReadOnlyPool, topologyOf } from '../../workflows/run/load-cluster.js';
import { collectStatus, formatStatus, sshNodeLister, type NodeLister } from '../../workflows/status/index.js';
import type { SshPool } from '../../tools/ssh/pool.js';
import type { CommandHandler } from '../command.js';

export const DEFAULT_STATUS_TIMEOUT = '2m';
/** A control plane that does not answer SSH within this long is skipped for the next one. */
const SSH_WAIT_MS = 20_000;

export const runStatus: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as { timeout?: string };
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_STATUS_TIMEOUT, '--timeout');
  const deadline = Date.now() + timeoutMs;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
  const cluster = await loadCluster(ctx);
  const topology = topologyOf(cluster);

  let pool: SshPool | undefined;
  let lister: NodeLister;
  try {
    const opened = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: Math.min(SSH_WAIT_MS, timeoutMs), env: ctx.env });
    pool = opened.pool;
    lister = sshNodeLister(opened.pool, opened.knownHosts, topology, deadline);
  } catch (error) {
    // No key, unprotected key: the API cannot be asked, but the folder's view is still worth showing.
    lister = { getNodes: () => Promise.reject(error) };
  }
  try {
    const collected = await collectStatus(cluster, { topology, lister, signal, deadline });
    // Node names, messages and errors come from the nodes: JSON keeps them escaped, text drops controls.
    if (ctx.globals.output === 'json') ctx.write(toSafeJson(collected, 2));
    const report = inertStrings(collected);
    if (ctx.globals.output !== 'json') ctx.write(formatStatus(report));
    if (!report.api.reachable) ctx.error(`Error: ${report.api.error}`);
    else if (!report.healthy) ctx.error(`Not every node is Ready: ${report.nodes.filter((n) => n.ready !== true).map((n) => n.name).join(', ')}`);
    return report.healthy ? 0 : 1;
  } finally {
    await pool?.closeAll();
  }
};
