/**
 * `k8s-bootstrap status`: the status workflow through the CLI host; exit 1 when a node is not
 * Ready or the API cannot be asked.
 */
import { clusterStatus } from '../../workflows/status/cluster-status.js';
import type { StatusFlags } from '../commands/status.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runStatus(ctx: CliContext, options: StatusFlags): Promise<number> {
  const result = await runCommand(ctx, 'status', (host) => clusterStatus(host, { ...clusterRefOf(ctx), timeoutMs: options.timeout }));
  return result.healthy ? 0 : 1;
}
