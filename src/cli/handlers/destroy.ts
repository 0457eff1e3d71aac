/** `k8s-bootstrap destroy`: the flags as the core's options, then the workflow through the CLI host. */
import { destroyCluster } from '../../workflows/destroy/index.js';
import type { DestroyFlags } from '../commands/destroy.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runDestroy(ctx: CliContext, options: DestroyFlags): Promise<number> {
  await runCommand(ctx, 'destroy', (host) =>
    destroyCluster(host, { ...clusterRefOf(ctx), resetNodes: options.resetNodes, concurrency: options.concurrency, timeoutMs: options.timeout }),
  );
  return 0;
}
